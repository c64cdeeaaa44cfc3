"""The Bank store's contract (docs/CONTRACTS.md), on real SQLite files."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

import pytest

from task_bank.errors import BankError, InputError, NotFoundError
from task_bank.failure import FailureRecord, FailureSignal, SignalKind
from task_bank.provenance import Provenance, utcnow
from task_bank.records import GrowthRun, RunOutcome, TaskStatus, TrainingStat
from task_bank.spec import Message
from task_bank.store import Bank
from task_bank.validation import CheckResult, Reason, ValidationReport


def _report(task_id: str, admitted: bool = True, reasons: tuple[str, ...] = ()) -> ValidationReport:
    return ValidationReport(task_id=task_id, admitted=admitted, reasons=reasons, validator_version="v1",
                            sandbox_backend="unsafe-local",
                            checks=(CheckResult(name="reference", passed=admitted, reason=None),))


def _failure(n: int, source: str = "chat") -> FailureRecord:
    return FailureRecord(conversation=(Message(role="user", content=f"question {n}"),), response=f"wrong {n}",
                         signal=FailureSignal(kind=SignalKind.THUMBS_DOWN), source=source)


def test_admitted_task_round_trips_through_a_reopened_bank(bank_path, make_spec):
    spec = make_spec(1, prompt=(Message(role="system", content="be brief"), Message(role="user", content="2+2?")))
    prov = Provenance(source_failure_ids=("f_1",), generator_backend="replay", growth_run_id="run1")
    with Bank.open(bank_path) as bank:
        stored = bank.admit(spec, provenance=prov)
    with Bank.open(bank_path) as bank:
        loaded = bank.get(spec.id)
    assert loaded == stored.record
    assert loaded.spec == spec and loaded.provenance == prov and loaded.status is TaskStatus.ADMITTED


def test_admitting_the_same_id_twice_is_a_no_op_returning_the_stored_record(bank, make_spec):
    first = bank.admit(make_spec(1))
    again = bank.admit(make_spec(1), report=_report(make_spec(1).id, admitted=False, reasons=("trivial",)))
    assert again.record == first.record
    assert bank.count() == 1 and bank.reports(first.id) == []


def test_admit_says_whether_this_call_stored_the_task(bank, make_spec):
    assert bank.admit(make_spec(1)).new is True
    assert bank.admit(make_spec(1)).new is False


def test_has_task_answers_for_stored_ids_only(bank, make_spec):
    bank.admit(make_spec(1))
    assert bank.has_task(make_spec(1).id) and not bank.has_task(make_spec(2).id)


def test_a_rejecting_report_stores_the_task_rejected_with_its_reasons_and_the_report(bank, make_spec):
    spec = make_spec(2)
    report = _report(spec.id, admitted=False, reasons=("unsolvable",))
    record = bank.admit(spec, report=report)
    assert record.status is TaskStatus.REJECTED and record.reasons == ("unsolvable",)
    assert bank.reports(spec.id) == [report]


def test_an_explicit_status_overrides_the_report(bank, make_spec):
    record = bank.admit(make_spec(3), status=TaskStatus.CANDIDATE, reasons=("too_hard",))
    assert record.status is TaskStatus.CANDIDATE and record.reasons == (Reason.TOO_HARD,)


def test_a_reason_outside_the_vocabulary_is_refused(bank, make_spec):
    with pytest.raises(ValueError, match="pending"):
        bank.admit(make_spec(3), status=TaskStatus.CANDIDATE, reasons=("pending",))


def test_a_report_for_another_task_is_refused(bank, make_spec):
    with pytest.raises(BankError, match="task_id"):
        bank.admit(make_spec(1), report=_report("t_other"))
    assert bank.count() == 0


def test_admit_many_keeps_input_order_and_calls_back_after_each_commit(bank, make_spec):
    committed: list[int] = []
    records = bank.admit_many([(make_spec(i), None, None) for i in range(7)], batch_size=3,
                              on_commit=lambda recs: committed.append(len(recs)))
    assert [r.id for r in records] == [make_spec(i).id for i in range(7)]
    assert committed == [3, 3, 1]


def test_on_commit_tells_newly_stored_tasks_from_ids_already_in_the_bank(bank, make_spec):
    bank.admit(make_spec(1))
    heard = []
    bank.admit_many([make_spec(0), make_spec(1)], on_commit=heard.extend)
    assert [(a.record.id, a.new) for a in heard] == [(make_spec(0).id, True), (make_spec(1).id, False)]


def test_get_of_an_unknown_id_raises_not_found_and_find_returns_none(bank):
    with pytest.raises(NotFoundError, match="t_missing"):
        bank.get("t_missing")
    assert bank.find("t_missing") is None


def test_put_upserts_a_whole_record_without_dedup(bank, make_spec):
    record = bank.admit(make_spec(1)).record
    changed = record.model_copy(update={"status": TaskStatus.RETIRED, "reasons": ("mastered",)})
    bank.put(changed)
    assert bank.get(record.id) == changed and bank.count() == 1


def test_list_filters_by_status_skill_group_run_failure_and_pass_band(bank, make_spec):
    bank.admit(make_spec(0), provenance=Provenance(failure_group="g1", growth_run_id="r1", source_failure_ids=("f_a",)))
    bank.admit(make_spec(1), provenance=Provenance(failure_group="g2", growth_run_id="r2"))
    bank.admit(make_spec(2), status=TaskStatus.CANDIDATE)
    bank.add_stats([TrainingStat(task_id=make_spec(1).id, policy="p", attempts=4, mean_score=0.5, pass_rate=0.5)])
    ids = lambda recs: {r.id for r in recs}  # noqa: E731
    assert ids(bank.list(status="admitted")) == {make_spec(0).id, make_spec(1).id}
    assert ids(bank.list(skill="skill2")) == {make_spec(2).id}
    assert ids(bank.list(failure_group="g1")) == ids(bank.list(growth_run_id="r1")) == {make_spec(0).id}
    assert ids(bank.list(source_failure_id="f_a")) == {make_spec(0).id}
    assert ids(bank.list(pass_band=(0.4, 0.6))) == {make_spec(1).id}
    assert bank.count(status=["admitted", "candidate"]) == 3


def test_list_pages_newest_first_by_default_and_count_ignores_paging(bank, make_spec):
    for i in range(5):
        bank.admit(make_spec(i))
    page = bank.list(limit=2, offset=1)
    assert [r.id for r in page] == [make_spec(3).id, make_spec(2).id]
    assert [r.id for r in bank.list(sort="created", descending=False, limit=1)] == [make_spec(0).id]
    assert bank.count() == 5


def test_an_unknown_sort_or_status_is_an_input_error_naming_the_field(bank):
    with pytest.raises(InputError, match="sort"):
        bank.list(sort="bogus")
    with pytest.raises(InputError, match="status"):
        bank.list(status="bogus")


def test_set_status_records_a_curation_action_in_history(bank, make_spec):
    record = bank.admit(make_spec(1))
    changed = bank.set_status(record.id, TaskStatus.QUARANTINED, actor="alice", reason="flaky",
                              reasons=(Reason.REVIEWED,))
    bank.set_status(record.id, TaskStatus.ADMITTED, actor="bob")
    assert changed.status is TaskStatus.QUARANTINED and changed.reasons == (Reason.REVIEWED,)
    assert bank.history(record.id)[0].reason == "flaky"
    history = bank.history(record.id)
    assert [(h.action, h.from_status, h.to_status, h.actor) for h in history] == [
        ("quarantine", TaskStatus.ADMITTED, TaskStatus.QUARANTINED, "alice"),
        ("restore", TaskStatus.QUARANTINED, TaskStatus.ADMITTED, "bob")]
    assert bank.get(record.id).status is TaskStatus.ADMITTED


def test_the_reasons_a_status_change_replaces_are_kept_in_history(bank, make_spec):
    record = bank.admit(make_spec(2), status=TaskStatus.REJECTED, reasons=("too_hard", "duplicate"))
    bank.set_status(record.id, TaskStatus.ADMITTED, actor="trainer", reasons=(Reason.SOLVABLE,))
    assert bank.history(record.id)[-1].from_reasons == ("too_hard", "duplicate")


def test_a_status_change_carries_its_reasons_in_one_call(bank, make_spec):
    record = bank.admit(make_spec(2))
    changed = bank.set_status(record.id, TaskStatus.REJECTED, actor="grow", reason="re-validation under 1.2",
                              reasons=(Reason.NONDETERMINISTIC, Reason.TIMEOUT))
    assert bank.get(record.id) == changed and changed.reasons == ("nondeterministic", "timeout")
    assert bank.history(record.id)[-1].reasons == (Reason.NONDETERMINISTIC, Reason.TIMEOUT)


def test_a_status_change_moves_the_status_changed_time_and_only_it(bank, make_spec):
    record = bank.admit(make_spec(2))
    assert record.status_changed_at is None and record.status_since == record.created_at
    changed = bank.set_status(record.id, TaskStatus.RETIRED, actor="trainer", reasons=(Reason.MASTERED,))
    assert changed.status_changed_at is not None and changed.status_changed_at > record.created_at
    assert bank.get(record.id).status_changed_at == changed.status_changed_at


def test_tasks_without_a_report_are_listed_for_revalidation(bank, make_spec):
    judged = make_spec(1)
    bank.admit(judged, report=_report(judged.id, admitted=True, reasons=()))
    bank.admit(make_spec(2))
    bank.admit(make_spec(3), status=TaskStatus.CANDIDATE)
    assert bank.unjudged_ids() == [make_spec(2).id, make_spec(3).id]
    assert bank.unjudged_ids(status=TaskStatus.CANDIDATE) == [make_spec(3).id]


def test_a_duplicate_restored_to_admitted_is_no_longer_counted_as_a_duplicate(bank, make_spec):
    original = bank.admit(make_spec(3))
    copy = original.spec.model_copy(update={"id": "t_copy"})
    duplicate = bank.admit(copy)
    assert duplicate.duplicate_of == original.id
    restored = bank.set_status(duplicate.id, TaskStatus.ADMITTED, actor="alice", reason="distinct enough")
    assert restored.duplicate_of is None and bank.get(duplicate.id).duplicate_of is None
    assert bank.history(duplicate.id)[-1].from_duplicate_of == original.id


def test_set_status_of_an_unknown_task_raises_not_found(bank):
    with pytest.raises(NotFoundError):
        bank.set_status("t_missing", TaskStatus.RETIRED, actor="x")


def test_children_are_tasks_whose_provenance_names_the_parent(bank, make_spec):
    parent = bank.admit(make_spec(1))
    child = bank.admit(make_spec(2), provenance=Provenance(parent_task_id=parent.id))
    assert [r.id for r in bank.children(parent.id)] == [child.id]


def test_reports_are_kept_oldest_first_and_need_a_stored_task(bank, make_spec):
    record = bank.admit(make_spec(1))
    later = _report(record.id).model_copy(update={"started_at": utcnow() + timedelta(seconds=5)})
    earlier = _report(record.id, admitted=False, reasons=("trivial",))
    bank.add_report(later)
    bank.add_report(earlier)
    assert bank.reports(record.id) == [earlier, later]
    with pytest.raises(NotFoundError, match="admit the task first"):
        bank.add_report(_report("t_missing"))


def test_add_failures_stores_new_ones_and_leaves_existing_ids_untouched(bank):
    assert bank.add_failures([_failure(1), _failure(2)]) == 2
    assert bank.add_failures([_failure(2), _failure(3, source="logs")]) == 1
    assert bank.get_failure(_failure(1).id) == _failure(1)
    assert [f.id for f in bank.list_failures(source="logs")] == [_failure(3).id]
    assert [f.id for f in bank.list_failures(limit=2, offset=1)] == [_failure(2).id, _failure(3).id]
    with pytest.raises(NotFoundError):
        bank.get_failure("f_missing")


def test_tasks_for_failure_and_processed_failures(bank, make_spec):
    record = bank.admit(make_spec(1), provenance=Provenance(source_failure_ids=(_failure(1).id,)))
    bank.mark_failures_processed([_failure(1).id, _failure(2).id], run_id="r1")
    bank.mark_failures_processed([_failure(1).id], run_id="r2")
    assert [r.id for r in bank.tasks_for_failure(_failure(1).id)] == [record.id]
    assert bank.processed_failure_ids() == {_failure(1).id, _failure(2).id}


def test_latest_pass_rates_follow_the_most_recent_measurement_per_policy(bank, make_spec):
    task = bank.admit(make_spec(1)).id
    t0 = utcnow()
    bank.add_stats([
        TrainingStat(task_id=task, policy="p1", attempts=8, mean_score=0.2, pass_rate=0.25, recorded_at=t0),
        TrainingStat(task_id=task, policy="p2", attempts=8, mean_score=0.9, pass_rate=0.875,
                     recorded_at=t0 + timedelta(seconds=1), source="probe"),
    ])
    bank.add_stats([TrainingStat(task_id=task, policy="p1", attempts=8, mean_score=0.5, pass_rate=0.5,
                                 recorded_at=t0 + timedelta(seconds=2), step=10)])
    assert bank.latest_pass_rates() == {task: 0.5}
    assert bank.latest_pass_rates("p2") == {task: 0.875}
    assert [s.pass_rate for s in bank.stats(task)] == [0.25, 0.875, 0.5]


def test_stats_for_an_unknown_task_raise_not_found_and_store_nothing(bank, make_spec):
    task = bank.admit(make_spec(1)).id
    with pytest.raises(NotFoundError, match="t_missing"):
        bank.add_stats([TrainingStat(task_id=task, policy="p", attempts=1, mean_score=1, pass_rate=1),
                        TrainingStat(task_id="t_missing", policy="p", attempts=1, mean_score=1, pass_rate=1)])
    assert bank.stats(task) == []


def test_runs_are_started_updated_and_listed_newest_first(bank):
    old = GrowthRun(id="r1", started_at=utcnow() - timedelta(hours=1))
    new = GrowthRun(id="r2")
    bank.start_run(old)
    bank.start_run(new)
    done = old.model_copy(update={"outcome": RunOutcome.SUCCEEDED, "counts": {"admitted": 3}})
    bank.update_run(done)
    assert bank.get_run("r1") == done
    assert [r.id for r in bank.list_runs()] == ["r2", "r1"]
    with pytest.raises(BankError, match="already exists"):
        bank.start_run(new)
    with pytest.raises(NotFoundError):
        bank.update_run(GrowthRun(id="r3"))


def test_cursors_are_saved_per_source(bank):
    assert bank.get_cursor("chat") is None
    bank.set_cursor("chat", "line:10")
    bank.set_cursor("chat", "line:20")
    assert bank.get_cursor("chat") == "line:20" and bank.get_cursor("logs") is None


def test_summary_counts_every_status_even_when_zero(bank, make_spec):
    bank.admit(make_spec(1))
    bank.admit(make_spec(2), status=TaskStatus.REJECTED)
    summary = bank.summary()
    assert summary["tasks"] == 2
    assert summary["by_status"] == {"candidate": 0, "admitted": 1, "rejected": 1, "retired": 0, "quarantined": 0}


def test_opening_a_directory_or_a_missing_folder_is_a_bank_error(tmp_path):
    with pytest.raises(BankError, match="directory"):
        Bank.open(tmp_path)
    with pytest.raises(BankError, match="does not exist"):
        Bank.open(tmp_path / "nope" / "bank.db")


def test_a_file_that_is_not_sqlite_is_refused_with_a_bank_error(tmp_path):
    path = tmp_path / "bank.db"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(BankError, match="not a task bank"):
        Bank.open(path)


def test_the_bank_passes_integrity_check_and_uses_wal(bank, make_spec):
    bank.admit_many([make_spec(i) for i in range(20)])
    assert bank.integrity_check() == "ok"
    conn = sqlite3.connect(bank.path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA foreign_key_check").fetchall() == []


def test_measured_since_status_change_returns_only_evidence_newer_than_the_status(bank, make_spec):
    hard, stale = make_spec(1), make_spec(2)
    for spec in (hard, stale):
        bank.admit(spec, status=TaskStatus.REJECTED, reasons=(Reason.TOO_HARD,))
    before = utcnow() - timedelta(days=1)
    bank.add_stats([TrainingStat(task_id=stale.id, policy="p", attempts=4, mean_score=0.5, pass_rate=0.5,
                                 recorded_at=before),
                    TrainingStat(task_id=hard.id, policy="p", attempts=4, mean_score=0.25, pass_rate=0.25)])
    found = bank.measured_since_status_change(TaskStatus.REJECTED, [Reason.TOO_HARD])
    assert [(record.id, stat.pass_rate) for record, stat in found] == [(hard.id, 0.25)]
    assert bank.measured_since_status_change(TaskStatus.REJECTED, [Reason.TOO_EASY]) == []
