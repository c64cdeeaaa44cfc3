"""Named, recorded schema migrations of the SQLite bank (the sqlite-utils / simonw/llm pattern).

Each migration is a function that takes a connection inside an open write transaction. :data:`MIGRATIONS` lists them
in order under the names a bank records in its table ``_migrations`` (so a shipped name never changes);
:mod:`task_bank.migrator` applies the missing ones and refuses a bank from a newer envsynth.

Never edit a migration that has shipped: add a new one at the end.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def _run(conn: sqlite3.Connection, statements: list[str]) -> None:
    for statement in statements:
        conn.execute(statement)


def m001_tasks(conn: sqlite3.Connection) -> None:
    """Tasks with indexed filter columns, full-text search, dedup keys, validation reports and curation history."""
    _run(conn, [
        "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE IF NOT EXISTS tasks (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            skill TEXT,
            failure_group TEXT,
            growth_run_id TEXT,
            parent_task_id TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            content_hash TEXT NOT NULL,
            verifier_hash TEXT,
            duplicate_of TEXT,
            duplicate_kind TEXT,
            latest_pass_rate REAL,
            reasons TEXT NOT NULL,
            prompt_text TEXT NOT NULL,
            verifier TEXT NOT NULL,
            spec TEXT NOT NULL,
            provenance TEXT NOT NULL,
            minhash BLOB)""",
        "CREATE INDEX IF NOT EXISTS tasks_status_created ON tasks (status, created_at)",
        "CREATE INDEX IF NOT EXISTS tasks_created ON tasks (created_at)",
        "CREATE INDEX IF NOT EXISTS tasks_skill_status ON tasks (skill, status, created_at)",
        "CREATE INDEX IF NOT EXISTS tasks_failure_group ON tasks (failure_group) WHERE failure_group IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS tasks_growth_run ON tasks (growth_run_id) WHERE growth_run_id IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS tasks_parent ON tasks (parent_task_id) WHERE parent_task_id IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS tasks_duplicate_of ON tasks (duplicate_of) WHERE duplicate_of IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS tasks_content_hash ON tasks (content_hash)",
        "CREATE INDEX IF NOT EXISTS tasks_verifier_hash ON tasks (verifier_hash) WHERE verifier_hash IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS tasks_pass_rate ON tasks (latest_pass_rate) WHERE latest_pass_rate IS NOT NULL",
        """CREATE VIRTUAL TABLE IF NOT EXISTS tasks_fts USING fts5(
            prompt_text, verifier, content='tasks', content_rowid='pk', tokenize="unicode61 tokenchars '_'")""",
        """CREATE TRIGGER IF NOT EXISTS tasks_fts_insert AFTER INSERT ON tasks BEGIN
            INSERT INTO tasks_fts (rowid, prompt_text, verifier) VALUES (new.pk, new.prompt_text, new.verifier);
        END""",
        """CREATE TRIGGER IF NOT EXISTS tasks_fts_delete AFTER DELETE ON tasks BEGIN
            INSERT INTO tasks_fts (tasks_fts, rowid, prompt_text, verifier)
            VALUES ('delete', old.pk, old.prompt_text, old.verifier);
        END""",
        """CREATE TRIGGER IF NOT EXISTS tasks_fts_update AFTER UPDATE OF prompt_text, verifier ON tasks BEGIN
            INSERT INTO tasks_fts (tasks_fts, rowid, prompt_text, verifier)
            VALUES ('delete', old.pk, old.prompt_text, old.verifier);
            INSERT INTO tasks_fts (rowid, prompt_text, verifier) VALUES (new.pk, new.prompt_text, new.verifier);
        END""",
        """CREATE TABLE IF NOT EXISTS task_failures (
            failure_id TEXT NOT NULL,
            task_pk INTEGER NOT NULL REFERENCES tasks (pk) ON DELETE CASCADE,
            PRIMARY KEY (failure_id, task_pk)) WITHOUT ROWID""",
        "CREATE INDEX IF NOT EXISTS task_failures_task ON task_failures (task_pk)",
        """CREATE TABLE IF NOT EXISTS lsh_band (
            key INTEGER NOT NULL,
            task_pk INTEGER NOT NULL REFERENCES tasks (pk) ON DELETE CASCADE,
            PRIMARY KEY (key, task_pk)) WITHOUT ROWID""",
        "CREATE INDEX IF NOT EXISTS lsh_band_task ON lsh_band (task_pk)",
        """CREATE TABLE IF NOT EXISTS reports (
            pk INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
            admitted INTEGER NOT NULL,
            started_at TEXT NOT NULL,
            body TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS reports_task ON reports (task_id, started_at)",
        """CREATE TABLE IF NOT EXISTS history (
            pk INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            body TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS history_task ON history (task_id, at)",
    ])


