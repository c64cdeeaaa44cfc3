"""On a large bank the task list stays fast: counting is bounded in time, and paging works without a total."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from task_bank import TaskSpec
from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web import create_app


@pytest.fixture(scope="module")
def big_bank(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("big") / "bank.db"
    with Bank.open(path) as bank:
        bank.admit_many((TaskSpec(prompt=f"Task {i}: sort the csv column {i % 7}", reference=str(i),
                                  verifier=f"def verify(r):\n    return float(r == {str(i)!r})\n",
                                  failure_cases=("x",), metadata={"skill": f"s{i % 5}"}) for i in range(3000)),
                        dedup=False)
    return path


def test_count_within_budget_is_exact(big_bank: Path) -> None:
    with Insights(big_bank) as insights:
        assert insights.count_tasks(10_000, text="csv", skill="s1") == 600


def test_count_past_budget_gives_none(big_bank: Path) -> None:
    with Insights(big_bank) as insights:
        assert insights.count_tasks(0, text="csv") is None


def test_list_pages_without_a_total_when_counting_is_too_slow(big_bank: Path) -> None:
    with TestClient(create_app(big_bank, count_budget_ms=0)) as client:
        html = client.get("/tasks", params={"q": "csv", "page": 2}).text
        assert "many results · page 2" in html
        assert 'href="/tasks?q=csv&amp;page=3" rel="next"' in html and 'class="disabled"' not in html
        body = client.get("/api/tasks", params={"q": "csv"}).json()
        assert body["total"] is None and body["pages"] is None and body["has_next"] is True
        assert len(body["tasks"]) == 50


def test_last_page_without_a_total_has_no_next(big_bank: Path) -> None:
    with TestClient(create_app(big_bank, count_budget_ms=0)) as client:
        body = client.get("/api/tasks", params={"q": "csv", "per": 200, "page": 15}).json()
        assert body["has_next"] is False and len(body["tasks"]) == 200
