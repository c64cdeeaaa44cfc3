"""The ``--every 6h`` foreground loop: run a cycle, sleep to the next tick, repeat; stop cleanly on Ctrl-C.

Why ticks are anchored to the first start (``t0 + n * interval``) and not to the end of the previous cycle: a
six-hourly job should stay six-hourly whatever each cycle took. A cycle that overruns one or more ticks is
followed at once by the next, and the missed ticks are dropped, not queued, because a cycle already consumes
everything that arrived (the same choice as systemd's ``Persistent=true``: one catch-up run, not one per miss).

The loop is bounded: ``max_cycles`` stops it, each cycle is bounded by its wall-time budget, and nothing is
carried from one cycle to the next but the bank. A cycle that fails or finds the lock held does not end the
loop (the next tick tries again); Ctrl-C (``KeyboardInterrupt``) propagates to the caller after the running
cycle has recorded itself as interrupted.
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable

from task_bank.errors import ConfigError

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_interval(text: str) -> float:
    """Seconds in an interval written like ``90s``, ``15m``, ``6h``, ``1d`` or ``1h30m``."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ConfigError(f"cannot read interval {text!r}: write a number and a unit s, m, h or d, "
                          "e.g. 6h, 30m or 1h30m", field="--every")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"interval {text!r} must be longer than zero", field="--every")
    return seconds


def next_tick(first_start: float, interval: float, previous: float, now: float) -> float:
    """When to start the cycle after the one that started at tick ``previous``.

    Normally ``previous + interval``. When that tick has already passed (the cycle overran), the latest passed
    tick: it is due now, and the ticks before it are dropped.
    """
    due = previous + interval
    if now < due:
        return due
    return first_start + math.floor((now - first_start) / interval) * interval


def run_every(cycle: Callable[[], int], interval: float, *, max_cycles: int | None = None,
              sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
              announce: Callable[[str], None] = lambda _msg: None) -> list[int]:
    """Run ``cycle`` every ``interval`` seconds, ``max_cycles`` times (forever when None); return exit codes."""
    codes: list[int] = []
    first = tick = clock()
    while True:
        codes.append(cycle())
        if max_cycles is not None and len(codes) >= max_cycles:
            return codes
        now = clock()
        tick = next_tick(first, interval, tick, now)
        wait = max(0.0, tick - now)
        announce(f"cycle {len(codes)} ended with exit code {codes[-1]}; next cycle in {wait:.0f}s (Ctrl-C stops)")
        sleep(wait)
