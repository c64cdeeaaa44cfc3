"""Curation: reviewers with the token quarantine, retire and restore tasks with a reason; without a configured
token the view is read-only."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from task_bank.records import TaskStatus
from task_bank.store import Bank

TOKEN = "correct-horse-battery-staple"


def _form(action: str, token: str = TOKEN, reason: str = "verifier accepts any number") -> dict[str, str]:
    return {"action": action, "reviewer": "ana", "reason": reason, "token": token}


def _status(bank_file: tuple[Path, object], task_id: str) -> TaskStatus:
    with Bank.open(bank_file[0]) as bank:
        return bank.get(task_id).status


def test_read_only_view_shows_no_forms_and_refuses_posts(client: TestClient, ids, bank_file) -> None:
    page = client.get(f"/tasks/{ids.task}").text
    assert "<form method=\"post\"" not in page and "read-only" in page
    response = client.post(f"/tasks/{ids.task}/curate", data=_form("quarantine"), follow_redirects=False)
    assert response.status_code == 403
    assert _status(bank_file, ids.task) is TaskStatus.ADMITTED


def test_read_only_api_refuses_status_changes(client: TestClient, ids) -> None:
    response = client.post(f"/api/tasks/{ids.task}/status", headers={"Authorization": f"Bearer {TOKEN}"},
                           json={"action": "retire", "reviewer": "ana", "reason": "x"})
    assert response.status_code == 403


def test_curation_form_is_shown_with_a_token(curator: TestClient, ids) -> None:
    page = curator.get(f"/tasks/{ids.task}").text
    assert f'action="/tasks/{ids.task}/curate"' in page and 'value="quarantine"' in page
    assert 'value="restore"' not in page, "restore is offered only for quarantined or retired tasks"


def test_wrong_token_is_refused(curator: TestClient, ids, bank_file) -> None:
    response = curator.post(f"/tasks/{ids.task}/curate", data=_form("retire", token="guess"),
                            follow_redirects=False)
    assert response.status_code == 403 and "token" in response.text
    assert _status(bank_file, ids.task) is TaskStatus.ADMITTED


def test_reason_and_reviewer_are_required(curator: TestClient, ids) -> None:
    response = curator.post(f"/tasks/{ids.task}/curate", data=_form("retire", reason="  "), follow_redirects=False)
    assert response.status_code == 400


def test_unknown_action_is_refused(curator: TestClient, ids) -> None:
    assert curator.post(f"/tasks/{ids.task}/curate", data=_form("delete"), follow_redirects=False).status_code == 400


def test_quarantine_then_restore_is_recorded_and_shown(curator: TestClient, ids, bank_file) -> None:
    response = curator.post(f"/tasks/{ids.task}/curate", data=_form("quarantine"), follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == f"/tasks/{ids.task}?done=quarantine"
    assert _status(bank_file, ids.task) is TaskStatus.QUARANTINED
    page = curator.get(response.headers["location"]).text
    assert "Task quarantined." in page and "by ana" in page and "verifier accepts any number" in page
    curator.post(f"/tasks/{ids.task}/curate", data=_form("restore", reason="fixed upstream"))
    assert _status(bank_file, ids.task) is TaskStatus.ADMITTED
    with Bank.open(bank_file[0]) as bank:
        history = bank.history(ids.task)
    assert [(h.action, h.actor, h.reason) for h in history] == [
        ("quarantine", "ana", "verifier accepts any number"), ("restore", "ana", "fixed upstream")]


def test_retire_through_the_api_with_a_bearer_token(curator: TestClient, ids, bank_file) -> None:
    response = curator.post(f"/api/tasks/{ids.task}/status", headers={"Authorization": f"Bearer {TOKEN}"},
                            json={"action": "retire", "reviewer": "bo", "reason": "mastered"})
    assert response.status_code == 200 and response.json()["task"]["status"] == "retired"
    assert response.json()["history"][-1]["actor"] == "bo"
    assert _status(bank_file, ids.task) is TaskStatus.RETIRED


def test_curating_an_unknown_task_is_a_404(curator: TestClient) -> None:
    assert curator.post("/tasks/t_nope/curate", data=_form("retire"), follow_redirects=False).status_code == 404
