"""The overview page: counts by status and the bank-wide charts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.dashboard import overview_charts
from task_bank.web.render import render
from task_bank.web.routes.deps import get_bank, get_insights

router = APIRouter()


@router.get("/", response_class=HTMLResponse)
def overview(request: Request, bank: Annotated[Bank, Depends(get_bank)],
             insights: Annotated[Insights, Depends(get_insights)]) -> Response:
    """What the bank holds and how it grew."""
    ov = request.app.state.overview_cache.get(bank, insights)
    latest = bank.replay_evals(limit=1)
    return render(request, "overview.html", {"section": "overview", "ov": ov, "charts": overview_charts(ov),
                                             "replay": latest[0] if latest else None})
