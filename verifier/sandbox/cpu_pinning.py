"""Which CPU a sandbox worker scores a group on: while it scores one, its cgroup ``cpuset`` holds one CPU, the one
the fewest workers of the host scoring at that moment hold; between groups it holds every CPU.

Why pin. A worker's hot path is a ping-pong between processes: the zygote feeds a verifier process one response and
waits for its frame, a verifier waits for each response process it starts, the host waits for the zygote's reply.
Unpinned, the scheduler woke each side on whichever CPU was idle, so on the 2-core machine every hand-over crossed
cores (an inter-processor interrupt and a halted virtual CPU woken up) and the cores sat idle a quarter of the time
(``/proc/stat``). Pinned, each hand-over is a context switch on the same core: ``bench/bench_sandbox.py`` measures
pinned against unpinned side by side (``run_response`` executions 1.2-1.3x).

Why the CPU the fewest *busy* workers of the *host* hold, chosen for each group, ties drawn at random. A verifier
can read its CPU (``getcpu`` needs no system call to deny) and the share of a CPU it gets. So:

- the CPU must tell it nothing: every CPU with the fewest busy workers is equally likely, in validation's
  interpreters and in a training pool alike (red-team round 31 counted 180 and 180 calls of run 0 on each CPU);
- two busy workers must not share a CPU while another sits idle, or a verifier that pays wrong answers only when
  its share of the CPU falls is paid. Round 31: counted per host process, two trainer processes (one per GPU)
  stacked their workers on one CPU in 3 of 8 starts (581 of 1,536 wrong answers paid, 17 unpinned). Round 32: with
  a CPU chosen once at a worker's start, another process's *idle* workers and the groups of a dead host still
  counted, and a busy pool landed on one CPU in 5 of 10 starts (964 of 1,920 paid, 20 unpinned). So a worker holds
  one CPU only while it scores a group, and only such groups with a live member count; every worker's cpuset is
  under ``/sys/fs/cgroup/cpuset/envsynth``, read and written under an exclusive ``flock`` of that directory;
- the pin must hold: a ``sched_setaffinity`` pin could be widened again from inside (one's own mask needs no
  privilege); a cpuset cannot be left from inside (round 32 found no way out);
- pinning must be all or nothing: whether a verifier's mask holds one CPU or all of them is a bit it reads.
  Verifier processes only exist while their group is scored, so every one of them sees one CPU wherever the
  ``cpuset`` controller is writable (root with cgroup v1) and there is more than one CPU, and all of them every CPU
  otherwise; a cpuset that cannot be set stops the worker (``SandboxError``). ``BwrapBackend(pin_cpus=False)``
  exists to measure the difference, never to be used for one context and not the other.
"""

from __future__ import annotations

import fcntl
import os
import random
from collections.abc import Iterable
from pathlib import Path

CONTROLLER = "cpuset"


def worker_group(parent: Path, name: str) -> Path | None:
    """Create the cpuset group ``parent/name`` of a new worker, holding every CPU (it is pinned to one only while it
    scores a group: :func:`pin_for_group`); None when there is one CPU (then nothing anywhere is pinned). Raises
    OSError when the group cannot be set up (the caller stops the worker's start: all or nothing)."""
    _prepare(parent)
    cpus = _read(parent / "cpuset.effective_cpus").strip()
    if len(cpu_list(cpus)) < 2:
        return None
    group = parent / name
    group.mkdir()
    try:
        (group / "cpuset.mems").write_text(_read(parent / "cpuset.effective_mems"))
        (group / "cpuset.cpus").write_text(cpus)
    except OSError:
        group.rmdir()  # empty: nothing has joined it
        raise
    return group


def pin_for_group(group: Path, rng: random.Random | None = None) -> int | None:
    """Pin ``group`` (a worker about to score a group) to the CPU that the fewest workers scoring right now on the
    host hold, under an exclusive ``flock`` of their directory; returns it (None: not pinned). OSError when the
    kernel refuses (the caller ends the worker: all or nothing)."""
    parent = group.parent
    lock = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
        # the cpuset's CPUs, not this thread's mask: a host under ``taskset`` chose among its own one CPU, never
        # pinned, and its workers kept that mask, unseen by other hosts (round 33: 192 of 192 paid)
        cpu = choose_cpu(cpu_list(_read(parent / "cpuset.effective_cpus")), taken=pinned_cpus(parent), rng=rng)
        if cpu is not None:
            (group / "cpuset.cpus").write_text(str(cpu))
        return cpu
    finally:
        os.close(lock)


def release(group: Path) -> None:
    """Give ``group`` every CPU again (its group is scored): an idle worker holds no CPU of its own, so it never
    counts when the next busy one is placed."""
    (group / "cpuset.cpus").write_text(_read(group.parent / "cpuset.effective_cpus").strip())


def choose_cpu(allowed: Iterable[int], taken: Iterable[int] = (), rng: random.Random | None = None) -> int | None:
    """Of ``allowed``, a CPU that the fewest of ``taken`` (one CPU per pinned worker) name, drawn at random among
    equals; None when there is only one CPU (pinning would change nothing)."""
    cpus = sorted(set(allowed))
    if len(cpus) < 2:
        return None
    counts = dict.fromkeys(cpus, 0)
    for cpu in taken:
        if cpu in counts:
            counts[cpu] += 1
    fewest = min(counts.values())
    return (rng or random.SystemRandom()).choice([cpu for cpu, count in counts.items() if count == fewest])


def pinned_cpus(parent: Path) -> list[int]:
    """The CPU of each group under ``parent`` that holds exactly one and has a live member: the workers scoring a
    group right now (a group left behind by a host that died mid-group has no members: its sandbox died with the
    host's pipe)."""
    cpus: list[int] = []
    try:
        groups = [entry for entry in parent.iterdir() if entry.is_dir()]
    except OSError:
        return cpus
    for group in groups:
        try:
            held = cpu_list(_read(group / "cpuset.cpus"))
            if len(held) == 1 and _read(group / "cgroup.procs").split():
                cpus.extend(held)
        except (OSError, ValueError):  # removed meanwhile
            continue
    return cpus


def cpu_list(text: str) -> set[int]:
    """The kernel's list format (``0-3,8,10-11``) as a set of CPU numbers."""
    cpus: set[int] = set()
    for part in text.strip().split(","):
        if not part:
            continue
        low, _, high = part.partition("-")
        cpus.update(range(int(low), int(high or low) + 1))
    return cpus


def _prepare(parent: Path) -> None:
    """Make ``parent`` a cpuset that allows every CPU and memory node of its own parent (a new cpuset starts with
    none, and a group cannot be joined until it has some)."""
    parent.mkdir(exist_ok=True)
    if not _read(parent / "cpuset.cpus").strip():
        (parent / "cpuset.mems").write_text(_read(parent.parent / "cpuset.effective_mems"))
        (parent / "cpuset.cpus").write_text(_read(parent.parent / "cpuset.effective_cpus"))


def _read(path: Path) -> str:
    return path.read_text(encoding="ascii")
