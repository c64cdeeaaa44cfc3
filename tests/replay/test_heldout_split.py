"""The held-out split: replay tasks live beside practice tasks, seen by dedup, never by a training query."""

from __future__ import annotations

import json

from task_bank.cli import main as task_bank_main
from task_bank.migrator import applied_migrations
from task_bank.records import TaskSplit, TaskStatus
from task_bank.store import Bank


def test_a_task_is_a_training_task_unless_admitted_into_the_heldout_split(make_task, bank: Bank):
    practice = bank.admit(make_task(1))
    replay = bank.admit(make_task(2), split=TaskSplit.HELDOUT)
    assert (practice.split, replay.split) == (TaskSplit.TRAIN, TaskSplit.HELDOUT)
    assert bank.get(replay.id).split is TaskSplit.HELDOUT


def test_training_tasks_never_include_a_heldout_task(make_task, bank: Bank):
    bank.admit_many([make_task(n) for n in range(3)])
    bank.admit_many([make_task(n) for n in range(10, 13)], split=TaskSplit.HELDOUT)
    training = {r.id for r in bank.training_tasks()}
    heldout = {r.id for r in bank.heldout_tasks()}
    assert training == {make_task(n).id for n in range(3)}
    assert heldout == {make_task(n).id for n in range(10, 13)}


def test_a_practice_task_copying_a_replay_task_is_a_duplicate(make_task, bank: Bank):
    replay = bank.admit(make_task(5), split=TaskSplit.HELDOUT)
    copy = make_task(5, failure_cases=("wrong", "also wrong"))  # same prompt and verifier, another id
    stored = bank.admit(copy)
    assert stored.status is TaskStatus.REJECTED
    assert stored.reasons == ("duplicate",)
    assert stored.duplicate_of == replay.id


def test_a_replay_task_copying_a_practice_task_is_a_duplicate_too(make_task, bank: Bank):
    practice = bank.admit(make_task(6))
    stored = bank.admit(make_task(6, failure_cases=("nope",)), split=TaskSplit.HELDOUT)
    assert (stored.status, stored.duplicate_of) == (TaskStatus.REJECTED, practice.id)


def test_list_and_count_filter_by_split(make_task, bank: Bank):
    bank.admit_many([make_task(n) for n in range(2)])
    bank.admit(make_task(9), split=TaskSplit.HELDOUT)
    assert bank.count(split="heldout") == 1
    assert [r.id for r in bank.list(split=TaskSplit.TRAIN, sort="id", descending=False)] == sorted(
        make_task(n).id for n in range(2))


def test_stats_json_counts_admitted_tasks_by_split(make_task, tmp_path, capsys):
    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        bank.admit_many([make_task(n) for n in range(3)])
        bank.admit_many([make_task(n) for n in range(20, 22)], split=TaskSplit.HELDOUT)
    assert task_bank_main(["stats", "--bank", str(path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["by_split"] == {"train": 3, "heldout": 2}


def test_the_split_and_replay_result_migrations_are_named_and_recorded_last(bank: Bank):
    with bank._db.read() as conn:
        names = applied_migrations(conn)
    assert {"m006_heldout_split", "m007_replay_results"} <= set(names)
    assert names.index("m007_replay_results") == names.index("m006_heldout_split") + 1


def test_the_trl_shaped_export_holds_training_tasks_only(make_task, bank: Bank):
    from task_bank.hf_export import to_dataset

    bank.admit(make_task(1))
    bank.admit(make_task(2), split=TaskSplit.HELDOUT)
    assert to_dataset(bank)["task_id"] == [make_task(1).id]
    assert sorted(to_dataset(bank, split=None)["task_id"]) == sorted([make_task(1).id, make_task(2).id])
