"""``python -m synth.grow`` as an operator runs it: exit codes, the lock between processes, kill -9 and resume,
SIGTERM, and the ``--every`` loop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from synth.grow.feeds import FeedPosition
from task_bank.exit_codes import EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_USAGE
from synth.grow.feeds import cursor_key
from task_bank.records import RunOutcome, TaskStatus

ROOT = Path(__file__).resolve().parents[2]


def _grow(setup, *args: str, **popen: object) -> subprocess.Popen:
    config = setup.root / "grow.toml"
    if not config.exists():
        setup.config()
    return subprocess.Popen([sys.executable, "-m", "synth.grow", "--config", str(config), "--bank",
                             str(setup.bank), *args], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, **popen)


def _many_groups(fx, setup, n: int = 80) -> None:
    """``n`` failures, each its own weakness group (two drafts each): a cycle long enough to interrupt, in
    ``n / 4`` batches."""
    setup.arrive([fx.failure_row(i, tag=f"skill{i}") for i in range(n)])


def _wait_for(predicate, timeout: float = 60.0, every: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(every)
    return False


def _stored_tasks(setup) -> int:
    if not setup.bank.exists():
        return -1
    with setup.open() as bank:
        return bank.count()


def _running(setup) -> bool:
    if not setup.bank.exists():
        return False
    with setup.open() as bank:
        return any(r.outcome is RunOutcome.RUNNING for r in bank.list_runs())


@pytest.fixture
def setup(fx, tmp_path):
    return fx.Setup(tmp_path, evolve={"enabled": False}, revalidate={"enabled": False}, groups_per_batch=4)


def test_one_cycle_prints_a_json_report_and_task_bank_runs_lists_it(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(7)])
    proc = _grow(setup, "--json")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    report = json.loads(out)
    assert report["exit_code"] == 0 and report["run"]["outcome"] == "succeeded"
    assert report["run"]["counts"]["generate:admitted"] == 14 and "generate" in report["stage_seconds"]
    runs = subprocess.run([sys.executable, "-m", "task_bank", "runs", "--bank", str(setup.bank), "--json"],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert runs.returncode == 0, runs.stderr
    assert report["run"]["id"] in runs.stdout


def test_a_bad_config_exits_2_naming_the_field(setup):
    (setup.root / "grow.toml").write_text("[budget]\nmax_draftz = 1\n")
    proc = _grow(setup)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_USAGE and "budget.max_draftz" in err
    assert not setup.bank.exists()


@pytest.mark.slow
def test_two_cycles_started_at_once_one_runs_and_the_other_exits_75(fx, setup):
    _many_groups(fx, setup)
    first, second = _grow(setup, "--json"), _grow(setup, "--json")
    results = {p: p.communicate(timeout=300) for p in (first, second)}
    codes = sorted(p.returncode for p in results)
    assert codes == [0, EXIT_LOCKED], [r[1][-2000:] for r in results.values()]
    refused = next(p for p in results if p.returncode == EXIT_LOCKED)
    out, err = results[refused]
    assert err.startswith("error: another growth cycle is running") and len(err.strip().splitlines()) == 1
    assert json.loads(out)["outcome"] == "locked"
    with setup.open() as bank:
        assert len(bank.list_runs()) == 1


def _finish_and_compare(fx, setup, clean_root: Path) -> None:
    """Resume with a normal cycle, then compare the bank with one built by a single uninterrupted cycle."""
    resumed = setup.cycle()
    assert resumed.run.outcome is RunOutcome.SUCCEEDED
    clean = fx.Setup(clean_root, **setup.config_kwargs)
    clean.feed.write_text(setup.feed.read_text())
    clean.drafts.write_text(setup.drafts.read_text())
    clean.cycle()
    with setup.open() as bank, clean.open() as reference:
        got = {t.id: (t.status, t.reasons) for t in bank.list(limit=10_000)}
        want = {t.id: (t.status, t.reasons) for t in reference.list(limit=10_000)}
        assert got == want
        assert bank.count(status=TaskStatus.ADMITTED) == len(got)
        assert bank.processed_failure_ids() == {r["id"] for r in setup.rows}
        assert FeedPosition.from_cursor(bank.get_cursor(cursor_key("prod"))).offset == setup.feed.stat().st_size
        outcomes = [r.outcome for r in bank.list_runs()]
        assert outcomes[0] is RunOutcome.SUCCEEDED and RunOutcome.RUNNING not in outcomes


@pytest.mark.slow
@pytest.mark.parametrize("kill_after_tasks", [0, 8])
def test_kill_9_mid_cycle_then_resume_loses_nothing_and_duplicates_nothing(fx, setup, tmp_path_factory,
                                                                           kill_after_tasks):
    _many_groups(fx, setup)
    proc = _grow(setup)
    try:
        ready = (lambda: _running(setup)) if kill_after_tasks == 0 else \
            (lambda: _stored_tasks(setup) >= kill_after_tasks)
        assert _wait_for(ready), "the cycle never reached the kill point"
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.communicate(timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with setup.open() as bank:
        (killed,) = bank.list_runs()
        assert killed.outcome is RunOutcome.RUNNING
        assert bank.count(status=TaskStatus.ADMITTED) < 160
    _finish_and_compare(fx, setup, tmp_path_factory.mktemp("clean"))
    with setup.open() as bank:
        assert bank.get_run(killed.id).outcome is RunOutcome.INTERRUPTED


@pytest.mark.slow
def test_sigterm_mid_cycle_records_the_run_interrupted_and_exits_130(fx, setup, tmp_path_factory):
    _many_groups(fx, setup)
    proc = _grow(setup)
    assert _wait_for(lambda: _stored_tasks(setup) >= 4)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == EXIT_INTERRUPTED, err
    with setup.open() as bank:
        (run,) = bank.list_runs()
        assert run.outcome is RunOutcome.INTERRUPTED and run.ended_at is not None
    assert err.strip().splitlines()[-1].startswith(f"error: interrupted; cycle {run.id} is recorded interrupted")
    _finish_and_compare(fx, setup, tmp_path_factory.mktemp("clean"))


@pytest.mark.slow
def test_every_runs_bounded_cycles_and_the_second_admits_nothing(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(7)])
    proc = _grow(setup, "--json", "--every", "1s", "--max-cycles", "2")
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["run"]["counts"]["admitted"] == 14 and second["run"]["counts"]["admitted"] == 0
    assert "next cycle in" in err


@pytest.mark.slow
def test_ctrl_c_while_waiting_for_the_next_cycle_stops_the_loop_cleanly(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(2)])
    proc = _grow(setup, "--json", "--every", "6h", env={**os.environ, "PYTHONUNBUFFERED": "1"})
    line = proc.stdout.readline()
    assert json.loads(line)["run"]["outcome"] == "succeeded"
    assert _wait_for(lambda: proc.poll() is None)
    time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == EXIT_INTERRUPTED and "interrupted" in err
    with setup.open() as bank:
        assert [r.outcome for r in bank.list_runs()] == [RunOutcome.SUCCEEDED]


def _main(setup, *args: str, **kwargs) -> tuple[int, str, str]:
    import io

    from synth.grow.cli import main

    out, err = io.StringIO(), io.StringIO()
    code = main(["--config", str(setup.root / "grow.toml"), "--bank", str(setup.bank), *args], out, err, **kwargs)
    return code, out.getvalue(), err.getvalue()


def test_a_missing_drafts_file_exits_2_and_the_run_is_recorded_failed(fx, setup):
    setup.arrive([fx.failure_row(1)])
    setup.config()
    setup.drafts.unlink()
    code, out, err = _main(setup, "--json")
    assert code == EXIT_USAGE and "drafts file not found" in err
    assert json.loads(out)["outcome"] == "failed"
    with setup.open() as bank:
        (run,) = bank.list_runs()
        assert run.outcome is RunOutcome.FAILED and "drafts file not found" in run.message


def test_a_backend_failure_exits_3_and_a_bug_exits_1_without_ending_the_command(fx, setup):
    from task_bank.errors import BackendError

    setup.arrive([fx.failure_row(1)])
    setup.config()
    code, _, err = _main(setup, opener=fx.failing_opener(BackendError("server unreachable")))
    assert code == 3 and err.strip() == "error: backend failed: server unreachable"
    code, _, err = _main(setup, opener=fx.failing_opener(RuntimeError("a bug")))
    assert code == 1 and err.strip().startswith("error: internal error RuntimeError: a bug")
    assert "Traceback" not in err
    with setup.open() as bank:
        assert [r.outcome for r in bank.list_runs()] == [RunOutcome.FAILED, RunOutcome.FAILED]
