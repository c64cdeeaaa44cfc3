"""End to end: a tiny random policy distils 3 OPSD steps on CPU from a bank of real tasks, measured in bwrap.

One run is shared by the module; what each side of the distillation saw is captured through TRL's own callback
event (``on_self_distillation_batch_prepared``), passed in as a callback, not by patching the trainer.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file
from transformers import TrainerCallback

from task_bank import FailureRecord, Provenance, TaskSpec, TaskSplit
from task_bank.store import Bank
from trainer.config_loader import load_config
from trainer.opsd import GAP_FILE, OpsdSummary, main, train
from trainer.opsd_config import OpsdConfig
from trainer.self_teacher import SelfTeacherGap

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
MARK = "Hindsight you did not have"
"""The first words of the shipped privileged-context template."""


DISTANCE, SECOND = (TaskSpec.model_validate_json(line)
                    for line in (ROOT / "examples" / "tasks.jsonl").read_text().splitlines()[:2])
"""Two shipped example tasks (the first converts 17 km plus 250 m to metres)."""
SLIP = FailureRecord(conversation=({"role": "user", "content": "How far is 3 km plus 40 m, in metres?"},),
                     response="43 m", signal={"kind": "correction", "detail": "km are thousands of metres"},
                     expected="3040")


class SeenTokens(TrainerCallback):
    """Decodes the token ids each side of every distillation batch was given."""

    def __init__(self) -> None:
        self.student: list[str] = []
        self.teacher: list[str] = []

    def on_self_distillation_batch_prepared(self, args, state, control, prompt_ids, teacher_input_ids,
                                            processing_class, **kwargs):
        self.student += processing_class.batch_decode(prompt_ids, skip_special_tokens=True)
        self.teacher += processing_class.batch_decode(teacher_input_ids, skip_special_tokens=True)


class Run:
    def __init__(self, config: OpsdConfig, summary: OpsdSummary, policy: Path, seen: SeenTokens) -> None:
        self.config, self.summary, self.policy, self.seen = config, summary, policy, seen


def tiny_config(policy: Path, bank: Path, output: Path, **overrides: object) -> OpsdConfig:
    return load_config(ROOT / "trainer" / "configs" / "opsd-tiny.toml", {
        "policy": str(policy), "bank": str(bank), "output": str(output), "device": "cpu",
        **overrides}, schema=OpsdConfig)


@pytest.fixture(scope="module")
def run(tiny_model_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Run:
    root = tmp_path_factory.mktemp("opsd-run")
    with Bank.open(root / "bank.db") as bank:
        bank.add_failures([SLIP])
        bank.admit(DISTANCE, provenance=Provenance(source_failure_ids=(SLIP.id,)))
        bank.admit(SECOND)
    config = tiny_config(tiny_model_dir, root / "bank.db", root / "out")
    seen = SeenTokens()
    return Run(config, train(config, callbacks=[seen]), tiny_model_dir, seen)


def test_three_steps_change_the_parameters(run):
    before = load_file(run.policy / "model.safetensors")
    after = load_file(run.config.output / "model.safetensors")
    assert run.summary.steps == 3 and run.summary.last_loss is not None
    assert any(not before[name].equal(after[name]) for name in before)


def test_the_teacher_saw_the_privileged_context_and_the_student_did_not(run):
    assert run.seen.student and len(run.seen.student) == len(run.seen.teacher)
    for student, teacher in zip(run.seen.student, run.seen.teacher, strict=True):
        assert MARK not in student and DISTANCE.reference not in student
        assert MARK in teacher
    distance = [t for s, t in zip(run.seen.student, run.seen.teacher, strict=True) if DISTANCE.prompt in s]
    assert distance and all("km are thousands of metres" in t and DISTANCE.reference in t for t in distance)


def test_the_gap_is_measured_before_training_and_stored_as_a_typed_record(run):
    stored = SelfTeacherGap.model_validate_json((run.config.output / GAP_FILE).read_text())
    assert stored == run.summary.gap
    assert stored.tasks == 2 and stored.scored + stored.unscored == 2 * 2 * run.config.measure.samples
    assert stored.gap == round(100 * (stored.teacher_pass_rate - stored.student_pass_rate), 2)


def test_pass_rates_of_the_trained_policy_land_in_the_bank(run):
    with Bank.open(run.config.bank) as bank:
        stats = [s for spec in (DISTANCE, SECOND) for s in bank.stats(spec.id)]
    assert len(stats) == run.summary.stats_written == 2
    assert all(s.policy == str(run.config.output) and s.step == 3 and s.attempts == run.config.measure.samples
               for s in stats)


def test_statistics_name_a_policy_saved_on_disk_even_when_no_checkpoint_is(run, tmp_path):
    bank = tmp_path / "bank.db"
    shutil.copy(run.config.bank, bank)
    config = tiny_config(run.policy, bank, tmp_path / "nosave", **{
        "sdft.max_steps": 1, "sdft.save_strategy": "no", "measure.gap": False, "plot": False})
    assert train(config).stats_written == 2
    assert not list((tmp_path / "nosave").glob("checkpoint-*"))
    with Bank.open(bank) as opened:
        policies = {s.policy for spec in (DISTANCE, SECOND) for s in opened.stats(spec.id) if s.step == 1}
    assert policies and all((Path(policy) / "model.safetensors").is_file() for policy in policies)


def test_the_plot_shows_the_distillation_curves_beside_each_checkpoint(run):
    assert (run.config.output / "checkpoint-2" / "training_curves.png").is_file()
    assert (run.config.output / "training_curves.png").is_file()


def test_resume_continues_from_the_newest_checkpoint(run, tmp_path):
    output = tmp_path / "resumed"
    shutil.copytree(run.config.output / "checkpoint-3", output / "checkpoint-3")
    config = tiny_config(run.policy, run.config.bank, output, resume="auto",
                         **{"sdft.max_steps": 4, "measure.gap": False, "plot": False})
    assert train(config).steps == 4


def test_lora_trains_an_adapter_and_leaves_the_base_weights(run, tmp_path):
    config = tiny_config(run.policy, run.config.bank, tmp_path / "lora",
                         **{"lora.enabled": True, "lora.target_modules": ["q_proj", "v_proj"],
                            "sdft.max_steps": 1, "measure.gap": False, "measure.after": False, "plot": False})
    assert train(config).steps == 1
    assert (tmp_path / "lora" / "adapter_model.safetensors").is_file()
    assert not (tmp_path / "lora" / "model.safetensors").exists()


def test_json_output_is_the_summary_alone_on_stdout(run, tmp_path, capsys):
    code = main(["--policy", str(run.policy), "--bank", str(run.config.bank), "--output", str(tmp_path / "cli"),
                 "--config", str(ROOT / "trainer" / "configs" / "opsd-tiny.toml"), "--max-steps", "1", "--no-gap",
                 "--set", "device=cpu", "--set", "measure.after=false", "--set", "plot=false", "--json"])
    out = capsys.readouterr().out
    assert code == 0
    assert json.loads(out)["steps"] == 1 and len(out.strip().splitlines()) == 1


def test_a_teacher_prompt_the_trainer_would_cut_is_refused_before_training(run, tmp_path):
    from task_bank import ConfigError

    config = tiny_config(run.policy, run.config.bank, tmp_path / "cut", **{"sdft.max_prompt_length": 48})
    with pytest.raises(ConfigError, match=r"teacher prompt is \d+ tokens, over sdft.max_prompt_length = 48"):
        train(config)
    assert not (tmp_path / "cut" / "model.safetensors").exists()


def test_eval_every_logs_heldout_replay_figures_of_the_live_policy(run, tmp_path):
    bank = tmp_path / "bank.db"
    shutil.copy(run.config.bank, bank)
    replay = TaskSpec(prompt=SLIP.conversation, verifier=DISTANCE.verifier.replace("17250", "3040"),
                      reference="3040", failure_cases=(SLIP.response,))
    with Bank.open(bank) as opened:
        opened.admit(replay, provenance=Provenance(source_failure_ids=(SLIP.id,)), split=TaskSplit.HELDOUT)
    config = tiny_config(run.policy, bank, tmp_path / "eval", **{
        "sdft.max_steps": 1, "measure.gap": False, "measure.after": False, "heldout.every": 1, "heldout.k": 1,
        "heldout.max_new_tokens": 4, "heldout.retention": False})
    train(config)
    state = json.loads((tmp_path / "eval" / "checkpoint-1" / "trainer_state.json").read_text())
    assert [e["step"] for e in state["log_history"] if "heldout/replay_pass_at_1" in e] == [0, 1]
