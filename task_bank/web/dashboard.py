"""The overview page's data: counts by status and the bank-wide charts, built from :mod:`task_bank.insights`.

The aggregates read every task, which takes hundreds of milliseconds on a 100k-task bank, so the app keeps the
last result in an :class:`OverviewCache` keyed by SQLite's ``data_version``: it is reused until any process
commits to the bank, and never served stale.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from itertools import accumulate

from markupsafe import Markup

from task_bank.insights import Insights, RunTally, SkillRow
from task_bank.records import GrowthRun, TaskStatus
from task_bank.store import Bank
from task_bank.web.charts import Series, bar_chart, hbar_rows, line_chart

STATUS_ORDER = [s.value for s in (TaskStatus.ADMITTED, TaskStatus.REJECTED, TaskStatus.CANDIDATE,
                                  TaskStatus.QUARANTINED, TaskStatus.RETIRED)]


@dataclass(frozen=True)
class Overview:
    """Numbers and series behind the overview page (the JSON API returns exactly this)."""

    total: int
    by_status: dict[str, int]
    failures: int
    runs: int
    growth: list[tuple[str, int, int]]
    run_tallies: list[RunTally]
    rejection_reasons: list[tuple[str, int]]
    pass_rate_histogram: list[int]
    weakest_skills: list[SkillRow]
    recent_runs: list[GrowthRun]


def build_overview(bank: Bank, insights: Insights) -> Overview:
    """Query the bank once for everything the overview shows."""
    summary = bank.summary()
    by_status = {s: int(summary["by_status"].get(s, 0)) for s in STATUS_ORDER}
    return Overview(
        total=int(summary["tasks"]), by_status=by_status, failures=int(summary["failures"]),
        runs=int(summary["runs"]), growth=insights.growth_by_day(),
        run_tallies=insights.run_tallies(), rejection_reasons=insights.rejection_reasons(),
        pass_rate_histogram=insights.pass_rate_histogram(), weakest_skills=insights.weakest_skills(),
        recent_runs=bank.list_runs(limit=6))


def overview_charts(ov: Overview) -> dict[str, Markup]:
    """The overview's SVG charts, keyed by the panel that shows them."""
    days = [d for d, _, _ in ov.growth]
    stored = list(accumulate(n for _, n, _ in ov.growth))
    admitted = list(accumulate(a for _, _, a in ov.growth))
    growth = line_chart("Bank growth", days, [Series("all stored", stored, "series-0"),
                                              Series("admitted", admitted, "series-1")])
    runs = bar_chart("Admissions and rejections per growth run", [t.run_id for t in ov.run_tallies],
                     [Series("admitted", [t.admitted for t in ov.run_tallies], "series-1"),
                      Series("rejected", [t.rejected for t in ov.run_tallies], "series-2")])
    bins = len(ov.pass_rate_histogram)
    labels = [f"{100 * i // bins}-{100 * (i + 1) // bins}%" for i in range(bins)]
    pass_rates = bar_chart("Pass-rate distribution", labels,
                           [Series("tasks", ov.pass_rate_histogram, "series-0")])
    reasons = hbar_rows([(r, float(n)) for r, n in ov.rejection_reasons], css="series-2")
    return {"growth": growth, "runs": runs, "pass_rates": pass_rates, "reasons": reasons}


class OverviewCache:
    """The latest :class:`Overview` and the bank ``data_version`` it was computed at (one per app)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._version: int | None = None
        self._value: Overview | None = None

    def get(self, bank: Bank, insights: Insights) -> Overview:
        """The cached overview while the bank is unchanged, else a freshly built one."""
        with self._lock:
            version = insights.data_version()
            if self._value is None or version != self._version:
                self._value, self._version = build_overview(bank, insights), version
            return self._value
