"""The application factory: wires the bank, templates, static files, security headers, routes and error pages.

Errors are part of the interface: an unknown id is a styled 404 page (or a JSON ``{"detail": ...}`` under
``/api/``), never a traceback, and an unexpected exception is a 500 page that does not echo internals.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from task_bank.errors import NotFoundError
from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.dashboard import OverviewCache
from task_bank.web.render import make_templates, render
from task_bank.web.routes import api, environments, pages
from task_bank.web.security import SecurityHeadersMiddleware, WebConfig

STATIC_DIR = Path(__file__).parent / "static"

_HEADINGS = {400: "Bad request", 403: "Not allowed", 404: "Not found", 405: "Method not allowed",
             422: "Bad request", 500: "Something went wrong"}


class HeadAsGet:
    """Answer ``HEAD`` as the ``GET`` it asks about, without the body (RFC 9110 9.3.2): link checkers and uptime
    probes send HEAD, and FastAPI's GET routes would answer 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def create_app(bank_path: str | Path, token: str | None = None, *, count_budget_ms: float = 20.0) -> FastAPI:
    """Build the web view for the bank at ``bank_path``; curation is enabled only when ``token`` is set.

    ``count_budget_ms`` bounds the time the task list spends counting matches (see ``task_bank.web.views.task_page``).
    """
    config = WebConfig(bank_path=Path(bank_path), token=token or None, count_budget_ms=count_budget_ms)
    bank = Bank.open(config.bank_path)
    insights = Insights(config.bank_path)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        yield
        insights.close()
        bank.close()

    app = FastAPI(title="envsynth task bank", docs_url=None, redoc_url=None, openapi_url="/api/openapi.json",
                  lifespan=lifespan)
    app.state.config = config
    app.state.bank = bank
    app.state.insights = insights
    app.state.overview_cache = OverviewCache()
    app.state.templates = make_templates()
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(HeadAsGet)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    for module in (pages, environments, api):
        app.include_router(module.router)
    _install_error_pages(app)
    return app


def error_response(request: Request, status_code: int, message: str) -> Response:
    """A JSON error under /api/, a styled page everywhere else."""
    if request.url.path.startswith("/api/"):
        return JSONResponse({"detail": message}, status_code=status_code)
    heading = _HEADINGS.get(status_code, "Error")
    return render(request, "error.html", {"status_code": status_code, "heading": heading, "message": message},
                  status_code=status_code)


def _install_error_pages(app: FastAPI) -> None:
    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        return error_response(request, 404, str(exc) or "No such record in this bank.")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else _HEADINGS.get(exc.status_code, "Error")
        if exc.status_code == 404 and message == "Not Found":
            message = "There is no page at this address."
        return error_response(request, exc.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, exc: RequestValidationError) -> Response:
        return error_response(request, 422, "The request's parameters are not valid.")

    @app.exception_handler(Exception)
    async def crash(request: Request, exc: Exception) -> Response:
        return error_response(request, 500, "The server failed to build this page; the details are in its log.")
