"""GRPO through TRL's environment_factory on the shipped example environments updates a tiny model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from safetensors.torch import load_file
from transformers import AutoTokenizer

from trainer.config_loader import load_config
from trainer.env_grpo import read_environments, train_environments
from trainer.tiny_model import tool_template

from .conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow


def tool_capable(model_dir: Path, into: Path) -> Path:
    """A copy of the tiny model whose tokenizer renders tool calls with TRL's Qwen2.5 chat template."""
    shutil.copytree(model_dir, into)
    tokenizer = AutoTokenizer.from_pretrained(into)
    tokenizer.chat_template = tool_template()
    tokenizer.save_pretrained(into)
    return into


def test_grpo_on_the_example_environments_changes_the_parameters(tiny_model_dir, tmp_path):
    policy = tool_capable(tiny_model_dir, tmp_path / "policy")
    config = load_config(ROOT / "trainer" / "configs" / "tiny.toml", {
        "policy": str(policy), "bank": str(tmp_path / "unused.db"), "output": str(tmp_path / "out"),
        "plot": False, "reward.workers": 1, "grpo.max_steps": 2})
    before = load_file(policy / "model.safetensors")
    specs = read_environments(EXAMPLES)
    summary = train_environments(config, specs[-1:] + specs[:-1])  # the partial-credit family in the first step
    after = load_file(tmp_path / "out" / "model.safetensors")
    assert summary.steps == 2 and summary.last_reward is not None
    assert any(not before[name].equal(after[name]) for name in before)


def test_grpo_on_environments_logs_the_reward_hack_monitors_counts_in_every_logged_step(tiny_model_dir, tmp_path):
    from transformers import TrainerCallback

    from trainer.monitor_callback import FLAGGED_GROUPS, QUARANTINED

    history: list[dict] = []

    class KeepHistory(TrainerCallback):
        def on_train_end(self, args, state, control, **kwargs):
            history.extend(state.log_history)

    policy = tool_capable(tiny_model_dir, tmp_path / "policy")
    config = load_config(ROOT / "trainer" / "configs" / "tiny.toml", {
        "policy": str(policy), "bank": str(tmp_path / "unused.db"), "output": str(tmp_path / "out"),
        "plot": False, "reward.workers": 1, "grpo.max_steps": 2})
    summary = train_environments(config, read_environments(EXAMPLES), callbacks=[KeepHistory()])
    logged = [entry for entry in history if "reward" in entry]
    assert len(logged) == 2 and all(FLAGGED_GROUPS in entry and QUARANTINED in entry for entry in logged)
    assert logged[-1][FLAGGED_GROUPS] == summary.flagged_groups
    assert logged[-1][QUARANTINED] == len(summary.quarantined)


@pytest.mark.parametrize("content, message", [(None, "cannot read the file"),
                                              ('{"kind": "environment", "prompt": "p"}\n', ":1:")])
def test_trainer_grpo_environments_refuses_a_bad_file_in_one_line(tmp_path, content, message):
    import subprocess
    import sys

    path = tmp_path / "envs.jsonl"
    if content is not None:
        path.write_text(content)
    done = subprocess.run([sys.executable, "-m", "trainer.grpo", "--environments", str(path), "--policy", "x",
                           "--output", str(tmp_path / "out")], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 2 and message in done.stderr and "Traceback" not in done.stderr
