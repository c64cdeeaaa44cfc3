"""Which CPU a new sandbox worker runs on: each worker is pinned to one, the one fewest of this process's workers use.

Why. A worker's hot path is a ping-pong between processes: the zygote feeds a verifier process one response and
waits for its frame, a verifier waits for each response process it starts, the host waits for the zygote's reply.
Unpinned, the scheduler woke each side on whichever CPU was idle, so on the 2-core machine every hand-over crossed
cores (an inter-processor interrupt and a halted virtual CPU woken up) and the cores sat idle a quarter of the time
(``/proc/stat``): two workers scored 4,700 grouped trivial calls/s with 1.6 cores busy. Pinned, each hand-over is a
context switch on the same core: 6,800-7,100 calls/s with 1.95 cores busy, and ``run_response`` executions rose a
quarter (``bench/bench_sandbox.py``; measured side by side, alternating, in one session).

Why the least-used CPU, ties broken at random: a verifier can read the CPU it runs on (``getcpu``, with no system
call to deny), so the choice must tell it nothing. Only this process's own workers are counted, and every CPU with
the fewest is equally likely, so the CPU of any one worker is uniform over the CPUs this process may use, in
validation's interpreters and in a training pool alike; and the workers of one pool, started one after another,
land on different CPUs. The count is read from the kernel (each child's affinity), not kept here: there is no state
to go stale when a worker dies.

A verifier process may widen its own affinity again (no privilege is needed for one's own mask); that only costs it
speed. Where there is one CPU to choose from, or affinity cannot be set, nothing is pinned.
"""

from __future__ import annotations

import os
import random
import threading
from collections.abc import Iterable
from pathlib import Path

_PROC_TASKS = Path("/proc/self/task")
_CHOOSING = threading.Lock()  # two workers started at once by two threads would otherwise both see the same counts


def pin_new_worker(pids: Iterable[int]) -> int | None:
    """Pin a new worker's first processes (``pids``: the ones already started; every later one inherits the pin)
    to the CPU :func:`choose_cpu` picks; returns it, or None when nothing was pinned."""
    with _CHOOSING:
        cpu = choose_cpu()
        return cpu if pin(pids, cpu) else None


def choose_cpu(allowed: Iterable[int] | None = None, taken: Iterable[int] | None = None,
               rng: random.Random | None = None) -> int | None:
    """The CPU for a new worker: of ``allowed`` (default: this process's own affinity), one that the fewest of
    ``taken`` (default: the CPUs this process's pinned children run on) name, drawn at random among equals; None
    when there is only one CPU (pinning would change nothing)."""
    cpus = sorted(os.sched_getaffinity(0) if allowed is None else set(allowed))
    if len(cpus) < 2:
        return None
    counts = dict.fromkeys(cpus, 0)
    for cpu in pinned_children() if taken is None else taken:
        if cpu in counts:
            counts[cpu] += 1
    fewest = min(counts.values())
    return (rng or random.SystemRandom()).choice([cpu for cpu, count in counts.items() if count == fewest])


def pinned_children() -> list[int]:
    """The CPU of each child of this process (any thread's) that is pinned to exactly one."""
    cpus = []
    for pid in _children():
        try:
            mask = os.sched_getaffinity(pid)
        except OSError:  # gone meanwhile
            continue
        if len(mask) == 1:
            cpus.extend(mask)
    return cpus


def pin(pids: Iterable[int], cpu: int | None) -> bool:
    """Pin each of ``pids`` (and so every process it starts later) to ``cpu``; False, and nothing more tried, when
    ``cpu`` is None or the kernel refuses (a pin is a speed-up, never a condition of running)."""
    if cpu is None:
        return False
    for pid in pids:
        try:
            os.sched_setaffinity(pid, {cpu})
        except OSError:
            return False
    return True


def _children() -> list[int]:
    pids: list[int] = []
    try:
        tasks = os.listdir(_PROC_TASKS)
    except OSError:
        return pids
    for task in tasks:
        try:
            pids.extend(int(pid) for pid in (_PROC_TASKS / task / "children").read_text().split())
        except (OSError, ValueError):
            continue
    return pids
