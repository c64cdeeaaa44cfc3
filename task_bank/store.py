"""The bank: one SQLite file holding tasks, their validation reports, curation history, failures, training
statistics and growth runs (see docs/CONTRACTS.md for the interface every package codes against).

Tasks are admitted through :meth:`Bank.admit` / :meth:`Bank.admit_many`, which run dedup (``task_bank.dedup``)
and commit in batches, so a killed import keeps every batch it reported. A task row keeps its records as JSON
plus indexed filter columns (``task_bank.codec``); the store writes the external-content full-text index itself
(cheaper than triggers), so every write of a task's text goes through this class. Failures, statistics, runs
and cursors live in :class:`task_bank.activity.ActivityStore`, status changes and validation reports in
:class:`task_bank.curation.CurationStore`, replay evaluations in :class:`task_bank.evaluations.EvaluationStore`;
reading tasks back (by id, filtered pages, streams) is :class:`task_bank.task_reader.TaskReader`; :class:`Bank`
extends them all.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import chain, islice
from pathlib import Path

from task_bank.activity import ActivityStore
from task_bank.codec import TASK_COLUMNS, TASK_WRITE_COLUMNS, record_from_row, task_row
from task_bank.curation import CurationStore
from task_bank.db import Database, connect
from task_bank.dedup import DedupConfig, DedupKeys, Match, compute_keys, find_duplicate, index_task
from task_bank.errors import BankError
from task_bank.environment_store import EnvironmentStore
from task_bank.evaluations import EvaluationStore
from task_bank.migrations import BANK_SCHEMA_VERSION
from task_bank.migrator import migrate
from task_bank.minhash import Banding, optimal_banding
from task_bank.provenance import Provenance, utcnow
from task_bank.records import TaskRecord, TaskSplit, TaskStatus
from task_bank.spec import TaskSpec
from task_bank.task_reader import TaskReader
from task_bank.validation import Reason, ValidationReport

AdmitItem = tuple[TaskSpec, Provenance | None, ValidationReport | None]
"""One item of :meth:`Bank.admit_many`: the spec, its provenance and its validation report (either may be None)."""


class Admission(TaskRecord):
    """What :meth:`Bank.admit` did with one task: the stored record (the earlier one when the id was already in the
    bank), and whether this call stored it.

    It is the record itself plus ``new``, so a caller reads ``admission.status`` as before and, without guessing from
    the run id, ``admission.new``.
    """

    new: bool
    """True when this call stored the task; False when the id was already there (then nothing changed)."""

    @property
    def record(self) -> TaskRecord:
        """The stored record alone."""
        return TaskRecord.model_validate(self.model_dump(exclude={"new"}))


_INSERT_TASK = (f"INSERT INTO tasks ({', '.join(TASK_WRITE_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(TASK_WRITE_COLUMNS))})")
_UPSERT_TASK = _INSERT_TASK + " ON CONFLICT (id) DO UPDATE SET " + ", ".join(
    f"{c} = excluded.{c}" for c in TASK_WRITE_COLUMNS if c != "id")
_FTS_INSERT = "INSERT INTO tasks_fts (rowid, prompt_text, verifier) VALUES (?, ?, ?)"
_FTS_DELETE = "INSERT INTO tasks_fts (tasks_fts, rowid, prompt_text, verifier) VALUES ('delete', ?, ?, ?)"

def _batches(items: Iterable[AdmitItem | TaskSpec], size: int) -> Iterator[list[AdmitItem]]:
    iterator = iter(items)
    while batch := [item if isinstance(item, tuple) else (item, None, None) for item in islice(iterator, size)]:
        yield batch


class Bank(TaskReader, ActivityStore, CurationStore, EvaluationStore, EnvironmentStore):
    """A task bank in one SQLite file. Open with :meth:`open`; usable as a context manager; thread-safe."""

    def __init__(self, db: Database, dedup: DedupConfig, banding: Banding) -> None:
        self._db = db
        self.dedup_config = dedup
        """Near-duplicate settings in force (threshold from the caller, or as stored at creation)."""
        self.banding = banding
        """LSH banding, fixed when the bank was created."""

    @classmethod
    def open(cls, path: str | Path, *, near_threshold: float | None = None,
             busy_timeout_s: float = 30.0) -> "Bank":
        """Open (creating if missing) and migrate the bank at ``path``.

        ``near_threshold`` overrides the stored near-duplicate threshold for this session; the LSH banding is the
        one chosen when the bank was created. Raises SchemaVersionError for a bank from a newer envsynth.
        """
        path = Path(path)
        if path.is_dir():
            raise BankError(f"{path}: is a directory; give the bank's file path (e.g. {path / 'task_bank.db'})")
        if not path.parent.exists():
            raise BankError(f"{path}: directory {path.parent} does not exist; create it first")
        conn = connect(str(path), busy_timeout_s)
        db = Database(conn, str(path), busy_timeout_s)
        try:
            migrate(conn, str(path))
            config, banding = cls._dedup_settings(db, near_threshold)
        except BaseException:
            db.close()
            raise
        return cls(db, config, banding)

    @staticmethod
    def _dedup_settings(db: Database, near_threshold: float | None) -> tuple[DedupConfig, Banding]:
        with db.read() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key = 'dedup'").fetchone()
        if row is None:
            config = DedupConfig(near_threshold=near_threshold) if near_threshold is not None else DedupConfig()
            banding = optimal_banding(config.near_threshold, config.num_perm)
            stored = {**config.model_dump(), "bands": banding.bands, "rows": banding.rows}
            with db.write() as conn:
                conn.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('dedup', ?)", (json.dumps(stored),))
                row = conn.execute("SELECT value FROM meta WHERE key = 'dedup'").fetchone()
        stored = json.loads(row[0])
        banding = Banding(bands=stored.pop("bands"), rows=stored.pop("rows"))
        if near_threshold is not None:
            stored["near_threshold"] = near_threshold
        return DedupConfig.model_validate(stored), banding

    @property
    def path(self) -> Path:
        """The bank file."""
        return Path(self._db.path)

    @property
    def schema_version(self) -> int:
        """Schema version of this code (the bank was migrated to it on open)."""
        return BANK_SCHEMA_VERSION

    def close(self) -> None:
        """Close the connection."""
        self._db.close()

    def integrity_check(self) -> str:
        """SQLite's ``PRAGMA integrity_check`` verdict: ``"ok"`` for a sound file."""
        with self._db.read() as conn:
            return "\n".join(str(row[0]) for row in conn.execute("PRAGMA integrity_check"))

    def checkpoint(self) -> None:
        """Fold the write-ahead log into the main file (before copying the file, or measuring its size)."""
        with self._db.read() as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def __enter__(self) -> "Bank":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- admission -------------------------------------------------------------------------------------------

    def duplicate_of(self, spec: TaskSpec) -> Match | None:
        """The admitted task ``spec`` would be recorded as a duplicate of (read-only; nothing is stored).

        Lets a caller skip costly work (probing a policy, promoting a task) for a task dedup would refuse anyway.
        """
        keys = self._keys([(spec, None, None)])[0]
        with self._db.read() as conn:
            return find_duplicate(conn, keys, self.dedup_config.near_threshold, exclude_id=spec.id)[0]

    def admit(self, spec: TaskSpec, provenance: Provenance | None = None, report: ValidationReport | None = None,
              status: TaskStatus | None = None, reasons: Iterable[Reason | str] = (), dedup: bool = True,
              split: TaskSplit = TaskSplit.TRAIN) -> Admission:
        """Store a task, deciding its status; same id twice is a no-op returning the stored record (``new`` False).

        ``status`` None means ADMITTED when ``report`` is None or admitted, else REJECTED with the report's reasons.
        With ``dedup`` a task that would be ADMITTED but matches an admitted task is stored REJECTED with reason
        ``duplicate`` and ``duplicate_of``/``duplicate_kind`` set. ``split`` HELDOUT stores an evaluation task that
        no training query returns; dedup compares across splits.
        """
        return self.admit_many([(spec, provenance, report)], status=status, reasons=reasons, dedup=dedup,
                               split=split)[0]

    def admit_many(self, items: Iterable[AdmitItem | TaskSpec], *, status: TaskStatus | None = None,
                   reasons: Iterable[Reason | str] = (), dedup: bool = True, batch_size: int = 500,
                   on_commit: Callable[[list[Admission]], None] | None = None,
                   split: TaskSplit = TaskSplit.TRAIN) -> list[Admission]:
        """:meth:`admit` for many tasks, one transaction per ``batch_size`` items, in input order.

        ``on_commit`` is called with each batch's :class:`Admission` list after that batch is committed (progress
        reports that survive a kill; ``new`` tells stored from already present, even with concurrent writers).
        Duplicates within the input are caught too: the first one wins.
        """
        typed = tuple(Reason(r) for r in reasons)
        batches = _batches(items, batch_size)
        out: list[Admission] = []

        def write(batch: list[AdmitItem], keys: list[DedupKeys]) -> None:
            with self._db.write() as conn:
                done = [self._admit_one(conn, item, key, status, typed, dedup, split)
                        for item, key in zip(batch, keys)]
            out.extend(done)
            if on_commit is not None:
                on_commit(done)

        first = next(batches, None)
        following = next(batches, None) if first is not None else None
        if first is None or following is None:
            if first is not None:
                write(first, self._keys(first))
            return out
        # Several batches: compute the next batch's keys in a thread while this one is written, since SQLite
        # (FTS indexing above all) runs without the GIL.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="bank-dedup-keys") as pool:
            current, future = first, pool.submit(self._keys, first)
            for batch in chain([following], batches):
                next_future = pool.submit(self._keys, batch)
                write(current, future.result())
                current, future = batch, next_future
            write(current, future.result())
        return out

    def _keys(self, batch: list[AdmitItem]) -> list[DedupKeys]:
        return compute_keys([spec for spec, _, _ in batch], self.dedup_config, self.banding)

    def _admit_one(self, conn: sqlite3.Connection, item: AdmitItem, keys: DedupKeys, status: TaskStatus | None,
                   reasons: tuple[Reason, ...], dedup: bool, split: TaskSplit) -> Admission:
        spec, provenance, report = item
        row = conn.execute(f"SELECT {TASK_COLUMNS} FROM tasks WHERE id = ?", (spec.id,)).fetchone()
        if row is not None:
            return Admission(**dict(record_from_row(row)), new=False)
        if report is not None and report.task_id != spec.id:
            raise BankError(f"validation report is for task {report.task_id!r} but the spec is {spec.id!r} "
                            f"(field 'task_id'); pass the report of this task")
        if status is None:
            admitted = report is None or report.admitted
            status = TaskStatus.ADMITTED if admitted else TaskStatus.REJECTED
            if not reasons and report is not None and not admitted:
                reasons = report.reasons
        duplicate: Match | None = None
        if dedup and status is TaskStatus.ADMITTED:
            duplicate, keys = find_duplicate(conn, keys, self.dedup_config.near_threshold)
            if duplicate is not None:
                status, reasons = TaskStatus.REJECTED, (Reason.DUPLICATE,)
        now = utcnow()
        record = TaskRecord(spec=spec, status=status, reasons=reasons, provenance=provenance or Provenance(),
                            duplicate_of=duplicate.task_id if duplicate else None,
                            duplicate_kind=duplicate.kind if duplicate else None, created_at=now, updated_at=now,
                            split=split)
        pk = conn.execute(_INSERT_TASK, task_row(record, keys)).lastrowid
        if pk is None:
            raise BankError(f"{self.path}: insert of task {spec.id!r} returned no row id")
        self._index(conn, pk, record, keys, replace=False)
        if report is not None:
            self._insert_report(conn, report)
        return Admission(**dict(record), new=True)

    @staticmethod
    def _index(conn: sqlite3.Connection, pk: int, record: TaskRecord, keys: DedupKeys, replace: bool) -> None:
        """Full-text, LSH and failure-link rows of a task just written (the FTS table has external content)."""
        conn.execute(_FTS_INSERT, (pk, record.spec.prompt_text, record.spec.verifier))
        index_task(conn, pk, keys, replace_bands=replace)
        if replace:
            conn.execute("DELETE FROM task_failures WHERE task_pk = ?", (pk,))
        conn.executemany("INSERT OR IGNORE INTO task_failures (failure_id, task_pk) VALUES (?, ?)",
                         [(fid, pk) for fid in record.provenance.source_failure_ids])

    def put(self, record: TaskRecord) -> TaskRecord:
        """Trusted upsert of a whole record (no dedup, no status decision); returns it."""
        keys = compute_keys([record.spec], self.dedup_config, self.banding)[0]
        with self._db.write() as conn:
            old = conn.execute("SELECT pk, prompt_text, verifier FROM tasks WHERE id = ?", (record.id,)).fetchone()
            conn.execute(_UPSERT_TASK, task_row(record, keys))
            pk = conn.execute("SELECT pk FROM tasks WHERE id = ?", (record.id,)).fetchone()[0]
            if old is not None:
                conn.execute(_FTS_DELETE, old)
            self._index(conn, pk, record, keys, replace=True)
        return record
