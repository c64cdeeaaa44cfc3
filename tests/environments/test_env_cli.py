"""``python -m verifier validate`` reads both kinds: environment lines beside task lines, verdicts in input order."""

from __future__ import annotations

import json
import subprocess
import sys

from .conftest import ROOT, cart_spec


def run_validate(path):
    return subprocess.run([sys.executable, "-m", "verifier", "validate", str(path), "--json"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_a_mixed_file_gets_one_verdict_per_line_in_input_order(tmp_path):
    task = (ROOT / "examples" / "tasks.jsonl").read_text().splitlines()[0]
    broken = cart_spec(reference_calls=[{"tool": "add", "args": {"name": "apple", "qty": 3}}])
    path = tmp_path / "mixed.jsonl"
    path.write_text("\n".join([cart_spec().to_json(), task, broken.to_json()]) + "\n")
    done = run_validate(path)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0
    assert [(r.get("kind", "task"), r["admitted"], r["reasons"]) for r in rows] == [
        ("environment", True, []), ("task", True, []), ("environment", False, ["unsolvable"])]
    assert rows[0]["evidence"]["reference"]["score"]["score"] == 1.0


def test_a_line_that_is_not_a_spec_gets_its_own_verdict_in_a_mixed_file_too(tmp_path):
    """Red-team finding: one environment line made the whole file strict, so a bad line anywhere meant exit 2 and
    no verdict for any line; a file of tasks alone gave each its verdict."""
    task = (ROOT / "examples" / "tasks.jsonl").read_text().splitlines()[0]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join([cart_spec().to_json(), json.dumps({"kind": "environment", "prompt": "p"}),
                               json.dumps({"kind": "robot"}), task]) + "\n")
    done = run_validate(path)
    rows = [json.loads(line) for line in done.stdout.splitlines()]
    assert done.returncode == 0 and "Traceback" not in done.stderr
    assert [(r["line"], r["admitted"], r["reasons"]) for r in rows] == [
        (1, True, []), (2, False, ["schema"]), (3, False, ["schema"]), (4, True, [])]
    assert rows[0]["kind"] == "environment" and rows[2]["field"] == "kind" and "robot" in rows[2]["detail"]


def test_import_stores_every_example_with_its_verdict_and_export_gives_them_back(tmp_path):
    from .conftest import EXAMPLES, example_specs

    bank = tmp_path / "bank.db"
    imported = subprocess.run([sys.executable, "-m", "verifier.env_cli", "import", str(EXAMPLES), "--bank", str(bank),
                               "--json"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    statuses = [json.loads(line)["status"] for line in imported.stdout.splitlines()]
    exported = subprocess.run([sys.executable, "-m", "verifier.env_cli", "export", "--bank", str(bank)], cwd=ROOT,
                              capture_output=True, text=True, timeout=120)
    assert imported.returncode == 0 and statuses == ["admitted"] * 6
    assert [json.loads(line)["id"] for line in exported.stdout.splitlines()] == [s.id for s in example_specs()]
