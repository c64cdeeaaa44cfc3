"""The SQLite connection of a bank: pragmas, and write transactions that two processes can run at once.

Writers take the write lock up front (``BEGIN IMMEDIATE``) so a transaction never fails half-way on a lock upgrade;
SQLite's busy timeout makes the second writer wait, and a short retry loop covers the rare ``database is locked``
that the busy handler gives up on (WAL checkpoints, very long writers). WAL lets readers run while one process
writes; ``synchronous=NORMAL`` in WAL mode keeps every committed transaction across a killed process.
"""

from __future__ import annotations

import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from task_bank.errors import BankError


def connect(path: str, busy_timeout_s: float) -> sqlite3.Connection:
    """An autocommit connection with WAL, busy timeout and foreign keys on."""
    try:
        conn = sqlite3.connect(path, timeout=busy_timeout_s, isolation_level=None, check_same_thread=False)
    except sqlite3.Error as exc:
        raise BankError(f"{path}: cannot open the bank ({exc}); check the path and its permissions") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
        conn.execute("PRAGMA foreign_keys = ON")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -32000")
        conn.execute("PRAGMA temp_store = MEMORY")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise BankError(f"{path}: not a task bank or corrupt ({exc})") from exc
    if mode.lower() != "wal":
        conn.close()
        raise BankError(f"{path}: could not switch the bank to WAL mode (got {mode!r}); is it on a network disk?")
    return conn


class Database:
    """One connection shared by the threads of one process, with a lock around every use."""

    def __init__(self, conn: sqlite3.Connection, path: str, busy_timeout_s: float) -> None:
        self.conn = conn
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.lock = threading.RLock()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """The connection, for reads (autocommit: each statement sees the latest commit)."""
        with self.lock:
            yield self.conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction: ``BEGIN IMMEDIATE`` (retried while locked), COMMIT on success, ROLLBACK on error."""
        with self.lock:
            self._begin()
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self._commit()

    def _begin(self) -> None:
        deadline = time.monotonic() + max(self.busy_timeout_s, 1.0) * 2
        while True:
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if time.monotonic() > deadline:
                    raise BankError(f"{self.path}: the bank stayed locked by another writer for "
                                    f"{self.busy_timeout_s * 2:.0f} s; try again later") from exc
                time.sleep(random.uniform(0.01, 0.1))

    def _commit(self) -> None:
        deadline = time.monotonic() + max(self.busy_timeout_s, 1.0)
        while True:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.OperationalError as exc:
                if ("locked" not in str(exc) and "busy" not in str(exc)) or time.monotonic() > deadline:
                    self.conn.execute("ROLLBACK")
                    raise BankError(f"{self.path}: commit failed ({exc})") from exc
                time.sleep(random.uniform(0.01, 0.1))

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with self.lock:
            self.conn.close()
