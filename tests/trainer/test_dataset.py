"""The training stream follows the bank: new admissions are drawn, retired tasks are not, weights use pass rates."""

from __future__ import annotations

from collections import Counter
from itertools import islice
from pathlib import Path

import pytest

from task_bank import BankError, TaskSpec, TaskStatus, TrainingStat
from task_bank.store import Bank
from trainer.config import SamplingSection
from trainer.dataset import bank_dataset, bank_rows


def spec(n: int, skill: str = "arith") -> TaskSpec:
    return TaskSpec(prompt=f"Say {n}.", reference=str(n), failure_cases=("x",), metadata={"skill": skill},
                    verifier=f"def verify(response: str) -> float:\n    return float(response == '{n}')\n")


@pytest.fixture()
def bank_path(tmp_path: Path) -> Path:
    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        bank.admit(spec(1))
        bank.admit(spec(2))
    return path


def rows(bank_path: Path, **sampling: object):
    return bank_rows(str(bank_path), SamplingSection(refresh_every=1, **sampling).model_dump(), seed=0)


def test_rows_carry_the_chat_prompt_and_the_task_id(bank_path):
    row = next(rows(bank_path))
    assert row["task_id"] in {spec(1).id, spec(2).id}
    assert row["prompt"][0]["role"] == "user" and row["prompt"][0]["content"].startswith("Say ")


def test_a_task_admitted_while_streaming_is_drawn(bank_path):
    stream = rows(bank_path, floor=0.01)
    with Bank.open(bank_path) as bank:
        bank.add_stats(TrainingStat(task_id=spec(n).id, policy="p", attempts=4, mean_score=0.0, pass_rate=0.0)
                       for n in (1, 2))
        list(islice(stream, 3))
        bank.admit(spec(3))
    assert spec(3).id in {row["task_id"] for row in islice(stream, 20)}


def test_a_retired_task_is_no_longer_drawn(bank_path):
    stream = rows(bank_path)
    list(islice(stream, 3))
    with Bank.open(bank_path) as bank:
        bank.set_status(spec(1).id, TaskStatus.RETIRED, actor="test")
    assert {row["task_id"] for row in islice(stream, 20)} == {spec(2).id}


def test_probe_pass_rates_steer_the_draws(bank_path):
    with Bank.open(bank_path) as bank:
        bank.add_stats([TrainingStat(task_id=spec(1).id, policy="p", source="probe", attempts=8, mean_score=0.5,
                                     pass_rate=0.5),
                        TrainingStat(task_id=spec(2).id, policy="p", source="probe", attempts=8, mean_score=1.0,
                                     pass_rate=1.0)])
    counts = Counter(row["task_id"] for row in islice(rows(bank_path), 300))
    assert counts[spec(1).id] > 5 * counts[spec(2).id]


def test_skill_filter_limits_the_stream(bank_path):
    with Bank.open(bank_path) as bank:
        bank.admit(spec(9, skill="dates"))
    assert {row["task_id"] for row in islice(rows(bank_path, skill="dates"), 10)} == {spec(9, "dates").id}


def test_an_empty_bank_says_how_to_fill_it(tmp_path):
    Bank.open(tmp_path / "empty.db").close()
    with pytest.raises(BankError, match="no admitted tasks.*synth.generate"):
        next(rows(tmp_path / "empty.db"))


def test_the_hf_dataset_is_iterable_and_endless(bank_path):
    dataset = bank_dataset(bank_path, SamplingSection(refresh_every=2), seed=0)
    assert len(list(islice(iter(dataset), 50))) == 50
