"""Statistics go back to the bank once per interval; mastered tasks retire, solvable too-hard tasks come back."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import TaskSpec, TaskStatus, TrainingStat
from task_bank.store import Bank
from trainer.config import StatsSection
from trainer.ledger import ScoreLedger
from trainer.stats import BankStatsCallback


def spec(n: int) -> TaskSpec:
    return TaskSpec(prompt=f"Say {n}.", reference=str(n), failure_cases=("x",),
                    verifier=f"def verify(response: str) -> float:\n    return float(response == '{n}')\n")


@pytest.fixture()
def bank(tmp_path: Path):
    with Bank.open(tmp_path / "bank.db") as opened:
        yield opened


def test_flush_writes_one_train_stat_per_task_for_this_checkpoint(bank):
    task = bank.admit(spec(1))
    ledger = ScoreLedger(pass_threshold=1.0)
    ledger.record_group(task.id, [1.0, 0.0, 0.0, None])
    BankStatsCallback(bank, ledger, StatsSection()).flush("runs/a", step=5)
    [stat] = bank.stats(task.id)
    assert (stat.source, stat.policy, stat.step, stat.attempts, stat.pass_rate) == \
        ("train", str(Path("runs/a/checkpoint-5")), 5, 3, 1 / 3)
    assert stat.mean_score == pytest.approx(1 / 3)


def test_a_task_mastered_over_the_window_is_retired_by_the_trainer(bank):
    task = bank.admit(spec(2))
    ledger = ScoreLedger(pass_threshold=1.0)
    callback = BankStatsCallback(bank, ledger, StatsSection(retire_window=2, mastery_pass_rate=0.9))
    ledger.record_group(task.id, [1.0, 1.0])
    callback.flush("out", step=1)
    assert bank.get(task.id).status is TaskStatus.ADMITTED
    ledger.record_group(task.id, [1.0, 1.0])
    callback.flush("out", step=2)
    assert bank.get(task.id).status is TaskStatus.RETIRED
    assert callback.retired == [task.id]
    assert (bank.history(task.id)[-1].actor, bank.history(task.id)[-1].action) == ("trainer", "retire")


def test_one_failure_in_the_window_keeps_the_task(bank):
    task = bank.admit(spec(3))
    ledger = ScoreLedger(pass_threshold=1.0)
    callback = BankStatsCallback(bank, ledger, StatsSection(retire_window=2))
    for step, group in enumerate(([1.0, 1.0], [1.0, 0.0], [1.0, 1.0]), start=1):
        ledger.record_group(task.id, group)
        callback.flush("out", step=step)
    assert bank.get(task.id).status is TaskStatus.ADMITTED


def test_a_too_hard_task_that_the_policy_now_sometimes_solves_is_promoted(bank):
    trained = bank.admit(spec(4))
    hard = bank.admit(spec(5), status=TaskStatus.REJECTED, reasons=("too_hard",))
    broken = bank.admit(spec(6), status=TaskStatus.REJECTED, reasons=("unsolvable",))
    bank.add_stats(TrainingStat(task_id=t.id, policy="ckpt", source="probe", attempts=8, mean_score=0.4,
                                pass_rate=0.25) for t in (hard, broken))
    ledger = ScoreLedger(pass_threshold=1.0)
    ledger.record_group(trained.id, [1.0, 0.0])
    callback = BankStatsCallback(bank, ledger, StatsSection())
    callback.flush("out", step=1)
    assert bank.get(hard.id).status is TaskStatus.ADMITTED
    assert bank.get(broken.id).status is TaskStatus.REJECTED
    assert callback.promoted == [hard.id]
    assert bank.history(hard.id)[-1].action == "promote"


def test_mastery_measured_by_another_run_does_not_count_toward_retirement(bank):
    task = bank.admit(spec(10))
    bank.add_stats([TrainingStat(task_id=task.id, policy="old-run/checkpoint-9", source="train", attempts=2,
                                 mean_score=1.0, pass_rate=1.0)])
    ledger = ScoreLedger(pass_threshold=1.0)
    ledger.record_group(task.id, [1.0, 1.0])
    BankStatsCallback(bank, ledger, StatsSection(retire_window=2)).flush("new-run", step=1)
    assert bank.get(task.id).status is TaskStatus.ADMITTED


def test_the_measurement_that_rejected_a_task_never_promotes_it(bank):
    band_stat = TrainingStat(task_id=spec(8).id, policy="p0", source="probe", attempts=16, mean_score=0.06,
                             pass_rate=0.0625)
    hard = bank.admit(spec(8), status=TaskStatus.REJECTED, reasons=("too_hard",))
    bank.add_stats([band_stat])  # recorded before the rejection, as the generate band does
    callback = BankStatsCallback(bank, ScoreLedger(pass_threshold=1.0), StatsSection())
    callback.flush("out", step=1)
    assert bank.get(hard.id).status is TaskStatus.REJECTED and callback.promoted == []


def test_a_too_hard_task_that_duplicates_an_admitted_one_is_not_promoted(bank):
    original = bank.admit(spec(9))
    copy = TaskSpec(prompt=original.spec.prompt, verifier=original.spec.verifier, reference=original.spec.reference,
                    failure_cases=(*original.spec.failure_cases, "another wrong answer"))
    hard = bank.admit(copy, status=TaskStatus.REJECTED, reasons=("too_hard",))
    bank.add_stats([TrainingStat(task_id=hard.id, policy="p1", source="probe", attempts=8, mean_score=0.5,
                                 pass_rate=0.5)])
    callback = BankStatsCallback(bank, ScoreLedger(pass_threshold=1.0), StatsSection())
    callback.flush("out", step=1)
    assert bank.get(hard.id).status is TaskStatus.REJECTED and callback.promoted == []


def test_groups_with_equal_scores_are_counted(bank):
    task = bank.admit(spec(7))
    ledger = ScoreLedger(pass_threshold=1.0)
    ledger.record_group(task.id, [0.0, 0.0])
    ledger.record_group(task.id, [0.0, 1.0])
    callback = BankStatsCallback(bank, ledger, StatsSection())
    callback.flush("out", step=1)
    assert (callback.groups, callback.equal_groups) == (2, 1)
