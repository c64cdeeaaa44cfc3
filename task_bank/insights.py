"""Read-only aggregations over a bank, for the web view's charts and list pages.

``Bank`` answers questions about one task or one filtered list; the overview needs questions about the whole bank
(growth per day, admissions per run, rejection reasons, pass-rate histogram, weakest skills) that would mean
loading every record through the Bank API. These functions run one aggregate SQL statement each over the bank's
own connection, using the indexed columns the store keeps (``status``, ``skill``, ``created_at``,
``growth_run_id``, ``latest_pass_rate``, ``reasons``).

:class:`Insights` holds its own connection opened read-only (``mode=ro``), so nothing here can write to the bank,
and it reaches no private part of :class:`task_bank.store.Bank`; it reads the tables that ``task_bank.migrations``
creates. Open it on a bank that :meth:`Bank.open` has already migrated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlite3
import threading
import time
from pathlib import Path

from task_bank.errors import BankError
from task_bank.query import TaskFilter
from task_bank import records

ONCE_ADMITTED = tuple(sorted(status.value for status in records.ONCE_ADMITTED))
"""Statuses a task only reaches after admission; a run's "admitted" count includes tasks curated since."""


def _skip_scan_sql(column: str) -> str:
    """Distinct non-null values of an indexed column, ascending: one index probe per value (``?`` caps the count)."""
    return f"""
        WITH RECURSIVE walk(value, n) AS (
            SELECT (SELECT min({column}) FROM tasks WHERE {column} IS NOT NULL), 1
            UNION ALL
            SELECT (SELECT min({column}) FROM tasks WHERE {column} > walk.value), n + 1 FROM walk
            WHERE walk.value IS NOT NULL AND n < ?)
        SELECT value FROM walk WHERE value IS NOT NULL"""


_SKIP_SCAN = {column: _skip_scan_sql(column) for column in ("skill", "failure_group")}


@dataclass(frozen=True)
class SkillRow:
    """A skill's admitted tasks and their mean latest pass rate."""

    skill: str
    tasks: int
    mean_pass_rate: float


@dataclass(frozen=True)
class RunTally:
    """Tasks one growth run stored, by outcome."""

    run_id: str
    admitted: int
    rejected: int


@dataclass(frozen=True)
class Facets:
    """The values the task-list filters offer."""

    statuses: list[str]
    skills: list[str]
    groups: list[str]
    runs: list[str]


