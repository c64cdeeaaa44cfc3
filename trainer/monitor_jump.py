"""The reward-hacking monitor's ``jump`` rule: a task whose pass rate rises far faster than the other tasks' do.

A separate module because the rule keeps its own state (each task's recent groups, the others' latest changes,
open jump episodes) and its own statistics; :mod:`trainer.monitor` only asks it, at each check, which tasks jumped.

**Changes, at every check.** Each task that got new groups since the last check is measured on windows that end at
this check, whatever the check's alignment with the task's groups: its *recent* window (its last groups, at least
``min_attempts`` scored responses), the window just *before* it (as many), and its *baseline* (up to
``baseline_attempts`` responses before that). Two changes come out: ``recent - before`` sees a jump between two
steps wherever it falls; ``recent - baseline`` sees a rise ramped over several windows, which no two adjacent
windows show. Each change is compared with the latest change of the same kind of every *other* task (at least
``min_peers``), so a change is judged against how fast the others move over the same steps::

    z = (change - median(others)) / max(1.4826 * MAD(others), scale_floor)

A task *jumps* at this check when, for either change, ``z >= z_threshold``, ``change >= min_jump`` and the
two-proportion z-statistic of the two windows is at least ``binomial_z`` (small windows do not jump on noise).

**Episodes and cohorts.** A jump alone is weak evidence: an honest task is sometimes learned in one step (a format,
an insight). The checks at which a task jumps, from its first until a measurement without one, form an *episode*.
``cohort_checks + jump_checks - 1`` checks after it began, an episode is decided: with fewer than ``jump_checks``
jumping measurements it was one noisy window and is dropped; else it is *isolated* when no other task had such an
episode within ``cohort_checks`` checks of its start. Learning that generalises (an output format) lifts several tasks
within a few steps of each other; a verifier's weakness is the task's own. The monitor flags an isolated episode,
and flags any undecided or isolated episode at once when other evidence backs it (a suspect marker in
``jump_share`` of the passing responses, a response paid in its group and failed alone, a paid canary). An episode
that had company and no backing is cleared and not judged again.

What this cannot tell: an honest task learned in one step while no other task jumps, from a hack (flagged; the
detail says so); a hack that several tasks adopt within a few steps of each other, from learning (left to the
other rules). Memory is a few groups per task and one change per task and kind.
"""

from __future__ import annotations

import math
import statistics
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.monitor import MonitorConfig


@dataclass(frozen=True)
class Jump:
    """A task's open jump episode, as the monitor sees it at a check."""

    task_id: str
    detail: str
    """The strongest jump of the episode in words (rates, attempts, z-scores)."""
    groups: int
    """GRPO groups in the recent window of that jump."""
    isolated: bool | None
    """True: no other task jumped near it; None: not decided yet (other tasks may still jump)."""


@dataclass
class _Episode:
    first: int
    last: int
    z: float
    detail: str
    groups: int
    jumps: int = 1  # measurements with a jump
    open: bool = True  # its latest measurement jumped
    isolated: bool | None = None
    cleared: bool = False


@dataclass
class _History:
    groups: deque[tuple[int, int]] = field(default_factory=deque)  # (attempts, passes), oldest first
    fresh: bool = False
    spans: deque[tuple[int, int]] = field(default_factory=deque)  # (first, last) of its ended sustained episodes


class JumpTracker:
    """Per task, recent groups and recent jump episodes; per kind of change, every task's latest change."""

    def __init__(self, config: MonitorConfig) -> None:
        self.config = config
        self.check = 0
        self._tasks: dict[str, _History] = {}
        self._latest: tuple[dict[str, float], dict[str, float]] = ({}, {})  # recent-before, recent-baseline
        self._episodes: dict[str, _Episode] = {}

    def record(self, task_id: str, attempts: int, passes: int) -> None:
        """One group's scored responses and passes."""
        if attempts == 0:
            return
        history = self._tasks.setdefault(task_id, _History())
        history.groups.append((attempts, passes))
        history.fresh = True
        keep = 2 * self.config.min_attempts + self.config.baseline_attempts
        while sum(a for a, _ in history.groups) - history.groups[0][0] >= keep:
            history.groups.popleft()

    def advance(self) -> list[Jump]:
        """A check: measure the tasks with new groups, update and decide their episodes; every episode still to be
        judged (not cleared), in task order."""
        self.check += 1
        for task_id in [t for t, e in self._episodes.items() if e.isolated is not None and not e.open]:
            self._end(task_id)  # decided last check and over since
        fresh = sorted(t for t, h in self._tasks.items() if h.fresh)
        measured = {t: self._windows(self._tasks[t].groups) for t in fresh}
        for task_id, windows in measured.items():
            self._tasks[task_id].fresh = False
            for latest, change in zip(self._latest, _changes(windows), strict=True):
                if change is not None:
                    latest[task_id] = change
        for task_id, windows in measured.items():
            self._update(task_id, self._jump(task_id, windows))
        cfg = self.config
        for task_id, episode in list(self._episodes.items()):
            # decided once a jump starting cohort_checks later has had its jump_checks measurements
            if episode.isolated is None and self.check >= episode.first + cfg.cohort_checks + cfg.jump_checks - 1:
                if episode.jumps < cfg.jump_checks:
                    del self._episodes[task_id]  # one noisy window, not a jump
                    continue
                episode.isolated = not any(self._near(other, episode.first) for other in self._tasks
                                           if other != task_id)
        return [Jump(t, e.detail, e.groups, e.isolated) for t, e in sorted(self._episodes.items()) if not e.cleared]

    def clear(self, task_id: str) -> None:
        """The episode had company and no backing: it is not judged again."""
        if task_id in self._episodes:
            self._episodes[task_id].cleared = True

    def forget(self, task_id: str) -> None:
        """The task was flagged: nothing more to judge."""
        self._episodes.pop(task_id, None)

    def _update(self, task_id: str, jump: tuple[float, str, int] | None) -> None:
        episode = self._episodes.get(task_id)
        if jump is None:
            if episode is not None:
                episode.open = False
                if episode.isolated is not None:
                    self._end(task_id)  # decided, and over
            return
        z, detail, groups = jump
        if episode is None:
            self._episodes[task_id] = _Episode(self.check, self.check, z, detail, groups)
            return
        episode.jumps, episode.last, episode.open = episode.jumps + 1, self.check, True
        if z > episode.z:
            episode.z, episode.detail, episode.groups = z, detail, groups

    def _end(self, task_id: str) -> None:
        episode = self._episodes.pop(task_id)
        spans = self._tasks[task_id].spans
        if episode.jumps >= self.config.jump_checks:
            spans.append((episode.first, episode.last))
        while spans and spans[0][1] < self.check - 4 * self.config.cohort_checks:
            spans.popleft()  # too old to be near any episode still undecided

    def _near(self, task_id: str, at: int) -> bool:
        """Whether ``task_id`` jumped, at least ``jump_checks`` times in one episode, within ``cohort_checks`` checks
        of check ``at``."""
        k = self.config.cohort_checks
        spans = list(self._tasks[task_id].spans)
        episode = self._episodes.get(task_id)
        if episode is not None and episode.jumps >= self.config.jump_checks:
            spans.append((episode.first, episode.last))
        return any(first <= at + k and last >= at - k for first, last in spans)

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
