"""The score ledger: per-task tallies the reward function records and the statistics callback drains.

The reward function sees every scored completion but should not write to the bank on every batch; the callback
writes once per logging interval but never sees completions. The ledger is the hand-off between them: one object,
built by ``trainer.grpo`` and passed to both (no module-level state).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field


class TaskTally(BaseModel):
    """What the rollouts of one task scored during one logging interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    attempts: int = Field(default=0, ge=0)
    """Completions that got a reward (scored, or zero for a response that crashed, hung or was invalid)."""
    unscored: int = Field(default=0, ge=0)
    """Completions the sandbox could not score (reward None); not counted in attempts."""
    score_sum: float = Field(default=0.0, ge=0.0)
    """Sum of rewards over the attempts."""
    passes: int = Field(default=0, ge=0)
    """Attempts at or above the pass threshold."""
    groups: int = Field(default=0, ge=0)
    """GRPO groups (one prompt, num_generations completions) of this task."""
    equal_groups: int = Field(default=0, ge=0)
    """Groups whose rewards were all equal: no advantage, nothing learned."""

    @property
    def mean_score(self) -> float:
        """Mean reward over the attempts (0 when there were none)."""
        return self.score_sum / self.attempts if self.attempts else 0.0

    @property
    def pass_rate(self) -> float:
        """Share of attempts that passed (0 when there were none)."""
        return self.passes / self.attempts if self.attempts else 0.0


class ScoreLedger:
    """Accumulates :class:`TaskTally` per task until drained; safe to use from several threads."""

    def __init__(self, pass_threshold: float) -> None:
        self.pass_threshold = pass_threshold
        self._lock = threading.Lock()
        self._tallies: dict[str, TaskTally] = {}

    def record_group(self, task_id: str, rewards: Sequence[float | None]) -> None:
        """Record one group of rewards for ``task_id`` (None for a completion that could not be scored)."""
        scored = [r for r in rewards if r is not None]
        with self._lock:
            old = self._tallies.get(task_id, TaskTally())
            self._tallies[task_id] = TaskTally(
                attempts=old.attempts + len(scored),
                unscored=old.unscored + len(rewards) - len(scored),
                score_sum=old.score_sum + sum(scored),
                passes=old.passes + sum(r >= self.pass_threshold for r in scored),
                groups=old.groups + 1,
                equal_groups=old.equal_groups + (len(scored) >= 2 and len(set(scored)) == 1))

    def drain(self) -> dict[str, TaskTally]:
        """Every tally recorded since the last drain, by task id; the ledger is empty afterwards."""
        with self._lock:
            tallies, self._tallies = self._tallies, {}
        return tallies
