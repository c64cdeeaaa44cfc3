"""The pipeline's budget hook: limits on drafts, generator tokens, wall time and drafts per group.

Scheduled growth cycles (``synth.grow``) hand :func:`synth.pipeline.run_pipeline` a :class:`Budget`; the pipeline
asks a :class:`BudgetTracker` before every wave of generator calls and stops drafting once a limit is reached.
Work already in flight is finished and admitted; groups never drafted are not marked processed, so the next
cycle picks them up. ``None`` means no limit.
"""

from __future__ import annotations

import time

from pydantic import BaseModel, ConfigDict, Field


class Budget(BaseModel):
    """Limits for one pipeline run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    max_drafts: int | None = Field(default=None, ge=0)
    """Generator calls for drafts and repairs (diagnoses are not counted)."""
    max_tokens: int | None = Field(default=None, ge=0)
    """Completion tokens the generator may produce, summed over all calls."""
    max_wall_s: float | None = Field(default=None, gt=0)
    """Seconds since the run started after which no new wave of drafts starts."""
    per_group_cap: int | None = Field(default=None, ge=1)
    """At most this many draft slots per failure group (a slot's repairs do not count)."""

    def limits(self) -> dict[str, float]:
        """The limits in force, for ``GrowthRun.budget``."""
        return {k: float(v) for k, v in self.model_dump().items() if v is not None}


class BudgetTracker:
    """Counts what a run has spent against its :class:`Budget`."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.drafts = 0
        self.tokens = 0
        self._start = time.monotonic()

    def elapsed(self) -> float:
        """Seconds since the tracker was created."""
        return time.monotonic() - self._start

    def spend(self, drafts: int, tokens: int) -> None:
        """Record generator calls and the completion tokens they produced."""
        self.drafts += drafts
        self.tokens += tokens

    def exhausted(self) -> str | None:
        """The name of the first limit reached, or None while there is budget left."""
        b = self.budget
        if b.max_drafts is not None and self.drafts >= b.max_drafts:
            return "max_drafts"
        if b.max_tokens is not None and self.tokens >= b.max_tokens:
            return "max_tokens"
        if b.max_wall_s is not None and self.elapsed() >= b.max_wall_s:
            return "max_wall_s"
        return None

    def drafts_left(self) -> int | None:
        """Drafts still allowed, or None when unlimited."""
        if self.budget.max_drafts is None:
            return None
        return max(0, self.budget.max_drafts - self.drafts)

    def used(self) -> dict[str, float]:
        """Spend under the same keys as :meth:`Budget.limits`."""
        return {"max_drafts": float(self.drafts), "max_tokens": float(self.tokens),
                "max_wall_s": round(self.elapsed(), 3)}
