"""Ids are free text: one holding ``/`` or ``..`` has a page, an API row and curation like any other (issue 16).

Red-team finding: links were ``urlencode``d, which leaves ``/`` alone, and the routes took one path segment, so a
task whose id held ``/`` had no page, no API row and could not be quarantined, and ``t_../../api/overview`` linked
to another page altogether.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from task_bank import TaskSpec, TaskStatus
from task_bank.store import Bank
from task_bank.web import create_app
from task_bank.web.render import path_segment

TOKEN = "correct-horse-battery-staple"
IDS = ("t_a/b/c", "t_../../api/overview", "..", "t_two\nlines")  # the last: red-team round 30


@pytest.fixture
def curator(tmp_path: Path):
    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        for i, task_id in enumerate(IDS):
            bank.admit(TaskSpec(id=task_id, prompt=f"Say {i}.", reference=str(i), failure_cases=("x",),
                                verifier=f"def verify(r):\n    return float(r == '{i}')\n"))
    with TestClient(create_app(path, token=TOKEN)) as client:
        yield client, path


def test_a_path_segment_escapes_slashes_and_dots():
    assert path_segment("t_../../x") == "t_%2E%2E%2F%2E%2E%2Fx" and "/" not in path_segment("a/b")


@pytest.mark.parametrize("task_id", IDS)
def test_every_id_has_its_page_and_api_row_through_the_link_the_list_shows(curator, task_id):
    client, _ = curator
    listing = client.get("/tasks").text
    link = f"/tasks/{path_segment(task_id)}"
    assert f'href="{link}"' in listing
    assert client.get(link).status_code == 200
    assert client.get(f"/api/tasks/{path_segment(task_id)}").json()["record"]["spec"]["id"] == task_id


def test_a_task_whose_id_holds_a_slash_can_be_quarantined_and_the_redirect_comes_back_to_it(curator):
    client, path = curator
    form = {"action": "quarantine", "reviewer": "ana", "reason": "slash id", "token": TOKEN}
    response = client.post(f"/tasks/{path_segment('t_a/b/c')}/curate", data=form, follow_redirects=False)
    assert response.status_code == 303 and re.match(r"^/tasks/t_a%2Fb%2Fc\?done=quarantine$", response.headers["location"])
    with Bank.open(path) as bank:
        assert bank.get("t_a/b/c").status is TaskStatus.QUARANTINED
