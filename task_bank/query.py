"""Task filters and sort orders as SQL, shared by ``Bank.list``, ``Bank.count`` and ``Bank.iter_tasks``."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from task_bank.errors import InputError
from task_bank.records import TaskSplit, TaskStatus

SORTS: dict[str, str] = {
    "created": "created_at {dir}, pk {dir}",
    "updated": "updated_at {dir}, pk {dir}",
    "pass_rate": "latest_pass_rate IS NULL, latest_pass_rate {dir}, pk {dir}",
    "id": "id {dir}",
    "status": "status {dir}, created_at {dir}, pk {dir}",
    "skill": "skill IS NULL, skill {dir}, created_at {dir}, pk {dir}",
}
"""Sort names accepted by ``Bank.list`` and the ORDER BY each stands for."""

_TOKEN = re.compile(r"\w+")

StatusFilter = TaskStatus | str | Iterable[TaskStatus | str] | None


def fts_query(text: str) -> str:
    """User text as an FTS5 query: every word (as the index splits words) quoted and required.

    Quoting keeps ``AND``, ``NEAR`` or ``col:`` from being syntax; splitting on the tokenizer's word boundaries
    keeps every phrase one token long, which the position-free index (``detail=column``) requires.
    """
    return " ".join('"' + token.replace('"', '""') + '"' for token in _TOKEN.findall(text))


def _statuses(status: StatusFilter) -> list[str]:
    if status is None:
        return []
    items = [status] if isinstance(status, (str, TaskStatus)) else list(status)
    values = []
    for item in items:
        try:
            values.append(TaskStatus(item).value)
        except ValueError as exc:
            choices = ", ".join(s.value for s in TaskStatus)
            raise InputError(f"unknown status {item!r}; choose one of {choices}", field="status") from exc
    return values


@dataclass(frozen=True, slots=True)
class TaskFilter:
    """The filters of ``Bank.list``/``Bank.count``; None means no filter."""

    status: StatusFilter = None
    skill: str | None = None
    text: str | None = None
    failure_group: str | None = None
    growth_run_id: str | None = None
    source_failure_id: str | None = None
    pass_band: tuple[float, float] | None = None
    split: TaskSplit | str | None = None

    def where(self) -> tuple[str, list[object]]:
        """A WHERE clause (or an empty string) and its parameters."""
        clauses: list[str] = []
        params: list[object] = []
        statuses = _statuses(self.status)
        if statuses:
            clauses.append(f"status IN ({','.join('?' * len(statuses))})")
            params.extend(statuses)
        if self.split is not None:
            try:
                split = TaskSplit(self.split).value
            except ValueError as exc:
                choices = ", ".join(s.value for s in TaskSplit)
                raise InputError(f"unknown split {self.split!r}; choose one of {choices}", field="split") from exc
            clauses.append("split = ?")
            params.append(split)
        for column, value in (("skill", self.skill), ("failure_group", self.failure_group),
                              ("growth_run_id", self.growth_run_id)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if self.text and self.text.strip():
            query = fts_query(self.text)
            if query:
                clauses.append("pk IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?)")
                params.append(query)
            else:
                clauses.append("0")  # only punctuation: the index holds no such word
        if self.source_failure_id is not None:
            clauses.append("pk IN (SELECT task_pk FROM task_failures WHERE failure_id = ?)")
            params.append(self.source_failure_id)
        if self.pass_band is not None:
            low, high = self.pass_band
            if low > high:
                raise InputError(f"pass_band ({low}, {high}) has its low end above its high end", field="pass_band")
            clauses.append("latest_pass_rate BETWEEN ? AND ?")
            params.extend([low, high])
        return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def order_by(sort: str, descending: bool) -> str:
    """The ORDER BY clause for a sort name; InputError naming the choices for an unknown one."""
    template = SORTS.get(sort)
    if template is None:
        raise InputError(f"unknown sort {sort!r}; choose one of {', '.join(SORTS)}", field="sort")
    return " ORDER BY " + template.format(dir="DESC" if descending else "ASC")
