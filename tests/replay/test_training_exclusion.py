"""Nothing that trains, evolves or probes ever samples a held-out replay task."""

from __future__ import annotations

from itertools import islice

import pytest

from task_bank import BankError, TaskSplit
from task_bank.store import Bank
from trainer.config import SamplingSection
from trainer.dataset import bank_rows, practice_tasks


def _rows(path, n: int) -> list[dict[str, object]]:
    sampling = SamplingSection(refresh_every=1).model_dump()
    return list(islice(bank_rows(str(path), sampling, seed=0), n))


def test_the_trainer_dataset_never_yields_a_heldout_task(make_task, tmp_path):
    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        practice = {bank.admit(make_task(n)).id for n in range(2)}
        heldout = {bank.admit(make_task(n), split=TaskSplit.HELDOUT).id for n in range(10, 18)}
    drawn = {row["task_id"] for row in _rows(path, 300)}
    assert drawn == practice
    assert not drawn & heldout


def test_a_bank_holding_only_heldout_tasks_gives_the_trainer_nothing_to_train_on(make_task, tmp_path):
    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        bank.admit(make_task(3), split=TaskSplit.HELDOUT)
    with pytest.raises(BankError, match="no admitted tasks to train on"):
        _rows(path, 1)


def test_practice_tasks_are_the_training_split_only(make_task, bank: Bank):
    bank.admit(make_task(1))
    bank.admit(make_task(2), split=TaskSplit.HELDOUT)
    assert [r.id for r in practice_tasks(bank)] == [make_task(1).id]


def test_probing_skips_heldout_tasks(make_task, bank: Bank):
    from synth.band import PolicyProbe
    from synth.probe import probe_bank

    class RefusingProbe(PolicyProbe):
        """A probe that fails the test if it is ever asked to sample a task."""

        def __init__(self) -> None:
            self.policy, self.k = "p", 1

        def measure(self, specs, executor):
            raise AssertionError(f"probed {[s.id for s in specs]}")

    bank.admit(make_task(4), split=TaskSplit.HELDOUT)
    summary = probe_bank(bank, RefusingProbe(), executor=None)
    assert summary.tasks == 0


def test_evolving_never_picks_a_heldout_task_as_parent(make_task, bank: Bank):
    from synth.grow.config import EvolveConfig
    from synth.grow.evolve import select_parents
    from task_bank import TrainingStat

    practice = bank.admit(make_task(1))
    heldout = bank.admit(make_task(2), split=TaskSplit.HELDOUT)
    bank.add_stats(TrainingStat(task_id=t.id, policy="p", source="probe", attempts=4, mean_score=0.0, pass_rate=0.0)
                   for t in (practice, heldout))  # e.g. written before the split existed
    parents, _ = select_parents(bank, EvolveConfig())
    assert [p.record.id for p in parents] == [practice.id]
