"""The bank's records around tasks: failure records, training statistics, growth runs and per-source cursors.

:class:`ActivityStore` is the half of :class:`task_bank.store.Bank` that the growth engine, the trainer and the
probe write; it shares the Bank's connection (``self._db``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from task_bank.codec import TASK_COLUMNS, iso, record_from_row
from task_bank.db import Database
from task_bank.errors import BankError, NotFoundError
from task_bank.failure import FailureRecord
from task_bank.provenance import utcnow
from task_bank.records import DuplicateKind, GrowthRun, TaskRecord, TaskSplit, TaskStatus, TrainingStat


class ActivityStore:
    """Failures, statistics, runs and cursors of one bank."""

    _db: Database

    @property
    def path(self) -> Path:
        """The bank file."""
        return Path(self._db.path)

    # ---- failures --------------------------------------------------------------------------------------------

    def add_failures(self, failures: Iterable[FailureRecord]) -> int:
        """Store failure records; ids already stored are left untouched. Returns how many were new."""
        rows = [(f.id, f.source, iso(f.timestamp) if f.timestamp else None, f.model_dump_json()) for f in failures]
        with self._db.write() as conn:
            before = conn.total_changes
            conn.executemany("INSERT OR IGNORE INTO failures (id, source, timestamp, body) VALUES (?, ?, ?, ?)", rows)
            return conn.total_changes - before

    def find_failure(self, failure_id: str) -> FailureRecord | None:
        """The failure record with this id, or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM failures WHERE id = ?", (failure_id,)).fetchone()
        return None if row is None else FailureRecord.model_validate_json(row[0])

    def get_failure(self, failure_id: str) -> FailureRecord:
        """The failure record with this id; NotFoundError when absent."""
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM failures WHERE id = ?", (failure_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"failure {failure_id!r} is not in the bank {self.path}")
        return FailureRecord.model_validate_json(row[0])

    def list_failures(self, limit: int = 50, offset: int = 0, source: str | None = None) -> list[FailureRecord]:
        """Failure records in the order they were stored (stable pages while new ones arrive)."""
        where, params = (" WHERE source = ?", [source]) if source is not None else ("", [])
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT body FROM failures{where} ORDER BY pk LIMIT ? OFFSET ?",
                                [*params, max(0, limit), max(0, offset)]).fetchall()
        return [FailureRecord.model_validate_json(row[0]) for row in rows]

    def mark_failures_processed(self, failure_ids: Iterable[str], run_id: str) -> None:
        """Record that a run consumed these failures; the first run to mark one keeps it."""
        now = iso(utcnow())
        with self._db.write() as conn:
            conn.executemany("INSERT OR IGNORE INTO processed_failures (failure_id, run_id, at) VALUES (?, ?, ?)",
                             [(fid, run_id, now) for fid in failure_ids])

    def processed_failure_ids(self) -> set[str]:
        """Ids of every failure some run has consumed."""
        with self._db.read() as conn:
            return {row[0] for row in conn.execute("SELECT failure_id FROM processed_failures")}

    # ---- training statistics ---------------------------------------------------------------------------------

    def add_stats(self, stats: Iterable[TrainingStat]) -> None:
        """Store pass-rate measurements and refresh each task's latest pass rate (NotFoundError for unknown ids)."""
        stats = list(stats)
        with self._db.write() as conn:
            for stat in stats:
                try:
                    conn.execute("INSERT INTO stats (task_id, policy, recorded_at, pass_rate, body) "
                                 "VALUES (?, ?, ?, ?, ?)",
                                 (stat.task_id, stat.policy, iso(stat.recorded_at), stat.pass_rate,
                                  stat.model_dump_json()))
                except sqlite3.IntegrityError as exc:
                    raise NotFoundError(f"cannot store statistics for task {stat.task_id!r}: it is not in the bank "
                                        f"{self.path}") from exc
            now = iso(utcnow())
            conn.executemany(
                "UPDATE tasks SET updated_at = ?, latest_pass_rate = (SELECT pass_rate FROM stats "
                "WHERE stats.task_id = tasks.id ORDER BY recorded_at DESC, pk DESC LIMIT 1) WHERE id = ?",
                [(now, task_id) for task_id in {s.task_id for s in stats}])

    def stats(self, task_id: str) -> list[TrainingStat]:
        """Measurements of a task, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT body FROM stats WHERE task_id = ? ORDER BY recorded_at, pk",
                                (task_id,)).fetchall()
        return [TrainingStat.model_validate_json(row[0]) for row in rows]

    def measured_since_status_change(self, status: TaskStatus, reasons: Iterable[str] = ()
                                     ) -> list[tuple[TaskRecord, TrainingStat]]:
        """Tasks with ``status`` (and, when given, any of ``reasons``) whose latest statistic was recorded after
        their status last changed, each with that statistic, oldest task first: evidence the status has not seen
        (a too-hard task that the policy now sometimes solves). One query, however many tasks are rejected."""
        wanted = [str(reason) for reason in reasons]
        where = "t.status = ? AND s.recorded_at > coalesce(t.status_changed_at, t.created_at)"
        params: list[object] = [TaskStatus(status).value]
        if wanted:
            where += (f" AND EXISTS (SELECT 1 FROM json_each(t.reasons) AS j "
                      f"WHERE j.value IN ({','.join('?' * len(wanted))}))")
            params.extend(wanted)
        columns = ", ".join(f"t.{c.strip()}" for c in TASK_COLUMNS.split(","))
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT {columns}, s.body FROM tasks AS t JOIN stats AS s ON s.pk = (SELECT pk FROM stats "
                f"WHERE stats.task_id = t.id ORDER BY recorded_at DESC, pk DESC LIMIT 1) WHERE {where} ORDER BY t.pk",
                params).fetchall()
        return [(record_from_row(row[:-1]), TrainingStat.model_validate_json(row[-1])) for row in rows]

    def latest_pass_rates(self, policy: str | None = None) -> dict[str, float]:
        """Task id -> most recent pass rate (training or probe), for one policy or whichever measured last."""
        with self._db.read() as conn:
            if policy is None:
                rows = conn.execute("SELECT id, latest_pass_rate FROM tasks WHERE latest_pass_rate IS NOT NULL")
                return {row[0]: float(row[1]) for row in rows}
            rows = conn.execute(
                "SELECT task_id, pass_rate FROM (SELECT task_id, pass_rate, row_number() OVER "
                "(PARTITION BY task_id ORDER BY recorded_at DESC, pk DESC) AS n FROM stats WHERE policy = ?) "
                "WHERE n = 1", (policy,))
            return {row[0]: float(row[1]) for row in rows}

    # ---- growth runs and cursors -----------------------------------------------------------------------------

    def start_run(self, run: GrowthRun) -> None:
        """Record a new run; BankError when its id is taken."""
        try:
            with self._db.write() as conn:
                conn.execute("INSERT INTO runs (id, started_at, body) VALUES (?, ?, ?)",
                             (run.id, iso(run.started_at), run.model_dump_json()))
        except sqlite3.IntegrityError as exc:
            raise BankError(f"run {run.id!r} already exists in {self.path}; use update_run or a new id") from exc

    def update_run(self, run: GrowthRun) -> None:
        """Replace a recorded run; NotFoundError when it was never started."""
        with self._db.write() as conn:
            changed = conn.execute("UPDATE runs SET started_at = ?, body = ? WHERE id = ?",
                                   (iso(run.started_at), run.model_dump_json(), run.id)).rowcount
        if not changed:
            raise NotFoundError(f"run {run.id!r} is not in the bank {self.path}; call start_run first")

    def get_run(self, run_id: str) -> GrowthRun:
        """The run with this id; NotFoundError when absent."""
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"run {run_id!r} is not in the bank {self.path}")
        return GrowthRun.model_validate_json(row[0])

    def list_runs(self, limit: int = 50) -> list[GrowthRun]:
        """The most recent runs, newest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT body FROM runs ORDER BY started_at DESC, id DESC LIMIT ?",
                                (max(0, limit),)).fetchall()
        return [GrowthRun.model_validate_json(row[0]) for row in rows]

    def get_cursor(self, source: str) -> str | None:
        """The saved position in a failure source, or None before the first run."""
        with self._db.read() as conn:
            row = conn.execute("SELECT value FROM cursors WHERE source = ?", (source,)).fetchone()
        return None if row is None else str(row[0])

    def set_cursor(self, source: str, value: str) -> None:
        """Save the position in a failure source."""
        with self._db.write() as conn:
            conn.execute("INSERT INTO cursors (source, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (source) "
                         "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                         (source, value, iso(utcnow())))

    # ---- summary ---------------------------------------------------------------------------------------------

    def summary(self) -> dict[str, object]:
        """Counts for dashboards and ``stats --json``: tasks, by_status, by_split (admitted tasks per split),
        duplicates by kind, failures, runs..."""
        with self._db.read() as conn:
            by_status = {s.value: 0 for s in TaskStatus}
            by_status.update({row[0]: row[1] for row in conn.execute(
                "SELECT status, count(*) FROM tasks GROUP BY status")})
            duplicates = {k.value: 0 for k in DuplicateKind}
            duplicates.update({row[0]: row[1] for row in conn.execute(
                "SELECT duplicate_kind, count(*) FROM tasks WHERE duplicate_of IS NOT NULL GROUP BY duplicate_kind")})
            counts = {table: conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                      for table in ("failures", "processed_failures", "runs", "reports", "stats")}
            skills = conn.execute("SELECT count(DISTINCT skill) FROM tasks WHERE skill IS NOT NULL").fetchone()[0]
            by_split = {s.value: 0 for s in TaskSplit}
            by_split.update({row[0]: row[1] for row in conn.execute(
                "SELECT split, count(*) FROM tasks WHERE status = 'admitted' GROUP BY split")})
        return {"tasks": sum(by_status.values()), "by_status": by_status, "by_split": by_split,
                "duplicates": duplicates,
                "failures": counts["failures"], "processed_failures": counts["processed_failures"],
                "runs": counts["runs"], "reports": counts["reports"], "training_stats": counts["stats"],
                "skills": skills, "path": str(self.path)}

