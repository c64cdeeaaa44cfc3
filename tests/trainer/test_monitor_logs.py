"""The trainer logs how many GRPO groups the reward-hacking monitor flagged: in every log entry TRL records
(``monitor/flagged_groups``, ``monitor/quarantined``, this run so far), not only in Python logging."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from task_bank import TaskSpec
from task_bank.store import Bank
from trainer.monitor import RewardHackMonitor
from trainer.monitor_callback import FLAGGED_GROUPS, QUARANTINED, MonitorCallback

GROUP = 8


@pytest.fixture()
def bank(tmp_path: Path):
    with Bank.open(tmp_path / "bank.db") as opened:
        yield opened


def hacked(bank: Bank) -> RewardHackMonitor:
    """A monitor fed one group of a bank task whose passing responses all print a score."""
    task = bank.admit(TaskSpec(prompt="Write f returning 1.", reference="def f():\n    return 1\n",
                               failure_cases=("x",), verifier="def verify(response: str) -> float:\n    return 1.0\n"))
    monitor = RewardHackMonitor(1.0)
    rng = random.Random(0)
    monitor.record_group(task.id, [1.0] * GROUP,
                         [f"def f():\n    return {rng.randrange(10**6)}\nprint('SCORE: 1.0')\n" for _ in range(GROUP)])
    return monitor


def test_a_log_entry_and_its_history_record_the_groups_flagged_so_far(bank, tmp_path):
    callback = MonitorCallback(bank, hacked(bank))
    state = TrainerState(global_step=3, log_history=[{"loss": 0.5, "step": 3}])
    logs = {"loss": 0.5}
    callback.on_log(TrainingArguments(output_dir=str(tmp_path)), state, TrainerControl(), logs=logs)
    assert logs[FLAGGED_GROUPS] == 1.0 and logs[QUARANTINED] == 1.0
    assert state.log_history[-1] == {"loss": 0.5, "step": 3, FLAGGED_GROUPS: 1.0, QUARANTINED: 1.0}


def test_a_log_entry_with_nothing_flagged_says_zero(bank, tmp_path):
    callback = MonitorCallback(bank, RewardHackMonitor(1.0))
    logs = {"loss": 0.5}
    callback.on_log(TrainingArguments(output_dir=str(tmp_path)), TrainerState(), TrainerControl(), logs=logs)
    assert logs[FLAGGED_GROUPS] == 0.0 and logs[QUARANTINED] == 0.0


def test_a_trainer_run_records_the_counts_in_its_log_history(bank, tmp_path):
    import torch
    from transformers import Trainer

    class Tiny(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

        def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
            return {"loss": ((self.w - x) ** 2).mean()}

    args = TrainingArguments(output_dir=str(tmp_path / "out"), max_steps=2, logging_steps=1, report_to="none",
                             use_cpu=True, per_device_train_batch_size=2, save_strategy="no", disable_tqdm=True)
    trainer = Trainer(model=Tiny(), args=args, train_dataset=[{"x": torch.ones(1)} for _ in range(8)],
                      callbacks=[MonitorCallback(bank, hacked(bank))])
    trainer.train()
    entries = [entry for entry in trainer.state.log_history if "loss" in entry]
    assert len(entries) == 2 and all(entry[FLAGGED_GROUPS] == 1.0 for entry in entries)


def test_a_flag_is_logged_on_one_line_with_a_hostile_task_id_written_visibly(bank, caplog):
    """A task id is imported text: ESC or a line feed in it must not reach a terminal or forge a log entry."""
    task = bank.admit(TaskSpec(id="t\x1b[2J\nWARNING fake entry", prompt="Write f returning 1.",
                               reference="def f():\n    return 1\n", failure_cases=("x",),
                               verifier="def verify(response: str) -> float:\n    return 1.0\n"))
    monitor = RewardHackMonitor(1.0)
    rng = random.Random(0)
    monitor.record_group(task.id, [1.0] * GROUP,
                         [f"def f():\n    return {rng.randrange(10**6)}\nprint('SCORE: 1.0')\n" for _ in range(GROUP)])
    with caplog.at_level("WARNING", logger="trainer.monitor_callback"):
        MonitorCallback(bank, monitor).check()
    suspected = [r.getMessage() for r in caplog.records if "suspected" in r.getMessage()]
    assert len(suspected) == 1
    assert "\x1b" not in suspected[0] and "\n" not in suspected[0]
    assert "t\\x1b[2J\\nWARNING fake entry" in suspected[0]
