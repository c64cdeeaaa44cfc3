"""``python -m verifier validate|score|import``: outputs in input order, a verdict for every line, exit codes, and
errors that name the line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from task_bank.spec import TaskSpec

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

ROOT = Path(__file__).resolve().parents[2]
GOOD = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n"
PROMPT = "What is 6 times 7? Answer with the number only."


def spec(verifier: str = GOOD, reference: str = "42") -> TaskSpec:
    return TaskSpec(prompt=PROMPT, verifier=verifier, reference=reference, failure_cases=("41",))


def write_jsonl(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=240)


def test_validate_json_prints_one_object_per_task_in_input_order(tmp_path):
    tasks = [spec(), spec(reference="forty-two"), spec(verifier=GOOD.replace("'42'", "'42' or True"))]
    path = write_jsonl(tmp_path / "tasks.jsonl", [t.to_json() for t in tasks])
    result = cli("validate", str(path), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in rows] == [t.id for t in tasks]
    assert [(r["admitted"], r["reasons"]) for r in rows] == [(True, []), (False, ["unsolvable"]),
                                                             (False, ["failure_case_passes", "trivial"])]
    assert {c["name"] for c in rows[0]["checks"]} >= {"schema", "reference", "determinism"}


def test_validate_judges_hostile_verifiers_one_line_each_and_exits_0(tmp_path):
    syntax_error = spec(verifier="def verify(response)\n    return 1.0\n")
    never_returns = spec(verifier="def verify(response):\n    while True:\n        pass\n")
    floods = spec(verifier="import sys\ndef verify(response):\n    while True:\n        print('x' * 65536)\n")
    tasks = [syntax_error, never_returns, floods, spec()]
    path = write_jsonl(tmp_path / "tasks.jsonl", [t.to_json() for t in tasks])
    result = cli("validate", str(path), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["reasons"]) for r in rows] == [
        (syntax_error.id, ["verifier_error"]), (never_returns.id, ["timeout"]), (floods.id, ["verifier_error"]),
        (spec().id, [])]


def test_validate_with_two_workers_keeps_input_order(tmp_path):
    tasks = [spec(reference=str(n)) for n in (42, 41, 42, 7, 42)]
    path = write_jsonl(tmp_path / "tasks.jsonl", [t.to_json() for t in tasks])
    result = cli("validate", str(path), "--json", "--workers", "2")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["admitted"]) for r in rows] == [(t.id, t.reference == "42") for t in tasks]


def test_a_line_that_is_not_json_gets_its_own_schema_verdict_and_the_others_are_judged(tmp_path):
    path = write_jsonl(tmp_path / "tasks.jsonl", [spec().to_json(), spec(reference="7").to_json(), '{"prompt": 3'])
    result = cli("validate", str(path), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["admitted"], r["reasons"]) for r in rows] == [
        (1, True, []), (2, False, ["unsolvable"]), (3, False, ["schema"])]
    assert rows[2]["column"] == 13 and rows[2]["id"] is None


def test_a_line_that_is_not_a_task_spec_gets_a_schema_verdict_naming_its_field(tmp_path):
    broken = json.loads(spec().to_json())
    del broken["verifier"]
    path = write_jsonl(tmp_path / "tasks.jsonl", [json.dumps(broken), spec().to_json()])
    result = cli("validate", str(path), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["line"], r["admitted"], r["reasons"], r.get("field")) for r in rows] == [
        (1, False, ["schema"], "verifier"), (2, True, [], None)]


def test_the_validate_table_shows_a_bad_line_as_a_row(tmp_path):
    path = write_jsonl(tmp_path / "tasks.jsonl", [spec().to_json(), "[1]"])
    result = cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert "admitted 1 of 2; rejected: schema 1" in result.stdout


def test_score_still_refuses_a_bad_responses_file_before_any_sandbox(tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [spec().to_json()])
    responses = write_jsonl(tmp_path / "responses.jsonl", ['{"id": "x", "response": "1"', ""])
    result = cli("score", str(tasks), "--responses", str(responses), "--json")
    assert result.returncode == 2 and f"{responses}:1:28:" in result.stderr and result.stdout == ""


def test_help_has_no_restructuredtext_markup_and_names_the_sandbox_option():
    for argv in ([], ["validate"], ["score"], ["import"]):
        text = cli(*argv, "--help").stdout
        assert "``" not in text and "--sandbox NAME, --backend NAME" in text or not argv


def test_validate_missing_file_exits_2(tmp_path):
    result = cli("validate", str(tmp_path / "absent.jsonl"), "--json")
    assert result.returncode == 2 and "absent.jsonl" in result.stderr and "Traceback" not in result.stderr


def test_validate_unknown_backend_exits_2_without_traceback(tmp_path):
    path = write_jsonl(tmp_path / "tasks.jsonl", [spec().to_json()])
    result = cli("validate", str(path), "--json", "--backend", "bwrapp")
    assert result.returncode == 2 and "bwrapp" in result.stderr and "Traceback" not in result.stderr


def test_validate_without_json_prints_a_table(tmp_path):
    path = write_jsonl(tmp_path / "tasks.jsonl", [spec().to_json()])
    result = cli("validate", str(path))
    assert result.returncode == 0, result.stderr
    assert spec().id in result.stdout and "admitted 1 of 1" in result.stdout


def test_score_json_prints_one_object_per_response_in_input_order(tmp_path):
    crashing = spec(verifier="def verify(response):\n    return 1.0 / len(response.strip())\n", reference="x")
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [spec().to_json(), crashing.to_json()])
    lines = [{"id": spec().id, "response": "42"}, {"id": crashing.id, "response": " "},
             {"id": spec().id, "response": "41"}]
    responses = write_jsonl(tmp_path / "responses.jsonl", [json.dumps(x) for x in lines])
    result = cli("score", str(tasks), "--responses", str(responses), "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["id"], r["score"], r["outcome"]) for r in rows] == [
        (spec().id, 1.0, "scored"), (crashing.id, None, "crashed"), (spec().id, 0.0, "scored")]


def test_score_response_for_unknown_task_exits_2_naming_line_and_field(tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [spec().to_json()])
    responses = write_jsonl(tmp_path / "responses.jsonl", [json.dumps({"id": spec().id, "response": "42"}),
                                                           json.dumps({"id": "t_missing", "response": "42"})])
    result = cli("score", str(tasks), "--responses", str(responses), "--json")
    assert result.returncode == 2
    assert f"{responses}:2:" in result.stderr and "field 'id'" in result.stderr


@pytest.mark.parametrize("argv", [["validate"], ["score", "tasks.jsonl"], ["frobnicate"]])
def test_bad_usage_exits_2(argv):
    assert cli(*argv).returncode == 2
