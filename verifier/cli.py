"""``python -m verifier``: validate task files, score responses, import validated tasks into a bank.

Contracts (``docs/SPEC.md``)::

    python -m verifier validate TASKS.jsonl [--json] [--workers N] [--sandbox NAME]
    python -m verifier score TASKS.jsonl --responses RESPONSES.jsonl [--json] [--workers N] [--sandbox NAME]
    python -m verifier import TASKS.jsonl [--bank PATH] [--json] [--strict] [--workers N] [--sandbox NAME]

``validate`` gives every line a verdict, in input order: a line that is not a task spec (unreadable JSON, a
missing field) gets its own row, ``admitted: false`` with reason ``schema``, its line and field, and the other
lines are judged as usual; exit 0 once every line has one. ``score`` needs every line sound (a response to score
must name a task): a bad line is exit 2 naming file, line and field, before the first sandbox starts. ``import``
is what ``python -m task_bank import`` runs: each new task validated, stored admitted or rejected. ``--json``
prints JSON only on stdout; ``--backend`` is kept as another name for ``--sandbox``. Exit codes are the shared
ones (2 bad input, 4 sandbox, 5 bank, 130 interrupted); never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field
from rich.console import Console
from rich.table import Table
from tqdm import tqdm

from task_bank.cli_support import (add_bank_args, bank_for_writing, bank_path, emit_json, print_import_report,
                                   run_command, text_console, missing_file, whole_number, yes_no)
from task_bank.lines import BadLine, ParsedLine, read_jsonl
from task_bank.errors import InputError, SandboxError
from task_bank.environment import AnyLine, EnvironmentSpec
from task_bank.jsonl import import_jsonl, read_any_lines, read_lines
from task_bank.spec import TaskSpec
from task_bank.validation import Reason, ScoreResult, ValidationReport
from verifier.libraries import DEFAULT_LIBRARIES, parse_libraries
from verifier.env_validate import EnvValidator, EnvVerdict
from verifier.limits import Limits
from verifier.session_launch import BACKENDS as SESSION_BACKENDS
from verifier.pool import Pool, open_pool
from verifier.routing import ScoringPool
from verifier.static_exec import mark_response_exec
from verifier.validate import Validator
from verifier.validation_config import ValidationConfig

_SCORE_CHUNK = 64
M = TypeVar("M", bound=BaseModel)
Verdict = tuple[int, ValidationReport | BadLine, EnvVerdict | None]
"""One row of ``validate``: the line number, the report or why the line is neither a task nor an environment spec,
and an environment's verdict (its evidence) where the line is one."""


