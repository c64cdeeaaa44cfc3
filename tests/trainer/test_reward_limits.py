"""Training scores rewards under exactly the limits validation used (issue 16, second review).

A verifier reads its own limits (``envsynth_sandbox.CALL_WALL_S``, RLIMIT_AS), so a training config with a longer
wall limit than validation's ``Limits()`` let a verifier score honestly in validation and 1.0 in training. The
``[reward]`` limit settings are gone: each is refused with its name, and the reward's limits are ``Limits()``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import ConfigError
from trainer.config import REMOVED_LIMITS, RewardSection, TrainConfig
from trainer.config_loader import load_config
from trainer.opsd_config import OpsdConfig
from verifier import Limits

CONFIGS = Path(__file__).resolve().parents[2] / "trainer" / "configs"
REQUIRED = {"policy": "p", "bank": "b.db", "output": "out"}


@pytest.mark.parametrize("name", REMOVED_LIMITS)
def test_a_reward_limit_setting_is_refused_naming_the_field(tmp_path, name):
    path = tmp_path / "run.toml"
    path.write_text(f"[reward]\nworkers = 1\n{name} = 10\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path, overrides=REQUIRED)
    message = str(caught.value)
    assert f"reward.{name}" in message and "\n" not in message


def test_a_reward_limit_override_is_refused_too():
    with pytest.raises(ConfigError, match=r"reward\.wall_s"):
        load_config(None, overrides={**REQUIRED, "reward.wall_s": 10.0})


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.toml")), ids=lambda p: p.name)
def test_every_shipped_config_loads_and_scores_under_validations_limits(path):
    schema = OpsdConfig if path.name.startswith("opsd") else TrainConfig
    config = load_config(path, overrides=REQUIRED, schema=schema)
    assert config.reward.limits() == Limits()


def test_the_reward_keeps_its_pool_settings():
    reward = RewardSection(workers=3, backend="unsafe-local", pass_threshold=0.5)
    settings = (reward.workers, reward.backend, reward.pass_threshold, reward.limits())
    assert settings == (3, "unsafe-local", 0.5, Limits())
