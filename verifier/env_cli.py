"""Environments' bank commands on the command line (``python -m verifier validate`` judges environment lines beside
task lines itself: :mod:`verifier.cli`).

``python -m verifier.env_cli import FILE [--bank PATH] [--json] [--sandbox NAME]`` validates every environment
line of FILE and stores each with its verdict and evidence (admitted, rejected, or rejected as a duplicate), its
import provenance (``imported_from`` FILE, on top of the chain an exported line carries) and its split;
``python -m verifier.env_cli export [--bank PATH] [--status admitted|rejected|all]`` prints environment spec v1 lines.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import ValidationError
from rich.console import Console

from task_bank.cli_support import (add_bank_args, bank_for_writing, bank_path, emit_json, existing_bank, run_command, text_console)
from task_bank.lines import load_json_line
from task_bank.environment import AnyLine, AnySpec, EnvironmentLine, parse_line
from task_bank.provenance import Provenance
from task_bank.safe_text import escape_surrogates
from task_bank.errors import InputError, SandboxError
from task_bank.records import TaskStatus
from task_bank.store import Bank
from task_bank.validation import Reason, ValidationReport
from verifier.env_validate import EnvValidator
from verifier.session_launch import BACKENDS as SESSION_BACKENDS


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
                found.append((number, load_json_line(line)))
            except json.JSONDecodeError as exc:
                raise InputError(f"not valid JSON: {exc.msg} at column {exc.colno}", path=str(path),
                                 line=number) from None
    return found


def read_specs(path: Path) -> list[tuple[int, AnySpec]]:
    """Every line as a task or environment spec; InputError naming file, line and field for the first bad one."""
    return [(number, line.spec) for number, line in read_lines(path)]


def read_lines(path: Path) -> list[tuple[int, AnyLine]]:
    """Every line with its provenance and split; InputError naming file, line and field for the first bad one."""
    specs = []
    for number, value in _lines(path):
        try:
            specs.append((number, parse_line(value)))
        except ValidationError as exc:
            error = exc.errors()[0]
            field = ".".join(str(p) for p in error["loc"]) or None
            raise InputError(f"not a task or environment spec: {error['msg']}", path=str(path), line=number,
                             field=field) from None
        except ValueError as exc:
            raise InputError(str(exc), path=str(path), line=number, field="kind") from None
    return specs


def cmd_import(args: argparse.Namespace, out: Console,
               validator: Callable[[str], EnvValidator] = EnvValidator) -> int:
    """Validate and store every environment line; a task line is refused (``python -m verifier import`` stores
    tasks), or left to the task import with ``--skip-tasks``. ``validator`` makes the validator for the backend
    named by ``--sandbox``.

    A verdict that only says the sandbox failed (``sandbox_error``) says nothing about the environment: it is not
    stored, and the import ends there with exit 4 (those before it are kept). An environment stored with such a
    verdict by an earlier version is judged again. Why: a mistyped ``--sandbox`` stored every environment of the
    file as rejected, exit 0, and importing it again with the right one changed nothing (QA round 30)."""
    lines = read_lines(Path(args.file))
    environments = [(number, line) for number, line in lines if isinstance(line, EnvironmentLine)]
    tasks = [number for number, line in lines if not isinstance(line, EnvironmentLine)]
    if tasks and not args.skip_tasks:
        raise InputError("a task line; import tasks with `python -m verifier import` (or the whole file with "
                         "`python -m task_bank import`)", path=str(args.file), line=tasks[0], field="kind")
    counts: Counter[str] = Counter()
    with bank_for_writing(bank_path(args.bank)) as bank, validator(args.sandbox) as judge:
        for number, line in environments:
            spec = line.spec
            known = bank.find_environment(spec.id)
            if known is None or tuple(known.reasons) == (Reason.SANDBOX_ERROR,):
                verdict = judge.validate(spec)
                if Reason.SANDBOX_ERROR in verdict.report.reasons:  # says nothing about the environment
                    raise SandboxError(f"{args.file}:{number}: the sandbox failed while validating environment "
                                       f"{spec.id}; nothing was stored for it or the lines after it: "
                                       f"{_sandbox_detail(verdict.report)}")
                if known is not None:
                    known = bank.rejudge_environment(known, verdict.report, verdict.evidence)
                else:
                    source = escape_surrogates(str(args.file))  # a file name that is not UTF-8 (round 42)
                    chain = (line.provenance or Provenance()).model_copy(update={"imported_from": source})
                    known = bank.add_environment(spec, verdict.report, verdict.evidence, provenance=chain,
                                                 split=line.split)
            counts[known.status.value] += 1
            if args.json:
                emit_json({"id": known.id, "status": known.status.value, "reasons": list(known.reasons),
                           "duplicate_of": known.duplicate_of})
    if not args.json:
        left = f"; {len(tasks)} task line(s) left for the task import" if tasks else ""
        out.print(f"{len(environments)} environments: "
                  + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) + left)
    return 0


def _sandbox_detail(report: ValidationReport) -> str:
    return next((c.detail for c in report.checks if c.reason is Reason.SANDBOX_ERROR), "")[:300]


def cmd_export(args: argparse.Namespace) -> int:
    """Print stored environments as spec lines (admitted ones by default)."""
    status = None if args.status == "all" else TaskStatus(args.status)
    with Bank.open(existing_bank(args.bank)) as bank:
        for line in bank.export_environments(status):
            print(line)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """``import`` and ``export`` of environments."""
    parser = argparse.ArgumentParser(prog="python -m verifier.env_cli", description="Environments in the bank.")
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="validate environment spec v1 lines and store them with their verdicts")
    imp.add_argument("file", help="environment spec v1 JSONL file")
    imp.add_argument("--sandbox", default="bwrap", choices=SESSION_BACKENDS,
                     help="session sandbox: bwrap (default) or unsafe-local (no isolation: trusted code only)")
    imp.add_argument("--skip-tasks", action="store_true",
                     help="leave task lines to the task import instead of refusing the file (what `python -m "
                          "task_bank import` passes for a file of both, as `task_bank export` writes; default: off)")
    add_bank_args(imp)
    exp = sub.add_parser("export", help="print stored environments as spec lines")
    exp.add_argument("--status", choices=("admitted", "rejected", "all"), default="admitted",
                     help="which environments (default: admitted)")
    exp.add_argument("--bank", type=Path, default=None, metavar="PATH",
                     help="task bank file (default: $ENVSYNTH_BANK, else ./task_bank.db)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; the shared exit codes, never a traceback."""
    args = build_parser().parse_args(argv)
    if args.command == "import":
        return run_command(lambda: cmd_import(args, text_console(stderr=True)))
    return run_command(lambda: cmd_export(args))


if __name__ == "__main__":
    sys.exit(main())
