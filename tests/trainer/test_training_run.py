"""End to end: a tiny random policy trains 3 GRPO steps on CPU against a bank of real tasks, scored in bwrap.

One run is shared by the module (about 10 s); resume adds one more step on a copy of its checkpoint.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from safetensors.torch import load_file
from transformers import TrainerCallback

from task_bank import TaskSpec, TrainingStat
from task_bank.store import Bank
from trainer.config import TrainConfig
from trainer.config_loader import load_config
from trainer.grpo import TrainSummary, train

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

ROOT = Path(__file__).resolve().parents[2]


def share_task(prompt: str, alphabet: str) -> TaskSpec:
    """A task with partial credit: the share of the response's characters drawn from ``alphabet``."""
    verifier = (f"def verify(response: str) -> float:\n"
                f"    return sum(c in {alphabet!r} for c in response) / max(1, len(response))\n")
    return TaskSpec(prompt=prompt, verifier=verifier, reference=alphabet, failure_cases=("~",))


DIGITS = share_task("Reply with digits only.", "0123456789")
VOWELS = share_task("Reply with vowels only.", "aeiou")
LATE = share_task("Reply with brackets only.", "()[]{}<>")
EXAMPLE = TaskSpec.model_validate_json((ROOT / "examples" / "tasks.jsonl").read_text().splitlines()[0])


class AdmitAfterFirstStep(TrainerCallback):
    """Grows the bank while training runs, as ``synth.grow`` would: through its own connection."""

    def __init__(self, bank_path: Path, spec: TaskSpec) -> None:
        self.bank_path = bank_path
        self.spec = spec

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == 1:
            with Bank.open(self.bank_path) as bank:
                bank.admit(self.spec)


class Run:
    def __init__(self, config: TrainConfig, summary: TrainSummary, policy: Path) -> None:
        self.config = config
        self.summary = summary
        self.policy = policy


def tiny_config(policy: Path, bank: Path, output: Path, **overrides: object) -> TrainConfig:
    return load_config(ROOT / "trainer" / "configs" / "tiny.toml", {
        "policy": str(policy), "bank": str(bank), "output": str(output), "reward.pass_threshold": 0.2,
        "sampling.refresh_every": 1, "sampling.floor": 0.001, **overrides})


@pytest.fixture(scope="module")
def run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("grpo-run")
    bank_path = root / "bank.db"
    with Bank.open(bank_path) as bank:
        for spec in (DIGITS, VOWELS, EXAMPLE):
            bank.admit(spec)
        bank.add_stats(TrainingStat(task_id=spec.id, policy="probe", source="probe", attempts=8, mean_score=0.0,
                                    pass_rate=0.0) for spec in (DIGITS, VOWELS, EXAMPLE))
    config = tiny_config(tiny_model_dir, bank_path, root / "out")
    summary = train(config, callbacks=[AdmitAfterFirstStep(bank_path, LATE)])
    return Run(config, summary, tiny_model_dir)


def train_stats(run: Run) -> list[TrainingStat]:
    with Bank.open(run.config.bank) as bank:
        return [s for spec in (DIGITS, VOWELS, EXAMPLE, LATE) for s in bank.stats(spec.id) if s.source == "train"]


def test_three_steps_change_the_parameters(run):
    before = load_file(run.policy / "model.safetensors")
    after = load_file(run.config.output / "model.safetensors")
    assert run.summary.steps == 3
    assert any(not before[name].equal(after[name]) for name in before)


def test_every_completion_is_scored_by_the_sandboxed_verifiers(run):
    state = json.loads((run.config.output / "checkpoint-3" / "trainer_state.json").read_text())
    logged = [entry for entry in state["log_history"] if "verifier/scored" in entry]
    assert [entry["verifier/scored"] for entry in logged] == [8.0, 8.0, 8.0]
    assert all(entry["verifier/error"] == 0 for entry in logged)
    assert any(entry["reward"] > 0 for entry in logged)


def test_statistics_land_in_the_bank_only_for_checkpoints_that_were_saved(run):
    stats = train_stats(run)
    assert stats and run.summary.stats_written == len(stats)
    assert {s.step for s in stats} == {2, 3}  # save_steps = 2: checkpoint-2, then the last step's checkpoint-3
    assert all(s.attempts % 4 == 0 and s.policy.endswith(f"checkpoint-{s.step}") for s in stats)
    assert all(Path(s.policy).is_dir() for s in stats)


