"""Named, recorded, idempotent migrations, and refusal of banks from a newer envsynth."""

from __future__ import annotations

import sqlite3

import pytest

from task_bank.codec import parse_time
from task_bank.errors import SchemaVersionError
from task_bank.migrations import BANK_SCHEMA_VERSION, MIGRATIONS
from task_bank.migrator import applied_migrations, migrate
from task_bank.store import Bank


def test_a_new_bank_records_every_migration_by_name(bank_path):
    Bank.open(bank_path).close()
    conn = sqlite3.connect(bank_path)
    assert applied_migrations(conn) == [name for name, _ in MIGRATIONS]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == BANK_SCHEMA_VERSION


def test_migrating_twice_applies_nothing_the_second_time(bank_path):
    conn = sqlite3.connect(bank_path, isolation_level=None)
    assert migrate(conn, str(bank_path)) == [name for name, _ in MIGRATIONS]
    assert migrate(conn, str(bank_path)) == []
    assert conn.execute("SELECT count(*) FROM _migrations").fetchone()[0] == len(MIGRATIONS)


def test_reopening_keeps_the_data_and_the_migration_table(bank_path, make_spec):
    with Bank.open(bank_path) as bank:
        bank.admit(make_spec(1))
    with Bank.open(bank_path) as bank:
        assert bank.count() == 1
    conn = sqlite3.connect(bank_path)
    assert len(applied_migrations(conn)) == len(MIGRATIONS)


def test_a_missing_migration_is_applied_to_an_older_bank(bank_path):
    conn = sqlite3.connect(bank_path, isolation_level=None)
    migrate(conn, str(bank_path))
    last = MIGRATIONS[-1][0]
    conn.execute("DELETE FROM _migrations WHERE name = ?", (last,))
    conn.execute("PRAGMA user_version = 1")
    assert migrate(conn, str(bank_path)) == [last]


def test_a_bank_with_a_newer_schema_version_is_refused_naming_file_and_versions(bank_path):
    Bank.open(bank_path).close()
    conn = sqlite3.connect(bank_path, isolation_level=None)
    conn.execute(f"PRAGMA user_version = {BANK_SCHEMA_VERSION + 5}")
    conn.close()
    with pytest.raises(SchemaVersionError) as info:
        Bank.open(bank_path)
    message = str(info.value)
    assert str(bank_path) in message and str(BANK_SCHEMA_VERSION + 5) in message and str(BANK_SCHEMA_VERSION) in message


def test_a_bank_with_an_unknown_migration_is_refused_and_left_unchanged(bank_path):
    Bank.open(bank_path).close()
    conn = sqlite3.connect(bank_path, isolation_level=None)
    conn.execute("INSERT INTO _migrations (name, applied_at) VALUES ('m999_from_the_future', 'x')")
    conn.close()
    before = bank_path.read_bytes()
    with pytest.raises(SchemaVersionError, match="m999_from_the_future"):
        Bank.open(bank_path)
    assert bank_path.read_bytes() == before


def test_the_skeleton_migration_back_fills_an_older_bank(bank_path, make_spec):
    with Bank.open(bank_path) as bank:
        bank.admit(make_spec(1))
    conn = sqlite3.connect(bank_path, isolation_level=None)
    conn.execute("UPDATE tasks SET verifier_skeleton = NULL")
    conn.execute("DELETE FROM _migrations WHERE name = 'm003_verifier_skeleton'")
    conn.execute("PRAGMA user_version = 2")
    assert migrate(conn, str(bank_path)) == ["m003_verifier_skeleton"]
    assert conn.execute("SELECT count(*) FROM tasks WHERE verifier_skeleton IS NULL").fetchone()[0] == 0


def test_the_fts_rebuild_migration_indexes_tasks_stored_before_it(bank_path, make_spec):
    with Bank.open(bank_path) as bank:
        bank.admit(make_spec(1, prompt="pelican migration facts"))
    conn = sqlite3.connect(bank_path, isolation_level=None)
    conn.execute("DELETE FROM _migrations WHERE name = 'm005_fts_detail_column'")
    conn.execute("PRAGMA user_version = 4")
    conn.close()
    with Bank.open(bank_path) as bank:
        assert bank.count(text="pelican") == 1


def test_the_status_time_migration_back_fills_from_history_and_types_free_text_reasons(bank_path, make_spec):
    with Bank.open(bank_path) as bank:
        changed = bank.admit(make_spec(1))
        bank.admit(make_spec(2))
        bank.set_status(changed.id, "quarantined", actor="maria", reason="accepts separators")
    conn = sqlite3.connect(bank_path, isolation_level=None)
    at = conn.execute("SELECT at FROM history").fetchone()[0]
    conn.execute("UPDATE tasks SET status_changed_at = NULL, reasons = '[\"accepts separators\"]' WHERE id = ?",
                 (changed.id,))
    conn.execute("DELETE FROM _migrations WHERE name = 'm008_status_changed_at_and_typed_reasons'")
    conn.execute("PRAGMA user_version = 7")
    conn.close()
    with Bank.open(bank_path) as bank:
        migrated, untouched = bank.get(changed.id), bank.get(make_spec(2).id)
    assert migrated.reasons == ("reviewed",) and migrated.status_changed_at is not None
    assert migrated.status_changed_at == parse_time(at) and untouched.status_changed_at is None
