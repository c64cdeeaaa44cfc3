"""One page of the task list: the records the query selects, their latest pass rates, and the page count.

Shared by ``/tasks`` and ``/api/tasks``. Only the rows on the page get a pass-rate lookup, so the cost of a page
does not grow with the bank.
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
    total: int
    pages: int
    page: int
    per: int


def task_page(bank: Bank, insights: Insights, query: TaskQuery) -> TaskPage:
    """Run the query against the bank (filters, sort, limit/offset) and attach pass rates."""
    filters = query.store_filters()
    total = bank.count(**filters)
    records = bank.list(**filters, sort=query.sort, descending=query.order == "desc", limit=query.per,
                        offset=query.offset)
    rates = insights.pass_rates_for([r.id for r in records])
    pages = max(1, -(-total // query.per))
    return TaskPage(rows=[TaskRow(r, rates.get(r.id)) for r in records], total=total, pages=pages,
                    page=query.page, per=query.per)
