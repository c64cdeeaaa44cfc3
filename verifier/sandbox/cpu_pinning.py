"""Which CPU a new sandbox worker runs on: each worker gets a cgroup ``cpuset`` of one CPU, the one the fewest
workers on the host use.

Why pin. A worker's hot path is a ping-pong between processes: the zygote feeds a verifier process one response and
waits for its frame, a verifier waits for each response process it starts, the host waits for the zygote's reply.
Unpinned, the scheduler woke each side on whichever CPU was idle, so on the 2-core machine every hand-over crossed
cores (an inter-processor interrupt and a halted virtual CPU woken up) and the cores sat idle a quarter of the time
(``/proc/stat``): two workers scored 4,700 grouped trivial calls/s with 1.6 cores busy. Pinned, each hand-over is a
context switch on the same core: 6,800-7,600 calls/s with 1.95 cores busy, and ``run_response`` executions rose by
half (``bench/bench_sandbox.py`` measures pinned against unpinned side by side).

Why the least-used CPU *of the host*, ties drawn at random, in a cpuset. A verifier can read its CPU (``getcpu``
needs no system call to deny) and the share of a CPU it gets. So:

- the CPU must tell it nothing: every CPU with the fewest workers is equally likely, so any one worker's CPU is
  uniform over the CPUs, in validation's interpreters and in a training pool alike (red-team round 31 counted 180
  and 180 calls of run 0 on each CPU, 10 and 10 training groups);
- two workers must not share a CPU while another sits idle. Counting only one process's workers, two trainer
  processes on one host (one per GPU, each with its pool) put their workers on the same CPU in 3 of 8 starts, which
  the kernel could no longer move apart; a verifier that paid wrong answers only when its share of the CPU fell
  was paid 581 of 1,536 times, against 17 unpinned (round 31). Every worker on the host has its cpuset under one
  directory, ``/sys/fs/cgroup/cpuset/envsynth``, so that is where they are counted (each group's ``cpuset.cpus``,
  which nothing in a sandbox can change), under an exclusive ``flock`` of that directory: two processes starting
  workers at once see each other's choice;
- the pin must hold: a ``sched_setaffinity`` pin could be widened again by any process of the worker (one's own mask
  needs no privilege), which let a verifier's spinners onto another worker's CPU and made its own group count as
  unpinned. A cpuset cannot be left from inside;
- pinning must be all or nothing: whether a verifier's mask holds one CPU or all of them is a bit it reads.
  Workers are pinned exactly where the ``cpuset`` controller is writable (root with cgroup v1, as for the other
  limits) and there is more than one CPU, in every process on the host, and never otherwise; a group that cannot be
  set up stops the worker's start (``SandboxError``). ``BwrapBackend(pin_cpus=False)`` exists to measure the
  difference, never to be used for one context and not the other.
"""

from __future__ import annotations

import fcntl
import os
import random
from collections.abc import Iterable
from pathlib import Path

CONTROLLER = "cpuset"


def pinned_group(parent: Path, name: str, rng: random.Random | None = None) -> Path | None:
    """Create the cpuset group ``parent/name`` holding the one CPU the fewest groups under ``parent`` hold; None
    when there is one CPU to choose from (then nothing anywhere is pinned). Raises OSError when the group cannot be
    set up (the caller stops the worker's start: module docstring, all or nothing)."""
    _prepare(parent)
    lock = os.open(parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
        allowed = cpu_list(_read(parent / "cpuset.effective_cpus")) & os.sched_getaffinity(0)
        cpu = choose_cpu(allowed, taken=pinned_cpus(parent), rng=rng)
        if cpu is None:
            return None
        group = parent / name
        group.mkdir()
        try:
            (group / "cpuset.mems").write_text(_read(parent / "cpuset.effective_mems"))
            (group / "cpuset.cpus").write_text(str(cpu))
        except OSError:
            group.rmdir()  # empty: nothing has joined it
            raise
        return group
    finally:
        os.close(lock)


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
    """The CPU of each group under ``parent`` that holds exactly one."""
    cpus: list[int] = []
    try:
        groups = [entry for entry in parent.iterdir() if entry.is_dir()]
    except OSError:
        return cpus
    for group in groups:
        try:
            held = cpu_list(_read(group / "cpuset.cpus"))
        except (OSError, ValueError):  # removed meanwhile
            continue
        if len(held) == 1:
            cpus.extend(held)
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
