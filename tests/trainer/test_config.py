"""TrainConfig: every setting from a file, overridable from the command line; errors name the field and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import ConfigError
from trainer.config_loader import load_config, parse_override

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"policy": "tiny", "bank": "bank.db", "output": "out"}


def test_example_config_loads_with_every_section():
    config = load_config(ROOT / "trainer" / "configs" / "tiny.toml", REQUIRED)
    assert config.grpo.max_steps == 3
    assert config.reward.backend == "bwrap"
    assert config.lora.target_modules == ("q_proj", "k_proj", "v_proj", "o_proj")


def test_yaml_and_toml_give_the_same_config(tmp_path):
    (tmp_path / "c.toml").write_text("[grpo]\nmax_steps = 7\n[sampling]\nfloor = 0.2\n")
    (tmp_path / "c.yaml").write_text("grpo:\n  max_steps: 7\nsampling:\n  floor: 0.2\n")
    assert load_config(tmp_path / "c.toml", REQUIRED) == load_config(tmp_path / "c.yaml", REQUIRED)


def test_overrides_beat_the_file(tmp_path):
    (tmp_path / "c.toml").write_text("[grpo]\nmax_steps = 7\n")
    config = load_config(tmp_path / "c.toml", {**REQUIRED, "grpo.max_steps": 2})
    assert config.grpo.max_steps == 2


def test_override_values_parse_as_toml_literals_else_strings():
    assert parse_override("grpo.learning_rate=1e-5") == ("grpo.learning_rate", 1e-5)
    assert parse_override("lora.enabled=true") == ("lora.enabled", True)
    assert parse_override("reward.backend=unsafe-local") == ("reward.backend", "unsafe-local")


def test_config_is_frozen():
    config = load_config(None, REQUIRED)
    with pytest.raises(ValueError):
        config.grpo.max_steps = 5


def test_misspelt_field_names_the_field_and_suggests_the_right_one():
    with pytest.raises(ConfigError, match=r"'grpo.max_step'.*did you mean 'grpo.max_steps'"):
        load_config(None, {**REQUIRED, "grpo.max_step": 3})


def test_out_of_range_value_names_the_field_and_how_to_fix_it():
    with pytest.raises(ConfigError) as caught:
        load_config(None, {**REQUIRED, "sampling.floor": 0})
    message = str(caught.value)
    assert "'sampling.floor'" in message and "greater than 0" in message
    assert "--set sampling.floor=VALUE" in message


def test_missing_policy_says_which_flag_to_pass():
    with pytest.raises(ConfigError, match=r"'policy'.*pass --policy"):
        load_config(None, {"bank": "b", "output": "o"})


def test_group_size_that_splits_a_batch_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match=r"grpo.num_generations = 3.*multiple of 3"):
        load_config(None, {**REQUIRED, "grpo.num_generations": 3})


def test_bad_file_names_the_file(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("[grpo\n")
    with pytest.raises(ConfigError, match="c.toml: cannot parse config"):
        load_config(bad, REQUIRED)


def test_unknown_extension_is_refused(tmp_path):
    (tmp_path / "c.ini").write_text("x")
    with pytest.raises(ConfigError, match=r"\*.toml, \*.yaml"):
        load_config(tmp_path / "c.ini", REQUIRED)