class ResponseLine(BaseModel):
    """One line of RESPONSES.jsonl: a response to score with the verifier of task ``id``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(min_length=1)
    """Id of the task whose verifier scores the response."""
    response: str
    """The text handed to ``verify``."""


def _sound(items: Iterator[ParsedLine[M] | BadLine]) -> list[ParsedLine[M]]:
    """Every parsed line, or InputError for the first bad one (commands whose lines depend on each other)."""
    values = []
    for item in items:
        if isinstance(item, BadLine):
            raise InputError(str(item))
        values.append(item)
    return values


def read_tasks(path: Path) -> list[TaskSpec]:
    """Every task spec in a JSONL file, in order; InputError naming file, line and field for the first bad one."""
    return [item.value.spec for item in _sound(read_lines(path))]


def read_responses(path: Path, task_ids: set[str]) -> list[ResponseLine]:
    """Every response line, in order; a line naming an unknown task is bad input (field 'id')."""
    responses = []
    for item in _sound(read_jsonl(path, ResponseLine, what="a response {id, response}")):
        if item.value.id not in task_ids:
            raise InputError(f"no task with id {item.value.id!r} in the tasks file", path=str(path), line=item.line,
                             field="id")
        responses.append(item.value)
    return responses


def verdict_json(line: int, verdict: ValidationReport | BadLine, evidence: EnvVerdict | None = None
                 ) -> dict[str, object]:
    """The JSON row of one line: the report (an environment's with ``kind`` and its evidence), or ``admitted: false``
    with reason ``schema`` and the field."""
    if isinstance(verdict, BadLine):
        return {"line": line, "id": None, "admitted": False, "reasons": [Reason.SCHEMA.value],
                "field": verdict.field, "column": verdict.column, "detail": verdict.message}
    extra = {} if evidence is None else {"kind": "environment", "evidence": evidence.evidence.model_dump(mode="json")}
    return {"line": line, "id": verdict.task_id, "admitted": verdict.admitted, "reasons": list(verdict.reasons),
            **extra, **verdict.model_dump(mode="json", exclude={"task_id", "admitted", "reasons"})}


def _progress(total: int, unit: str) -> tqdm:
    """A progress bar on stderr for runs longer than a second; hidden when stderr is not a terminal."""
    return tqdm(total=total, unit=unit, file=sys.stderr, disable=None, leave=False, dynamic_ncols=True, delay=1.0)


def _open(args: argparse.Namespace, config: ValidationConfig) -> Pool:
    if args.workers < 1:
        raise InputError("--workers must be at least 1", field="workers")
    # the default limits, as in training and synth.probe: a verifier must see one environment everywhere (the
    # validator's slower-than-budget check is ``config.call_budget_s``, measured, not a limit the verifier can read)
    limits = Limits(libraries=args.libraries)
    return open_pool(backend=args.sandbox, workers=args.workers, limits=limits)


def verdicts(items: Sequence[ParsedLine[AnyLine] | BadLine], tasks: Callable[[], Validator],
             environments: Callable[[], EnvValidator]) -> Iterator[Verdict]:
    """One verdict per line, in input order: tasks validated concurrently (``tasks()`` is asked for a validator
    only when the file has a task), environments one at a time (``environments()`` likewise); bad lines need no
    sandbox."""
    specs = [item.value.spec for item in items if isinstance(item, ParsedLine) and isinstance(item.value.spec, TaskSpec)]
    reports = tasks().iter_validate(specs) if specs else iter(())
    env_validator = None
    for item in items:
        if isinstance(item, BadLine):
            yield item.line, item, None
        elif isinstance(item.value.spec, EnvironmentSpec):
            env_validator = env_validator or environments()
            verdict = env_validator.validate(item.value.spec)
            yield item.line, verdict.report, verdict
        else:
            yield item.line, next(reports), None


def cmd_validate(args: argparse.Namespace, out: Console) -> int:
    """Validate every line's task or environment; a line that is neither is a verdict too."""
    path = Path(args.tasks)
    if not path.is_file():
        raise InputError(missing_file(path), path=str(path))
    config = ValidationConfig(allow_response_exec=args.allow_response_exec)
    items = list(read_any_lines(path))
    rows: list[Verdict] = []
    with ExitStack() as stack:
        def tasks() -> Validator:
            return stack.enter_context(Validator(stack.enter_context(_open(args, config)), config))

        def environments() -> EnvValidator:
            if args.sandbox not in SESSION_BACKENDS:  # not a verdict on each environment: the sandbox's failure
                raise SandboxError(f"environment sessions run under {' or '.join(SESSION_BACKENDS)}, not "
                                   f"{args.sandbox!r}: give --sandbox bwrap for a file with environment lines")
            return stack.enter_context(EnvValidator(args.sandbox))

        for line, verdict, evidence in verdicts(items, tasks, environments):
            if args.json:
                emit_json(verdict_json(line, verdict, evidence))
            else:
                rows.append((line, verdict, evidence))
    if not args.json:
        _verdict_table(out, str(path), rows)
    return 0


def _verdict_table(out: Console, name: str, rows: list[Verdict]) -> None:
    kinds = any(evidence is not None for _, _, evidence in rows)  # a kind column only where environments are
    table = Table("line", *(("kind",) if kinds else ()), "id", "admitted", "reasons", "ms",
                  title=f"{name}: {len(rows)} lines")
    counts: Counter[str] = Counter()
    for line, v, evidence in rows:
        kind = (("environment" if evidence is not None else "task" if isinstance(v, ValidationReport) else "–"),
                ) if kinds else ()
        if isinstance(v, BadLine):
            counts[Reason.SCHEMA] += 1
            table.add_row(str(line), *kind, "–", yes_no(False), f"schema ({v.field or 'line'}: {v.message})", "")
            continue
        counts.update(v.reasons)
        table.add_row(str(line), *kind, v.task_id, yes_no(v.admitted), ", ".join(v.reasons), f"{v.duration_ms:.0f}")
    out.print(table)
    admitted = sum(1 for _, v, _ in rows if isinstance(v, ValidationReport) and v.admitted)
    rejected = ", ".join(f"{reason} {n}" for reason, n in sorted(counts.items()))
    out.print(f"admitted {admitted} of {len(rows)}" + (f"; rejected: {rejected}" if rejected else ""))


def cmd_score(args: argparse.Namespace, out: Console) -> int:
    """Score every response with its task's verifier, in chunks (one sandbox group per verifier per chunk)."""
    tasks = {t.id: t for t in read_tasks(Path(args.tasks))}
    responses = read_responses(Path(args.responses), set(tasks))
    config = ValidationConfig()
    table = Table("line", "id", "outcome", "score", title=f"{args.responses}: {len(responses)} responses")
    # A verifier that runs the response (admitted under --allow-response-exec) scores each one in its own process.
    with ScoringPool(_open(args, config), args.sandbox) as pool, _progress(len(responses), "response") as bar:
        for start in range(0, len(responses), _SCORE_CHUNK):
            chunk = responses[start:start + _SCORE_CHUNK]
            results = pool.score_batch([(tasks[item.id].verifier, item.response) for item in chunk])
            for offset, (item, result) in enumerate(zip(chunk, results, strict=True)):
                if args.json:
                    emit_json(_score_json(item, result))
                else:
                    score = "" if result.score is None else f"{result.score:g}"
                    table.add_row(str(start + offset + 1), item.id, result.outcome.value, score)
            bar.update(len(chunk))
    if not args.json:
        out.print(table)
    return 0


def _score_json(item: ResponseLine, result: ScoreResult) -> dict[str, object]:
    return {"id": item.id, "score": result.score, "outcome": result.outcome.value, "detail": result.detail,
            "duration_ms": round(result.duration_ms, 3), "ran_response": result.ran_response,
            "run_digest": result.run_digest}


def cmd_import(args: argparse.Namespace, out: Console) -> int:
    """Validate each new task of a JSONL file and store it in the bank, admitted or rejected by its report."""
    path = Path(args.tasks)
    if not path.is_file():
        raise InputError(missing_file(path) + "; give a task spec v1 JSONL file", path=str(path), field="FILE")

    def progress(committed: int) -> None:
        print(f"committed {committed}", file=sys.stderr, flush=True)

    config = ValidationConfig(allow_response_exec=args.allow_response_exec)
    with bank_for_writing(bank_path(args.bank)) as bank, _open(args, config) as pool, \
            Validator(pool, config) as validator:
        report = import_jsonl(bank, path, judge=validator.validate_many, strict=args.strict,
                              batch_size=args.batch_size, on_commit=progress if args.progress else None,
                              prepare=mark_response_exec if args.allow_response_exec else None)
    print_import_report(report, as_json=args.json)
    return 1 if report.problems else 0


_ALLOW_HELP = ("admit verifiers that run the response as code in their own process (old HumanEval style); "
               "recorded on the task, whose responses are then scored one process each (default: rejected as "
               "executes_response, with a hint to use envsynth_sandbox.run_response)")


def build_parser() -> argparse.ArgumentParser:
    """The ``validate``, ``score`` and ``import`` subcommands, sharing the task file, output and sandbox options."""
    parser = argparse.ArgumentParser(prog="python -m verifier",
                                     description="Validate task files, score responses, and import validated "
                                                 "tasks into a bank; verifiers run in the sandbox.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("tasks", metavar="TASKS.jsonl",
                        help="task spec v1 JSONL file: one JSON object per line (docs/SPEC.md)")
    common.add_argument("--workers", type=int, default=1, help="sandbox workers (default: 1)")
    common.add_argument("--sandbox", "--backend", dest="sandbox", default="bwrap", metavar="NAME",
                        help="sandbox backend: bwrap, docker, unsafe-local (default: bwrap)")
    common.add_argument("--libraries", type=parse_libraries, default=DEFAULT_LIBRARIES, metavar="NAMES",
                        help="installed packages verifiers may import (bwrap), comma-separated, or 'none' "
                             f"(default: {','.join(DEFAULT_LIBRARIES)})")  # verifier libraries (realmodel)
    p = sub.add_parser("validate", parents=[common], help="validate tasks; one verdict per line",
                       description="Validate every task; print one verdict per line of the file, in input order. "
                                   "A line that is not a task spec gets the verdict 'schema' with its field.")
    p.add_argument("--json", action="store_true", help="one JSON object per line, in input order (default: a table)")
    p.add_argument("--allow-response-exec", action="store_true", help=_ALLOW_HELP)
    p.set_defaults(handler=cmd_validate)
    p = sub.add_parser("score", parents=[common], help="score responses with their tasks' verifiers",
                       description="Score each response with the verifier of the task it names, in input order.")
    p.add_argument("--responses", required=True, metavar="RESPONSES.jsonl",
                   help='JSONL of {"id": TASK_ID, "response": TEXT} (required)')
    p.add_argument("--json", action="store_true", help="one JSON object per response (default: a table)")
    p.set_defaults(handler=cmd_score)
    p = sub.add_parser("import", parents=[common], help="validate tasks and store them in a bank",
                       description="Validate each new task of the file and store it in the bank, admitted or "
                                   "rejected with its reasons (what 'python -m task_bank import' runs).")
    add_bank_args(p)
    p.add_argument("--strict", action="store_true", help="import nothing if any line is bad (default: skip them)")
    p.add_argument("--batch-size", type=whole_number(1), default=500, help="tasks per transaction (default: 500)")
    p.add_argument("--progress", action="store_true",
                   help="print 'committed N' to stderr after each commit (default: off)")
    p.add_argument("--allow-response-exec", action="store_true", help=_ALLOW_HELP)
    p.set_defaults(handler=cmd_import)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = build_parser().parse_args(argv)
    return run_command(lambda: args.handler(args, text_console()))
