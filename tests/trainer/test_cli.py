"""``python -m trainer.grpo`` refuses bad settings with one line naming the field and the fix, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from task_bank.store import Bank
from trainer.grpo import build_parser, config_from_args, main
from task_bank.exit_codes import EXIT_BANK

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def empty_bank(tmp_path: Path) -> Path:
    Bank.open(tmp_path / "bank.db").close()
    return tmp_path / "bank.db"


def run_main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().err


def test_flags_and_set_overrides_reach_the_config():
    args = build_parser().parse_args(["--policy", "p", "--bank", "b.db", "--output", "o", "--config",
                                      str(ROOT / "trainer" / "configs" / "tiny.toml"), "--max-steps", "9", "--lora",
                                      "--set", "sampling.floor=0.2", "--set", "grpo.max_steps=11"])
    config = config_from_args(args)
    assert (config.grpo.max_steps, config.lora.enabled, config.sampling.floor) == (11, True, 0.2)


def test_a_misspelt_override_names_the_field_and_the_fix(capsys, empty_bank, tmp_path):
    code, err = run_main(capsys, "--policy", "p", "--bank", str(empty_bank), "--output", str(tmp_path / "o"),
                         "--set", "grpo.num_generation=4")
    assert code == 2
    assert "config field 'grpo.num_generation'" in err and "did you mean 'grpo.num_generations'" in err


def test_a_missing_bank_is_named(capsys, tmp_path):
    code, err = run_main(capsys, "--policy", "p", "--bank", str(tmp_path / "nope.db"), "--output", str(tmp_path))
    assert code == 2 and "nope.db not found" in err and "(field 'bank')" in err


def test_a_bank_without_admitted_tasks_says_how_to_fill_it(capsys, empty_bank, tmp_path):
    code, err = run_main(capsys, "--policy", "p", "--bank", str(empty_bank), "--output", str(tmp_path / "o"),
                         "--set", "grpo.device=cpu")
    assert code == EXIT_BANK and "no admitted tasks" in err


def test_resume_without_a_checkpoint_says_what_to_do(capsys, empty_bank, tmp_path):
    code, err = run_main(capsys, "--policy", "p", "--bank", str(empty_bank), "--output", str(tmp_path / "o"),
                         "--resume")
    assert code == 2 and "no checkpoint-N directory" in err and "drop --resume" in err


def test_vllm_on_a_machine_without_it_is_refused_with_the_fix(capsys, empty_bank, tmp_path):
    code, err = run_main(capsys, "--policy", "p", "--bank", str(empty_bank), "--output", str(tmp_path / "o"),
                         "--vllm", "colocate", "--set", "grpo.device=cpu")
    assert code == 2 and "vllm.enabled" in err and "pip install" in err


@pytest.mark.slow
def test_the_command_prints_no_traceback_on_a_bad_value(empty_bank, tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "trainer.grpo", "--policy", "p", "--bank", str(empty_bank), "--output",
         str(tmp_path / "o"), "--set", "sampling.floor=-1"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "config field 'sampling.floor'" in result.stderr and "Traceback" not in result.stderr


def test_an_unwritable_output_is_blamed_on_output_not_the_policy(capsys, empty_bank, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    code, err = run_main(capsys, "--policy", "p", "--bank", str(empty_bank), "--output", str(blocker / "out"))
    assert code == 2 and "(field 'output')" in err and "policy" not in err


def test_sandbox_names_the_verifier_pool_backend_and_backend_stays_an_alias():
    for flag in ("--sandbox", "--backend"):
        args = build_parser().parse_args(["--policy", "p", "--output", "o", flag, "docker"])
        assert config_from_args(args).reward.backend == "docker"


def test_help_shows_policy_and_output_as_required():
    usage = build_parser().format_usage()
    assert "--policy PATH_OR_ID --output DIR" in usage and "[--policy" not in usage
