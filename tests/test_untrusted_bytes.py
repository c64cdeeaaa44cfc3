"""Untrusted bytes never crash the trusted side: a lone surrogate raised by a verifier, or one inside a record, is
escaped wherever the text is written (``verifier score --json``, ``validate --json``, the bank, the web view)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from task_bank.safe_text import escape_surrogates, has_lone_surrogate
from task_bank.spec import TaskSpec
from task_bank.store import Bank
from task_bank.validation import CheckResult, Outcome, ScoreResult, ValidationReport

ROOT = Path(__file__).resolve().parents[1]
RAISES = ("def verify(response: str) -> float:\n    if response.startswith('x'):\n"
          "        raise RuntimeError('\\ud800 lone \\udcff surrogates')\n"
          "    return 1.0 if response == '42' else 0.0\n")
SEVEN = "def verify(response: str) -> float:\n    return float(response == '7')\n"
TASK = TaskSpec(prompt="Say 42.", verifier=RAISES, reference="42", failure_cases=("x41",))


def cli(*args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", "verifier", *args], cwd=ROOT, capture_output=True, timeout=300)


def json_lines(stdout: bytes) -> list[dict]:
    """Every stdout line parsed as strict UTF-8 JSON, each string in it encodable again."""
    rows = [json.loads(line) for line in stdout.decode("utf-8").splitlines()]
    json.dumps(rows, ensure_ascii=False).encode("utf-8")
    return rows


def test_escape_keeps_valid_text_and_escapes_lone_surrogates():
    assert escape_surrogates("plain é 😀") == "plain é 😀"
    assert escape_surrogates("a\ud800b\udcff") == "a\\ud800b\\udcff"
    assert not has_lone_surrogate(escape_surrogates("\udfff"))


def test_records_quoting_a_verifier_escape_lone_surrogates():
    result = ScoreResult(outcome=Outcome.CRASHED, detail="RuntimeError: \ud800")
    check = CheckResult(name="reference", passed=False, detail="reference crashed: \udcff")
    assert result.model_dump_json() and check.model_dump_json()
    assert result.detail == "RuntimeError: \\ud800"


def test_score_json_prints_valid_json_for_every_line_when_a_verifier_raises_a_lone_surrogate(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(TASK.to_json() + "\n", encoding="utf-8")
    responses = tmp_path / "responses.jsonl"
    responses.write_text("".join(json.dumps({"id": TASK.id, "response": r}) + "\n" for r in ["x1", "42", "x\ud800"]),
                         encoding="utf-8")
    done = cli("score", str(tasks), "--responses", str(responses), "--json")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    rows = json_lines(done.stdout)
    assert [r["outcome"] for r in rows] == ["crashed", "scored", "crashed"]
    assert "\\ud800" in rows[0]["detail"]


def test_validate_json_prints_valid_json_when_the_reference_raises_a_lone_surrogate(tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    raising = TASK.model_copy(update={"reference": "x42", "id": ""})
    raising = TaskSpec.model_validate(raising.model_dump())
    later = TaskSpec(prompt="Say 7.", verifier=SEVEN,
                     reference="7", failure_cases=("8",))
    tasks.write_text(raising.to_json() + "\n" + later.to_json() + "\n", encoding="utf-8")
    done = cli("validate", str(tasks), "--json")
    assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
    rows = json_lines(done.stdout)
    assert [(r["id"], r["admitted"]) for r in rows] == [(raising.id, False), (later.id, True)]
    assert "verifier_error" in rows[0]["reasons"]
    assert "\\ud800" in next(c["detail"] for c in rows[0]["checks"] if c["name"] == "reference")


def report_with(detail: str) -> ValidationReport:
    check = CheckResult(name="reference", passed=False, reason="verifier_error", detail=detail,
                        scores=(ScoreResult(outcome=Outcome.CRASHED, detail=detail),))
    return ValidationReport(task_id=TASK.id, admitted=False, reasons=("verifier_error",), checks=(check,),
                            validator_version="test", sandbox_backend="bwrap")


def test_the_bank_stores_and_reads_back_a_report_quoting_a_lone_surrogate(tmp_path):
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.admit(TASK)
        bank.add_report(report_with("RuntimeError: \ud800"))
        (stored,) = bank.reports(TASK.id)
    assert stored.checks[0].detail == "RuntimeError: \\ud800"


def test_the_web_view_shows_a_task_whose_report_quotes_a_lone_surrogate(tmp_path):
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from task_bank.web import create_app

    with Bank.open(tmp_path / "bank.db") as bank:
        bank.admit(TASK)
        bank.add_report(report_with("RuntimeError: \ud800"))
    with TestClient(create_app(tmp_path / "bank.db")) as client:
        page = client.get(f"/tasks/{TASK.id}")
    assert page.status_code == 200 and "\\ud800" in page.text


def test_a_task_line_with_a_lone_surrogate_is_a_bad_line_and_the_import_goes_on(tmp_path):
    bad = {"id": "t_manual", "prompt": "Say 42 \ud800", "verifier": RAISES, "reference": "42", "failure_cases": ["x"]}
    good = TaskSpec(prompt="Say 7.", verifier=SEVEN,
                    reference="7", failure_cases=("8",))
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(bad) + "\n" + good.to_json() + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "task_bank", "import", str(path), "--bank", str(tmp_path / "b.db")],
                          cwd=ROOT, capture_output=True, timeout=300)
    stderr = done.stderr.decode("utf-8", "replace")
    assert "internal error" not in stderr and "lone surrogate" in stderr and ":1" in stderr
    with Bank.open(tmp_path / "b.db") as bank:
        assert bank.find(good.id) is not None and bank.find("t_manual") is None


BREAKS = ("def verify(response: str) -> float:\n    if response.startswith('x'):\n"
          "        raise RuntimeError('a\\u2028b\\x85c\\u2029d')\n"
          "    return 1.0 if response == '42' else 0.0\n")


def test_every_json_row_is_one_line_to_a_unicode_line_reader_whatever_a_verifier_raises(tmp_path):
    """U+2028, U+2029 and U+0085 are legal inside JSON strings, but ``str.splitlines()`` breaks lines at them: a
    verifier's exception message once cut one row of ``score --json`` and ``validate --json`` into pieces that
    were not JSON (red-team round 30)."""
    task = TaskSpec(prompt="Say 42.", verifier=BREAKS, reference="42", failure_cases=("x41",))
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(task.to_json() + "\n", encoding="utf-8")
    responses = tmp_path / "responses.jsonl"
    responses.write_text("".join(json.dumps({"id": task.id, "response": r}) + "\n" for r in ["x1", "42"]),
                         encoding="utf-8")
    scored = cli("score", str(tasks), "--responses", str(responses), "--json")
    validated = cli("validate", str(tasks), "--json")
    rows = json_lines(scored.stdout)
    assert [r["outcome"] for r in rows] == ["crashed", "scored"] and "a\u2028b\x85c\u2029d" in rows[0]["detail"]
    assert len(json_lines(validated.stdout)) == 1


HOSTILE_ID = "t_\x1b[2J\x1b]52;c;SGVsbG8=\x1b\\\u202eok\x9b31m"


def _no_terminal_controls(text: str) -> None:
    assert not any(ch in text for ch in "\x1b\x9b\u202e"), repr(text[:300])


def test_tables_show_control_characters_of_ids_and_prompts_instead_of_sending_them(tmp_path):
    """Rich drops only BEL, BS, VT, FF and CR: a task id or prompt holding ESC sequences moved the cursor, erased
    the screen and wrote the clipboard (OSC 52) through ``task_bank list``/``show`` and ``verifier validate``
    (red-team round 30)."""
    spec = TaskSpec(id=HOSTILE_ID, prompt="Say 7.\x1b[8m hidden", verifier=SEVEN, reference="7", failure_cases=("8",))
    bank = tmp_path / "bank.db"
    with Bank.open(bank) as opened:
        opened.admit(spec)
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(spec.to_json() + "\n", encoding="utf-8")
    listed = subprocess.run([sys.executable, "-m", "task_bank", "list", "--bank", str(bank)], cwd=ROOT,
                            capture_output=True, timeout=120)
    shown = subprocess.run([sys.executable, "-m", "task_bank", "show", HOSTILE_ID, "--bank", str(bank)], cwd=ROOT,
                           capture_output=True, timeout=120)
    validated = cli("validate", str(tasks))
    for done in (listed, shown, validated):
        assert done.returncode == 0, done.stderr.decode("utf-8", "replace")
        _no_terminal_controls(done.stdout.decode("utf-8"))
    assert "\\x1b[2J" in shown.stdout.decode("utf-8") and "\\x1b[8m hidden" in shown.stdout.decode("utf-8")
