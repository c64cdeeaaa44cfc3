"""``python -m task_bank``: look into a bank, import and export tasks, print the record schemas.

Every subcommand takes ``--bank PATH`` (default ``$ENVSYNTH_BANK``, else ``./task_bank.db``) and ``--json``.
Exit codes: 0 done; 1 import finished but skipped bad lines; 2 an error (message on stderr, never a traceback).
``serve`` is added by ``task_bank.web.cli.add_serve_parser`` when the web view is installed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from task_bank.errors import EnvsynthError, InputError
from task_bank.exit_codes import exit_code
from task_bank.records import TaskRecord, TaskStatus
from task_bank.store import Bank

Handler = Callable[[argparse.Namespace, Console], int]
DEFAULT_BANK = "task_bank.db"
EXPORT_FORMATS = ("jsonl", "parquet", "hf")


def bank_path(value: str | None) -> Path:
    """The bank file: the option, else ``$ENVSYNTH_BANK``, else ``./task_bank.db``."""
    return Path(value or os.environ.get("ENVSYNTH_BANK") or DEFAULT_BANK)


def existing_bank(value: str | None) -> Path:
    """The bank file for a command that only reads: a missing file is an error, not a new empty bank (a typo in
    ``--bank`` would otherwise show an empty bank and leave a stray file behind)."""
    path = bank_path(value)
    if not path.exists():
        raise InputError("no bank file here; give --bank PATH or set $ENVSYNTH_BANK (import or synth.generate "
                         "creates one)", path=str(path), field="bank")
    return path


def emit_json(console: Console, value: object) -> None:
    """One JSON document on stdout (plain print: rich must not wrap or colour machine output)."""
    console.file.write(json.dumps(value, default=str, ensure_ascii=False) + "\n")


def _common() -> argparse.ArgumentParser:
    parent = argparse.ArgumentParser(add_help=False)
    parent.add_argument("--bank", metavar="PATH", default=None,
                        help="bank file (default: $ENVSYNTH_BANK, else ./task_bank.db)")
    parent.add_argument("--json", action="store_true", help="machine-readable JSON output")
    return parent


def _status_arg(value: str) -> str:
    if value != "all" and value not in {s.value for s in TaskStatus}:
        raise argparse.ArgumentTypeError(
            f"unknown status {value!r}; choose all or one of {', '.join(s.value for s in TaskStatus)}")
    return value


def _brief(record: TaskRecord) -> dict[str, object]:
    return {"id": record.id, "status": record.status.value, "skill": record.spec.skill,
            "reasons": list(record.reasons), "duplicate_of": record.duplicate_of,
            "created_at": record.created_at.isoformat(), "prompt": record.spec.prompt_text}


def cmd_schema(args: argparse.Namespace, console: Console) -> int:
    """Print the JSON Schema of one record, or of all."""
    from task_bank.schema import all_schemas, record_schema
    document = record_schema(args.record) if args.record else all_schemas()
    text = json.dumps(document, indent=None if args.json else 2)
    if args.output:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
        if args.json:
            emit_json(console, {"written": args.output})
        else:
            console.print(f"wrote {args.output}")
    else:
        console.file.write(text + "\n")
    return 0


def cmd_stats(args: argparse.Namespace, console: Console) -> int:
    """Counts per status, duplicates, failures, runs."""
    with Bank.open(existing_bank(args.bank)) as bank:
        summary = bank.summary()
    if args.json:
        emit_json(console, summary)
        return 0
    table = Table(title=f"task bank {summary['path']}")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("tasks", str(summary["tasks"]))
    for key in ("by_status", "duplicates"):
        value = summary[key]
        if isinstance(value, dict):
            for name, count in value.items():
                table.add_row(f"  {key.removeprefix('by_')}: {name}", str(count))
    for key in ("failures", "processed_failures", "runs", "reports", "training_stats", "skills"):
        table.add_row(key.replace("_", " "), str(summary[key]))
    console.print(table)
    return 0


def cmd_list(args: argparse.Namespace, console: Console) -> int:
    """One page of tasks, filtered."""
    status = None if args.status in (None, "all") else args.status
    filters = {"status": status, "skill": args.skill, "text": args.search, "failure_group": args.failure_group,
               "growth_run_id": args.run}
    with Bank.open(existing_bank(args.bank)) as bank:
        records = bank.list(**filters, sort=args.sort, descending=not args.ascending, limit=args.limit,
                            offset=args.offset)
        total = bank.count(**filters)
    if args.json:
        emit_json(console, {"total": total, "offset": args.offset, "tasks": [_brief(r) for r in records]})
        return 0
    table = Table(title=f"{len(records)} of {total} task(s), from {args.offset}")
    rows = [[r.id, r.status.value, (r.spec.skill or "")[:16], r.created_at.strftime("%Y-%m-%d %H:%M")]
            for r in records]
    columns = ["id", "status", "skill", "created"] if console.width >= 110 else ["id", "status", "skill"]
    used = sum(max([len(c)] + [len(row[i]) for row in rows]) + 3 for i, c in enumerate(columns)) + 4
    width = max(12, console.width - used)  # what the other columns and the borders leave for the prompt
    for column in columns:
        table.add_column(column, no_wrap=True)
    table.add_column("prompt", no_wrap=True)
    for record, row in zip(records, rows):
        prompt = " ".join(record.spec.prompt_text.split())
        table.add_row(*row[:len(columns)], prompt if len(prompt) <= width else prompt[:width - 1] + "…")
    console.print(table)
    return 0


def cmd_runs(args: argparse.Namespace, console: Console) -> int:
    """Growth and generate runs, newest first."""
    with Bank.open(existing_bank(args.bank)) as bank:
        runs = bank.list_runs(limit=args.limit)
    if args.json:
        emit_json(console, {"runs": [run.model_dump(mode="json") for run in runs]})
        return 0
    table = Table(title=f"{len(runs)} run(s)")
    for column in ("id", "kind", "outcome", "started", "ended", "inputs", "counts"):
        table.add_column(column)
    for run in runs:
        table.add_row(run.id, run.kind, run.outcome.value, run.started_at.strftime("%Y-%m-%d %H:%M:%S"),
                      run.ended_at.strftime("%Y-%m-%d %H:%M:%S") if run.ended_at else "",
                      str(run.inputs_seen), ", ".join(f"{k}={v}" for k, v in sorted(run.counts.items())))
    console.print(table)
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m task_bank`` (``serve`` included when the web view is importable)."""
    from task_bank.cli_io import add_io_parsers
    from task_bank.cli_show import cmd_show
    parser = argparse.ArgumentParser(prog="python -m task_bank",
                                     description="Look into a task bank, import and export tasks, print the schemas.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    common = _common()

    p = sub.add_parser("schema", parents=[common], help="JSON Schema of the records")
    p.add_argument("--record", default=None, help="one record (task_spec, task_record, failure, ...); default all")
    p.add_argument("-o", "--output", default=None, help="write to this file instead of stdout")
    p.set_defaults(handler=cmd_schema)

    p = sub.add_parser("stats", parents=[common], help="counts per status, duplicates, failures, runs")
    p.set_defaults(handler=cmd_stats)

    p = sub.add_parser("list", parents=[common], help="list tasks (filters, full-text search, paging)")
    p.add_argument("--status", type=_status_arg, default=None, help="status, or all (default all)")
    p.add_argument("--skill", default=None, help="metadata skill")
    p.add_argument("--search", default=None, metavar="TEXT", help="full-text search over prompt and verifier code")
    p.add_argument("--failure-group", default=None, help="provenance failure group")
    p.add_argument("--run", default=None, help="growth run id")
    p.add_argument("--sort", default="created", choices=("created", "updated", "pass_rate", "id", "status", "skill"))
    p.add_argument("--ascending", action="store_true", help="oldest / lowest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--offset", type=int, default=0)
    p.set_defaults(handler=cmd_list)

    p = sub.add_parser("show", parents=[common], help="one task: spec, provenance, reports, statistics, history")
    p.add_argument("task_id", metavar="ID")
    p.set_defaults(handler=cmd_show)

    add_io_parsers(sub, common, _status_arg)

    p = sub.add_parser("runs", parents=[common], help="growth and generate runs, newest first")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(handler=cmd_runs)

    try:
        from task_bank.web.cli import add_serve_parser
    except ImportError:
        add_serve_parser = None
    if add_serve_parser is not None:
        add_serve_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; an EnvsynthError becomes one line on stderr and the shared exit code (2 input, 5 bank)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    console = Console(file=sys.stdout)
    handler: Handler = args.handler
    try:
        return handler(args, console)
    except EnvsynthError as exc:
        sys.stderr.write(f"error: {exc}\n")
        return exit_code(exc)
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        return 130
