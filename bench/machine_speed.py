"""How fast this machine is right now, in two fixed workloads, so that benchmark figures from different days compare.

Why: the dev machine is a shared VM whose speed moved by a factor of two between sessions (the same commit scored
416 and about 230 ``run_response`` executions/s on two days, with nothing else running). A goal stated in calls/s
is met or missed by the day's machine as much as by the code. Each benchmark that reports such a figure records
these two numbers beside it:

- ``python_loop_ms``: one million iterations of a pure-Python accumulating loop (the interpreter's own speed: what a
  verifier's code and the validator's trusted side cost);
- ``fork_exit_ms``: fork, exit and reap of this process, with its modules loaded (the page-table copy and teardown
  every sandboxed verifier and response process pays).

Each is the median of several repeats, measured in the benchmark's own process right before its rows.
"""

from __future__ import annotations

import os
import statistics
import time


def python_loop_ms(iterations: int = 1_000_000, repeats: int = 5) -> float:
    """Median milliseconds of ``iterations`` turns of a pure-Python loop."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        total = 0
        for i in range(iterations):
            total += i
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 1)


def fork_exit_ms(repeats: int = 200) -> float:
    """Median milliseconds to fork this process, let the child exit at once and reap it."""
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        times.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(times), 3)


def calibrate() -> dict[str, float]:
    """Both measurements, as a benchmark's report records them."""
    return {"python_loop_ms": python_loop_ms(), "fork_exit_ms": fork_exit_ms()}


def describe(speed: dict[str, float]) -> str:
    """One line for a report: the two figures and what they measure."""
    return (f"machine speed: {speed['python_loop_ms']} ms per million-iteration Python loop, "
            f"{speed['fork_exit_ms']} ms per fork+exit of the benchmark process (bench/machine_speed.py)")
