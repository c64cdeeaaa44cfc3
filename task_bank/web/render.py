"""Template rendering: one Jinja2 environment per app, with the filters and globals every page uses.

Autoescaping is on for every template (Starlette's default for ``.html``), so anything from the bank — prompts,
verifier code, failure logs — renders as text. Only values built by our own code (SVG charts, Pygments output)
are marked safe, and those builders escape their inputs themselves.

Verifier code is highlighted here, on the server, so reviewers read it highlighted without any JavaScript: Pygments
(a dependency of ``rich``) tokenises the source and escapes every token, and emits CSS classes only (colours live in
``static/style.css``), never inline styles, which the Content-Security-Policy would block. Line numbers sit in a
separate column so copying code copies code.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote
from typing import Any

from fastapi import Request
from fastapi.templating import Jinja2Templates
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import PythonLexer
from starlette.responses import HTMLResponse

from task_bank.shown_text import shown
from task_bank.web.charts import meter
from task_bank.web.security import WebConfig

TEMPLATES_DIR = Path(__file__).parent / "templates"


def make_templates() -> Jinja2Templates:
    """A fresh template set (not module-global, so two apps never share state)."""
    templates = Jinja2Templates(directory=str(TEMPLATES_DIR))
    templates.env.globals["meter"] = meter
    templates.env.filters["segment"] = path_segment
    templates.env.trim_blocks = True
    templates.env.lstrip_blocks = True
    return templates


def path_segment(value: object) -> str:
    """``value`` as one segment of a URL path: every ``/`` and ``.`` escaped too. Why: ids are free text; with
    ``urlencode`` an id holding ``/`` linked to a page that did not exist, and ``t_../../api/overview`` to another
    page altogether (red-team finding). The routes take the decoded id whole, line breaks included
    (``{task_id:id}``, :mod:`task_bank.web.routes`)."""
    return quote(str(value), safe="").replace(".", "%2E")


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render ``name`` with the common context (curation mode, bank name) added."""
    config: WebConfig = request.app.state.config
    templates: Jinja2Templates = request.app.state.templates
    base = {"can_curate": config.can_curate, "bank_name": config.bank_path.name}
    return templates.TemplateResponse(request, name, {**base, **context}, status_code=status_code)


def highlight_python(source: str) -> Markup:
    """Highlighted, escaped HTML for Python source (the output is safe to insert unescaped): its head only, and a
    line saying what was left out (``task_bank.shown_text``: a 300,000-line verifier made an 11 s, 36 MB page)."""
    head = shown(source)
    formatter = HtmlFormatter(cssclass="code", linenos="table", wrapcode=True, nobackground=True)
    note = Markup('<p class="omitted">{}</p>').format(head.note) if head.note else Markup("")
    return Markup(highlight(head.text, PythonLexer(), formatter)) + note
