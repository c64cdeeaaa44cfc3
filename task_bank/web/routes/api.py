"""The JSON API under ``/api/``: the same data as the pages, built by the same view builders.

Reads are open like the pages; the one write, ``POST /api/tasks/{id}/status``, follows the same curation rules as
the form and takes the token in an ``Authorization: Bearer ...`` header.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.curation import CurationRequest, apply_curation
from task_bank.web.query import TaskQuery
from task_bank.web.routes.pages import get_bank, get_config, get_insights
from task_bank.web.security import WebConfig
from task_bank.web.views import RunView, failure_detail, failure_page, task_detail, task_page, to_json

router = APIRouter(prefix="/api")

Banked = Annotated[Bank, Depends(get_bank)]
Insighted = Annotated[Insights, Depends(get_insights)]


class StatusChange(BaseModel):
    """Body of ``POST /api/tasks/{id}/status``."""

    model_config = ConfigDict(extra="forbid")

    action: str = Field(max_length=20)
    reviewer: str = Field(max_length=100)
    reason: str = Field(max_length=2000)


@router.get("/")
def index() -> dict[str, Any]:
    """The endpoints, so the API explains itself."""
    return {"endpoints": {
        "GET /api/overview": "counts by status and the overview's series",
        "GET /api/tasks": "task list; same query parameters as /tasks (q, status, skill, group, band, run, "
                          "failure, sort, order, page, per)",
        "GET /api/tasks/{id}": "one task with reports, provenance links, duplicates, stats, history",
        "POST /api/tasks/{id}/status": "curate: {action: quarantine|retire|restore, reviewer, reason} with "
                                       "'Authorization: Bearer TOKEN'",
        "GET /api/failures": "failure records (page, source)",
        "GET /api/failures/{id}": "one failure and the tasks drafted from it",
        "GET /api/runs": "growth runs, newest first",
        "GET /api/runs/{id}": "one growth run",
        "GET /api/facets": "values the task filters offer",
    }}


@router.get("/overview")
def overview(request: Request, bank: Banked, insights: Insighted) -> Any:
    """Everything the overview page shows."""
    latest = bank.replay_evals(limit=1)
    return {**to_json(request.app.state.overview_cache.get(bank, insights)),
            "replay": to_json(latest[0]) if latest else None}


@router.get("/tasks")
def tasks(request: Request, bank: Banked, insights: Insighted,
          config: Annotated[WebConfig, Depends(get_config)]) -> Any:
    """A page of the task list; unknown filter values are ignored, as on the page; ``total`` is null when
    counting would have taken longer than the page (use ``has_next`` to page on)."""
    query = TaskQuery.from_params(request.query_params)
    page = task_page(bank, insights, query, config.count_budget_ms)
    return {"query": query.params(), "total": page.total, "page": page.page, "pages": page.pages,
            "per": page.per, "has_next": page.has_next,
            "tasks": [{**to_json(row.record), "pass_rate": row.pass_rate} for row in page.rows]}


@router.get("/tasks/{task_id:id}")
def task(task_id: str, bank: Banked) -> Any:
    """One task and everything the task page shows."""
    detail = task_detail(bank, task_id)
    return {**to_json(detail), "latest_report": to_json(detail.latest_report),
            "failures": [{"id": fid, "record": to_json(f)} for fid, f in detail.failures],
            "case_scores": [{"case": case, "scores": to_json(scores)}
                            for case, scores in detail.case_scores]}


@router.post("/tasks/{task_id:id}/status")
def change_status(task_id: str, change: StatusChange, bank: Banked,
                  config: Annotated[WebConfig, Depends(get_config)],
                  authorization: Annotated[str, Header(max_length=600)] = "") -> Any:
    """Quarantine, retire or restore a task; 403 without curation or with a wrong token."""
    scheme, _, token = authorization.partition(" ")
    record = apply_curation(bank, config, CurationRequest(
        task_id=task_id, action=change.action, reviewer=change.reviewer, reason=change.reason,
        token=token.strip() if scheme.lower() == "bearer" else ""))
    return {"task": to_json(record), "history": to_json(bank.history(task_id))}


@router.get("/failures")
def failures(bank: Banked, insights: Insighted, page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             source: Annotated[str, Query(max_length=200)] = "") -> Any:
    """A page of failure records with the status counts of their tasks."""
    fp = failure_page(bank, insights, page, source)
    return {"total": fp.total, "page": fp.page, "pages": fp.pages, "source": fp.source or None,
            "failures": [{**to_json(r.failure), "task_counts": r.task_counts} for r in fp.rows]}


@router.get("/failures/{failure_id:id}")
def failure(failure_id: str, bank: Banked, insights: Insighted) -> Any:
    """One failure, its tasks, and the reasons they were rejected."""
    fd = failure_detail(bank, insights, failure_id)
    return {**to_json(fd), "admitted": fd.admitted, "reasons_seen": fd.reasons_seen,
            "replay_rates": to_json(bank.failure_replay_rates(failure_id))}


@router.get("/runs")
def runs(bank: Banked, limit: Annotated[int, Query(ge=1, le=1000)] = 50) -> Any:
    """Recent growth runs, newest first."""
    return {"runs": [_run_json(RunView(r)) for r in bank.list_runs(limit=limit)]}


@router.get("/runs/{run_id:id}")
def run(run_id: str, bank: Banked) -> Any:
    """One growth run."""
    return _run_json(RunView(bank.get_run(run_id)))


@router.get("/facets")
def facets(insights: Insighted) -> Any:
    """Statuses, skills, failure groups and runs the filters offer."""
    return to_json(insights.facets())


def _run_json(view: RunView) -> dict[str, Any]:
    return {**to_json(view.run), "admitted": view.admitted, "rejected": view.rejected,
            "budget_table": [{"key": k, "used": u, "limit": lim} for k, u, lim in view.budget]}
