"""View builders: gather what one page shows from the bank, once, for both the HTML page and the JSON API.

Each builder returns a frozen dataclass of bank records (pydantic models) and derived values; the HTML templates
read its attributes, and :func:`to_json` turns the same object into the ``/api/`` payload, so the two never drift.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from markupsafe import Markup
from pydantic import BaseModel

from task_bank.errors import NotFoundError
from task_bank.failure import FailureRecord
from task_bank.records import CurationAction, GrowthRun, TaskRecord, TrainingStat
from task_bank.store import Bank
from task_bank.validation import ScoreResult, ValidationReport
from task_bank.web.charts import Series, empty_chart, line_chart
from task_bank.web.highlight import highlight_python


@dataclass(frozen=True)
class TaskDetail:
    """Everything the task page shows."""

    record: TaskRecord
    reports: list[ValidationReport]
    reference_scores: list[ScoreResult]
    case_scores: list[tuple[str, list[ScoreResult]]]
    failures: list[tuple[str, FailureRecord | None]]
    duplicates: list[TaskRecord]
    parent: TaskRecord | None
    children: list[TaskRecord]
    history: list[CurationAction]
    stats: list[TrainingStat]

    @property
    def latest_report(self) -> ValidationReport | None:
        """The report the shown scores come from."""
        return self.reports[-1] if self.reports else None

    @property
    def verifier_html(self) -> Markup:
        """The verifier, highlighted and escaped."""
        return highlight_python(self.record.spec.verifier)

    @property
    def pass_chart(self) -> Markup:
        """Pass rate per measurement, one line per source (train, probe)."""
        if not self.stats:
            return empty_chart("Pass rate over checkpoints", "No training or probe statistics yet")
        labels = [s.policy.rsplit("/", 1)[-1] if s.step is None else f"step {s.step}" for s in self.stats]
        sources = sorted({s.source for s in self.stats})
        series = [Series(src, [s.pass_rate if s.source == src else float("nan") for s in self.stats],
                         f"series-{i}") for i, src in enumerate(sources)]
        if len(sources) == 1:
            series = [Series(sources[0], [s.pass_rate for s in self.stats], "series-0")]
        return line_chart("Pass rate over checkpoints", labels, series, percent=True, ymax=1.0)


def _check_scores(report: ValidationReport | None, name: str) -> list[ScoreResult]:
    if report is None:
        return []
    return [s for c in report.checks if c.name == name for s in c.scores]


def _per_case(cases: tuple[str, ...], scores: list[ScoreResult]) -> list[tuple[str, list[ScoreResult]]]:
    """Spread a check's scores over the cases: the validator scores the cases in order, once per run.

    When the count does not divide evenly the mapping is unknowable, so no case claims a score (the full list
    stays visible in the report's check row).
    """
    if not scores or len(scores) % len(cases):
        return [(case, []) for case in cases]
    return [(case, scores[i::len(cases)]) for i, case in enumerate(cases)]


def task_detail(bank: Bank, task_id: str) -> TaskDetail:
    """Build the task page; raises NotFoundError for an unknown id."""
    record = bank.get(task_id)
    reports = bank.reports(task_id)
    latest = reports[-1] if reports else None
    failures: list[tuple[str, FailureRecord | None]] = []
    for fid in record.provenance.source_failure_ids:
        failures.append((fid, _find_failure(bank, fid)))
    parent_id = record.provenance.parent_task_id
    return TaskDetail(
        record=record, reports=reports,
        reference_scores=_check_scores(latest, "reference"),
        case_scores=_per_case(record.spec.failure_cases, _check_scores(latest, "failure_cases")),
        failures=failures, duplicates=bank.duplicates_of(task_id),
        parent=bank.find(parent_id) if parent_id else None, children=bank.children(task_id),
        history=bank.history(task_id), stats=bank.stats(task_id))


def _find_failure(bank: Bank, failure_id: str) -> FailureRecord | None:
    try:
        return bank.get_failure(failure_id)
    except NotFoundError:
        return None


@dataclass(frozen=True)
class RunView:
    """A growth run with its counts summarised for the runs table and run page."""

    run: GrowthRun

    @property
    def admitted(self) -> int:
        """Tasks the run admitted."""
        return int(self.run.counts.get("admitted", 0))

    @property
    def rejected(self) -> int:
        """Tasks the run rejected, whatever the reason (``rejected`` or ``rejected:<reason>`` keys)."""
        direct = self.run.counts.get("rejected")
        if direct is not None:
            return int(direct)
        return sum(v for k, v in self.run.counts.items() if k.startswith("rejected:"))

    @property
    def duration(self) -> str:
        """Wall time as text ("running" while it has no end)."""
        if self.run.ended_at is None:
            return "running" if self.run.outcome.value == "running" else "–"
        seconds = int((self.run.ended_at - self.run.started_at).total_seconds())
        return f"{seconds // 60}m {seconds % 60:02d}s" if seconds >= 60 else f"{seconds}s"

    @property
    def budget(self) -> list[tuple[str, float, float | None]]:
        """(key, used, limit) for every budget key either side recorded."""
        keys = list(dict.fromkeys([*self.run.budget, *self.run.budget_used]))
        return [(k, _tidy(self.run.budget_used.get(k, 0.0)), _tidy(self.run.budget[k]) if k in self.run.budget
                 else None) for k in keys]

    @property
    def config_json(self) -> str:
        """The run's configuration, pretty-printed."""
        return json.dumps(self.run.config, indent=2, sort_keys=True, default=str)


def _tidy(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 3)


def to_json(value: Any) -> Any:
    """Plain JSON for the API from view objects, pydantic records, enums and datetimes (Markup is dropped)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and value != value:
        return None
    return value
