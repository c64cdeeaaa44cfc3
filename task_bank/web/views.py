"""View builders: gather what one page shows from the bank, once, for both the HTML page and the JSON API.

Each builder returns a frozen dataclass of bank records (pydantic models) and derived values; the HTML templates
read its attributes, and :func:`to_json` turns the same object into the ``/api/`` payload, so the two never drift.

The task list runs the query against the bank, looks up pass rates only for the rows on the page, and counts the
total within a time budget (:meth:`Insights.count_tasks`): when an expensive search would take longer to count than
to show, the page goes out without a total and the pager offers previous/next instead of page numbers. A failure is
shown with what became of the tasks drafted from it.
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
from task_bank.insights import Insights
from task_bank.records import ONCE_ADMITTED, CurationAction, GrowthRun, TaskRecord, TaskStatus, TrainingStat
from task_bank.store import Bank
from task_bank.validation import ScoreResult, ValidationReport
from task_bank.web.charts import Series, empty_chart, line_chart
from task_bank.web.query import TaskQuery
from task_bank.web.render import highlight_python

FAILURES_PER_PAGE = 50


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


# ---- the task list -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TaskRow:
    """A list row: the task and its most recent pass rate (None when never measured)."""

    record: TaskRecord
    pass_rate: float | None


@dataclass(frozen=True)
class TaskPage:
    """The rows of one page, plus totals for the pager."""

    rows: list[TaskRow]
    total: int | None
    """Matching tasks, or None when counting ran past the budget."""
    pages: int | None
    """Number of pages, or None with an unknown total."""
    page: int
    per: int
    has_next: bool
    """Whether a further page exists (known even without a total)."""


def task_page(bank: Bank, insights: Insights, query: TaskQuery, count_budget_ms: float) -> TaskPage:
    """Run the query against the bank (filters, sort, limit/offset), count within budget, attach pass rates."""
    filters = query.store_filters()
    records = bank.list(**filters, sort=query.sort, descending=query.order == "desc", limit=query.per + 1,
                        offset=query.offset)
    has_next, records = len(records) > query.per, records[:query.per]
    if has_next or (not records and query.offset):
        total = insights.count_tasks(count_budget_ms, **filters)
    else:
        total = query.offset + len(records)  # the last page: the total is known without counting
    rates = insights.pass_rates_for([r.id for r in records])
    pages = max(1, -(-total // query.per)) if total is not None else None
    return TaskPage(rows=[TaskRow(r, rates.get(r.id)) for r in records], total=total, pages=pages,
                    page=query.page, per=query.per, has_next=has_next)


# ---- failures ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FailureRow:
    """A failure and how many of its tasks sit in each status."""

    failure: FailureRecord
    task_counts: dict[str, int]


@dataclass(frozen=True)
class FailurePage:
    """One page of failures, in the order they were stored."""

    rows: list[FailureRow]
    total: int
    pages: int
    page: int
    source: str


@dataclass(frozen=True)
class FailureDetail:
    """A failure, every task drafted from it, and why none was admitted when that is the case."""

    failure: FailureRecord
    tasks: list[TaskRecord]
    processed: bool

    @property
    def admitted(self) -> bool:
        """Whether any task from this failure made it into training (admitted, or admitted once and curated)."""
        return any(t.status in ONCE_ADMITTED for t in self.tasks)

    @property
    def reasons_seen(self) -> list[str]:
        """Distinct reasons its tasks were rejected for, in first-seen order."""
        return list(dict.fromkeys(r for t in self.tasks if t.status is TaskStatus.REJECTED for r in t.reasons))


def failure_page(bank: Bank, insights: Insights, page: int, source: str = "") -> FailurePage:
    """Page ``page`` (1-based) of failures, optionally from one source."""
    total = insights.count_failures(source or None)
    pages = max(1, -(-total // FAILURES_PER_PAGE))
    page = max(1, min(page, pages))
    failures = bank.list_failures(limit=FAILURES_PER_PAGE, offset=(page - 1) * FAILURES_PER_PAGE,
                                  source=source or None)
    counts = insights.failure_task_counts([f.id for f in failures])
    return FailurePage(rows=[FailureRow(f, counts.get(f.id, {})) for f in failures], total=total, pages=pages,
                       page=page, source=source)


def failure_detail(bank: Bank, insights: Insights, failure_id: str) -> FailureDetail:
    """Build the failure page; raises NotFoundError for an unknown id."""
    failure = bank.get_failure(failure_id)
    return FailureDetail(failure=failure, tasks=bank.tasks_for_failure(failure_id),
                         processed=insights.is_processed(failure_id))
