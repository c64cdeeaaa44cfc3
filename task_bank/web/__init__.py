"""The web view of a task bank: FastAPI + Jinja2, server-rendered, read-only unless an access token is configured.

``create_app(bank_path, token=None)`` builds the application; ``python -m task_bank serve`` runs it (see
:mod:`task_bank.web.cli`). Pages live in :mod:`task_bank.web.routes.pages`, the JSON API in :mod:`task_bank.web.routes.api`; both share the view
builders in :mod:`task_bank.web.views` with the JSON API, so ``/api/...`` always shows the same data as the HTML.
"""

from task_bank.web.app import create_app
from task_bank.web.security import WebConfig

__all__ = ["WebConfig", "create_app"]
