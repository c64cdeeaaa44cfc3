"""Capture the web view's screenshots in this folder: the sample bank from tests/web, served by uvicorn on
127.0.0.1, photographed by headless Debian Chromium through Playwright in light and dark colour schemes.

    python docs/screenshots/capture.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "web")]

from live_server import live_server  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402
from sample_bank import build_sample_bank  # noqa: E402

from task_bank.web import create_app  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def main() -> int:
    """Write overview, tasks, task, failure and runs screenshots (light, plus overview and task in dark)."""
    with tempfile.TemporaryDirectory() as tmp:
        ids = build_sample_bank(Path(tmp) / "bank.db")
        app = create_app(Path(tmp) / "bank.db", token="demo-token")
        pages = {"overview": "/", "tasks": "/tasks?sort=pass_rate&order=asc", "task": f"/tasks/{ids.task}",
                 "failure": f"/failures/{ids.rejected_failure}", "runs": "/runs", "evil": f"/tasks/{ids.evil_task}"}
        with live_server(app) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
            for scheme in ("light", "dark"):
                page = browser.new_page(viewport={"width": 1360, "height": 900}, color_scheme=scheme)
                for name, path in pages.items():
                    if scheme == "dark" and name not in ("overview", "task"):
                        continue
                    page.goto(base + path)
                    out = HERE / (f"{name}.png" if scheme == "light" else f"{name}-dark.png")
                    page.screenshot(path=str(out), full_page=True)
                    print(out.relative_to(ROOT))
                page.close()
            browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
