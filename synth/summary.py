"""The typed result of a pipeline run, and the per-stage clock that fills its timings."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import BaseModel, ConfigDict, Field

from task_bank.records import RunOutcome


class PipelineSummary(BaseModel):
    """What one run of :func:`synth.pipeline.run_pipeline` did. Counts are over draft attempts (repairs included)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run_id: str
    outcome: RunOutcome
    """SUCCEEDED, or BUDGET_EXHAUSTED when a budget limit stopped drafting early."""
    failures_read: int = 0
    """Failure records handed to the pipeline."""
    failures_skipped: int = 0
    """Failures skipped because an earlier run already processed them (resumability)."""
    redactions: int = 0
    """Secrets replaced before prompting."""
    groups: int = 0
    """Weakness groups drafted for."""
    drafts: int = 0
    """Generator calls for drafts, repairs included."""
    repairs: int = 0
    """Of those, repair calls."""
    validated: int = 0
    """Drafts that parsed and went through the sandboxed validator."""
    admitted: int = 0
    """Tasks admitted into the bank by this run."""
    rejected: int = 0
    """Draft attempts rejected (parse, schema, validation, band); duplicates are counted apart."""
    rejected_by_reason: dict[str, int] = Field(default_factory=dict)
    """Rejections per machine-readable reason (an attempt may carry several)."""
    duplicates: int = 0
    """Valid tasks the bank already held (exact or near duplicates)."""
    admitted_ids: tuple[str, ...] = ()
    """Ids of the admitted tasks."""
    generator_tokens: int = 0
    """Completion tokens the generator produced."""
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    """Wall time per stage (redact, group, diagnose, draft, parse, validate, band, admit; the CLI adds load)."""
    budget_exhausted: str | None = None
    """The budget limit that stopped drafting, if any."""
    budget_used: dict[str, float] = Field(default_factory=dict)
    """Spend against the budget's keys."""

    def counts(self) -> dict[str, int]:
        """Flat counts for ``GrowthRun.counts``."""
        flat = {"failures_read": self.failures_read, "failures_skipped": self.failures_skipped,
                "redactions": self.redactions, "groups": self.groups, "drafts": self.drafts,
                "repairs": self.repairs, "validated": self.validated, "admitted": self.admitted,
                "rejected": self.rejected, "duplicates": self.duplicates}
        flat.update({f"rejected:{k}": v for k, v in self.rejected_by_reason.items()})
        return flat


class StageClock:
    """Accumulates wall time per named stage across repair rounds."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def rounded(self) -> dict[str, float]:
        """Timings rounded to the millisecond."""
        return {k: round(v, 4) for k, v in self.seconds.items()}
