"""Environments: every stored environment, and for one its tools, reference trajectory and per-seed results."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import HTMLResponse, Response

from task_bank.errors import NotFoundError
from task_bank.store import Bank
from task_bank.web.render import highlight_python
from task_bank.web.render import render
from task_bank.web.routes.pages import get_bank

router = APIRouter()


@router.get("/environments", response_class=HTMLResponse)
def environments(request: Request, bank: Annotated[Bank, Depends(get_bank)]) -> Response:
    """Stored environments in storage order, with their status and tool count."""
    rows = list(bank.iter_environments())
    return render(request, "environments.html", {"section": "environments", "rows": rows,
                                                 "counts": bank.environment_counts()})


@router.get("/environments/{environment_id:id}", response_class=HTMLResponse)
def environment(request: Request, environment_id: str, bank: Annotated[Bank, Depends(get_bank)]) -> Response:
    """One environment: prompt, tool signatures and docstrings, the reference replay with each observation,
    per-seed results of a family, and the validation checks; an unknown id is a 404 page."""
    record = bank.find_environment(environment_id)
    if record is None:
        raise NotFoundError(f"no environment with id {environment_id!r}")
    reference = record.evidence.reference
    steps = list(zip(record.spec.reference.calls, reference.steps)) if reference is not None else []
    return render(request, "environment.html", {
        "section": "environments", "e": record, "interface": record.interface, "steps": steps,
        "reference": reference, "source": highlight_python(record.spec.environment)})
