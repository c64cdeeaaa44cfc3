"""Import and export of task spec v1 as JSONL (one task per line).

Import is all-or-nothing only with ``strict``: otherwise every line that parses is admitted (with dedup) and every
line that does not is reported with its file, line number and failing field. Tasks already in the bank are never
changed: admitting an id that is stored is a no-op. Batches are committed as they fill, and ``on_commit`` hears of
each batch only after its commit, so a killed import never reports a task the bank does not hold.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from task_bank.errors import InputError
from task_bank.provenance import Provenance
from task_bank.query import StatusFilter
from task_bank.records import TaskRecord, TaskStatus
from task_bank.spec import SCHEMA_VERSION, TaskSpec
from task_bank.store import Admission, Bank


class ImportProblem(BaseModel):
    """One line that could not be imported."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """File read."""
    line: int
    """1-based line number."""
    field: str | None
    """Failing field (dotted path for nested ones), None when the line is not a JSON object at all."""
    message: str
    """What is wrong."""

    def __str__(self) -> str:
        suffix = f" (field '{self.field}')" if self.field else ""
        return f"{self.path}:{self.line}: {self.message}{suffix}"


class ImportReport(BaseModel):
    """What an import did."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """File read."""
    lines: int
    """Non-blank lines read."""
    stored: int
    """New tasks stored (admitted, or rejected as duplicates)."""
    admitted: int
    """New tasks stored as admitted (or the requested status)."""
    duplicates: int
    """New tasks stored as duplicates of admitted ones."""
    existing: int
    """Lines whose id was already in the bank (or earlier in the file): left untouched."""
    problems: tuple[ImportProblem, ...]
    """Lines not imported, in file order."""


def _problem(path: str, line: int, exc: ValidationError, data: dict[str, object]) -> ImportProblem:
    version = data.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        return ImportProblem(path=path, line=line, field="schema_version",
                             message=f"schema_version {version} is newer than this envsynth reads ({SCHEMA_VERSION})")
    error = exc.errors()[0]
    field = ".".join(str(part) for part in error["loc"]) or None
    message = str(error["msg"]).removeprefix("Value error, ").replace("valid tuple", "list (JSON array)")
    if len(exc.errors()) > 1:
        message += f" (and {len(exc.errors()) - 1} more error(s))"
    return ImportProblem(path=path, line=line, field=field, message=message)


def read_specs(path: str | Path) -> Iterator[TaskSpec | ImportProblem]:
    """Each non-blank line of a JSONL file as a spec, or as the problem that stops it being one."""
    name = str(path)
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", path=name) from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield ImportProblem(path=name, line=number, field=None, message=f"not UTF-8 text ({exc.reason})")
                continue
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield ImportProblem(path=name, line=number, field=None,
                                    message=f"malformed JSON: {exc.msg} at column {exc.colno}")
                continue
            if not isinstance(data, dict):
                yield ImportProblem(path=name, line=number, field=None,
                                    message=f"expected a JSON object (a task spec), got {type(data).__name__}")
                continue
            try:
                yield TaskSpec.model_validate(data)
            except ValidationError as exc:
                yield _problem(name, number, exc, data)


def import_jsonl(bank: Bank, path: str | Path, *, strict: bool = False, status: TaskStatus | None = None,
                 batch_size: int = 500, on_commit: Callable[[int], None] | None = None) -> ImportReport:
    """Admit every valid task spec of a JSONL file; ``strict`` imports nothing when any line is bad.

    ``on_commit`` gets the running count of lines committed after each batch. Raises InputError (naming the file,
    line and field of the first bad lines) in strict mode.
    """
    name = str(path)
    problems: list[ImportProblem] = []
    counts = {"lines": 0, "existing": 0, "committed": 0}
    seen: set[str] = set()
    provenance = Provenance(imported_from=name)

    def specs() -> Iterator[tuple[TaskSpec, Provenance, None]]:
        for item in read_specs(path):
            counts["lines"] += 1
            if isinstance(item, ImportProblem):
                problems.append(item)
            elif item.id in seen:
                counts["existing"] += 1
            else:
                seen.add(item.id)
                if item.provenance is None:
                    yield item, provenance, None
                else:  # a task exported from another bank keeps its chain; the bank stores it beside the spec
                    kept = item.provenance.model_copy(update={"imported_from": name})
                    yield item.model_copy(update={"provenance": None}), kept, None

    if strict:
        items = list(specs())
        if problems:
            shown = "\n".join(str(p) for p in problems[:10])
            more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise InputError(f"--strict: {len(problems)} bad line(s), nothing imported:\n{shown}{more}", path=name)
        source: Iterator[tuple[TaskSpec, Provenance, None]] = iter(items)
    else:
        source = specs()

    new: list[TaskRecord] = []

    def committed(admissions: list[Admission]) -> None:
        counts["committed"] += len(admissions)
        new.extend(a.record for a in admissions if a.new)
        counts["existing"] += sum(1 for a in admissions if not a.new)
        if on_commit is not None:
            on_commit(counts["committed"])

    bank.admit_many(source, status=status, batch_size=batch_size, on_commit=committed)
    duplicates = sum(1 for r in new if r.duplicate_of is not None)
    return ImportReport(path=name, lines=counts["lines"], stored=len(new), admitted=len(new) - duplicates,
                        duplicates=duplicates, existing=counts["existing"], problems=tuple(problems))


def export_jsonl(bank: Bank, path: str | Path, *, status: StatusFilter = None, skill: str | None = None) -> int:
    """Write the matching tasks as task spec v1 lines, each with its provenance; returns how many."""
    count = 0
    try:
        with open(path, "w", encoding="utf-8") as out:
            for record in bank.iter_tasks(status=status, skill=skill):
                out.write(record.spec.model_copy(update={"provenance": record.provenance}).to_json() + "\n")
                count += 1
    except OSError as exc:
        raise InputError(f"cannot write the file ({exc.strerror})", path=str(path)) from exc
    return count