def test_groups_are_counted_and_equal_ones_match_trls_zero_std_fraction(run):
    state = json.loads((run.config.output / "checkpoint-3" / "trainer_state.json").read_text())
    logged = [entry for entry in state["log_history"] if "frac_reward_zero_std" in entry]
    groups_per_step = run.summary.groups // run.summary.steps
    assert run.summary.groups == 6 and len(logged) == 3
    assert run.summary.equal_groups == round(sum(e["frac_reward_zero_std"] * groups_per_step for e in logged))


def test_a_task_admitted_mid_run_is_sampled(run):
    late = [s for s in train_stats(run) if s.task_id == LATE.id]
    assert late and min(s.step for s in late) >= 2


def own_bank(run: Run, tmp_path: Path) -> Path:
    """A copy of the shared run's bank, so a test that trains again never changes what the others read."""
    copy = tmp_path / "bank.db"
    with Bank.open(run.config.bank) as bank:
        bank.checkpoint()
    shutil.copyfile(run.config.bank, copy)
    return copy


def test_json_output_is_the_summary_alone_with_trls_logs_on_stderr(run, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "trainer.grpo", "--policy", str(run.policy), "--bank", str(own_bank(run, tmp_path)),
         "--output", str(tmp_path / "json"), "--config", str(ROOT / "trainer" / "configs" / "tiny.toml"),
         "--max-steps", "1", "--set", "plot=false", "--set", "reward.pass_threshold=0.2", "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["steps"] == 1 and "loss" in result.stderr


def test_the_training_plot_is_written_beside_each_checkpoint(run):
    assert (run.config.output / "checkpoint-2" / "training_curves.png").is_file()
    assert (run.config.output / "training_curves.png").is_file()


def test_resume_continues_from_the_newest_checkpoint(run, tmp_path):
    output = tmp_path / "resumed"
    shutil.copytree(run.config.output / "checkpoint-3", output / "checkpoint-3")
    config = tiny_config(run.policy, own_bank(run, tmp_path), output, resume="auto", **{"grpo.max_steps": 4})
    summary = train(config)
    assert summary.steps == 4
    with Bank.open(config.bank) as bank:
        steps = {s.step for spec in (DIGITS, VOWELS, EXAMPLE, LATE) for s in bank.stats(spec.id)
                 if s.policy.startswith(str(output))}
    assert steps == {4}


def test_lora_trains_an_adapter_and_leaves_the_base_weights(run, tmp_path):
    config = tiny_config(run.policy, own_bank(run, tmp_path), tmp_path / "lora", **{"lora.enabled": True,
                                                                            "lora.target_modules": ["q_proj", "v_proj"],
                                                                            "grpo.max_steps": 1, "plot": False})
    assert train(config).steps == 1
    assert (tmp_path / "lora" / "adapter_model.safetensors").is_file()
    assert not (tmp_path / "lora" / "model.safetensors").exists()


def test_an_unloadable_policy_is_a_config_error_naming_the_field(run, tmp_path):
    from task_bank import ConfigError

    config = tiny_config(tmp_path / "no-such-model", own_bank(run, tmp_path), tmp_path / "out")
    with pytest.raises(ConfigError, match=r"cannot load policy .*\(field 'policy'\)"):
        train(config)


def test_a_sandbox_outage_during_training_teaches_nothing_and_writes_no_stats(run, tmp_path, collapsing_registry):
    config = tiny_config(run.policy, own_bank(run, tmp_path), tmp_path / "outage",
                         **{"grpo.max_steps": 1, "plot": False, "reward.backend": "collapsing", "reward.workers": 1})
    summary = train(config, registry=collapsing_registry)
    state = json.loads((tmp_path / "outage" / "checkpoint-1" / "trainer_state.json").read_text())
    assert summary.steps == 1 and summary.stats_written == 0
    assert state["log_history"][0]["verifier/error"] == 8.0
    before = load_file(run.policy / "model.safetensors")
    after = load_file(tmp_path / "outage" / "model.safetensors")
    assert all(before[name].equal(after[name]) for name in before)
