"""``python -m task_bank`` import, export and stats handle environment spec v1 lines beside tasks."""

from __future__ import annotations

import json
import subprocess
import sys

from task_bank.cli import main

from .conftest import ROOT, cart_spec


def task_bank(*args):
    return subprocess.run([sys.executable, "-m", "task_bank", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def imported(tmp_path):
    """A bank holding one admitted and one rejected environment, imported through ``python -m task_bank``."""
    broken = cart_spec(reference_calls=[{"tool": "add", "args": {"name": "apple", "qty": 3}}])
    path = tmp_path / "envs.jsonl"
    path.write_text(cart_spec().to_json() + "\n" + broken.to_json() + "\n")
    bank = tmp_path / "bank.db"
    return task_bank("import", path, "--bank", bank, "--json"), bank


def test_an_environment_file_is_validated_and_stored_by_the_verifiers_environment_import(tmp_path):
    done, _ = imported(tmp_path)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0, done.stderr
    assert [(r["status"], r["reasons"]) for r in rows] == [("admitted", []), ("rejected", ["unsolvable"])]


def test_stats_count_environments_per_status(tmp_path, capsys):
    _, bank = imported(tmp_path)
    capsys.readouterr()
    assert main(["stats", "--bank", str(bank), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["environments"] == {"admitted": 1, "rejected": 1}


def test_export_writes_the_matching_environments_after_the_tasks(tmp_path, capsys):
    _, bank = imported(tmp_path)
    out = tmp_path / "out.jsonl"
    assert main(["export", "--bank", str(bank), "-o", str(out), "--json"]) == 0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert json.loads(capsys.readouterr().out)["environments"] == 1
    assert [(line["kind"], line["id"]) for line in lines] == [("environment", cart_spec().id)]


def test_an_exported_environment_imports_again_into_another_bank(tmp_path):
    _, bank = imported(tmp_path)
    out = tmp_path / "out.jsonl"
    assert main(["export", "--bank", str(bank), "-o", str(out)]) == 0
    again = task_bank("import", out, "--bank", tmp_path / "other.db", "--json")
    assert [json.loads(line)["status"] for line in again.stdout.splitlines()] == ["admitted"]


def test_a_file_mixing_tasks_and_environments_imports_each_line_by_its_kind(tmp_path):
    task = (ROOT / "examples" / "tasks.jsonl").read_text().splitlines()[0]
    path = tmp_path / "mixed.jsonl"
    path.write_text(task + "\n" + cart_spec().to_json() + "\n")
    done = task_bank("import", path, "--bank", tmp_path / "bank.db")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    stats = json.loads(task_bank("stats", "--bank", tmp_path / "bank.db", "--json").stdout)
    assert (stats["tasks"], stats["environments"]) == (1, {"admitted": 1})


def test_environments_are_never_imported_unvalidated(tmp_path):
    path = tmp_path / "envs.jsonl"
    path.write_text(cart_spec().to_json() + "\n")
    done = task_bank("import", path, "--bank", tmp_path / "bank.db", "--no-validate")
    assert done.returncode == 2 and "--no-validate" in done.stderr
    assert not (tmp_path / "bank.db").exists()


def test_a_file_export_wrote_with_tasks_and_environments_imports_whole_into_a_new_bank(tmp_path):
    """``task_bank export`` writes tasks, then environments; importing that file once failed on its first
    environment line (QA round 30)."""
    from task_bank.spec import TaskSpec
    from task_bank.store import Bank

    _, bank = imported(tmp_path)
    with Bank.open(bank) as opened:
        opened.admit(TaskSpec(prompt="Say 7.", reference="7", failure_cases=("8",),
                              verifier="def verify(r):\n    return float(r.strip() == '7')\n"))
    both = tmp_path / "both.jsonl"
    assert task_bank("export", "--bank", bank, "-o", both, "--status", "all").returncode == 0
    again = tmp_path / "again.db"
    done = task_bank("import", both, "--bank", again)
    assert done.returncode == 0, done.stderr
    stats = json.loads(task_bank("stats", "--bank", again, "--json").stdout)
    assert stats["environments"] == {"admitted": 1, "rejected": 1}
    assert stats["tasks"] == 1


def test_a_batch_size_below_one_is_a_usage_error(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text('{"prompt": "Say 7.", "reference": "7", "failure_cases": ["8"], '
                    '"verifier": "def verify(r):\\n    return 1.0\\n"}\n')
    for size in ("0", "-1"):
        done = task_bank("import", path, "--bank", tmp_path / "b.db", "--no-validate", "--batch-size", size)
        assert done.returncode == 2 and "--batch-size" in done.stderr, done.stderr
    assert not (tmp_path / "b.db").exists()
