"""``python -m verifier validate`` on a file holding environment spec v1 lines (alone or mixed with task lines).

The task-only path of :mod:`verifier.cli` is untouched: it hands a file over to :func:`validate_mixed` only when
:func:`has_environment_lines` finds a line with ``"kind": "environment"``. Then every line is judged in input order,
tasks by the task :class:`~verifier.validate.Validator` (through the pool the CLI opens, only when the file holds
tasks) and environments by :class:`~verifier.env_validate.EnvValidator`. ``--json`` prints one object per line:
``{"id", "admitted", "reasons", ...report}`` as for tasks, plus ``"kind": "environment"`` and ``"evidence"`` (the
reference replay with each observation, per-seed results) for environments. A line that is neither kind is bad
input: exit 2 naming file, line and field, before any sandbox starts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from task_bank.environment import AnySpec, EnvironmentSpec, is_environment_line, parse_spec_line
from task_bank.errors import InputError
from task_bank.validation import ValidationReport
from verifier.env_validate import EnvValidator
from verifier.pool import Pool
from verifier.validate import ValidationConfig, Validator


def _lines(path: Path) -> list[tuple[int, object]]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 text: {exc.reason}", path=str(path)) from None
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                found.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg} at column {exc.colno}", path=str(path),
                                 line=number) from None
    return found


def has_environment_lines(path: Path) -> bool:
    """True when some line of the file is an environment spec (``"kind": "environment"``); False when the file
    cannot be read (the task path then reports why)."""
    try:
        return any(is_environment_line(value) for _, value in _lines(path))
    except InputError:
        return False


def read_specs(path: Path) -> list[tuple[int, AnySpec]]:
    """Every line as a task or environment spec; InputError naming file, line and field for the first bad one."""
    specs = []
    for number, value in _lines(path):
        try:
            specs.append((number, parse_spec_line(value)))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or None
            raise InputError(f"not a task or environment spec: {error['msg']}", path=str(path), line=number,
                             field=field) from None
        except ValueError as exc:
            raise InputError(str(exc), path=str(path), line=number, field="kind") from None
    return specs


def validate_mixed(path: Path, backend: str, as_json: bool, out: Console,
                   open_task_pool: Callable[[ValidationConfig], Pool]) -> int:
    """Validate every line of ``path``, tasks and environments, printing verdicts in input order; returns 0."""
    specs = read_specs(path)
    config = ValidationConfig()
    rows: list[tuple[str, ValidationReport]] = []
    with ExitStack() as stack:
        environments = stack.enter_context(EnvValidator(backend))
        tasks: Validator | None = None
        if any(not isinstance(spec, EnvironmentSpec) for _, spec in specs):
            tasks = stack.enter_context(Validator(stack.enter_context(open_task_pool(config)), config))
        for _, spec in specs:
            if isinstance(spec, EnvironmentSpec):
                verdict = environments.validate(spec)
                report, extra = verdict.report, {"kind": "environment",
                                                 "evidence": verdict.evidence.model_dump(mode="json")}
            else:
                report, extra = tasks.validate(spec), {}
            if as_json:
                payload = {"id": report.task_id, "admitted": report.admitted, "reasons": list(report.reasons),
                           **extra, **report.model_dump(mode="json", exclude={"task_id", "admitted", "reasons"})}
                print(json.dumps(payload, ensure_ascii=False), flush=True)
            else:
                rows.append(("environment" if extra else "task", report))
    if not as_json:
        table = Table("kind", "id", "admitted", "reasons", "ms", title=f"{path}: {len(rows)} lines")
        for kind, r in rows:
            table.add_row(kind, r.task_id, "[green]yes[/]" if r.admitted else "[red]no[/]", ", ".join(r.reasons),
                          f"{r.duration_ms:.0f}")
        out.print(table)
        counts = Counter(reason for _, r in rows for reason in r.reasons)
        rejected = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
        out.print(f"admitted {sum(r.admitted for _, r in rows)} of {len(rows)}"
                  + (f"; rejected: {rejected}" if rejected else ""))
    return 0
