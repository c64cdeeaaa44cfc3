"""A real browser against a real server: headless Debian Chromium, driven by Playwright, loads the overview,
searches, opens a task, follows its provenance to the failure, and saves a screenshot."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from task_bank.web import create_app

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]

pytestmark = pytest.mark.browser


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Chromium, or a skip naming what is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (python) is not installed")
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        pytest.skip(f"Debian's chromium is not installed at {CHROMIUM} (apt-get install -y chromium)")
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def test_overview_search_task_and_provenance_in_a_browser(browser, bank_file, live_server, tmp_path: Path) -> None:
    path, ids = bank_file
    console_errors: list[str] = []
    with live_server(create_app(path)) as base:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        page.goto(base + "/")
        assert page.locator("h1").inner_text() == "What the machine taught itself"
        assert page.locator("svg.chart").count() >= 3

        page.fill("header input[type=search]", "centimetres")
        page.press("header input[type=search]", "Enter")
        page.wait_for_url("**/tasks?q=centimetres")
        assert "1 result" in page.locator(".pager").inner_text()

        page.goto(base + "/tasks?q=metres&skill=unit_conversion")
        page.click(f"a[href='/tasks/{ids.task}']")
        page.wait_for_url(f"**/tasks/{ids.task}")
        assert page.locator("div.code .k").first.inner_text() == "def"

        page.click(f".chain a[href='/failures/{ids.failure}']")
        page.wait_for_url(f"**/failures/{ids.failure}")
        assert page.locator(f"table.data a[href='/tasks/{ids.task}']").count() >= 1
        shot = tmp_path / "failure.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
    assert not console_errors, console_errors


def test_markup_in_a_task_does_not_run_in_the_browser(browser, bank_file, live_server) -> None:
    path, ids = bank_file
    with live_server(create_app(path)) as base:
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        page.goto(base + f"/tasks/{ids.evil_task}")
        assert "<script>" in page.locator("pre.text").first.inner_text()
        assert page.locator("main img").count() == 0
    assert dialogs == []
