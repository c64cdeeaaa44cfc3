"""OPSD settings: the [sdft] section reaches TRL's SDFTConfig as it stands; what TRL or envsynth refuses is one
ConfigError naming the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import ConfigError
from trainer.opsd import build_parser, config_from_args
from trainer.opsd_config import OpsdConfig, sdft_arguments
from trainer.config_loader import load_config

ROOT = Path(__file__).resolve().parents[2]
REQUIRED = {"policy": "tiny", "bank": "bank.db", "output": "out", "device": "cpu"}


def opsd(**overrides: object) -> OpsdConfig:
    return load_config(None, {**REQUIRED, **overrides}, schema=OpsdConfig)


def test_the_shipped_config_loads_and_trl_accepts_its_sdft_section():
    config = load_config(ROOT / "trainer" / "configs" / "opsd-tiny.toml", REQUIRED, schema=OpsdConfig)
    args = sdft_arguments(config)
    assert (args.max_steps, args.num_generations, args.distillation_alpha) == (3, 2, 0.5)


def test_loss_settings_pass_straight_through_to_sdft_config():
    args = sdft_arguments(opsd(**{"sdft.distillation_alpha": 1.0, "sdft.distillation_mode": "sampled_token",
                                  "sdft.num_loss_tokens_to_skip": 2}))
    assert (args.distillation_alpha, args.distillation_mode, args.num_loss_tokens_to_skip) == (1.0, "sampled_token", 2)


def test_the_teacher_is_the_base_policy_by_default():
    assert sdft_arguments(opsd()).teacher_model_kind == "base"


def test_the_output_and_device_come_from_envsynth_settings(tmp_path):
    args = sdft_arguments(opsd(output=str(tmp_path / "run")))
    assert args.output_dir == str(tmp_path / "run") and args.use_cpu and args.report_to == []


def test_an_unknown_sdft_field_suggests_the_right_one():
    with pytest.raises(ConfigError, match=r"no field 'distillation_alfa'; did you mean 'sdft.distillation_alpha'"):
        sdft_arguments(opsd(**{"sdft.distillation_alfa": 1.0}))


def test_a_field_envsynth_sets_names_the_setting_to_use():
    with pytest.raises(ConfigError, match=r"envsynth sets sdft.output_dir itself; set 'output' instead"):
        sdft_arguments(opsd(**{"sdft.output_dir": "elsewhere"}))


def test_a_combination_trl_refuses_is_a_config_error_with_trls_reason():
    with pytest.raises(ConfigError, match=r"TRL refused the SDFT settings: .*requires `distillation_alpha=1.0`"):
        sdft_arguments(opsd(**{"sdft.distillation_mode": "sampled_token", "sdft.distillation_alpha": 0.5}))


def test_a_misspelt_envsynth_field_is_named_like_grpos():
    with pytest.raises(ConfigError, match=r"'measure.sample'.*did you mean 'measure.samples'"):
        opsd(**{"measure.sample": 3})


def test_flags_and_set_overrides_reach_the_config():
    args = build_parser().parse_args(["--policy", "p", "--bank", "b.db", "--output", "o", "--max-steps", "9",
                                      "--alpha", "1", "--teacher", "ema", "--lora", "--no-gap", "--prompts", "both",
                                      "--eval-every", "5",
                                      "--set", "sdft.max_steps=11", "--set", "measure.samples=3"])
    config = config_from_args(args)
    assert config.sdft == {"max_steps": 11, "distillation_alpha": 1.0, "teacher_model_kind": "ema"}
    assert (config.lora.enabled, config.measure.gap, config.measure.samples, config.data.prompts.value,
            config.heldout.every) == (True, False, 3, "both", 5)
