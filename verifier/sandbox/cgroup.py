"""cgroup v1 ``pids`` and ``memory`` groups: the containment that holds even when a run forks without end.

Each sandbox worker gets its own pair of groups, ``/sys/fs/cgroup/{pids,memory}/envsynth/<unique>``, joined by the
worker's first process before it runs anything (bwrap waits on ``--block-fd`` until the host has moved it), so every
descendant is counted. ``pids.max`` bounds processes plus threads, ``memory.limit_in_bytes`` (and the swap-inclusive
limit where the kernel has one) bounds memory; :meth:`Cgroup.kill` SIGKILLs every member until none is left, then
the groups are removed. Where the controllers are absent or not writable (not root), :func:`open_cgroup` returns
None and the backends fall back to rlimits alone, which the sandbox docstring says do not contain a fork bomb.

Where the ``cpu`` controller is writable too, each worker also gets a CFS quota of one core, so a run that spins up
many busy processes slows only its own worker, not the honest calls of the others (without it, such a run could
push other tasks' calls toward their wall-time limit). And where the ``cpuset`` controller is writable, a cpuset that
holds one CPU while the worker scores a group, the one the fewest workers of the host scoring at that moment hold
(``cpu_pinning``).
"""

from __future__ import annotations

import os
import signal
import time
import uuid
from pathlib import Path

from task_bank.errors import SandboxError
from verifier.sandbox.cpu_pinning import CONTROLLER as CPUSET
from verifier.sandbox.cpu_pinning import pin_for_group, release, worker_group

ROOT = Path("/sys/fs/cgroup")
CONTROLLERS = ("pids", "memory")
OPTIONAL = ("cpu",)
CPU_PERIOD_US = 100_000


class Cgroup:
    """The cgroup v1 groups (pids, memory, and cpu where available) owned by one sandbox worker."""

    def __init__(self, dirs: dict[str, Path]) -> None:
        self.dirs = dirs

    def wrap(self, argv: list[str]) -> list[str]:
        """``argv`` started from inside the groups: a shell joins them, then ``exec``s the command (same pid).

        Every process the command creates is born in the groups, with no window in which it is not: a sandbox
        whose launcher dies before telling the host its child's pid (the host killed mid-start) is still counted,
        and :func:`sweep_stale` can end it. (``preexec_fn`` would do the same but is unsafe in a threaded host.)
        """
        joins = "".join(f'echo $$ > "{directory}/cgroup.procs" && ' for directory in self.dirs.values())
        return ["/bin/sh", "-c", joins + 'exec "$@"', "envsynth-cgroup-join", *argv]

    def pin(self) -> int | None:
        """Pin the worker to one CPU while it scores a group (``cpu_pinning.pin_for_group``); None without a cpuset."""
        group = self.dirs.get(CPUSET)
        return None if group is None else pin_for_group(group)

    def unpin(self) -> None:
        """Give the worker every CPU again once its group is scored."""
        group = self.dirs.get(CPUSET)
        if group is not None:
            release(group)

    def add(self, pid: int) -> None:
        """Move ``pid`` (and the threads it has) into both groups."""
        for directory in self.dirs.values():
            (directory / "cgroup.procs").write_text(str(pid))

    def pids(self) -> set[int]:
        """Every process currently in the groups."""
        found: set[int] = set()
        for directory in self.dirs.values():
            try:
                found.update(int(p) for p in (directory / "cgroup.procs").read_text().split())
            except OSError:
                continue
        return found

    def memory_failcnt(self) -> int:
        """How often the memory limit was hit (0 when unknown)."""
        try:
            return int((self.dirs["memory"] / "memory.failcnt").read_text())
        except (KeyError, OSError, ValueError):
            return 0

    def kill(self, timeout_s: float = 5.0) -> bool:
        """SIGKILL every member until the groups are empty; True when they are."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            members = self.pids()
            if not members:
                return True
            for pid in members:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    continue
            time.sleep(0.005)
        return not self.pids()

    def remove(self) -> None:
        """Kill what is left and delete the groups (a group with members cannot be removed)."""
        self.kill()
        for directory in self.dirs.values():
            for _ in range(200):
                try:
                    directory.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    time.sleep(0.01)


def cgroups_available() -> bool:
    """True when both controllers are mounted and this process may create groups under them."""
    return os.geteuid() == 0 and all(os.access(ROOT / c, os.W_OK) for c in CONTROLLERS)


def open_cgroup(max_processes: int, memory_bytes: int, *, pin_cpu: bool = True) -> Cgroup | None:
    """Create a fresh pair of groups with these limits, or None where cgroup v1 is not usable; with ``pin_cpu``, and
    where the ``cpuset`` controller is writable, a cpuset too (every CPU until :meth:`Cgroup.pin`: ``cpu_pinning``)."""
    if not cgroups_available():
        return None
    sweep_stale()
    name = f"{os.getpid()}-{uuid.uuid4().hex[:12]}"
    dirs: dict[str, Path] = {}
    try:
        for controller in CONTROLLERS + tuple(c for c in OPTIONAL if os.access(ROOT / c, os.W_OK)):
            directory = ROOT / controller / "envsynth" / name
            directory.mkdir(parents=True)
            dirs[controller] = directory
        (dirs["pids"] / "pids.max").write_text(str(max_processes))
        (dirs["memory"] / "memory.limit_in_bytes").write_text(str(memory_bytes))
        swap = dirs["memory"] / "memory.memsw.limit_in_bytes"
        if swap.exists():
            swap.write_text(str(memory_bytes))
        if "cpu" in dirs:  # one core per worker
            (dirs["cpu"] / "cpu.cfs_period_us").write_text(str(CPU_PERIOD_US))
            (dirs["cpu"] / "cpu.cfs_quota_us").write_text(str(CPU_PERIOD_US))
        if pin_cpu and os.access(ROOT / CPUSET, os.W_OK):
            group = worker_group(ROOT / CPUSET / "envsynth", name)
            if group is not None:
                dirs[CPUSET] = group
    except OSError as exc:
        Cgroup(dirs).remove()
        raise SandboxError(f"cannot set up cgroup v1 limits under {ROOT}: {exc}; run as root or use rlimits") from exc
    return Cgroup(dirs)


def sweep_stale() -> None:
    """End what envsynth processes that died without closing their pools (killed hard) left behind.

    A group is stale when the process that created it (the pid its name starts with) is gone. Whatever still runs
    in it is an orphaned sandbox (for example one whose launcher died mid-start and that waits forever): it is
    killed, and the group removed.
    """
    for controller in CONTROLLERS + OPTIONAL + (CPUSET,):
        parent = ROOT / controller / "envsynth"
        if not parent.is_dir():
            continue
        for directory in parent.iterdir():
            owner = directory.name.split("-", 1)[0]
            if not directory.is_dir() or not owner.isdigit() or Path(f"/proc/{owner}").exists():
                continue
            Cgroup({controller: directory}).remove()