def m002_training_and_runs(conn: sqlite3.Connection) -> None:
    """Failure records, training statistics, growth runs and per-source cursors."""
    _run(conn, [
        """CREATE TABLE IF NOT EXISTS failures (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            source TEXT NOT NULL,
            timestamp TEXT,
            body TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS failures_source ON failures (source, pk)",
        """CREATE TABLE IF NOT EXISTS processed_failures (
            failure_id TEXT PRIMARY KEY,
            run_id TEXT NOT NULL,
            at TEXT NOT NULL)""",
        """CREATE TABLE IF NOT EXISTS stats (
            pk INTEGER PRIMARY KEY,
            task_id TEXT NOT NULL REFERENCES tasks (id) ON DELETE CASCADE,
            policy TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            pass_rate REAL NOT NULL,
            body TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS stats_task ON stats (task_id, recorded_at)",
        "CREATE INDEX IF NOT EXISTS stats_policy ON stats (policy, task_id, recorded_at)",
        """CREATE TABLE IF NOT EXISTS runs (
            id TEXT PRIMARY KEY,
            started_at TEXT NOT NULL,
            body TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at)",
        """CREATE TABLE IF NOT EXISTS cursors (
            source TEXT PRIMARY KEY,
            value TEXT NOT NULL,
            updated_at TEXT NOT NULL)""",
    ])


def m003_verifier_skeleton(conn: sqlite3.Connection) -> None:
    """A cheap verifier key (``task_bank.fingerprint.verifier_skeleton``) so most tasks are never compiled.

    Adds and back-fills the column; the exact fingerprints stay, computed lazily from now on, so the index on
    them (only ever looked up through the skeleton now) is dropped.
    """
    from task_bank.fingerprint import verifier_skeleton

    columns = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    if "verifier_skeleton" not in columns:
        conn.execute("ALTER TABLE tasks ADD COLUMN verifier_skeleton TEXT")
    rows = conn.execute("SELECT pk, verifier FROM tasks WHERE verifier_skeleton IS NULL").fetchall()
    conn.executemany("UPDATE tasks SET verifier_skeleton = ? WHERE pk = ?",
                     [(verifier_skeleton(source), pk) for pk, source in rows])
    _run(conn, [
        "DROP INDEX IF EXISTS tasks_verifier_hash",
        "CREATE INDEX IF NOT EXISTS tasks_verifier_skeleton ON tasks (verifier_skeleton, status)",
    ])


def m004_fts_maintained_by_the_store(conn: sqlite3.Connection) -> None:
    """Drop the full-text triggers: the store writes the index itself, which costs half as much per task.

    Measured here: 181 us per task through an AFTER INSERT trigger, 79 us with the same INSERT issued directly.
    """
    _run(conn, [
        "DROP TRIGGER IF EXISTS tasks_fts_insert",
        "DROP TRIGGER IF EXISTS tasks_fts_delete",
        "DROP TRIGGER IF EXISTS tasks_fts_update",
    ])


def m005_fts_detail_column(conn: sqlite3.Connection) -> None:
    """Rebuild the full-text index without token positions (``detail=column``): a third cheaper to write and
    smaller on disk. Searches are AND of single words (``task_bank.query.fts_query``), which need no positions.
    """
    _run(conn, [
        "DROP TABLE IF EXISTS tasks_fts",
        """CREATE VIRTUAL TABLE tasks_fts USING fts5(
            prompt_text, verifier, content='tasks', content_rowid='pk', tokenize="unicode61 tokenchars '_'",
            detail=column)""",
        "INSERT INTO tasks_fts (tasks_fts) VALUES ('rebuild')",
    ])


def m006_heldout_split(conn: sqlite3.Connection) -> None:
    """A ``split`` per task (``train`` or ``heldout``): held-out failure replays live in the same table, so dedup
    sees them, but every training query filters on this column. Existing tasks are training tasks."""
    columns = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    if "split" not in columns:
        conn.execute("ALTER TABLE tasks ADD COLUMN split TEXT NOT NULL DEFAULT 'train'")
    conn.execute("CREATE INDEX IF NOT EXISTS tasks_split_status ON tasks (split, status)")


def m007_replay_results(conn: sqlite3.Connection) -> None:
    """Replay evaluations: one row per ``synth.replay`` run (its summary), one per task scored in it.

    Results of the shipped retention suite are kept too; those tasks are not bank tasks, so ``task_id`` has no
    foreign key.
    """
    _run(conn, [
        """CREATE TABLE IF NOT EXISTS replay_evals (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            policy TEXT NOT NULL,
            recorded_at TEXT NOT NULL,
            body TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS replay_evals_policy ON replay_evals (policy, recorded_at)",
        "CREATE INDEX IF NOT EXISTS replay_evals_recorded ON replay_evals (recorded_at)",
        """CREATE TABLE IF NOT EXISTS replay_results (
            eval_pk INTEGER NOT NULL REFERENCES replay_evals (pk) ON DELETE CASCADE,
            task_id TEXT NOT NULL,
            suite TEXT NOT NULL,
            failure_id TEXT,
            attempts INTEGER NOT NULL,
            passes INTEGER NOT NULL,
            UNIQUE (eval_pk, task_id))""",
        "CREATE INDEX IF NOT EXISTS replay_results_failure ON replay_results (failure_id) WHERE failure_id IS NOT NULL",
        "CREATE INDEX IF NOT EXISTS replay_results_task ON replay_results (task_id)",
    ])


def m008_status_changed_at_and_typed_reasons(conn: sqlite3.Connection) -> None:
    """When each task's status last changed (from its history; NULL for a task never changed), so "evidence newer
    than the status" is one indexed comparison; and reasons typed: a reviewer's free-text reason that a task
    carried as its status reason becomes ``reviewed`` (the words stay in the history entry, where they were too).
    """
    known = {"schema", "verifier_error", "nondeterministic", "unsolvable", "failure_case_passes", "trivial", "timeout",
             "sandbox_error", "executes_response", "reward_hack", "duplicate", "too_easy", "too_hard", "mastered",
             "solvable", "reviewed", "rejected"}  # Reason's values when this migration shipped (it never changes)
    columns = {row[1] for row in conn.execute("PRAGMA table_info(tasks)")}
    if "status_changed_at" not in columns:
        conn.execute("ALTER TABLE tasks ADD COLUMN status_changed_at TEXT")
    conn.execute("UPDATE tasks SET status_changed_at = (SELECT max(at) FROM history WHERE history.task_id = tasks.id)"
                 " WHERE status_changed_at IS NULL")
    conn.execute("CREATE INDEX IF NOT EXISTS tasks_status_changed ON tasks (status, status_changed_at)")

    def typed(reasons: list[str]) -> list[str]:
        return list(dict.fromkeys(r if r in known else "reviewed" for r in reasons))

    for pk, reasons in conn.execute("SELECT pk, reasons FROM tasks WHERE reasons != '[]'").fetchall():
        old = json.loads(reasons)
        if typed(old) != old:
            conn.execute("UPDATE tasks SET reasons = ? WHERE pk = ?", (json.dumps(typed(old)), pk))
    for pk, body in conn.execute("SELECT pk, body FROM history").fetchall():
        entry = json.loads(body)
        old = entry.get("from_reasons", [])
        if typed(old) != old:
            entry["from_reasons"] = typed(old)
            conn.execute("UPDATE history SET body = ? WHERE pk = ?", (json.dumps(entry), pk))


def m009_environments(conn: sqlite3.Connection) -> None:
    """Environments (issue 15): environment spec v1 records with their verdict and evidence as JSON, and the two
    dedup keys (source syntax tree, tool signatures + prompt) indexed (see ``task_bank.environment_store``)."""
    _run(conn, [
        """CREATE TABLE IF NOT EXISTS environments (
            pk INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            skill TEXT,
            source_key TEXT NOT NULL,
            signature_key TEXT,
            duplicate_of TEXT,
            created_at TEXT NOT NULL,
            body TEXT NOT NULL)""",
        "CREATE INDEX IF NOT EXISTS environments_status ON environments (status)",
        "CREATE INDEX IF NOT EXISTS environments_source_key ON environments (source_key)",
        "CREATE INDEX IF NOT EXISTS environments_signature_key ON environments (signature_key)",
    ])


MIGRATIONS: tuple[tuple[str, Migration], ...] = (
    ("m001_tasks", m001_tasks),
    ("m002_training_and_runs", m002_training_and_runs),
    ("m003_verifier_skeleton", m003_verifier_skeleton),
    ("m004_fts_maintained_by_the_store", m004_fts_maintained_by_the_store),
    ("m005_fts_detail_column", m005_fts_detail_column),
    ("m006_heldout_split", m006_heldout_split),
    ("m007_replay_results", m007_replay_results),
    ("m008_status_changed_at_and_typed_reasons", m008_status_changed_at_and_typed_reasons),
    ("m009_environments", m009_environments),
)
"""Every migration, in the order it must run."""

BANK_SCHEMA_VERSION = len(MIGRATIONS)
"""Schema version this code writes: the number of migrations it knows."""
