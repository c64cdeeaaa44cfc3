"""The web view's configuration, held by the app (``app.state.config``) rather than in module globals."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


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
