"""A line of a task, response or failure file that Python cannot hold, or text that looks like markup, costs that
line its verdict and nothing more (issue 16, red-team findings).

Before: a line of brackets nested 100,000 deep, or an integer of 5,000 digits, ended ``validate``, ``score`` and
every import with "internal error" and no verdict for any line; metadata nested 300 deep passed validation and then
failed the bank's write, storing nothing of the file; a task id or prompt starting with ``[/]`` crashed every rich
table and panel that showed it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from synth.drafts import DraftError, parse_draft
from synth.loaders import load_failures
from task_bank.lines import BadLine, ParsedLine, load_json_line, read_jsonl
from task_bank.spec import MAX_NESTING, TaskSpec
from task_bank.store import Bank

ROOT = Path(__file__).resolve().parents[1]
SEVEN = "def verify(response: str) -> float:\n    return float(response.strip() == '7')\n"
GOOD = TaskSpec(prompt="Say 7.", verifier=SEVEN, reference="7", failure_cases=("8",))
OTHER = TaskSpec(prompt="Say 7, please.", verifier=SEVEN, reference="7", failure_cases=("6",))
DEEP = "[" * 100_000 + "]" * 100_000
HUGE_INT = "9" * 5_000


def _run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def _file(tmp_path: Path, middle: str) -> Path:
    path = tmp_path / "tasks.jsonl"
    path.write_text(GOOD.to_json() + "\n" + middle + "\n" + OTHER.to_json() + "\n", encoding="utf-8")
    return path


def _nested_metadata(depth: int) -> str:
    task = json.loads(GOOD.to_json())
    task["metadata"] = {"deep": "PLACEHOLDER"}
    return json.dumps(task).replace('"PLACEHOLDER"', "[" * depth + "]" * depth)


@pytest.mark.parametrize("value", [DEEP, HUGE_INT, '{"a": ' + DEEP + "}"])
def test_every_jsonl_reader_refuses_what_python_cannot_hold_as_bad_json(value):
    with pytest.raises(json.JSONDecodeError):
        load_json_line(value)


def test_a_line_python_cannot_hold_is_a_bad_line_between_two_good_ones(tmp_path):
    for middle, says in ((DEEP, f"more than {MAX_NESTING} levels"), ('{"id": ' + HUGE_INT + "}", "4300 digits")):
        lines = list(read_jsonl(_file(tmp_path, middle), TaskSpec))
        assert [type(line) for line in lines] == [ParsedLine, BadLine, ParsedLine]
        assert lines[1].line == 2 and says in lines[1].message


def test_metadata_nested_deeper_than_a_record_may_hold_is_refused_by_the_spec_itself():
    with pytest.raises(ValidationError, match="levels deep"):
        TaskSpec.model_validate_json(_nested_metadata(MAX_NESTING + 1))
    assert TaskSpec.model_validate_json(_nested_metadata(8)).metadata["deep"]


def test_an_import_stores_the_good_lines_around_metadata_too_deep_to_store(tmp_path):
    """The bank's writer refuses about 255 levels: 300 passed validation and then lost the whole file."""
    done = _run("task_bank", "import", str(_file(tmp_path, _nested_metadata(300))), "--no-validate",
                "--bank", str(tmp_path / "bank.db"))
    assert "internal error" not in done.stderr and "tasks.jsonl:2" in done.stderr
    with Bank.open(tmp_path / "bank.db") as bank:
        assert bank.find(GOOD.id) is not None and bank.find(OTHER.id) is not None


@pytest.mark.sandbox  # needs bubblewrap and root
def test_validate_gives_every_line_its_verdict_when_one_is_nested_past_the_parsers_limit(tmp_path):
    done = _run("verifier", "validate", str(_file(tmp_path, '{"metadata": ' + DEEP + "}")), "--json")
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(row["line"], row["admitted"]) for row in rows] == [(1, True), (2, False), (3, True)], [
        (row["line"], row["reasons"], [c for c in row["checks"] if c.get("passed") is False]) for row in rows]
    assert rows[1]["reasons"] == ["schema"] and "internal error" not in done.stderr


def test_a_failure_file_line_python_cannot_hold_is_one_invalid_row(tmp_path):
    rows = [json.dumps({"id": f"f{i}", "conversation": [{"role": "user", "content": "Say 7."}], "response": "8",
                        "signal": {"kind": "correction", "detail": "it is 7"}}) for i in (1, 3)]
    path = tmp_path / "failures.jsonl"
    path.write_text(rows[0] + "\n" + DEEP + "\n" + rows[1] + "\n", encoding="utf-8")
    loaded = load_failures(path, skip_invalid=True)
    assert [r.id for r in loaded.records] == ["f1", "f3"] and [i.line for i in loaded.issues] == [2]


def test_a_generator_reply_nested_past_the_parsers_limit_is_a_draft_error():
    with pytest.raises(DraftError):
        parse_draft('{"prompt": ' + DEEP + "}")


@pytest.mark.sandbox  # needs bubblewrap and root
def test_markup_in_a_task_id_is_printed_as_text_in_the_verdict_table(tmp_path):
    task = json.loads(GOOD.to_json()) | {"id": "[/]"}
    path = tmp_path / "tasks.jsonl"
    path.write_text(json.dumps(task) + "\n", encoding="utf-8")
    done = _run("verifier", "validate", str(path))
    assert done.returncode == 0 and "[/]" in done.stdout and "MarkupError" not in done.stderr


def test_markup_in_a_prompt_and_skill_is_printed_as_text_by_list_and_show(tmp_path):
    task = TaskSpec(prompt="[/] Say 7.", verifier=SEVEN, reference="7", failure_cases=("8",),
                    metadata={"skill": "[/]"})
    path = tmp_path / "tasks.jsonl"
    path.write_text(task.to_json() + "\n", encoding="utf-8")
    bank = str(tmp_path / "bank.db")
    assert _run("task_bank", "import", str(path), "--no-validate", "--bank", bank).returncode == 0
    listed = _run("task_bank", "list", "--bank", bank)
    shown = _run("task_bank", "show", task.id, "--bank", bank)
    assert listed.returncode == shown.returncode == 0
    assert "[/]" in listed.stdout and "[/] Say 7." in shown.stdout
