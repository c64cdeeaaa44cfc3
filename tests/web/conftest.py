"""Fixtures for the web view's tests: a freshly built sample bank per test, and clients with and without the
access token. The helper modules beside this file are plain modules on the test path (``pythonpath`` in
pyproject.toml); the screenshot script imports them the same way."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path

import live_server as live_server_module
import pytest
import sample_bank
from fastapi.testclient import TestClient

from task_bank.web import create_app

TOKEN = "correct-horse-battery-staple"


@pytest.fixture
def bank_file(tmp_path: Path) -> tuple[Path, object]:
    """(path, ids) of a new sample bank."""
    path = tmp_path / "bank.db"
    return path, sample_bank.build_sample_bank(path)


@pytest.fixture
def ids(bank_file: tuple[Path, object]) -> object:
    """Ids of notable records in the sample bank."""
    return bank_file[1]


@pytest.fixture
def evil() -> str:
    """The markup planted in the sample bank's adversarial task."""
    return sample_bank.EVIL


@pytest.fixture
def client(bank_file: tuple[Path, object]) -> Iterator[TestClient]:
    """A read-only view (no token configured)."""
    with TestClient(create_app(bank_file[0])) as c:
        yield c


@pytest.fixture
def curator(bank_file: tuple[Path, object]) -> Iterator[TestClient]:
    """A view with curation enabled by :data:`TOKEN`."""
    with TestClient(create_app(bank_file[0], token=TOKEN)) as c:
        yield c


@pytest.fixture
def live_server() -> Callable[..., AbstractContextManager[str]]:
    """Start a real uvicorn server for an app: ``with live_server(app) as base_url: ...``."""
    return live_server_module.live_server
