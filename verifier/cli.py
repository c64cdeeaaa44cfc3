"""``python -m verifier``: validate task files and score responses from the command line.

Contracts (``shared/DESIGN.md``)::

    python -m verifier validate TASKS.jsonl [--json] [--workers N] [--backend NAME]
    python -m verifier score TASKS.jsonl --responses RESPONSES.jsonl [--json] [--workers N] [--backend NAME]

``--json`` prints one JSON object per input task (``validate``) or per response (``score``), in input order;
without it a table is printed. Exit 0 once every line was judged, whatever the verdicts; exit 2 with a message
(``file:line: cause (field 'x')``) for unreadable input, a bad option or a sandbox that cannot start; never a
traceback. Every input line is read and checked before the first sandbox starts, so a broken line costs nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from task_bank.errors import EnvsynthError, InputError
from task_bank.exit_codes import exit_code
from task_bank.spec import TaskSpec
from task_bank.validation import ScoreResult, ValidationReport
from verifier.env_cli import has_environment_lines, validate_mixed
from verifier.libraries import DEFAULT_LIBRARIES, parse_libraries
from verifier.limits import Limits
from verifier.pool import Pool, open_pool
from verifier.validate import ValidationConfig, Validator

_SCORE_CHUNK = 64
M = TypeVar("M", bound=BaseModel)


class ResponseLine(BaseModel):
    """One line of RESPONSES.jsonl: a response to score with the verifier of task ``id``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    """Id of the task whose verifier scores the response."""
    response: str
    """The text handed to ``verify``."""


def _json_lines(path: Path) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) for each non-blank line; InputError naming the line when one is not JSON."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    with handle:
        try:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"not valid JSON: {exc.msg} at column {exc.colno}", path=str(path),
                                     line=number) from None
        except UnicodeDecodeError as exc:
            raise InputError(f"not UTF-8 text: {exc.reason}", path=str(path)) from None


def _parse(model: type[M], value: object, path: Path, line: int, what: str) -> M:
    if not isinstance(value, dict):
        raise InputError(f"expected a JSON object ({what}), got {type(value).__name__}", path=str(path), line=line)
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        error = exc.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or None
        raise InputError(f"not a {what}: {error['msg']}", path=str(path), line=line, field=field) from None


def read_tasks(path: Path) -> list[TaskSpec]:
    """Every task spec in a JSONL file, in order; InputError naming file, line and field for the first bad one."""
    return [_parse(TaskSpec, value, path, line, "task spec v1") for line, value in _json_lines(path)]


def read_responses(path: Path, task_ids: set[str]) -> list[ResponseLine]:
    """Every response line, in order; a line naming an unknown task is bad input (field 'id')."""
    responses: list[ResponseLine] = []
    for line, value in _json_lines(path):
        item = _parse(ResponseLine, value, path, line, "response line {id, response}")
        if item.id not in task_ids:
            raise InputError(f"no task with id {item.id!r} in the tasks file", path=str(path), line=line,
                             field="id")
        responses.append(item)
    return responses


def _report_json(report: ValidationReport) -> str:
    payload = {"id": report.task_id, "admitted": report.admitted, "reasons": list(report.reasons),
               **report.model_dump(mode="json", exclude={"task_id", "admitted", "reasons"})}
    return json.dumps(payload, ensure_ascii=False)


def _score_json(item: ResponseLine, result: ScoreResult) -> str:
    return json.dumps({"id": item.id, "score": result.score, "outcome": result.outcome.value,
                       "detail": result.detail, "duration_ms": round(result.duration_ms, 3)}, ensure_ascii=False)


def _progress(total: int, unit: str) -> tqdm:
    """A progress bar on stderr for runs longer than a second; hidden when stderr is not a terminal."""
    return tqdm(total=total, unit=unit, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True, delay=1.0)


def _open(args: argparse.Namespace, config: ValidationConfig) -> Pool:
    return open_pool(backend=args.backend, workers=args.workers,
                     limits=Limits(wall_s=config.call_budget_s, libraries=args.libraries))


