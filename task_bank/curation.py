"""Status changes with their history, and validation reports: the half of the bank reviewers and the trainer curate.

:class:`CurationStore` is mixed into :class:`task_bank.store.Bank` and shares its connection (``self._db``). A
status change never loses what it replaces: the previous reasons and duplicate match go into the history entry.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path

from task_bank.codec import TASK_COLUMNS, iso, record_from_row
from task_bank.db import Database
from task_bank.errors import NotFoundError
from task_bank.provenance import utcnow
from task_bank.records import ONCE_ADMITTED, CurationAction, CurationKind, TaskRecord, TaskStatus
from task_bank.validation import Reason, ValidationReport

_ACTIONS = {TaskStatus.QUARANTINED: CurationKind.QUARANTINE, TaskStatus.RETIRED: CurationKind.RETIRE,
            TaskStatus.REJECTED: CurationKind.REJECT, TaskStatus.CANDIDATE: CurationKind.RESET}


def _default_action(before: TaskStatus, after: TaskStatus) -> CurationKind:
    if after is TaskStatus.ADMITTED:
        return CurationKind.RESTORE if before in ONCE_ADMITTED else CurationKind.PROMOTE  # once admitted: restored
    return _ACTIONS[after]


class CurationStore:
    """Status changes, their history, and validation reports of one bank."""

    _db: Database
    path: Path

    def set_status(self, task_id: str, status: TaskStatus | str, actor: str = "system", reason: str = "",
                   action: CurationKind | str | None = None, *, reasons: Iterable[Reason | str] = ()) -> TaskRecord:
        """Change a task's status, with its machine-readable ``reasons``, in one transaction; return the new record.

        ``reason`` is the actor's own words (a reviewer's note), kept in the history entry (:meth:`history`) with
        who, when and the reasons and duplicate match the change replaced. The status-changed time moves (see
        :attr:`TaskRecord.status_changed_at`). The same status with the same reasons is a no-op; the same status
        with other reasons (re-validation finding a new fault) updates the reasons and is recorded too.
        """
        status = TaskStatus(status)
        new_reasons = tuple(Reason(r) for r in reasons)
        with self._db.write() as conn:
            row = conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"task {task_id!r} is not in the bank {self.path}")
            before = record_from_row(row)
            if before.status is status and (not new_reasons or new_reasons == before.reasons):
                return before
            now = utcnow()
            # An admitted task is nobody's duplicate; the match stays readable in the history entry below.
            keep_duplicate = status is not TaskStatus.ADMITTED
            duplicate_of = before.duplicate_of if keep_duplicate else None
            duplicate_kind = before.duplicate_kind if keep_duplicate else None
            conn.execute("UPDATE tasks SET status = ?, reasons = ?, updated_at = ?, status_changed_at = ?, "
                         "duplicate_of = ?, duplicate_kind = ? WHERE id = ?",
                         (status.value, json.dumps([r.value for r in new_reasons]), iso(now), iso(now), duplicate_of,
                          duplicate_kind.value if duplicate_kind else None, task_id))
            entry = CurationAction(task_id=task_id, action=CurationKind(action or _default_action(before.status, status)),
                                   from_status=before.status, to_status=status, actor=actor, reason=reason,
                                   reasons=new_reasons, at=now, from_reasons=before.reasons,
                                   from_duplicate_of=before.duplicate_of)
            conn.execute("INSERT INTO history (task_id, at, body) VALUES (?, ?, ?)",
                         (task_id, iso(now), entry.model_dump_json()))
        return before.model_copy(update={"status": status, "reasons": new_reasons, "updated_at": now,
                                         "status_changed_at": now, "duplicate_of": duplicate_of,
                                         "duplicate_kind": duplicate_kind})

    def history(self, task_id: str) -> list[CurationAction]:
        """Status changes of a task, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT body FROM history WHERE task_id = ? ORDER BY at, pk", (task_id,)).fetchall()
        return [CurationAction.model_validate_json(row[0]) for row in rows]

    def add_report(self, report: ValidationReport) -> None:
        """Store a validation report of a task already in the bank (NotFoundError otherwise)."""
        with self._db.write() as conn:
            self._insert_report(conn, report)

    def _insert_report(self, conn: sqlite3.Connection, report: ValidationReport) -> None:
        try:
            conn.execute("INSERT INTO reports (task_id, admitted, started_at, body) VALUES (?, ?, ?, ?)",
                         (report.task_id, int(report.admitted), iso(report.started_at), report.model_dump_json()))
        except sqlite3.IntegrityError as exc:
            raise NotFoundError(f"cannot store a validation report for task {report.task_id!r}: it is not in the "
                                f"bank {self.path}; admit the task first") from exc

    def unjudged_ids(self, status: TaskStatus | None = None, limit: int = 1000) -> list[str]:
        """Ids of tasks that have no validation report (imported with ``--no-validate``, or stored before the
        validator existed), oldest first: what re-validation must judge before anything else (``status`` narrows
        it, e.g. to the admitted tasks training samples)."""
        where = "NOT EXISTS (SELECT 1 FROM reports WHERE reports.task_id = tasks.id)"
        params: list[object] = []
        if status is not None:
            where += " AND status = ?"
            params.append(TaskStatus(status).value)
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT id FROM tasks WHERE {where} ORDER BY pk LIMIT ?", [*params, limit]).fetchall()
        return [str(row[0]) for row in rows]

    def reports(self, task_id: str) -> list[ValidationReport]:
        """Validation reports of a task, oldest first."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT body FROM reports WHERE task_id = ? ORDER BY started_at, pk",
                                (task_id,)).fetchall()
        return [ValidationReport.model_validate_json(row[0]) for row in rows]
