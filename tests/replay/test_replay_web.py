"""The web view shows replay results: each failure page its replay task's pass rate per policy, the overview the
latest policy's fixed failures and retention."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from task_bank.evaluations import EvalSuite, ReplaySummary, RetentionTally, TaskEvalResult
from task_bank.failure import FailureRecord, FailureSignal, SignalKind
from task_bank.provenance import Provenance
from task_bank.records import TaskSplit
from task_bank.spec import Message
from task_bank.store import Bank
from task_bank.web import create_app

FAILURE = FailureRecord(id="f_units_01", conversation=(Message(role="user", content="750 g x 6 in kg?"),),
                        response="4500 kg", signal=FailureSignal(kind=SignalKind.CORRECTION))


def _evaluate(bank: Bank, policy: str, task_id: str, passes: int, retention: float, was: float | None) -> None:
    result = TaskEvalResult(task_id=task_id, suite=EvalSuite.REPLAY, failure_id=FAILURE.id, group="units",
                            samples=4, attempts=4, passes=passes)
    summary = ReplaySummary(id=f"replay-{policy}", policy=policy, k=4, total=1, fixed=int(passes >= 2),
                            pass_at_1=passes / 4, interval=(0.2, 1.0),
                            retention=RetentionTally(pass_rate=retention, total=23, was=was))
    bank.record_replay_eval(summary, [result])


@pytest.fixture()
def client(tmp_path: Path, make_task) -> Iterator[tuple[TestClient, str]]:
    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        bank.add_failures([FAILURE])
        task = bank.admit(make_task(1), split=TaskSplit.HELDOUT,
                          provenance=Provenance(source_failure_ids=(FAILURE.id,), failure_group="g_units"))
        _evaluate(bank, "base-policy", task.id, passes=1, retention=0.74, was=None)
        _evaluate(bank, "runs/trained", task.id, passes=3, retention=0.71, was=0.74)
    with TestClient(create_app(path)) as c:
        yield c, task.id


def test_a_failure_page_shows_its_replay_tasks_pass_rate_per_policy(client):
    c, task_id = client
    page = c.get(f"/failures/{FAILURE.id}").text
    assert "Held-out replay" in page and task_id in page
    assert "base-policy" in page and "runs/trained" in page
    assert "1/4" in page and "3/4" in page


def test_the_failure_api_lists_each_policys_latest_replay_result(client):
    c, _ = client
    rates = c.get(f"/api/failures/{FAILURE.id}").json()["replay_rates"]
    assert [(r["policy"], r["passes"], r["fixed"]) for r in rates] == [("runs/trained", 3, True),
                                                                        ("base-policy", 1, False)]


def test_the_overview_shows_failures_fixed_and_retention_of_the_latest_policy(client):
    c, _ = client
    page = c.get("/").text
    assert "failures fixed" in page and "1 of 1" in page
    assert "retention" in page and "0.71" in page and "was 0.74" in page
    assert c.get("/api/overview").json()["replay"]["policy"] == "runs/trained"
