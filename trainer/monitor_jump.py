"""The reward-hacking monitor's ``jump`` rule: a task whose pass rate rises far faster than the other tasks' do.

A separate module because the rule keeps its own state (each task's recent groups, the others' latest changes,
open jump episodes) and its own statistics; :mod:`trainer.monitor` only asks it, at each check, which tasks jumped.

**Changes, at every check.** Each task that got new groups since the last check is measured on windows that end at
this check, whatever the check's alignment with the task's groups: its *recent* window (its last groups, at least
``min_attempts`` scored responses), the window just *before* it (as many), and its *baseline* (up to
``baseline_attempts`` responses before that). Two changes come out: ``recent - before`` sees a jump between two
steps wherever it falls; ``recent - baseline`` sees a rise over a few windows. Each change is compared with the
latest change of the same kind of every *other* task (at least ``min_peers``), so a change is judged against how
fast the others move over the same steps::

    z = (change - median(others)) / max(1.4826 * MAD(others), scale_floor)

A task *jumps* at this check when, for either change, ``z >= z_threshold``, ``change >= min_jump`` and the
two-proportion z-statistic of the two windows is at least ``binomial_z`` (small windows do not jump on noise).
Windows of 16 responses are fast but weak: a rise from one half to all is within the others' noise there (red-team
round 43, B1), and a rise over a dozen steps outlasts the baseline (B2). So a task also jumps when it *rises*
(:mod:`trainer.monitor_drift`): its rate since some change point, on a window that grows while the rise lasts, against
its rate before that point, in units of its own noise and against the others' rises over the same checks.

**Episodes and cohorts.** A jump alone is weak evidence: an honest task is sometimes learned in one step (a format,
an insight). The checks at which a task jumps, from its first until a measurement without one, form an *episode*.
``cohort_checks + jump_checks - 1`` checks after it began, an episode is decided: with fewer than ``jump_checks``
jumping measurements it was one noisy window and is dropped; else it is *isolated* unless enough other tasks began
such an episode within ``cohort_checks`` checks of its start: ``cohort_tasks``, or ``cohort_share`` of the other
tasks measured then when that is more. Learning that generalises (an output format) lifts several tasks within a few
steps of each other; a verifier's weakness is the task's own, and one companion is chance (round 43's B5: one honest
task learned near a hack cleared it; a bank of hundreds has such a task in most spans). Starts, not spans, are
compared, since a rise goes on jumping long after the change that began it. The monitor flags an isolated episode,
and flags any undecided or isolated episode at once when other evidence backs it (a suspect marker in
``jump_share`` of the passing responses, a response paid in its group and failed alone, a paid canary). An episode
that had company and no backing is cleared and not judged again. A flagged task's jump stays company for others.

What this cannot tell: an honest task learned in one step while fewer than ``cohort_tasks`` others jump, from a hack
(flagged; the detail says how many others jumped: the sequential test sees such learning more surely than windows
did, so it is flagged more often); a hack that several tasks adopt within a few steps of each other, from learning
(left to the other rules); a hack adopted steadily at under about twice the fastest honest task's speed, from that
task (round 43 measured +0.04 a step among peers at up to +0.025: flagged in 3 of 10 runs). Memory is a few groups
and ``rise_checks + rise_baseline_checks`` checks per task, and one change per task and kind.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from trainer.monitor_drift import Counts, RiseScan

if TYPE_CHECKING:
    from trainer.monitor_config import MonitorConfig


@dataclass(frozen=True)
class Jump:
    """A task's open jump episode, as the monitor sees it at a check."""

    task_id: str
    detail: str
    """The strongest jump of the episode in words (rates, attempts, z-scores)."""
    groups: int
    """GRPO groups in the evidence of that jump: its recent window, or the groups since a rise's change point."""
    isolated: bool | None
    """True: too few other tasks jumped near it for a cohort; None: not decided yet (other tasks may still jump)."""
    alone: str = ""
    """Once isolated, how many other tasks jumped near it, in words."""


@dataclass
class _Episode:
    first: int
    last: int
    strength: tuple[int, float]  # (1 for a window change, 0 for a rise; its z-score)
    detail: str
    groups: int
    jumps: int = 1  # measurements with a jump
    open: bool = True  # its latest measurement jumped
    isolated: bool | None = None
    alone: str = ""
    cleared: bool = False


