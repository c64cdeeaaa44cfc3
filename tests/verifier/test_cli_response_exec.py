"""``--allow-response-exec`` on ``verifier validate``, ``task_bank import`` (and ``verifier import``): old-style tasks
that run the response in the verifier's process are admitted only with the flag, the mark survives the bank and
export, and ``verifier score`` runs each of their responses in a process of its own. Real sandbox (bwrap)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from task_bank.response_exec import RESPONSE_EXEC_KEY
from task_bank.spec import TaskSpec
from task_bank.store import Bank

ROOT = Path(__file__).resolve().parents[2]
OLD_STYLE = ("CASES = [(2, 4), (5, 10)]\n\n"
             "def verify(response: str) -> float:\n    namespace = {}\n    try:\n        exec(response, namespace)\n"
             "        return 1.0 if all(namespace['double'](x) == y for x, y in CASES) else 0.0\n"
             "    except BaseException:\n        return 0.0\n")
TASK = TaskSpec(prompt="Write double(x) returning twice x.", verifier=OLD_STYLE,
                reference="def double(x):\n    return 2 * x\n", failure_cases=("def double(x):\n    return x\n",))
SABOTEUR = "import sys\nsys._getframe(1).f_globals['CASES'].clear()\ndef double(x):\n    return 0\n"
WRONG = "def double(x):\n    return x + 1\n"


def run(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)


def tasks_file(tmp_path: Path) -> Path:
    path = tmp_path / "tasks.jsonl"
    path.write_text(TASK.to_json() + "\n", encoding="utf-8")
    return path


def test_validate_rejects_an_old_style_task_unless_allowed(tmp_path):
    path = tasks_file(tmp_path)
    refused, allowed = run("verifier", "validate", str(path), "--json"), \
        run("verifier", "validate", str(path), "--json", "--allow-response-exec")
    (row,) = [json.loads(line) for line in refused.stdout.splitlines()]
    assert not row["admitted"] and "executes_response" in row["reasons"], refused.stderr
    (row,) = [json.loads(line) for line in allowed.stdout.splitlines()]
    assert row["admitted"], (row["reasons"], allowed.stderr)


def test_import_admits_an_old_style_task_only_with_the_flag_and_the_mark_survives_export(tmp_path):
    path = tasks_file(tmp_path)
    run("task_bank", "import", str(path), "--bank", str(tmp_path / "refused.db"))
    done = run("task_bank", "import", str(path), "--bank", str(tmp_path / "allowed.db"), "--allow-response-exec")
    assert done.returncode == 0, done.stderr
    with Bank.open(tmp_path / "refused.db") as bank:
        refused = bank.find(TASK.id)
    assert refused is not None and refused.status.value == "rejected" and "executes_response" in refused.reasons
    with Bank.open(tmp_path / "allowed.db") as bank:
        allowed = bank.find(TASK.id)
    assert allowed is not None and allowed.status.value == "admitted"
    assert allowed.spec.metadata[RESPONSE_EXEC_KEY] is True
    exported = tmp_path / "export.jsonl"
    assert run("task_bank", "export", "--bank", str(tmp_path / "allowed.db"), "-o", str(exported)).returncode == 0
    (line,) = exported.read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["metadata"][RESPONSE_EXEC_KEY] is True


def test_score_runs_each_response_of_an_old_style_verifier_in_its_own_process(tmp_path):
    path = tasks_file(tmp_path)
    responses = tmp_path / "responses.jsonl"
    responses.write_text("".join(json.dumps({"id": TASK.id, "response": r}) + "\n"
                                 for r in (SABOTEUR, WRONG, TASK.reference, WRONG)), encoding="utf-8")
    done = run("verifier", "score", str(path), "--responses", str(responses), "--json")
    assert done.returncode == 0, done.stderr
    assert [json.loads(line)["score"] for line in done.stdout.splitlines()] == [1.0, 0.0, 1.0, 0.0]
