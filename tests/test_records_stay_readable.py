"""What a task or failure file holds either becomes a record the bank can write and read back, or is that line's
error, written visibly (red-team round 42).

Before: ``"temperature": Infinity`` in a task's provenance was admitted, stored as ``null``, and then failed every
read of the bank (list, show, export, the web view, training); a lone surrogate in a provenance field or a failure
record stopped the whole import or ``synth.generate`` with an internal error; a JSON key holding ESC reached the
terminal raw in the bad-line report.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from task_bank.failure import FailureRecord
from synth.loaders import load_failures
from task_bank.jsonl import read_lines
from task_bank.lines import MAX_LINE_BYTES, BadLine
from task_bank.provenance import Provenance
from task_bank.spec import TaskSpec

ROOT = Path(__file__).resolve().parents[1]
SEVEN = "def verify(response: str) -> float:\n    return float(response.strip() == '7')\n"
GOOD = TaskSpec(prompt="Say 7.", verifier=SEVEN, reference="7", failure_cases=("8",))
FAILURE = {"conversation": [{"role": "user", "content": "Say 7."}], "response": "8",
           "signal": {"kind": "thumbs_down"}}


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


@pytest.mark.parametrize("number", [math.inf, -math.inf, math.nan])
def test_a_sampling_setting_that_is_not_finite_is_refused(number):
    with pytest.raises(ValidationError, match="finite"):
        Provenance.model_validate({"sampling": {"temperature": number, "top_p": 0.5}})


def test_a_task_line_with_an_infinite_temperature_is_a_bad_line_and_the_bank_stays_readable(tmp_path):
    task = json.loads(GOOD.to_json())
    task["provenance"] = {"sampling": {"temperature": 1e309}}
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(task) + "\n", encoding="utf-8")
    bank = str(tmp_path / "bank.db")
    done = _run("task_bank", "import", str(path), "--no-validate", "--bank", bank)
    assert "provenance.sampling.temperature: Input should be a finite number" in done.stdout + done.stderr
    assert _run("task_bank", "list", "--json", "--bank", bank).returncode == 0


@pytest.mark.parametrize("provenance", [{"failure_group": "g\ud800"}, {"source_failure_ids": ["f\udcff"]},
                                        {"imported_from": "x\ud800"}])
def test_a_lone_surrogate_in_provenance_is_refused(provenance):
    with pytest.raises(ValidationError, match="lone surrogate"):
        Provenance.model_validate(provenance)


@pytest.mark.parametrize("change", [{"model": "X\ud800"}, {"tags": ["t\ud800"]}, {"response": "8\udcff"},
                                    {"conversation": [{"role": "user", "content": "Say\ud800"}]},
                                    {"signal": {"kind": "thumbs_down", "detail": "no\ud800"}}])
def test_a_lone_surrogate_in_a_failure_record_is_refused(change):
    with pytest.raises(ValidationError, match="lone surrogate"):
        FailureRecord.model_validate({**FAILURE, **change})


def test_a_failure_file_with_a_lone_surrogate_is_one_error_line_not_an_internal_error(tmp_path):
    path = tmp_path / "failures.jsonl"
    path.write_text(json.dumps({**FAILURE, "model": "X\ud800"}) + "\n", encoding="utf-8")
    done = _run("synth.generate", "--failures", str(path), "--backend", "replay", "--drafts",
                str(ROOT / "examples" / "drafts.jsonl"), "--bank", str(tmp_path / "bank.db"), "--json")
    assert "internal error" not in done.stderr
    assert f"{path}:1: " in done.stderr and "lone surrogate" in done.stderr


def test_a_bad_line_shows_a_hostile_key_visibly():
    line = BadLine(path="t.jsonl", line=3, field="\x1b]0;TITLE\x07\x1b[2J\u202eevil", message="Extra inputs")
    assert str(line) == "t.jsonl:3: \\x1b]0;TITLE\\x07\\x1b[2J\\u202eevil: Extra inputs"


def test_an_error_line_naming_a_hostile_key_reaches_the_terminal_escaped(tmp_path):
    responses = tmp_path / "responses.jsonl"
    responses.write_text(json.dumps({"id": GOOD.id, "response": "7", "\x1b]0;TITLE\x07": 1}) + "\n", encoding="utf-8")
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(GOOD.to_json() + "\n", encoding="utf-8")
    done = _run("verifier", "score", str(tasks), "--responses", str(responses))
    assert "\x1b" not in done.stderr and "\\x1b]0;TITLE\\x07" in done.stderr


def test_a_task_file_whose_name_is_not_utf8_is_imported_with_its_name_escaped(tmp_path):
    path = tmp_path / "tasks\udcff.jsonl"  # the byte 0xff, as Python names it (surrogateescape)
    path.write_text(GOOD.to_json() + "\n", encoding="utf-8")
    bank = str(tmp_path / "bank.db")
    done = _run("task_bank", "import", str(path), "--no-validate", "--bank", bank)
    assert done.returncode == 0, done.stderr
    shown = json.loads(_run("task_bank", "show", GOOD.id, "--json", "--bank", bank).stdout)
    assert shown["record"]["provenance"]["imported_from"].endswith("tasks\\udcff.jsonl")


def _long_task_line() -> str:
    """A valid task whose prompt alone is one byte past the most one line may hold."""
    return TaskSpec(prompt="x" * MAX_LINE_BYTES, verifier=SEVEN, reference="7", failure_cases=("8",)).to_json()


def test_a_task_line_longer_than_a_record_may_hold_is_a_bad_line_and_the_next_line_is_read(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text(_long_task_line() + "\n" + GOOD.to_json() + "\n", encoding="utf-8")
    first, second = list(read_lines(path))
    assert isinstance(first, BadLine) and first.line == 1 and "more than the 16 MiB one record may hold" in first.message
    assert second.line == 2 and second.value.spec.id == GOOD.id


def test_a_failure_line_longer_than_a_record_may_hold_is_that_line_s_error(tmp_path):
    path = tmp_path / "failures.jsonl"
    long_failure = json.dumps({**FAILURE, "response": "8" * MAX_LINE_BYTES})
    path.write_text(long_failure + "\n" + json.dumps(FAILURE) + "\n", encoding="utf-8")
    loaded = load_failures(path, skip_invalid=True)
    assert [(issue.line, "16 MiB" in issue.message) for issue in loaded.issues] == [(1, True)]
    assert [record.response for record in loaded.records] == ["8"]


@pytest.mark.parametrize(("change", "expected"), [
    ({"prompt": [{"role": "user", "content": "Say 7.", "extra": 1}]}, "prompt.0.extra: Extra inputs are not permitted"),
    ({"prompt": [{"role": "robot", "content": "Say 7."}]}, "prompt.0.role: Input should be 'system'"),
    ({"prompt": 5}, "prompt: Input should be a valid string or Input should be a list (JSON array)"),
    ({"metadata": {"score": math.nan}}, "metadata holds NaN or Infinity, which JSON cannot store"),
], ids=["extra key in a chat message", "bad role", "neither branch", "NaN in metadata"])
def test_a_bad_line_names_the_field_that_is_wrong(tmp_path, change, expected):
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps({**json.loads(GOOD.to_json()), **change}) + "\n", encoding="utf-8")
    (line,) = read_lines(path)
    assert isinstance(line, BadLine) and expected in str(line)


def test_a_key_given_twice_in_one_object_is_a_bad_line(tmp_path):
    """Python keeps the last value and a reader of the file may see the first: a task could show one verifier and
    run another."""
    line = GOOD.to_json().replace('"verifier":', '"verifier": "def verify(response): return 1.0", "verifier":', 1)
    path = tmp_path / "tasks.jsonl"
    path.write_text(line + "\n", encoding="utf-8")
    (parsed,) = read_lines(path)
    assert isinstance(parsed, BadLine) and 'the key "verifier" appears twice in one object' in parsed.message


def test_a_task_file_opening_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "tasks.jsonl"
    path.write_text("\ufeff" + GOOD.to_json() + "\n" + GOOD.to_json() + "\n", encoding="utf-8")
    assert [line.value.spec.id for line in read_lines(path)] == [GOOD.id, GOOD.id]
