"""One page of the task list: the records the query selects, their latest pass rates, and the page count.

Shared by ``/tasks`` and ``/api/tasks``. Only the rows on the page get a pass-rate lookup, and the total is
counted within a time budget (:meth:`Insights.count_tasks`): when an expensive search would take longer to count
than to show, the page goes out without a total and the pager offers previous/next instead of page numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from task_bank.insights import Insights
from task_bank.records import TaskRecord
from task_bank.store import Bank
from task_bank.web.query import TaskQuery


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
