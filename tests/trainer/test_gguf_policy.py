"""``trainer.grpo`` accepts a .gguf file as the policy: it trains the plain folder converted from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import TaskSpec
from task_bank.errors import ConfigError
from task_bank.store import Bank
from trainer.config import load_config
from trainer.grpo import train

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

ROOT = Path(__file__).resolve().parents[2]
DIGITS = TaskSpec(prompt="Reply with digits only.", reference="0123456789", failure_cases=("~",),
                  verifier="def verify(response: str) -> float:\n"
                           "    return sum(c in '0123456789' for c in response) / max(1, len(response))\n")


def config_for(policy: str, tmp_path: Path):
    bank = tmp_path / "bank.db"
    with Bank.open(bank) as b:
        b.admit(DIGITS)
    return load_config(ROOT / "trainer" / "configs" / "tiny.toml", {
        "policy": policy, "bank": str(bank), "output": str(tmp_path / "out"), "grpo.max_steps": 1, "plot": False})


def test_a_gguf_policy_trains_one_step(tiny_gguf_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("ENVSYNTH_CACHE", str(tmp_path / "cache"))
    summary = train(config_for(str(tiny_gguf_file), tmp_path))
    assert summary.steps == 1 and (tmp_path / "out" / "model.safetensors").is_file()


def test_a_missing_gguf_policy_is_a_config_error_naming_the_field(tmp_path: Path):
    with pytest.raises(ConfigError, match="policy"):
        train(config_for(str(tmp_path / "absent.gguf"), tmp_path))
