"""What a drafting run did, and how it is shown while it runs and after: the one run summary module.

- :class:`PipelineSummary`: the typed result of :func:`synth.pipeline.run_pipeline` (``--json`` prints it);
- :class:`StageClock`: the one clock, wall time per stage (redact, group, diagnose, draft, parse, validate,
  band, admit; the command line adds load, a growth cycle its own stages);
- :func:`summary_table`: the final table of ``synth.generate`` (the README's quickstart shows it);
- :class:`ProgressHook` / :class:`RichProgress`: the loop calls ``start(stage, total)`` and ``advance(stage, n)``
  and knows nothing about terminals; the command line passes rich progress bars on stderr, library callers get
  the no-op.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from rich.table import Table

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
    failures_deferred: int = 0
    """Failures left unprocessed for a later run: their group was cut off by the budget, or the generator gave
    no output for it."""
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
    heldout_admitted: int = 0
    """Of those, replay tasks admitted into the held-out split (never trained on; ``synth.replay`` samples them)."""
    heldout_environments: int = 0
    """Held-out replay environments stored by this run beside the environments it admitted (``synth.env_replay``;
    not counted in ``admitted``, which counts drafts)."""
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
                "failures_deferred": self.failures_deferred,
                "redactions": self.redactions, "groups": self.groups, "drafts": self.drafts,
                "repairs": self.repairs, "validated": self.validated, "admitted": self.admitted,
                "heldout_admitted": self.heldout_admitted, "heldout_environments": self.heldout_environments,
                "rejected": self.rejected, "duplicates": self.duplicates}
        flat.update({f"rejected:{k}": v for k, v in self.rejected_by_reason.items()})
        return flat


class StageClock:
    """The one clock of a run: wall time per named stage (summed across repair rounds and batches), and the time
    since the run started."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._start = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Add the time the ``with`` body takes to stage ``name``."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - start)

    def add(self, name: str, seconds: float) -> None:
        """Add ``seconds`` to stage ``name`` (a nested run's stages, under a prefix)."""
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def elapsed(self) -> float:
        """Seconds since the clock was made."""
        return time.perf_counter() - self._start

    def rounded(self) -> dict[str, float]:
        """Timings rounded to a tenth of a millisecond."""
        return {k: round(v, 4) for k, v in self.seconds.items()}


_STAGE_ORDER = ("load", "redact", "group", "diagnose", "draft", "parse", "validate", "band", "admit")


def summary_table(summary: "PipelineSummary", *, title: str | None = None) -> Table:
    """A two-column rich table of ``summary`` (counts, rejections by reason, time per stage)."""
    table = Table(title=title or f"synth.generate run {summary.run_id}", show_lines=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("failures read", str(summary.failures_read)),
        ("skipped (already processed)", str(summary.failures_skipped)),
        *([("deferred to a later run", str(summary.failures_deferred))] if summary.failures_deferred else []),
        ("secrets redacted", str(summary.redactions)),
        ("groups", str(summary.groups)),
        ("drafts (repairs)", f"{summary.drafts} ({summary.repairs})"),
        ("validated", str(summary.validated)),
        ("admitted", str(summary.admitted)),
        *([("  held-out replay tasks", str(summary.heldout_admitted))] if summary.heldout_admitted else []),
        *([("held-out replay environments", str(summary.heldout_environments))]
          if summary.heldout_environments else []),
        ("rejected", str(summary.rejected)),
    ]
    rows += [(f"  rejected: {reason}", str(n)) for reason, n in summary.rejected_by_reason.items()]
    rows.append(("duplicates", str(summary.duplicates)))
    if summary.generator_tokens:
        rows.append(("generator tokens", str(summary.generator_tokens)))
    total = sum(summary.stage_seconds.values()) or 1.0
    stages = sorted(summary.stage_seconds, key=lambda s: _STAGE_ORDER.index(s) if s in _STAGE_ORDER else 99)
    rows += [(f"time: {stage}", f"{summary.stage_seconds[stage]:.2f} s ({summary.stage_seconds[stage] / total:.0%})")
             for stage in stages]
    rows.append(("outcome", summary.outcome.value + (f" ({summary.budget_exhausted})"
                                                     if summary.budget_exhausted else "")))
    for name, value in rows:
        table.add_row(name, value)
    return table


class ProgressHook:
    """Receives stage progress; this base class ignores it."""

    def start(self, stage: str, total: int) -> None:
        """A stage begins (or begins another round) with ``total`` work items."""

    def advance(self, stage: str, n: int = 1) -> None:
        """``n`` items of ``stage`` are done."""

    def close(self) -> None:
        """No more progress will come."""


class RichProgress(ProgressHook):
    """One rich progress bar per stage, drawn on the given console (stderr for the command line)."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self._progress = Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console, transient=False)
        self._tasks: dict[str, Any] = {}
        self._progress.start()

    def start(self, stage: str, total: int) -> None:
        if stage in self._tasks:
            task = self._tasks[stage]
            self._progress.update(task, total=self._progress.tasks[task].total + total)
        else:
            self._tasks[stage] = self._progress.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage in self._tasks:
            self._progress.advance(self._tasks[stage], n)

    def close(self) -> None:
        self._progress.stop()
