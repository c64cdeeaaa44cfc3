"""``trainer.grpo`` accepts a .gguf file as the policy (it trains the plain folder converted from it), applies the
configured torch thread count, and ``trainer/configs/small.toml`` is a valid, gentle config for real weights."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import TaskSpec
from task_bank.errors import ConfigError
from task_bank.store import Bank
from trainer.config_loader import load_config
from trainer.grpo import TrainSummary, train

ROOT = Path(__file__).resolve().parents[2]
DIGITS = TaskSpec(prompt="Reply with digits only.", reference="0123456789", failure_cases=("~",),
                  verifier="def verify(response: str) -> float:\n"
                           "    return sum(c in '0123456789' for c in response) / max(1, len(response))\n")


def config_for(policy: str, tmp_path: Path, **overrides: object):
    bank = tmp_path / "bank.db"
    with Bank.open(bank) as b:
        b.admit(DIGITS)
    return load_config(ROOT / "trainer" / "configs" / "tiny.toml", {
        "policy": policy, "bank": str(bank), "output": str(tmp_path / "out"), "grpo.max_steps": 1, "plot": False,
        **overrides})


@pytest.fixture(scope="module")
def gguf_run(tiny_gguf_file: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[TrainSummary, int, Path]:
    import torch

    root = tmp_path_factory.mktemp("gguf-run")
    torch.set_num_threads(2)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ENVSYNTH_CACHE", str(root / "cache"))
        summary = train(config_for(str(tiny_gguf_file), root, **{"model.threads": 1}))
    return summary, torch.get_num_threads(), root


@pytest.mark.slow
def test_a_gguf_policy_trains_one_step(gguf_run):
    summary, _, root = gguf_run
    assert summary.steps == 1 and (root / "out" / "model.safetensors").is_file()


@pytest.mark.slow
def test_model_threads_sets_torchs_thread_count(gguf_run):
    assert gguf_run[1] == 1


def test_a_missing_gguf_policy_is_a_config_error_naming_the_field(tmp_path: Path):
    with pytest.raises(ConfigError, match="policy"):
        train(config_for(str(tmp_path / "absent.gguf"), tmp_path))


def test_the_small_config_is_valid_and_gentle_for_real_weights(tmp_path: Path):
    config = load_config(ROOT / "trainer" / "configs" / "small.toml",
                         {"policy": "smollm2-135m", "bank": str(tmp_path / "b.db"), "output": str(tmp_path / "o")})
    g = config.grpo
    assert (g.learning_rate, g.max_completion_length, g.num_generations, config.model.threads) == (1e-5, 64, 16, 1)
