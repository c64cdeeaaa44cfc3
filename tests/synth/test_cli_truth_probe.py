"""synth.probe tells the truth about its bank and its flags: a missing bank is refused, a bank with nothing to probe
says so, ``--k`` is ``-k``, and k = 1 shows its pass@1 column once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.probe import build_parser, main
from task_bank.exit_codes import EXIT_BACKEND, EXIT_BANK, EXIT_USAGE
from task_bank.spec import TaskSpec
from task_bank.store import Bank

ROOT = Path(__file__).resolve().parents[2]
TASK = TaskSpec.model_validate_json((ROOT / "examples" / "tasks.jsonl").read_text().splitlines()[0])
"""A shipped example task, admitted where a test needs one."""


def _probe(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["--sandbox", "unsafe-local", "--sandbox-workers", "1", *args])
    out, err = capsys.readouterr()
    return code, out, err


def _bank_with_the_task(path: Path) -> Path:
    with Bank.open(path) as bank:
        bank.admit(TASK)
    return path


def test_a_missing_bank_is_refused_with_exit_2_and_is_not_created(capsys, tmp_path):
    missing = tmp_path / "no" / "such.db"
    code, out, err = _probe(capsys, "--policy", "p", "--bank", str(missing), "-k", "1")
    assert code == EXIT_USAGE and out == ""
    assert err.count("\n") == 1 and err.startswith("error: ") and f"{missing}: no bank file here" in err
    assert not missing.exists() and not missing.parent.exists()


def test_a_bank_without_admitted_tasks_says_so_in_one_line_with_exit_5(capsys, tmp_path):
    empty = tmp_path / "empty.db"
    Bank.open(empty).close()
    code, out, err = _probe(capsys, "--policy", "p", "--bank", str(empty), "--backend", "replay", "--drafts",
                            str(tmp_path / "never-read.jsonl"))
    assert code == EXIT_BANK and out == ""
    assert err.count("\n") == 1 and "no admitted training task to probe" in err and "synth.generate" in err


def test_the_sample_count_is_accepted_as_k_and_as_double_dash_k():
    parser = build_parser()
    assert parser.parse_args(["--policy", "p", "--k", "2"]).k == parser.parse_args(["--policy", "p", "-k", "2"]).k == 2


def test_k_of_one_shows_the_pass_at_1_column_once(capsys, tmp_path):
    drafts = tmp_path / "policy.jsonl"
    drafts.write_text(json.dumps({"key": f"{TASK.id}/s0", "text": TASK.reference}) + "\n")
    code, out, err = _probe(capsys, "--policy", "p", "--bank", str(_bank_with_the_task(tmp_path / "bank.db")),
                            "--backend", "replay", "--drafts", str(drafts), "--k", "1")
    assert code == 0, err
    header = next(line for line in out.splitlines() if "pass rate" in line)
    assert header.count("pass@1") == 1 and "pass@" not in header.replace("pass@1", "")


def test_a_policy_path_that_does_not_exist_is_named_as_the_policy_and_as_missing(capsys, tmp_path):
    missing = tmp_path / "no-such-model"
    code, out, err = _probe(capsys, "--policy", str(missing), "--bank", str(_bank_with_the_task(tmp_path / "b.db")),
                            "-k", "1")
    assert code == EXIT_BACKEND and out == "" and err.count("\n") == 1
    assert f"cannot load policy '{missing}': {missing} does not exist" in err and "Repo id" not in err