def cmd_validate(args: argparse.Namespace, out: Console) -> int:
    """Validate every task; reports are printed as they complete, in input order."""
    if has_environment_lines(Path(args.tasks)):  # environment spec v1 lines too (issue 15)
        return validate_mixed(Path(args.tasks), args.backend, args.json, out, lambda c: _open(args, c))
    tasks = read_tasks(Path(args.tasks))
    config = ValidationConfig()
    rows: list[ValidationReport] = []
    with _open(args, config) as pool, Validator(pool, config) as validator, _progress(len(tasks), "task") as bar:
        for report in validator.iter_validate(tasks):
            if args.json:
                print(_report_json(report), flush=True)
            else:
                rows.append(report)
            bar.update(1)
    if not args.json:
        table = Table("id", "admitted", "reasons", "ms", title=f"{args.tasks}: {len(rows)} tasks")
        for r in rows:
            table.add_row(r.task_id, "[green]yes[/]" if r.admitted else "[red]no[/]", ", ".join(r.reasons),
                          f"{r.duration_ms:.0f}")
        out.print(table)
        counts = Counter(reason for r in rows for reason in r.reasons)
        rejected = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
        out.print(f"admitted {sum(r.admitted for r in rows)} of {len(rows)}" + (f"; rejected: {rejected}"
                                                                              if rejected else ""))
    return 0


def cmd_score(args: argparse.Namespace, out: Console) -> int:
    """Score every response with its task's verifier, in chunks (one sandbox group per verifier per chunk)."""
    tasks = {t.id: t for t in read_tasks(Path(args.tasks))}
    responses = read_responses(Path(args.responses), set(tasks))
    config = ValidationConfig()
    table = Table("line", "id", "outcome", "score", title=f"{args.responses}: {len(responses)} responses")
    with _open(args, config) as pool, _progress(len(responses), "response") as bar:
        for start in range(0, len(responses), _SCORE_CHUNK):
            chunk = responses[start:start + _SCORE_CHUNK]
            results = pool.score_batch([(tasks[item.id].verifier, item.response) for item in chunk])
            for offset, (item, result) in enumerate(zip(chunk, results, strict=True)):
                if args.json:
                    print(_score_json(item, result), flush=True)
                else:
                    score = "" if result.score is None else f"{result.score:g}"
                    table.add_row(str(start + offset + 1), item.id, result.outcome.value, score)
            bar.update(len(chunk))
    if not args.json:
        out.print(table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``validate`` and ``score`` subcommands, sharing the task file, output and sandbox options."""
    parser = argparse.ArgumentParser(prog="python -m verifier", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("tasks", help="task spec v1 JSONL file")
    common.add_argument("--json", action="store_true", help="one JSON object per line, in input order")
    common.add_argument("--workers", type=int, default=1, help="sandbox workers (default 1)")
    common.add_argument("--backend", default="bwrap", help="sandbox backend: bwrap (default), docker, unsafe-local")
    common.add_argument("--libraries", type=parse_libraries, default=DEFAULT_LIBRARIES, metavar="NAMES",
                        help="installed packages verifiers may import (bwrap), comma-separated, or 'none' "
                             f"(default: {','.join(DEFAULT_LIBRARIES)})")
    sub.add_parser("validate", parents=[common], help="validate tasks; one verdict per task")
    score = sub.add_parser("score", parents=[common], help="score responses with their tasks' verifiers")
    score.add_argument("--responses", required=True, help="JSONL of {id, response}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    if args.workers < 1:
        print("error: --workers must be at least 1", file=sys.stderr)
        return 2
    try:
        handler = cmd_validate if args.command == "validate" else cmd_score
        return handler(args, Console())
    except EnvsynthError as exc:  # unreadable input is 2 (the DESIGN contract); a broken sandbox 4, and so on
        print(f"error: {exc}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader went away (``| head``): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
