"""The JSON API under /api/ serves the same data as the pages."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_api_index_lists_its_endpoints(client: TestClient) -> None:
    body = client.get("/api/").json()
    assert "GET /api/tasks" in body["endpoints"] and "POST /api/tasks/{id}/status" in body["endpoints"]


def test_api_overview_matches_the_bank(client: TestClient) -> None:
    body = client.get("/api/overview").json()
    assert body["total"] == 40
    assert body["by_status"] == {"admitted": 27, "rejected": 11, "candidate": 0, "quarantined": 1, "retired": 1}
    assert len(body["run_tallies"]) == 6 and sum(body["pass_rate_histogram"]) > 0
    assert body["rejection_reasons"][0][1] >= 2 and body["weakest_skills"][0]["skill"]


def test_api_tasks_takes_the_page_filters(client: TestClient) -> None:
    body = client.get("/api/tasks", params={"skill": "arithmetic", "sort": "pass_rate", "order": "asc"}).json()
    assert body["total"] == 7 and body["query"]["skill"] == "arithmetic"
    assert all(t["spec"]["metadata"]["skill"] == "arithmetic" for t in body["tasks"])
    rates = [t["pass_rate"] for t in body["tasks"] if t["pass_rate"] is not None]
    assert rates == sorted(rates)


def test_api_task_has_reports_provenance_and_relations(client: TestClient, ids) -> None:
    body = client.get(f"/api/tasks/{ids.task}").json()
    assert body["record"]["spec"]["id"] == ids.task
    assert body["latest_report"]["admitted"] is True and len(body["reports"]) == 1
    assert body["failures"][0]["id"] == ids.failure and body["failures"][0]["record"]["source"]
    assert [c["spec"]["id"] for c in body["children"]] == [ids.child]
    assert body["duplicates"][0]["duplicate_kind"] == "near_prompt"
    assert [s["step"] for s in body["stats"]][-1] == 800
    assert [len(c["scores"]) for c in body["case_scores"]] == [2, 2] and body["reference_scores"][0]["score"] == 1.0


def test_api_failures_and_failure(client: TestClient, ids) -> None:
    page = client.get("/api/failures").json()
    assert page["total"] == 11 and page["failures"][0]["task_counts"]
    detail = client.get(f"/api/failures/{ids.rejected_failure}").json()
    assert detail["admitted"] is False and detail["reasons_seen"] == ["unsolvable", "trivial"]
    sourced = client.get("/api/failures", params={"source": "eval-suite"}).json()
    assert sourced["total"] == 5


def test_api_runs_and_run(client: TestClient, ids) -> None:
    runs = client.get("/api/runs").json()["runs"]
    assert runs[0]["id"] == "grow-2026-11-22" and runs[0]["admitted"] + runs[0]["rejected"] > 0
    run = client.get(f"/api/runs/{ids.run}").json()
    assert run["outcome"] == "succeeded" and {"key": "max_drafts", "used": 10, "limit": 40} in run["budget_table"]


def test_api_facets(client: TestClient) -> None:
    body = client.get("/api/facets").json()
    assert "arithmetic" in body["skills"] and "grp-arithmetic" in body["groups"] and len(body["runs"]) == 6


def test_api_unknown_ids_are_json_404s(client: TestClient) -> None:
    for url in ("/api/tasks/t_nope", "/api/failures/f_nope", "/api/runs/nope", "/api/nothing"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "detail" in response.json()
