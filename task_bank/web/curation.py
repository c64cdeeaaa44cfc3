"""Curation: a reviewer quarantines, retires or restores a task, and the bank records who, when and why.

The rules live here, not in the route, so the HTML form and the JSON API enforce the same ones: curation must be
switched on (a token configured), the offered token must match, the action must be known, and both a reviewer
name and a reason are required, because the history is only useful if it says who decided and why.
"""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import HTTPException

from task_bank.records import TaskRecord, TaskStatus
from task_bank.store import Bank
from task_bank.validation import Reason
from task_bank.web.security import WebConfig, token_matches

ACTIONS: dict[str, TaskStatus] = {
    "quarantine": TaskStatus.QUARANTINED,
    "retire": TaskStatus.RETIRED,
    "restore": TaskStatus.ADMITTED,
}
"""Reviewer actions and the status each one sets."""


@dataclass(frozen=True)
class CurationRequest:
    """One reviewer action as submitted by the form or the API."""

    task_id: str
    action: str
    reviewer: str
    reason: str
    token: str


def apply_curation(bank: Bank, config: WebConfig, req: CurationRequest) -> TaskRecord:
    """Check the request and record it through ``bank.set_status``; raises HTTPException (403/400) or NotFoundError."""
    if not config.can_curate:
        raise HTTPException(403, "This view is read-only: start it with an access token to enable curation.")
    if not token_matches(config.token, req.token):
        raise HTTPException(403, "The access token is missing or wrong.")
    status = ACTIONS.get(req.action)
    if status is None:
        raise HTTPException(400, f"Unknown action '{req.action}'; use one of: {', '.join(ACTIONS)}.")
    reviewer, reason = req.reviewer.strip(), req.reason.strip()
    if not reviewer or not reason:
        raise HTTPException(400, "A reviewer name and a reason are required; they go into the task's history.")
    bank.get(req.task_id)
    return bank.set_status(req.task_id, status, actor=reviewer, reason=reason, action=req.action,
                           reasons=(Reason.REVIEWED,) if status is not TaskStatus.ADMITTED else ())
