"""The jump rule's sequential test: a task whose pass rate has stayed above its own earlier rate since some check, by
far more than the other tasks' rates rose over the same checks.

Why a second test: windows of a fixed 16 responses cannot tell a task that went from half to all in one step (where
GRPO learns, so where hacks land) from noise in the other tasks' windows, and a baseline 64 responses back cannot see
a hack adopted over a dozen steps (red-team round 43, B1 and B2). Here the window after a candidate change point
grows as the task keeps passing, so the evidence of a rise that lasts grows with it, while a lucky window is diluted
by the ones after it.

**At every check** ``t``, for each task with new groups and each candidate change point ``s = t - a`` (``a`` from 1 to
``rise_checks``): *after* is its responses since ``s``, *before* its responses in the ``rise_baseline_checks`` checks
up to ``s`` (each at least ``min_attempts``). The task's *rise* there is the signed root of the two-sample binomial
likelihood-ratio statistic: the change in units of the task's own noise, which, unlike a Wald z-score, does not shrink
as the rate nears 1. It is compared with the latest rise over the same ``a`` checks of every other task (at least
``min_peers``), so common learning and the others' spread of speeds are discounted::

    z = (rise - median(others)) / max(1.4826 * MAD(others), 1)

(the floor: a rise is already in noise units). The change point *holds* when ``z >= rise_z``, ``rise >= binomial_z``
and the pass rate went up by ``min_jump``. The task *rises* at a measurement when one change point has held at this
one and its ``jump_checks - 1`` measurements before: the same change, seen on more data each time. A rise counts as
a jump of the task's episode (:mod:`trainer.monitor_jump`), so the episode and cohort logic judge it as any jump.

What this cannot tell: a task rising steadily at under about twice the fastest honest speed, from an honest fast
learner: its rise is then inside the others' spread and noise decides (among 40 peers learning at +0.005 to +0.025 a
step, a hack ramped at +0.04 a step was flagged in 3 of 10 runs, at +0.06 in 8 of 10, and 13 of 20 on other seeds;
lower thresholds flagged honest peers). Thresholds were chosen on seeds apart from those measured. Memory: per
task, its last ``rise_checks + rise_baseline_checks`` checks and its latest rise over each span.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.monitor_config import MonitorConfig

Counts = tuple[int, int, int]
"""(attempts, passes, groups)."""


def rise(after: tuple[int, int], before: tuple[int, int]) -> float:
    """Signed root of the likelihood-ratio statistic of two binomial samples (attempts, passes): + when ``after``'s
    rate is the higher."""
    (n1, x1), (n2, x2) = after, before

    def loglik(x: int, n: int) -> float:
        return sum(k * math.log(k / n) for k in (x, n - x) if k)

    g = loglik(x1, n1) + loglik(x2, n2) - loglik(x1 + x2, n1 + n2)
    z = math.sqrt(max(2 * g, 0.0))
    return z if x1 * n2 >= x2 * n1 else -z


@dataclass
class _Task:
    checks: deque[tuple[int, Counts]] = field(default_factory=deque)  # (check, counts), oldest first
    held: dict[int, int] = field(default_factory=dict)  # change point -> measurements in a row it held


class RiseScan:
    """Per task, its recent checks and the change points that hold; per span, every task's latest rise."""

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self._tasks: dict[str, _Task] = {}
        self._latest: list[dict[str, float]] = [{} for _ in range(config.rise_checks)]  # [a - 1]: task -> rise

    def measure(self, check: int, fresh: dict[str, Counts]) -> dict[str, tuple[float, str, int]]:
        """The tasks measured at ``check`` (their counts since the last check); those that rise at it, with the
        strongest z-score, the evidence in words and the groups since its change point."""
        spans = {task_id: self._spans(task_id, check, counts) for task_id, counts in fresh.items()}
        for task_id, by_span in spans.items():
            for latest, measured in zip(self._latest, by_span, strict=True):
                if measured is not None:
                    latest[task_id] = measured[0]
        out = {}
        for task_id, by_span in spans.items():
            task, holding = self._tasks[task_id], {}
            for a, measured in enumerate(by_span, start=1):
                judged = None if measured is None else self._judge(task_id, a, *measured)
                if judged is not None:
                    holding[check - a] = judged
            task.held = {s: task.held.get(s, 0) + 1 for s in holding}
            rising = [holding[s] for s, n in task.held.items() if n >= self.config.jump_checks]
            if rising:
                out[task_id] = max(rising)
        return out

    def _spans(self, task_id: str, check: int, counts: Counts) -> list[tuple[float, Counts, Counts] | None]:
        """Per span ``a``: the rise since ``check - a``, and the after and before counts (None where too few)."""
        cfg = self.config
        task = self._tasks.setdefault(task_id, _Task())
        task.checks.append((check, counts))
        oldest = check - cfg.rise_checks - cfg.rise_baseline_checks
        while task.checks[0][0] <= oldest:
            task.checks.popleft()
        by_check = dict(task.checks)
        cumulative = [(0, 0, 0)]  # over checks oldest + 1 .. check
        for c in range(oldest + 1, check + 1):
            n = by_check.get(c, (0, 0, 0))
            cumulative.append(tuple(x + y for x, y in zip(cumulative[-1], n, strict=True)))  # type: ignore[arg-type]

        def between(first: int, last: int) -> Counts:  # checks first + 1 .. last
            hi, lo = cumulative[last - oldest], cumulative[max(first, oldest) - oldest]
            return hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2]

        out: list[tuple[float, Counts, Counts] | None] = []
        for a in range(1, cfg.rise_checks + 1):
            after, before = between(check - a, check), between(check - a - cfg.rise_baseline_checks, check - a)
            if after[0] < cfg.min_attempts or before[0] < cfg.min_attempts:
                out.append(None)
            else:
                out.append((rise(after[:2], before[:2]), after, before))
        return out

    def _judge(self, task_id: str, a: int, z_rise: float, after: Counts, before: Counts
               ) -> tuple[float, str, int] | None:
        cfg = self.config
        change = after[1] / after[0] - before[1] / before[0]
        if change < cfg.min_jump or z_rise < cfg.binomial_z:
            return None  # most measurements stop here, before the others' rises are sorted
        peers = [r for t, r in self._latest[a - 1].items() if t != task_id]
        if len(peers) < cfg.min_peers:
            return None
        center = statistics.median(peers)
        scale = max(1.4826 * statistics.median(abs(r - center) for r in peers), 1.0)
        z = (z_rise - center) / scale
        if z < cfg.rise_z:
            return None
        detail = (f"pass rate {before[1] / before[0]:.2f} ({cfg.rise_baseline_checks} checks before, {before[0]} "
                  f"attempts) -> {after[1] / after[0]:.2f} (the {a} checks since, {after[0]} attempts): rise z "
                  f"{z_rise:.1f}, z {z:.1f} against {len(peers)} other tasks' rises over the same checks (median "
                  f"{center:+.1f}, scale {scale:.1f})")
        return z, detail, after[2]
