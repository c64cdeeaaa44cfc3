"""Every HTML page renders the bank's data, on a sample bank built by the test."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

from task_bank.store import Bank
from task_bank.web import create_app


def test_overview_shows_counts_by_status_and_charts(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    html = page.text
    assert re.search(r'href="/tasks\?status=admitted".*?<div class="value">27</div>', html, re.S)
    assert re.search(r'href="/tasks\?status=rejected".*?<div class="value">11</div>', html, re.S)
    assert html.count("<svg class=\"chart\"") >= 3, "growth, runs and pass-rate charts"
    assert "grow-2026-11-22" in html
    assert ">unsolvable<" in html and ">duplicate<" in html, "rejection reasons"
    assert "date_arithmetic" in html, "weakest skills"


def test_task_list_paginates_and_keeps_filters_in_page_links(client: TestClient) -> None:
    first = client.get("/tasks", params={"status": "admitted", "per": 25})
    assert first.status_code == 200
    assert "27 results" in first.text and "page 1 of 2" in first.text
    assert 'href="/tasks?status=admitted&amp;page=2&amp;per=25"' in first.text
    second = client.get("/tasks", params={"status": "admitted", "per": 25, "page": 2})
    assert second.text.count('<tr>') - 1 == 2


def test_search_finds_tasks_by_prompt_and_verifier_words(client: TestClient, ids) -> None:
    by_prompt = client.get("/tasks", params={"q": "centimetres"})
    assert "1 result " in by_prompt.text and ids.child in by_prompt.text
    by_verifier = client.get("/tasks", params={"q": "timedelta"})
    assert "7 results" in by_verifier.text


def test_each_filter_narrows_the_list(client: TestClient, ids) -> None:
    cases = {
        "skill=arithmetic": 7, "group=grp-unit_conversion": 9, "run=grow-2026-11-17": 7,
        f"failure={ids.failure}": 6, "band=mastered": 0, "band=learnable": 11, "status=quarantined": 1,
    }
    for query, expected in cases.items():
        html = client.get(f"/tasks?{query}").text
        found = re.search(r"([\d,]+) results? ·", html)
        total = int(found.group(1)) if found else 0
        assert total == expected, query


def test_sorting_by_pass_rate_ascending_puts_the_weakest_first(client: TestClient) -> None:
    html = client.get("/tasks", params={"sort": "pass_rate", "order": "asc"}).text
    rates = [int(x) for x in re.findall(r'<span class="num">(\d+)%</span>', html)]
    assert rates == sorted(rates) and rates


def test_task_page_shows_every_part(client: TestClient, ids) -> None:
    html = client.get(f"/tasks/{ids.task}").text
    assert "Convert 3 km plus 2 m into metres" in html
    assert '<span class="k">def</span>' in html, "verifier highlighted server-side"
    assert html.count('class="score good"') >= 2 and 'class="score bad"' in html, "scores of cases"
    assert "validator 1.2" in html and "determinism" in html, "validation report"
    assert f'href="/failures/{ids.failure}"' in html, "provenance links to the failure"
    assert "draft_task.j2" in html and "Qwen/Qwen3-8B" in html and "d_0000" in html
    assert f'href="/tasks/{ids.child}"' in html, "children"
    assert "near_prompt" in html, "absorbed duplicate"
    assert "step 800" in html and "runs/grpo/checkpoint-800" in html, "pass rate over checkpoints"


def test_task_page_shows_curation_history(client: TestClient) -> None:
    html = client.get("/tasks", params={"status": "quarantined"}).text
    task_id = re.search(r'href="/tasks/(t_[0-9a-f]+)"', html).group(1)
    page = client.get(f"/tasks/{task_id}").text
    assert "by maria" in page and "prompt forbids separators" in page


def test_failures_page_lists_records_with_their_tasks(client: TestClient, ids) -> None:
    html = client.get("/failures").text
    assert ids.failure in html and "thumbs down" in html and "11 results" in html
    detail = client.get(f"/failures/{ids.failure}").text
    assert detail.count('href="/tasks/t_') >= 4


def test_failure_without_admitted_tasks_says_why(client: TestClient, ids) -> None:
    html = client.get(f"/failures/{ids.rejected_failure}").text
    assert "No task from this failure was admitted: unsolvable, trivial." in html


def test_runs_page_shows_counts_budgets_and_outcome(client: TestClient, ids) -> None:
    html = client.get("/runs").text
    assert "budget exhausted" in html and "max_drafts 13 / 40" in html
    run = client.get(f"/runs/{ids.run}").text
    assert "Qwen/Qwen3-8B" in run and f'href="/tasks?run={ids.run}"' in run


def test_every_page_renders_on_an_empty_bank(tmp_path: Path) -> None:
    Bank.open(tmp_path / "empty.db").close()
    with TestClient(create_app(tmp_path / "empty.db")) as client:
        for url in ("/", "/tasks", "/tasks?q=anything", "/failures", "/runs", "/api/overview", "/api/tasks"):
            assert client.get(url).status_code == 200, url


def test_overview_is_recomputed_after_the_bank_changes(curator: TestClient, ids) -> None:
    assert curator.get("/api/overview").json()["by_status"]["retired"] == 1
    assert curator.get("/api/overview").json()["by_status"]["retired"] == 1
    curator.post(f"/tasks/{ids.task}/curate", data={"action": "retire", "reviewer": "ana", "reason": "done",
                                                   "token": "correct-horse-battery-staple"})
    assert curator.get("/api/overview").json()["by_status"]["retired"] == 2


def test_head_of_a_page_is_answered_like_get_without_a_body(client: TestClient) -> None:
    head = client.head("/")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-type"] == client.get("/").headers["content-type"]


def test_the_verifier_line_count_counts_lines_not_newlines(client: TestClient, ids) -> None:
    with Bank.open(client.app.state.config.bank_path) as bank:
        lines = len(bank.get(ids.task).spec.verifier.splitlines())
    assert f"{lines} lines" in client.get(f"/tasks/{ids.task}").text


def test_an_imported_task_shows_its_import_and_no_draft_step(client: TestClient, ids) -> None:
    html = client.get(f"/tasks/{ids.evil_task}").text
    assert '<div class="step">Import</div>' in html and "adversarial.jsonl" in html
    assert '<div class="step">Draft</div>' not in html
