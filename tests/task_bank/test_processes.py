"""Two processes writing at once, and a process killed with SIGKILL in the middle of a bulk import."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from task_bank.store import Bank

ROOT = Path(__file__).resolve().parents[2]


def _jsonl(path: Path, specs) -> Path:
    path.write_text("".join(s.model_dump_json() + "\n" for s in specs), encoding="utf-8")
    return path


def _import(bank_path: Path, file: Path, *extra: str) -> subprocess.Popen[str]:
    """An unvalidated import: these tests are about the bank's transactions, not the sandbox."""
    return subprocess.Popen([sys.executable, "-m", "task_bank", "import", str(file), "--bank", str(bank_path),
                             "--no-validate", *extra], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})


@pytest.mark.slow
def test_two_processes_importing_at_once_both_succeed_and_lose_nothing(tmp_path, bank_path, make_spec):
    Bank.open(bank_path).close()
    first = _jsonl(tmp_path / "a.jsonl", [make_spec(i) for i in range(300)])
    second = _jsonl(tmp_path / "b.jsonl", [make_spec(i) for i in range(1000, 1300)])
    procs = [_import(bank_path, f, "--batch-size", "10", "--json") for f in (first, second)]
    results = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    with Bank.open(bank_path) as bank:
        assert bank.count() == 600
        assert bank.existing_ids(s.id for s in [make_spec(0), make_spec(299), make_spec(1000), make_spec(1299)]) \
            == {make_spec(n).id for n in (0, 299, 1000, 1299)}


@pytest.mark.slow
def test_sigkill_mid_import_leaves_an_intact_bank_holding_every_reported_commit(tmp_path, bank_path, make_spec):
    specs = [make_spec(i) for i in range(4000)]
    proc = _import(bank_path, _jsonl(tmp_path / "big.jsonl", specs), "--batch-size", "50", "--progress")
    reported, commits = 0, 0
    deadline = time.monotonic() + 120
    assert proc.stderr is not None
    while commits < 3 and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        if line.startswith("committed "):
            reported, commits = int(line.split()[1]), commits + 1
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL and reported >= 150
    conn = sqlite3.connect(bank_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()
    with Bank.open(bank_path) as bank:
        held = bank.existing_ids(s.id for s in specs[:reported])
        assert len(held) == reported
        assert bank.count() < len(specs)


@pytest.mark.slow
def test_two_processes_importing_the_same_file_store_each_task_once(tmp_path, bank_path, make_spec):
    Bank.open(bank_path).close()
    same = _jsonl(tmp_path / "same.jsonl", [make_spec(i) for i in range(200)])
    procs = [_import(bank_path, same, "--batch-size", "10", "--json") for _ in range(2)]
    results = [p.communicate(timeout=240) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], results
    reports = [json.loads(out) for out, _ in results]
    assert sum(r["stored"] for r in reports) == 200 and sum(r["existing"] for r in reports) == 200
    with Bank.open(bank_path) as bank:
        assert bank.count() == 200 and bank.integrity_check() == "ok"
