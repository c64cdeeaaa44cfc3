"""Failure records for the failures pages and API: each record with what became of the tasks drafted from it."""

from __future__ import annotations

from dataclasses import dataclass

from task_bank.failure import FailureRecord
from task_bank.insights import Insights
from task_bank.records import ONCE_ADMITTED, TaskRecord, TaskStatus
from task_bank.store import Bank

PER_PAGE = 50


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
        return any(t.status in ONCE_ADMITTED
                   for t in self.tasks)

    @property
    def reasons_seen(self) -> list[str]:
        """Distinct reasons its tasks were rejected for, in first-seen order."""
        return list(dict.fromkeys(r for t in self.tasks if t.status is TaskStatus.REJECTED for r in t.reasons))


def failure_page(bank: Bank, insights: Insights, page: int, source: str = "") -> FailurePage:
    """Page ``page`` (1-based) of failures, optionally from one source."""
    total = insights.count_failures(source or None)
    pages = max(1, -(-total // PER_PAGE))
    page = max(1, min(page, pages))
    failures = bank.list_failures(limit=PER_PAGE, offset=(page - 1) * PER_PAGE, source=source or None)
    counts = insights.failure_task_counts([f.id for f in failures])
    return FailurePage(rows=[FailureRow(f, counts.get(f.id, {})) for f in failures], total=total, pages=pages,
                       page=page, source=source)


def failure_detail(bank: Bank, insights: Insights, failure_id: str) -> FailureDetail:
    """Build the failure page; raises NotFoundError for an unknown id."""
    failure = bank.get_failure(failure_id)
    return FailureDetail(failure=failure, tasks=bank.tasks_for_failure(failure_id),
                         processed=insights.is_processed(failure_id))