@dataclass
class _History:
    groups: deque[tuple[int, int]] = field(default_factory=deque)  # (attempts, passes), oldest first
    fresh: Counts = (0, 0, 0)  # (attempts, passes, groups) since the last check
    starts: deque[int] = field(default_factory=deque)  # first checks of its ended sustained episodes
    measured: deque[int] = field(default_factory=deque)  # checks at which it had new groups, latest few


class JumpTracker:
    """Per task, recent groups and recent jump episodes; per kind of change, every task's latest change."""

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self.check = 0
        self._tasks: dict[str, _History] = {}
        self._latest: tuple[dict[str, float], dict[str, float]] = ({}, {})  # recent-before, recent-baseline
        self._episodes: dict[str, _Episode] = {}
        self._rises = RiseScan(config)

    def record(self, task_id: str, attempts: int, passes: int) -> None:
        """One group's scored responses and passes."""
        if attempts == 0:
            return
        history = self._tasks.setdefault(task_id, _History())
        history.groups.append((attempts, passes))
        history.fresh = (history.fresh[0] + attempts, history.fresh[1] + passes, history.fresh[2] + 1)
        keep = 2 * self.config.min_attempts + self.config.baseline_attempts
        while sum(a for a, _ in history.groups) - history.groups[0][0] >= keep:
            history.groups.popleft()

    def advance(self) -> list[Jump]:
        """A check: measure the tasks with new groups, update and decide their episodes; every episode still to be
        judged (not cleared), in task order."""
        self.check += 1
        for task_id in [t for t, e in self._episodes.items() if e.isolated is not None and not e.open]:
            self._end(task_id)  # decided last check and over since
        fresh = {t: h.fresh for t, h in sorted(self._tasks.items()) if h.fresh[0]}
        measured = {t: self._windows(self._tasks[t].groups) for t in fresh}
        for task_id in fresh:
            history = self._tasks[task_id]
            history.fresh = (0, 0, 0)
            history.measured.append(self.check)
            while history.measured[0] < self.check - 4 * self.config.cohort_checks:
                history.measured.popleft()
        for task_id, windows in measured.items():
            for latest, change in zip(self._latest, _changes(windows), strict=True):
                if change is not None:
                    latest[task_id] = change
        rises = self._rises.measure(self.check, fresh)
        for task_id, windows in measured.items():
            window, rise = self._jump(task_id, windows), rises.get(task_id)
            # the detail shows a window change when there is one: two windows' rates are the simpler evidence
            self._update(task_id, (1, window) if window is not None else None if rise is None else (0, rise))
        cfg = self.config
        for task_id, episode in list(self._episodes.items()):
            # decided once a jump starting cohort_checks later has had its jump_checks measurements
            if episode.isolated is None and self.check >= episode.first + cfg.cohort_checks + cfg.jump_checks - 1:
                if episode.jumps < cfg.jump_checks:
                    del self._episodes[task_id]  # one noisy window, not a jump
                    continue
                self._decide(task_id, episode)
        return [Jump(t, e.detail, e.groups, e.isolated, e.alone) for t, e in sorted(self._episodes.items())
                if not e.cleared]

    def clear(self, task_id: str) -> None:
        """The episode had company and no backing: it is not judged again."""
        if task_id in self._episodes:
            self._episodes[task_id].cleared = True

    def forget(self, task_id: str) -> None:
        """The task was flagged: nothing more to judge (its jump still counts as company for the others')."""
        if task_id in self._episodes:
            self._end(task_id)

    def _update(self, task_id: str, jump: tuple[int, tuple[float, str, int]] | None) -> None:
        episode = self._episodes.get(task_id)
        if jump is None:
            if episode is not None:
                episode.open = False
                if episode.isolated is not None:
                    self._end(task_id)  # decided, and over
            return
        rank, (z, detail, groups) = jump
        if episode is None:
            self._episodes[task_id] = _Episode(self.check, self.check, (rank, z), detail, groups)
            return
        episode.jumps, episode.last, episode.open = episode.jumps + 1, self.check, True
        if (rank, z) > episode.strength:
            episode.strength, episode.detail, episode.groups = (rank, z), detail, groups

    def _end(self, task_id: str) -> None:
        episode = self._episodes.pop(task_id)
        starts = self._tasks[task_id].starts
        if episode.jumps >= self.config.jump_checks:
            starts.append(episode.first)
        while starts and starts[0] < self.check - 4 * self.config.cohort_checks:
            starts.popleft()  # too old to be near any episode still undecided

    def _decide(self, task_id: str, episode: _Episode) -> None:
        """Isolated unless enough other tasks began a sustained jump within ``cohort_checks`` checks of its start:
        ``cohort_tasks``, or ``cohort_share`` of the tasks measured then when that is more (one companion is
        chance, and a bank of hundreds has an honest jump somewhere in most spans: round 43's B5)."""
        cfg, at = self.config, episode.first
        others = [t for t in self._tasks if t != task_id]
        company = sum(self._began_near(t, at) for t in others)
        active = sum(any(abs(c - at) <= cfg.cohort_checks for c in self._tasks[t].measured) for t in others)
        need = max(cfg.cohort_tasks, math.ceil(cfg.cohort_share * active))
        episode.isolated = company < need
        if episode.isolated:
            episode.alone = (f"{'no' if company == 0 else f'only {company}'} other task{'s' * (company > 1)} "
                             f"jumped within {cfg.cohort_checks} checks (a cohort of learning needs {need})")

    def _began_near(self, task_id: str, at: int) -> bool:
        """Whether ``task_id`` began an episode of at least ``jump_checks`` jumps within ``cohort_checks`` checks of
        check ``at`` (its start: a long rise goes on jumping long after the change that began it)."""
        starts = list(self._tasks[task_id].starts)
        episode = self._episodes.get(task_id)
        if episode is not None and episode.jumps >= self.config.jump_checks:
            starts.append(episode.first)
        return any(abs(first - at) <= self.config.cohort_checks for first in starts)

    def _windows(self, groups: Sequence[tuple[int, int]]) -> list[tuple[int, int, int] | None]:
        """(attempts, passes, groups) of the recent, before and baseline windows (None where too few)."""
        cfg, end, out = self.config, len(groups), []
        for need, least in ((cfg.min_attempts, cfg.min_attempts), (cfg.min_attempts, cfg.min_attempts),
                            (cfg.baseline_attempts, cfg.min_attempts)):
            start, attempts, passes = end, 0, 0
            while start > 0 and attempts < need:
                start -= 1
                attempts, passes = attempts + groups[start][0], passes + groups[start][1]
            out.append((attempts, passes, end - start) if attempts >= least else None)
            if attempts < least:
                break
            end = start
        return out + [None] * (3 - len(out))

    def _jump(self, task_id: str, windows: list[tuple[int, int, int] | None]) -> tuple[float, str, int] | None:
        cfg = self.config
        recent = windows[0]
        best = None
        for name, other, latest, change in zip(("the window before", "its baseline"), windows[1:], self._latest,
                                               _changes(windows), strict=True):
            peers = [c for t, c in latest.items() if t != task_id]
            if recent is None or other is None or change is None or len(peers) < cfg.min_peers:
                continue
            center = statistics.median(peers)
            scale = max(1.4826 * statistics.median(abs(c - center) for c in peers), cfg.scale_floor)
            z = (change - center) / scale
            pooled = (recent[1] + other[1]) / (recent[0] + other[0])
            spread = math.sqrt(pooled * (1 - pooled) * (1 / recent[0] + 1 / other[0]))
            z_binomial = change / spread if spread > 0 else math.inf
            if change < cfg.min_jump or z < cfg.z_threshold or z_binomial < cfg.binomial_z:
                continue
            if best is None or z > best[0]:
                detail = (f"pass rate {other[1] / other[0]:.2f} ({name}, {other[0]} attempts) -> "
                          f"{recent[1] / recent[0]:.2f} ({recent[0]} attempts): z {z:.1f} against {len(peers)} "
                          f"other tasks' changes (median {center:+.2f}, scale {scale:.2f}); two-proportion z "
                          f"{z_binomial:.1f}")
                best = z, detail, recent[2]
        return best


def _changes(windows: list[tuple[int, int, int] | None]) -> tuple[float | None, float | None]:
    """recent - before and recent - baseline, in pass rate (None where a window is missing)."""
    recent, before, baseline = windows
    return tuple(None if recent is None or w is None else recent[1] / recent[0] - w[1] / w[0]
                 for w in (before, baseline))  # type: ignore[return-value]
