"""Budgets: limits on drafts, generator tokens, wall time and drafts per group, the one ledger of what was spent,
and generation in budgeted waves.

A run (``synth.generate``, or one stage of a growth cycle) gets a :class:`Budget`; its :class:`BudgetTracker` is
the one place generator calls and tokens are counted. :func:`generate_in_waves` is the only loop that sends
requests to a backend for drafting: a wave is as many requests as the executor's workers can keep busy
(``batch_size`` per worker), and before each wave the budget is checked and the wave trimmed to the drafts it
still allows, so a run stops between waves, never in the middle of one, and what was not drafted is known
exactly. Work already in flight is finished and stored; failures never drafted are not marked processed, so the
next run picks them up. ``None`` means no limit.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from synth.backends.base import Generation, GenerationRequest, GeneratorBackend
from synth.executor import Executor

T = TypeVar("T")


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

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget or Budget()
        self.drafts = 0
        self.tokens = 0
        self._start = time.monotonic()

    def within(self, per_group_cap: int | None = None) -> "BudgetTracker":
        """A tracker for one part of this run (a batch, a stage), limited by what this one has left and by
        ``per_group_cap``; after the part, :meth:`spend` its totals here."""
        return BudgetTracker(Budget(**self.left(), per_group_cap=per_group_cap or self.budget.per_group_cap))

    def left(self) -> dict[str, float | int]:
        """What each limit still allows (limits not set are absent); never below zero (wall time: a hair above)."""
        b, out = self.budget, {}
        if b.max_drafts is not None:
            out["max_drafts"] = max(0, b.max_drafts - self.drafts)
        if b.max_tokens is not None:
            out["max_tokens"] = max(0, b.max_tokens - self.tokens)
        if b.max_wall_s is not None:
            out["max_wall_s"] = max(1e-6, b.max_wall_s - self.elapsed())
        return out

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


def generate_in_waves(items: Sequence[T], request_of: Callable[[T], GenerationRequest], backend: GeneratorBackend,
                      executor: Executor, tracker: BudgetTracker) -> Iterator[tuple[Sequence[T], list[Generation]]]:
    """Yield ``(items of the wave, their generations)`` until every item is drafted or the budget runs out."""
    wave = backend.batch_size * max(1, executor.workers)
    i = 0
    while i < len(items) and tracker.exhausted() is None:
        left = tracker.drafts_left()
        take = items[i:i + (wave if left is None else min(wave, left))]
        i += len(take)
        requests = [request_of(item) for item in take]
        batches = [requests[k:k + backend.batch_size] for k in range(0, len(requests), backend.batch_size)]
        gens = [g for batch in executor.map(backend.generate, batches) for g in batch]
        tracker.spend(len(gens), sum(g.completion_tokens for g in gens))
        yield take, gens