class Insights:
    """Aggregate queries over one bank file, on a read-only connection; thread-safe; close when done."""

    def __init__(self, path: str | Path) -> None:
        uri = f"{Path(path).resolve().as_uri()}?mode=ro"
        try:
            self._conn = sqlite3.connect(uri, uri=True, check_same_thread=False)
        except sqlite3.Error as exc:
            raise BankError(f"{path}: cannot open the bank read-only ({exc}); open it with Bank.open first") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close the read-only connection."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "Insights":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, tuple(params)).fetchall()

    def data_version(self) -> int:
        """SQLite's ``data_version``: changes whenever another connection commits, so it keys caches exactly."""
        return int(self._rows("PRAGMA data_version")[0][0])

    def count_tasks(self, budget_ms: float, **filters: object) -> int | None:
        """``Bank.count`` with a time budget: the exact count, or None when counting would take longer.

        A full-text search for a common word combined with a filter the indexes do not cover has to visit every
        candidate row; on a large bank that count can cost more than the page itself. The web view asks for the
        count with a budget and, on None, pages without a total instead of making the reader wait.
        """
        where, params = TaskFilter(**filters).where()
        deadline = time.perf_counter() + budget_ms / 1000
        with self._lock:
            self._conn.set_progress_handler(lambda: int(time.perf_counter() > deadline), 2000)
            try:
                return int(self._conn.execute(f"SELECT count(*) FROM tasks{where}", params).fetchone()[0])
            except sqlite3.OperationalError as exc:
                if "interrupted" not in str(exc):
                    raise
                return None
            finally:
                self._conn.set_progress_handler(None, 0)

    def growth_by_day(self) -> list[tuple[str, int, int]]:
        """Per UTC day: (day, tasks stored that day, of which once admitted)."""
        marks = ",".join("?" * len(ONCE_ADMITTED))
        return [(str(d), int(n), int(a or 0)) for d, n, a in self._rows(
            f"SELECT substr(created_at, 1, 10) AS day, count(*), sum(status IN ({marks})) FROM tasks "
            "GROUP BY day ORDER BY day", ONCE_ADMITTED)]

    def run_tallies(self, limit: int = 24) -> list[RunTally]:
        """Admitted and rejected tasks of the most recent ``limit`` runs, oldest first (chart order)."""
        marks = ",".join("?" * len(ONCE_ADMITTED))
        rows = self._rows(f"""
            SELECT r.id, coalesce(sum(t.status IN ({marks})), 0), coalesce(sum(t.status = 'rejected'), 0)
            FROM (SELECT id, started_at FROM runs ORDER BY started_at DESC LIMIT ?) AS r
            LEFT JOIN tasks AS t ON t.growth_run_id = r.id
            GROUP BY r.id ORDER BY r.started_at""", (*ONCE_ADMITTED, limit))
        return [RunTally(str(run_id), int(a), int(r)) for run_id, a, r in rows]

    def rejection_reasons(self, limit: int = 12) -> list[tuple[str, int]]:
        """The most frequent reasons among rejected tasks (a task with two reasons counts for both)."""
        rows = self._rows("""
            SELECT j.value, count(*) FROM tasks, json_each(tasks.reasons) AS j
            WHERE tasks.status = 'rejected' GROUP BY j.value ORDER BY count(*) DESC, j.value LIMIT ?""", (limit,))
        return [(str(reason), int(n)) for reason, n in rows]

    def pass_rate_histogram(self, bins: int = 10) -> list[int]:
        """Counts of tasks by latest pass rate in ``bins`` equal bins over [0, 1] (1.0 falls in the last bin)."""
        counts = [0] * bins
        for b, n in self._rows("""
                SELECT min(CAST(latest_pass_rate * ? AS INTEGER), ? - 1), count(*) FROM tasks
                WHERE latest_pass_rate IS NOT NULL GROUP BY 1""", (bins, bins)):
            counts[int(b)] = int(n)
        return counts

    def weakest_skills(self, limit: int = 8) -> list[SkillRow]:
        """Skills of admitted tasks with the lowest mean latest pass rate (measured tasks only)."""
        rows = self._rows("""
            SELECT skill, count(*), avg(latest_pass_rate) FROM tasks
            WHERE status = 'admitted' AND skill IS NOT NULL AND latest_pass_rate IS NOT NULL
            GROUP BY skill ORDER BY avg(latest_pass_rate), skill LIMIT ?""", (limit,))
        return [SkillRow(str(s), int(n), float(p)) for s, n, p in rows]

    def pass_rates_for(self, task_ids: Sequence[str]) -> dict[str, float]:
        """Latest pass rate of each given task that has one (one indexed lookup, for a page of rows)."""
        if not task_ids:
            return {}
        marks = ",".join("?" * len(task_ids))
        return {str(i): float(p) for i, p in self._rows(
            f"SELECT id, latest_pass_rate FROM tasks WHERE id IN ({marks}) AND latest_pass_rate IS NOT NULL",
            task_ids)}

    def facets(self, limit: int = 500) -> Facets:
        """Distinct skills, failure groups and recent runs, for the filter menus.

        Distinct values are read by skipping through the column's index (one ``min(...) > previous`` probe per
        value), so the cost grows with the number of distinct values, not with the number of tasks.
        """
        runs = [str(r[0]) for r in self._rows("SELECT id FROM runs ORDER BY started_at DESC LIMIT ?", (limit,))]
        statuses = ["candidate", "admitted", "rejected", "quarantined", "retired"]
        return Facets(statuses=statuses, skills=self._distinct("skill", limit),
                      groups=self._distinct("failure_group", limit), runs=runs)

    def _distinct(self, column: str, limit: int) -> list[str]:
        return [str(r[0]) for r in self._rows(_SKIP_SCAN[column], (limit,))]

    def failure_task_counts(self, failure_ids: Sequence[str]) -> dict[str, dict[str, int]]:
        """For each failure id: how many tasks drafted from it are in each status."""
        if not failure_ids:
            return {}
        marks = ",".join("?" * len(failure_ids))
        out: dict[str, dict[str, int]] = {}
        for fid, status, n in self._rows(f"""
                SELECT tf.failure_id, t.status, count(*) FROM task_failures AS tf JOIN tasks AS t ON t.pk = tf.task_pk
                WHERE tf.failure_id IN ({marks}) GROUP BY tf.failure_id, t.status ORDER BY t.status""", failure_ids):
            out.setdefault(str(fid), {})[str(status)] = int(n)
        return out

    def is_processed(self, failure_id: str) -> bool:
        """Whether a growth run has marked this failure processed."""
        return bool(self._rows("SELECT 1 FROM processed_failures WHERE failure_id = ?", (failure_id,)))

    def count_failures(self, source: str | None = None) -> int:
        """Failure records stored, from one source or all (for the failures pager)."""
        if source is None:
            return int(self._rows("SELECT count(*) FROM failures")[0][0])
        return int(self._rows("SELECT count(*) FROM failures WHERE source = ?", (source,))[0][0])
