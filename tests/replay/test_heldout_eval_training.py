"""``trainer.grpo --eval-every N``: held-out replay pass rate and retention logged and plotted beside the reward."""

from __future__ import annotations

from pathlib import Path

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from task_bank import TaskSpec
from task_bank.exit_codes import EXIT_BANK, EXIT_SANDBOX
from task_bank.provenance import Provenance
from task_bank.records import TaskSplit
from task_bank.store import Bank
from trainer.config import HeldoutSection
from trainer.config_loader import load_config
from trainer.grpo import build_parser, config_from_args, train
from trainer.heldout_eval import (HELDOUT_CURVES, HeldoutEvalCallback, ReplayFailed, ReplayFigures,
                                  RetentionFigure)
from trainer.plots import CURVES, curves

ROOT = Path(__file__).resolve().parents[2]


class Saveable:
    """Stands in for the model and the tokenizer the trainer hands its callbacks: both only get saved."""

    def save_pretrained(self, folder: Path) -> None:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / "config.json").write_text("{}")


class RecordingRunner:
    """A ``synth.replay`` stand-in: records the arguments, answers with fixed figures or fails with ``code``."""

    def __init__(self, code: int | None = None) -> None:
        self.calls: list[list[str]] = []
        self.code = code

    def __call__(self, arguments):
        self.calls.append(list(arguments))
        if self.code is not None:
            raise ReplayFailed(self.code, "error: bank: no held-out replay tasks")
        return ReplayFigures(policy=arguments[1], k=2, total=4, fixed=len(self.calls) - 1,
                             pass_at_1=0.1 * len(self.calls), retention=RetentionFigure(pass_rate=0.5, total=3))


def _drive(callback: HeldoutEvalCallback, steps: int) -> TrainerState:
    state, args, control = TrainerState(), TrainingArguments(output_dir="unused", report_to="none"), TrainerControl()
    kwargs = {"model": Saveable(), "processing_class": Saveable()}
    callback.on_train_begin(args, state, control, **kwargs)
    for step in range(1, steps + 1):
        state.global_step = step
        callback.on_step_end(args, state, control, **kwargs)
    return state


def test_the_base_policy_and_every_nth_step_are_evaluated_and_logged(tmp_path):
    runner = RecordingRunner()
    callback = HeldoutEvalCallback(tmp_path / "bank.db", HeldoutSection(every=2, k=2), "bwrap", tmp_path / "s",
                                   runner=runner)
    state = _drive(callback, steps=5)
    logged = [e for e in state.log_history if "heldout/replay_pass_at_1" in e]
    assert [e["step"] for e in logged] == [0, 2, 4]
    assert logged[1]["heldout/replay_fixed_share"] == 0.25 and logged[1]["heldout/retention"] == 0.5
    assert runner.calls[0][runner.calls[0].index("--k") + 1] == "2"
    assert runner.calls[0][runner.calls[0].index("--bank") + 1] == str(tmp_path / "bank.db")


def test_the_saved_policy_folder_is_removed_after_each_evaluation(tmp_path):
    callback = HeldoutEvalCallback(tmp_path / "b.db", HeldoutSection(every=1), "bwrap", tmp_path / "s",
                                   runner=RecordingRunner())
    _drive(callback, steps=2)
    assert not any((tmp_path / "s").glob("step-*"))


def test_a_bank_without_replay_tasks_stops_further_evaluations_without_stopping_training(tmp_path):
    runner = RecordingRunner(code=EXIT_BANK)
    callback = HeldoutEvalCallback(tmp_path / "b.db", HeldoutSection(every=1), "bwrap", tmp_path / "s",
                                   runner=runner)
    state = _drive(callback, steps=3)
    assert len(runner.calls) == 1 and not any("heldout/replay_pass_at_1" in e for e in state.log_history)


def test_another_failure_is_retried_at_the_next_evaluation(tmp_path):
    runner = RecordingRunner(code=EXIT_SANDBOX)
    callback = HeldoutEvalCallback(tmp_path / "b.db", HeldoutSection(every=1), "bwrap", tmp_path / "s",
                                   runner=runner)
    _drive(callback, steps=2)
    assert len(runner.calls) == 3


def test_the_plot_draws_heldout_pass_rate_and_retention_beside_the_reward():
    history = [{"step": 1, "reward": 0.2}, {"step": 1, "heldout/replay_pass_at_1": 0.3, "heldout/retention": 0.8}]
    found = curves(history, (*CURVES, *HELDOUT_CURVES))
    assert found["reward"] == ([1], [0.2])
    assert found["heldout/replay_pass_at_1"] == ([1], [0.3]) and found["heldout/retention"] == ([1], [0.8])


def test_eval_every_sets_the_heldout_section(tmp_path):
    args = build_parser().parse_args(["--policy", "p", "--bank", str(tmp_path / "b.db"), "--output", "o",
                                      "--eval-every", "3"])
    assert config_from_args(args).heldout.every == 3


@pytest.mark.slow
def test_a_grpo_run_with_eval_every_logs_heldout_figures_from_synth_replay(tiny_model_dir, make_task, tmp_path):
    bank_path = tmp_path / "bank.db"
    with Bank.open(bank_path) as bank:
        bank.admit(TaskSpec(prompt="Reply with digits only.", reference="0123", failure_cases=("~",),
                            verifier="def verify(response: str) -> float:\n"
                                     "    return sum(c.isdigit() for c in response) / max(1, len(response))\n"))
        for n in range(2):
            bank.admit(make_task(n), split=TaskSplit.HELDOUT,
                       provenance=Provenance(source_failure_ids=(f"f_{n}",), failure_group="g"))
    config = load_config(ROOT / "trainer" / "configs" / "tiny.toml", {
        "policy": str(tiny_model_dir), "bank": str(bank_path), "output": str(tmp_path / "out"),
        "grpo.max_steps": 2, "heldout.every": 2, "heldout.k": 1, "heldout.max_new_tokens": 4,
        "heldout.retention": False})
    summary = train(config)
    assert summary.steps == 2
    with Bank.open(bank_path) as bank:
        evaluations = bank.replay_evals()
    assert len(evaluations) == 2  # before training, and at step 2
    assert all(e.total == 2 for e in evaluations)
    assert (tmp_path / "out" / "training_curves.png").is_file()
