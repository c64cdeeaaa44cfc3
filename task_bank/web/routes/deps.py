"""Request-scoped access to what the app holds: the bank, its read-only insights, and the configuration.

The app opens one :class:`Bank` (thread-safe: it serialises use of its connection) and one :class:`Insights`
at creation and closes them on shutdown; handlers receive them through these FastAPI dependencies.
"""

from __future__ import annotations

from fastapi import Request

from task_bank.insights import Insights
from task_bank.store import Bank
from task_bank.web.config import WebConfig


def get_bank(request: Request) -> Bank:
    """The served bank."""
    return request.app.state.bank


def get_insights(request: Request) -> Insights:
    """Read-only aggregate queries over the served bank."""
    return request.app.state.insights


def get_config(request: Request) -> WebConfig:
    """The configuration the app was created with."""
    return request.app.state.config
