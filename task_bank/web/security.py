"""The web view's safety rules in one place: how it was started, where it may bind, who may curate, and the headers
every response carries.

* Configuration: :class:`WebConfig` (the bank, the access token), held by the app (``app.state.config``) rather than
  in module globals.

* Binding: loopback only, unless an access token is configured (:func:`check_bind`). A read-only view on a
  shared host would still leak prompts and failure logs, so "elsewhere" needs the token as a deliberate opt-in.
* Curation: a POST must carry the configured token; compared in constant time (:func:`token_matches`).
  Without a token configured every write is refused with 403 and no form is rendered.
* Headers: a strict Content-Security-Policy (scripts and styles from this origin only, no inline script), no
  framing, no MIME sniffing, no referrer leaking task ids (:class:`SecurityHeadersMiddleware`).
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from task_bank.errors import ConfigError


@dataclass(frozen=True)
class WebConfig:
    """Everything a request handler needs to know about how the view was started."""

    bank_path: Path
    """The SQLite bank file served."""
    token: str | None = None
    """Access token that unlocks curation; None makes the view read-only."""
    count_budget_ms: float = 20.0
    """Time the task list may spend counting matches before it pages without a total."""

    @property
    def can_curate(self) -> bool:
        """Whether curation forms are shown and POSTs are considered at all."""
        return bool(self.token)

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
"""No inline scripts or styles anywhere: charts use presentation attributes and CSS classes instead."""

_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and 'localhost'; anything else (0.0.0.0 included) reaches other machines."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_bind(host: str, token: str | None) -> None:
    """Refuse to serve on a non-loopback address unless an access token is configured."""
    if not is_loopback(host) and not token:
        raise ConfigError(
            f"refusing to bind the web view to {host}: it is reachable from other machines and no access token "
            "is configured; set one (e.g. export ENVSYNTH_WEB_TOKEN=...) or bind to 127.0.0.1", field="--host")


def token_matches(configured: str | None, offered: str | None) -> bool:
    """Constant-time comparison; always False when no token is configured (the view is read-only)."""
    if not configured or not offered:
        return False
    return hmac.compare_digest(configured.encode(), offered.encode())


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding the security headers to every HTTP response, errors and static files included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {name for name, _ in message.get("headers", [])}
                extra = [(k, v) for k, v in _HEADERS if k not in names]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, send_with_headers)
