"""The task list's query: every filter, the sort and the page, parsed from and written back to the URL.

One immutable :class:`TaskQuery` is the single source of truth for a list view, so a view can be shared by
copying its URL, links for sorting and paging keep the other filters, and the HTML page and ``/api/tasks`` read
the same parameters. Unknown values are dropped rather than raising: a stale bookmark still opens.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from task_bank.records import TaskStatus

PASS_BANDS: dict[str, tuple[str, tuple[float, float]]] = {
    "zero": ("0% (unsolved)", (0.0, 0.0)),
    "hard": ("under 20% (hard)", (1e-9, 0.2)),
    "learnable": ("20-80% (learnable)", (0.2 + 1e-9, 0.8)),
    "easy": ("80-99% (easy)", (0.8 + 1e-9, 1.0 - 1e-9)),
    "mastered": ("100% (mastered)", (1.0, 1.0)),
}
"""Pass-rate bands offered in the filter, keyed by their URL value: (label, inclusive bounds for ``pass_band``)."""

SORTS: dict[str, str] = {
    "created": "Created",
    "updated": "Updated",
    "pass_rate": "Pass rate",
    "skill": "Skill",
    "status": "Status",
    "id": "Id",
}
"""Sort keys offered in the list, keyed by their URL value (the store's ``sort`` names)."""

PAGE_SIZES = (25, 50, 100, 200)
MAX_TEXT = 200


@dataclass(frozen=True)
class TaskQuery:
    """Filters, sort and page of the task list; empty strings mean "any"."""

    q: str = ""
    status: str = ""
    skill: str = ""
    group: str = ""
    band: str = ""
    run: str = ""
    failure: str = ""
    sort: str = "created"
    order: str = "desc"
    page: int = 1
    per: int = 50

    @classmethod
    def from_params(cls, params: Mapping[str, str]) -> TaskQuery:
        """Parse query parameters, dropping values that are not allowed instead of failing."""
        def text(name: str) -> str:
            return str(params.get(name, "")).strip()[:MAX_TEXT]

        def integer(name: str, default: int) -> int:
            try:
                return int(params.get(name, default))
            except (TypeError, ValueError):
                return default

        status = text("status")
        band = text("band")
        sort = text("sort") or "created"
        per = integer("per", 50)
        return cls(
            q=text("q"), skill=text("skill"), group=text("group"), run=text("run"), failure=text("failure"),
            status=status if status in {s.value for s in TaskStatus} else "",
            band=band if band in PASS_BANDS else "",
            sort=sort if sort in SORTS else "created",
            order="asc" if text("order") == "asc" else "desc",
            page=max(1, min(integer("page", 1), 1_000_000)),
            per=per if per in PAGE_SIZES else 50,
        )

    @property
    def offset(self) -> int:
        """Row offset of the current page."""
        return (self.page - 1) * self.per

    @property
    def active(self) -> bool:
        """True when any filter (not sort or page) narrows the list."""
        return any((self.q, self.status, self.skill, self.group, self.band, self.run, self.failure))

    def params(self) -> dict[str, str]:
        """Non-default parameters only, so URLs stay short and readable."""
        defaults = TaskQuery()
        out: dict[str, str] = {}
        for name in ("q", "status", "skill", "group", "band", "run", "failure", "sort", "order", "page", "per"):
            value = getattr(self, name)
            if value != getattr(defaults, name):
                out[name] = str(value)
        return out

    def url(self, base: str = "/tasks", **changes: Any) -> str:
        """This query's URL with some fields changed; changing a filter or the sort goes back to page 1."""
        if any(k != "page" for k in changes) and "page" not in changes:
            changes["page"] = 1
        query = replace(self, **changes)
        encoded = urlencode(query.params())
        return f"{base}?{encoded}" if encoded else base

    def sort_url(self, key: str) -> str:
        """Link for a column header: sort by ``key``, flipping the order when it is already the sort."""
        if self.sort == key:
            return self.url(order="asc" if self.order == "desc" else "desc")
        return self.url(sort=key, order="asc" if key in ("skill", "id", "status") else "desc")

    def store_filters(self) -> dict[str, Any]:
        """Keyword arguments for ``Bank.list`` / ``Bank.count`` (filters only)."""
        return {
            "status": self.status or None,
            "skill": self.skill or None,
            "text": self.q or None,
            "failure_group": self.group or None,
            "growth_run_id": self.run or None,
            "source_failure_id": self.failure or None,
            "pass_band": PASS_BANDS[self.band][1] if self.band else None,
        }
