"""Applying the migrations of :mod:`task_bank.migrations` to a bank, and refusing a bank from a newer envsynth.

The names applied are kept in the table ``_migrations``; :func:`migrate` applies the missing ones in order, so running
it twice (or from two processes at once: it takes the write lock first) is a no-op. ``PRAGMA user_version`` holds the
number of migrations applied; a bank whose version or migration names this code does not know was written by a newer
envsynth and is refused with :class:`SchemaVersionError` before anything is written to it.

A module of its own: the migrations only grow, one function per schema change, while how they are applied (the
lock, the record, the version check) is one fixed rule that every bank goes through on open.
"""

from __future__ import annotations

import sqlite3

from task_bank.errors import SchemaVersionError
from task_bank.migrations import BANK_SCHEMA_VERSION, MIGRATIONS


def _check_not_newer(conn: sqlite3.Connection, path: str) -> None:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    if version > BANK_SCHEMA_VERSION:
        raise SchemaVersionError(
            f"{path}: bank schema version {version} is newer than this envsynth supports "
            f"({BANK_SCHEMA_VERSION}); upgrade envsynth to open it")
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
    if not has_table:
        return
    known = {name for name, _ in MIGRATIONS}
    unknown = sorted(row[0] for row in conn.execute("SELECT name FROM _migrations") if row[0] not in known)
    if unknown:
        raise SchemaVersionError(
            f"{path}: bank has migrations this envsynth does not know ({', '.join(unknown)}); bank schema "
            f"version {version}, supported {BANK_SCHEMA_VERSION}; upgrade envsynth to open it")


def applied_migrations(conn: sqlite3.Connection) -> list[str]:
    """Names of the migrations recorded in the bank, in the order they were applied."""
    has_table = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_migrations'").fetchone()
    if not has_table:
        return []
    return [row[0] for row in conn.execute("SELECT name FROM _migrations ORDER BY rowid")]


def migrate(conn: sqlite3.Connection, path: str) -> list[str]:
    """Apply the missing migrations in one write transaction; returns the names applied now.

    ``conn`` must be in autocommit mode (``isolation_level=None``). Raises :class:`SchemaVersionError` for a bank
    from a newer envsynth, without writing to it.
    """
    _check_not_newer(conn, path)
    if len(applied_migrations(conn)) == len(MIGRATIONS):
        return []
    conn.execute("BEGIN IMMEDIATE")
    try:
        _check_not_newer(conn, path)
        conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        done = set(applied_migrations(conn))
        applied = []
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            migration(conn)
            conn.execute("INSERT INTO _migrations (name, applied_at) VALUES (?, strftime('%Y-%m-%dT%H:%M:%fZ'))",
                         (name,))
            applied.append(name)
        conn.execute(f"PRAGMA user_version = {BANK_SCHEMA_VERSION}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return applied
