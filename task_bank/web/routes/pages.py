"""The HTML pages: overview, tasks (list, detail, the curation form's POST), failures and runs.

Each handler reads through the request-scoped dependencies below and renders one template. The app opens one
:class:`Bank` (thread-safe: it serialises use of its connection) and one :class:`Insights` at creation and closes
them on shutdown; handlers receive them through these FastAPI dependencies.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.charts import Series, bar_chart
from task_bank.web.curation import CurationRequest, apply_curation
from task_bank.web.dashboard import overview_charts
from task_bank.web.query import PASS_BANDS, SORTS, TaskQuery
from task_bank.web.render import path_segment, render
from task_bank.web.security import WebConfig
from task_bank.web.views import RunView, failure_detail, failure_page, task_detail, task_page

router = APIRouter()


# ---- request-scoped access -----------------------------------------------------------------------------------

def get_bank(request: Request) -> Bank:
    """The served bank."""
    return request.app.state.bank


def get_insights(request: Request) -> Insights:
    """Read-only aggregate queries over the served bank."""
    return request.app.state.insights


def get_config(request: Request) -> WebConfig:
    """The configuration the app was created with."""
    return request.app.state.config


# ---- overview ------------------------------------------------------------------------------------------------

@router.get("/", response_class=HTMLResponse)
def overview(request: Request, bank: Annotated[Bank, Depends(get_bank)],
             insights: Annotated[Insights, Depends(get_insights)]) -> Response:
    """What the bank holds and how it grew."""
    ov = request.app.state.overview_cache.get(bank, insights)
    latest = bank.replay_evals(limit=1)
    return render(request, "overview.html", {"section": "overview", "ov": ov, "charts": overview_charts(ov),
                                             "replay": latest[0] if latest else None})


# ---- tasks ---------------------------------------------------------------------------------------------------

_FLASH = {"quarantine": "Task quarantined.", "retire": "Task retired.", "restore": "Task restored."}


@router.get("/tasks", response_class=HTMLResponse)
def task_list(request: Request, bank: Annotated[Bank, Depends(get_bank)],
              insights: Annotated[Insights, Depends(get_insights)],
              config: Annotated[WebConfig, Depends(get_config)]) -> Response:
    """The task list; every filter comes from the URL."""
    query = TaskQuery.from_params(request.query_params)
    page = task_page(bank, insights, query, config.count_budget_ms)
    return render(request, "tasks.html", {
        "section": "tasks", "query": query, "page": page,
        "page_url": lambda p: query.url(page=max(1, min(p, page.pages or p))),
        "facets": insights.facets(), "bands": PASS_BANDS, "sorts": SORTS})


@router.get("/tasks/{task_id:id}", response_class=HTMLResponse)
def task_view(request: Request, task_id: str, bank: Annotated[Bank, Depends(get_bank)]) -> Response:
    """The task page; an unknown id raises NotFoundError, which the app renders as a 404 page."""
    done = request.query_params.get("done", "")
    return render(request, "task.html", {"section": "tasks", "d": task_detail(bank, task_id),
                                         "flash": _FLASH.get(done, ""), "flash_error": False})


@router.post("/tasks/{task_id:id}/curate")
def curate(request: Request, task_id: str, bank: Annotated[Bank, Depends(get_bank)],
           config: Annotated[WebConfig, Depends(get_config)],
           action: Annotated[str, Form(max_length=20)], reviewer: Annotated[str, Form(max_length=100)] = "",
           reason: Annotated[str, Form(max_length=2000)] = "",
           token: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Apply a reviewer's quarantine/retire/restore; 403 unless curation is on and the token matches."""
    record = apply_curation(bank, config, CurationRequest(task_id=task_id, action=action, reviewer=reviewer,
                                                          reason=reason, token=token))
    return RedirectResponse(f"/tasks/{path_segment(record.id)}?done={action}", status_code=303)


# ---- failures ------------------------------------------------------------------------------------------------

def page_url(source: str) -> Callable[[int], str]:
    """Pager links that keep the source filter."""
    def url(page: int) -> str:
        params = {k: v for k, v in (("source", source), ("page", str(max(1, page)))) if v and v != "1"}
        return "/failures" + (f"?{urlencode(params)}" if params else "")
    return url


@router.get("/failures", response_class=HTMLResponse)
def failures(request: Request, bank: Annotated[Bank, Depends(get_bank)],
             insights: Annotated[Insights, Depends(get_insights)],
             page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
             source: Annotated[str, Query(max_length=200)] = "") -> Response:
    """Failure records in the order they arrived."""
    fp = failure_page(bank, insights, page, source)
    return render(request, "failures.html", {
        "section": "failures", "rows": fp.rows, "total": fp.total, "pages": fp.pages, "page": fp.page,
        "source": fp.source, "page_url": page_url(fp.source)})


@router.get("/failures/{failure_id:id}", response_class=HTMLResponse)
def failure(request: Request, failure_id: str, bank: Annotated[Bank, Depends(get_bank)],
            insights: Annotated[Insights, Depends(get_insights)]) -> Response:
    """One failure and its tasks; an unknown id is a 404 page."""
    fd = failure_detail(bank, insights, failure_id)
    return render(request, "failure.html", {
        "section": "failures", "f": fd.failure, "tasks": fd.tasks, "processed": fd.processed,
        "admitted": fd.admitted, "reasons_seen": fd.reasons_seen,
        "replay_rates": bank.failure_replay_rates(failure_id)})


# ---- runs ----------------------------------------------------------------------------------------------------

RUN_LIMIT = 200
"""Runs listed on the page (a daily schedule gives about seven months)."""


@router.get("/runs", response_class=HTMLResponse)
def runs(request: Request, bank: Annotated[Bank, Depends(get_bank)],
         insights: Annotated[Insights, Depends(get_insights)]) -> Response:
    """Every recent run, newest first, under a chart of what each admitted and rejected."""
    tallies = insights.run_tallies(limit=40)
    chart = bar_chart("Admissions and rejections per growth run", [t.run_id for t in tallies],
                      [Series("admitted", [t.admitted for t in tallies], "series-1"),
                       Series("rejected", [t.rejected for t in tallies], "series-2")])
    views = [RunView(r) for r in bank.list_runs(limit=RUN_LIMIT)]
    return render(request, "runs.html", {"section": "runs", "runs": views, "chart": chart})


@router.get("/runs/{run_id:id}", response_class=HTMLResponse)
def run(request: Request, run_id: str, bank: Annotated[Bank, Depends(get_bank)]) -> Response:
    """One run: counts, budget against limits, configuration."""
    return render(request, "run.html", {"section": "runs", "r": RunView(bank.get_run(run_id))})
