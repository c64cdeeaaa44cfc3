"""``python -m trainer.opsd`` refuses bad input with one ``error:`` line and the shared exit code, never a traceback,
and before any model is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import Message, TaskSpec, TaskSplit
from task_bank.exit_codes import EXIT_BANK, EXIT_USAGE
from task_bank.store import Bank
from trainer.opsd import main

VERIFIER = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '97' else 0.0\n"
PREFILL = TaskSpec(prompt=(Message(role="user", content="Name the largest prime below one hundred."),
                           Message(role="assistant", content="It is")),
                   verifier=VERIFIER, reference="97", failure_cases=("91",))
PLAIN = TaskSpec(prompt="Name the largest prime below one hundred.", verifier=VERIFIER, reference="97",
                 failure_cases=("91",))


def run(capsys: pytest.CaptureFixture[str], bank: Path, tmp_path: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["--policy", str(tmp_path / "no-model"), "--bank", str(bank), "--output", str(tmp_path / "out"),
                 "--set", "device=cpu", *extra])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def bank_with(tmp_path: Path, spec: TaskSpec, split: TaskSplit = TaskSplit.TRAIN) -> Path:
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.admit(spec, split=split)
    return tmp_path / "bank.db"


def one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(lines) == 1 and "Traceback" not in err
    return lines[0]


def test_a_missing_bank_is_named_with_exit_2(capsys, tmp_path):
    code, out, err = run(capsys, tmp_path / "nope.db", tmp_path)
    assert code == EXIT_USAGE and out == ""
    assert "nope.db not found" in one_error_line(err)


def test_a_bank_with_only_heldout_tasks_has_nothing_to_distil_with_the_bank_exit_code(capsys, tmp_path):
    code, _, err = run(capsys, bank_with(tmp_path, PLAIN, TaskSplit.HELDOUT), tmp_path)
    assert code == EXIT_BANK and "no practice tasks to distil from" in one_error_line(err)


def test_a_chat_prompt_not_ending_with_a_user_turn_is_one_line_naming_the_task(capsys, tmp_path):
    code, _, err = run(capsys, bank_with(tmp_path, PREFILL), tmp_path)
    line = one_error_line(err)
    assert code == EXIT_USAGE
    assert f"task {PREFILL.id}" in line and "ends with a 'assistant' turn" in line


def test_an_unknown_sdft_field_is_one_line_with_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, bank_with(tmp_path, PLAIN), tmp_path, "--set", "sdft.teacher_kind=base")
    assert code == EXIT_USAGE and "did you mean 'sdft.teacher_model_kind'" in one_error_line(err)


def test_an_unloadable_policy_names_the_field(capsys, tmp_path):
    code, _, err = run(capsys, bank_with(tmp_path, PLAIN), tmp_path, "--no-gap")
    line = one_error_line(err)
    assert code == EXIT_USAGE and "cannot load policy" in line and "(field 'policy')" in line


def test_resume_without_a_checkpoint_says_what_to_do(capsys, tmp_path):
    code, _, err = run(capsys, bank_with(tmp_path, PLAIN), tmp_path, "--resume")
    assert code == EXIT_USAGE and "drop --resume" in one_error_line(err)


def test_a_gguf_policy_that_does_not_exist_is_named_like_grpos(capsys, tmp_path):
    code = main(["--policy", str(tmp_path / "absent.gguf"), "--bank", str(bank_with(tmp_path, PLAIN)),
                 "--output", str(tmp_path / "out")])
    line = one_error_line(capsys.readouterr().err)
    assert code == EXIT_USAGE and "GGUF file not found" in line and "policy" in line
