"""Failures: every failure record, and for one failure the tasks it produced or why none were admitted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import HTMLResponse, Response

from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.failurelist import failure_detail, failure_page
from task_bank.web.render import render
from task_bank.web.routes.deps import get_bank, get_insights

router = APIRouter()


def page_url(source: str) -> Callable[[int], str]:
    """Pager links that keep the source filter."""
    def url(page: int) -> str:
        params = {k: v for k, v in (("source", source), ("page", str(page))) if v and v != "1"}
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


@router.get("/failures/{failure_id}", response_class=HTMLResponse)
def failure(request: Request, failure_id: str, bank: Annotated[Bank, Depends(get_bank)],
            insights: Annotated[Insights, Depends(get_insights)]) -> Response:
    """One failure and its tasks; an unknown id is a 404 page."""
    fd = failure_detail(bank, insights, failure_id)
    return render(request, "failure.html", {
        "section": "failures", "f": fd.failure, "tasks": fd.tasks, "processed": fd.processed,
        "admitted": fd.admitted, "reasons_seen": fd.reasons_seen,
        "replay_rates": bank.failure_replay_rates(failure_id)})
