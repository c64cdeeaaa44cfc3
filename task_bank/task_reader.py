"""Reading tasks back: one by id, pages and counts under filters, streams for export and for the trainers.

:class:`TaskReader` is the part of :class:`task_bank.store.Bank` that only reads the ``tasks`` table; it shares the
Bank's connection (``self._db``). It is kept apart from :mod:`task_bank.store`, which opens the bank and admits
tasks (dedup, the full-text index), because nothing here writes: rows are decoded by
:func:`task_bank.codec.record_from_row` and filtered by :class:`task_bank.query.TaskFilter`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

from task_bank.codec import TASK_COLUMNS, record_from_row
from task_bank.db import Database
from task_bank.errors import NotFoundError
from task_bank.query import StatusFilter, TaskFilter, order_by
from task_bank.records import TaskRecord, TaskSplit, TaskStatus


class TaskReader:
    """Lookups, filtered pages and streams over the tasks of one bank."""

    _db: Database
    path: Path

    def find(self, task_id: str) -> TaskRecord | None:
        """The task with this id, or None."""
        with self._db.read() as conn:
            row = conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (task_id,)).fetchone()
        return record_from_row(row) if row else None

    def get(self, task_id: str) -> TaskRecord:
        """The task with this id; NotFoundError when absent."""
        record = self.find(task_id)
        if record is None:
            raise NotFoundError(f"task {task_id!r} is not in the bank {self.path}")
        return record

    def has_task(self, task_id: str) -> bool:
        """Whether the bank holds a task with this id (cheaper than :meth:`find`: no row is decoded)."""
        with self._db.read() as conn:
            return conn.execute("SELECT 1 FROM tasks WHERE id = ?", (task_id,)).fetchone() is not None

    def existing_ids(self, task_ids: Iterable[str]) -> set[str]:
        """Which of these ids the bank holds (one query per 500 ids): drafts already stored need no validation."""
        ids = list(task_ids)
        found: set[str] = set()
        with self._db.read() as conn:
            for start in range(0, len(ids), 500):
                chunk = ids[start:start + 500]
                found.update(row[0] for row in conn.execute(
                    f"SELECT id FROM tasks WHERE id IN ({','.join('?' * len(chunk))})", chunk))
        return found

    def list(self, status: StatusFilter = None, skill: str | None = None, text: str | None = None,
             failure_group: str | None = None, growth_run_id: str | None = None,
             source_failure_id: str | None = None, pass_band: tuple[float, float] | None = None,
             sort: str = "created", descending: bool = True, limit: int = 50, offset: int = 0,
             split: TaskSplit | str | None = None) -> list[TaskRecord]:
        """One page of tasks matching every filter given; ``text`` is full-text search over prompt and verifier."""
        where, params = TaskFilter(status, skill, text, failure_group, growth_run_id, source_failure_id,
                                   pass_band, split).where()
        order = order_by(sort, descending)
        # Page over primary keys first, so sorting never drags whole rows (verifier code) through the sorter.
        sql = f"SELECT {TASK_COLUMNS} FROM tasks WHERE pk IN (SELECT pk FROM tasks{where}{order} LIMIT ? OFFSET ?){order}"
        with self._db.read() as conn:
            rows = conn.execute(sql, [*params, max(0, limit), max(0, offset)]).fetchall()
        return [record_from_row(row) for row in rows]

    def count(self, status: StatusFilter = None, skill: str | None = None, text: str | None = None,
              failure_group: str | None = None, growth_run_id: str | None = None,
              source_failure_id: str | None = None, pass_band: tuple[float, float] | None = None,
              split: TaskSplit | str | None = None) -> int:
        """How many tasks :meth:`list` would page through."""
        where, params = TaskFilter(status, skill, text, failure_group, growth_run_id, source_failure_id,
                                   pass_band, split).where()
        with self._db.read() as conn:
            return int(conn.execute(f"SELECT count(*) FROM tasks{where}", params).fetchone()[0])

    def iter_tasks(self, status: StatusFilter = None, skill: str | None = None,
                   batch_size: int = 1000, split: TaskSplit | str | None = None) -> Iterator[TaskRecord]:
        """Every matching task in storage order, read in pages (for export and streaming datasets)."""
        where, params = TaskFilter(status, skill, split=split).where()
        where = f"{where} AND pk > ?" if where else " WHERE pk > ?"
        last = 0
        while True:
            with self._db.read() as conn:
                rows = conn.execute(f"SELECT pk, {TASK_COLUMNS} FROM tasks{where} ORDER BY pk LIMIT ?",
                                    [*params, last, batch_size]).fetchall()
            if not rows:
                return
            last = rows[-1][0]
            for row in rows:
                yield record_from_row(row[1:])

    def training_tasks(self, skill: str | None = None) -> Iterator[TaskRecord]:
        """The admitted tasks of the training split: what a trainer (GRPO, self-distillation) may sample.

        Held-out tasks (failure replays) are never returned; sampling them would leak the evaluation into training.
        """
        return self.iter_tasks(status=TaskStatus.ADMITTED, skill=skill, split=TaskSplit.TRAIN)

    def heldout_tasks(self, skill: str | None = None) -> Iterator[TaskRecord]:
        """The admitted tasks of the held-out split (failure replays), for ``synth.replay`` only."""
        return self.iter_tasks(status=TaskStatus.ADMITTED, skill=skill, split=TaskSplit.HELDOUT)

    def duplicates_of(self, task_id: str) -> list[TaskRecord]:
        """Tasks recorded as duplicates of this one, oldest first."""
        return self._tasks_where("duplicate_of = ?", task_id)

    def children(self, task_id: str) -> list[TaskRecord]:
        """Tasks whose provenance names this one as parent, oldest first."""
        return self._tasks_where("parent_task_id = ?", task_id)

    def tasks_for_failure(self, failure_id: str) -> list[TaskRecord]:
        """Tasks drafted from this failure record, oldest first."""
        return self._tasks_where("pk IN (SELECT task_pk FROM task_failures WHERE failure_id = ?)", failure_id)

    def _tasks_where(self, clause: str, value: object) -> list[TaskRecord]:
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE {clause} ORDER BY pk", (value,)).fetchall()
        return [record_from_row(row) for row in rows]
