"""Template rendering: one Jinja2 environment per app, with the filters and globals every page uses.

Autoescaping is on for every template (Starlette's default for ``.html``), so anything from the bank — prompts,
verifier code, failure logs — renders as text. Only values built by our own code (SVG charts, Pygments output)
are marked safe, and those builders escape their inputs themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from starlette.responses import HTMLResponse

from task_bank.web.charts import meter
from task_bank.web.config import WebConfig

TEMPLATES_DIR = Path(__file__).parent / "templates"


def make_templates() -> Jinja2Templates:
    """A fresh template set (not module-global, so two apps never share state)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.globals["meter"] = meter
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    return templates


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the common context (curation mode, bank name) added."""
    config: WebConfig = request.app.state.config
    templates: Jinja2Templates = request.app.state.templates
    base = {"can_curate": config.can_curate, "bank_name": config.bank_path.name}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)
