"""Tasks: the filtered, sorted, paginated list, the task page, and the curation form's POST."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.config import WebConfig
from task_bank.web.curation import CurationRequest, apply_curation
from task_bank.web.query import PASS_BANDS, SORTS, TaskQuery
from task_bank.web.render import render
from task_bank.web.routes.deps import get_bank, get_config, get_insights
from task_bank.web.tasklist import task_page
from task_bank.web.views import task_detail

router = APIRouter()

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


@router.get("/tasks/{task_id}", response_class=HTMLResponse)
def task_view(request: Request, task_id: str, bank: Annotated[Bank, Depends(get_bank)]) -> Response:
    """The task page; an unknown id raises NotFoundError, which the app renders as a 404 page."""
    done = request.query_params.get("done", "")
    return render(request, "task.html", {"section": "tasks", "d": task_detail(bank, task_id),
                                         "flash": _FLASH.get(done, ""), "flash_error": False})


@router.post("/tasks/{task_id}/curate")
def curate(request: Request, task_id: str, bank: Annotated[Bank, Depends(get_bank)],
           config: Annotated[WebConfig, Depends(get_config)],
           action: Annotated[str, Form(max_length=20)], reviewer: Annotated[str, Form(max_length=100)] = "",
           reason: Annotated[str, Form(max_length=2000)] = "",
           token: Annotated[str, Form(max_length=500)] = "") -> Response:
    """Apply a reviewer's quarantine/retire/restore; 403 unless curation is on and the token matches."""
    record = apply_curation(bank, config, CurationRequest(task_id=task_id, action=action, reviewer=reviewer,
                                                          reason=reason, token=token))
    return RedirectResponse(f"/tasks/{quote(record.id, safe='')}?done={action}", status_code=303)
