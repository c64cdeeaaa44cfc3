"""Capture the web view's screenshots in this folder from a real bank: served by uvicorn on 127.0.0.1, photographed
by headless Debian Chromium through Playwright in light and dark colour schemes.

    python docs/screenshots/capture.py --bank PATH [--out DIR]

The screenshots document what a real run left in a bank, so the pages shown are picked from that bank (the most
trained task, the failure it came from, the runs), never from made-up sample data. `docs/screenshots/README.md`
names the commands that produced the bank used for the committed pictures.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "web")]

from live_server import live_server  # noqa: E402
from playwright.sync_api import sync_playwright  # noqa: E402

from task_bank.records import TaskStatus  # noqa: E402
from task_bank.store import Bank  # noqa: E402
from task_bank.web import create_app  # noqa: E402

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def pages_of(bank_path: Path) -> dict[str, str]:
    """The pages worth showing in this bank: overview, task list, one admitted task, its failure, the runs."""
    with Bank.open(bank_path) as bank:
        tasks = bank.list(status=TaskStatus.ADMITTED, limit=10_000)
        if not tasks:
            raise SystemExit(f"error: {bank_path} has no admitted task to show; run synth.generate first")
        task = max(tasks, key=lambda t: (len(t.provenance.source_failure_ids) > 0, t.id))
    pages = {"overview": "/", "tasks": "/tasks?sort=pass_rate&order=desc", "task": f"/tasks/{task.id}",
             "runs": "/runs"}
    if task.provenance.source_failure_ids:
        pages["failure"] = f"/failures/{task.provenance.source_failure_ids[0]}"
    return pages


def main(argv: list[str] | None = None) -> int:
    """Write overview, tasks, task, failure and runs screenshots (light, plus overview and task in dark)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bank", type=Path, required=True, help="the bank a real run left (required)")
    parser.add_argument("--out", type=Path, default=HERE, help="folder for the PNG files (default: this folder)")
    args = parser.parse_args(argv)
    pages = pages_of(args.bank)
    app = create_app(args.bank)
    with live_server(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        for scheme in ("light", "dark"):
            page = browser.new_page(viewport={"width": 1360, "height": 900}, color_scheme=scheme)
            for name, path in pages.items():
                if scheme == "dark" and name not in ("overview", "task"):
                    continue
                page.goto(base + path)
                out = args.out / (f"{name}.png" if scheme == "light" else f"{name}-dark.png")
                page.screenshot(path=str(out), full_page=True)
                print(out)
            page.close()
        browser.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
