"""Runs: growth runs with their counts, budgets and outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.charts import Series, bar_chart
from task_bank.web.render import render
from task_bank.web.routes.deps import get_bank, get_insights
from task_bank.web.views import RunView

router = APIRouter()

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


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, run_id: str, bank: Annotated[Bank, Depends(get_bank)]) -> Response:
    """One run: counts, budget against limits, configuration."""
    return render(request, "run.html", {"section": "runs", "r": RunView(bank.get_run(run_id))})
