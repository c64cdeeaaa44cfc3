"""The ``import`` and ``export`` subcommands of ``python -m task_bank``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from rich.console import Console

from task_bank.cli import EXPORT_FORMATS, bank_path, emit_json, existing_bank
from task_bank.errors import InputError
from task_bank.records import TaskStatus
from task_bank.store import Bank


def cmd_import(args: argparse.Namespace, console: Console) -> int:
    """Admit the task specs of a JSONL file (dedup on); exit 1 when bad lines were skipped."""
    from task_bank.jsonl import import_jsonl

    def progress(committed: int) -> None:
        sys.stderr.write(f"committed {committed}\n")
        sys.stderr.flush()

    status = None if args.status is None else TaskStatus(args.status)
    with Bank.open(bank_path(args.bank)) as bank:
        report = import_jsonl(bank, args.file, strict=args.strict, status=status, batch_size=args.batch_size,
                              on_commit=progress if args.progress else None)
    if args.json:
        emit_json(console, report.model_dump(mode="json"))
    else:
        console.print(f"{report.path}: {report.lines} line(s); stored {report.stored} new task(s) "
                      f"({report.admitted} admitted, {report.duplicates} duplicate(s)); "
                      f"{report.existing} already in the bank; {len(report.problems)} bad line(s)", soft_wrap=True)
        for problem in report.problems:
            sys.stderr.write(f"{problem}\n")
    return 1 if report.problems else 0


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    """Write tasks as JSONL (spec v1), Parquet or a saved HF dataset."""
    import datasets
    datasets.disable_progress_bars()  # this process is a CLI: bars would mix into the output
    status = None if args.status == "all" else args.status
    with Bank.open(existing_bank(args.bank)) as bank:
        if args.format == "jsonl":
            from task_bank.jsonl import export_jsonl
            count = export_jsonl(bank, args.output, status=status, skill=args.skill)
        elif args.format == "parquet":
            from task_bank.hf_export import export_parquet
            count = export_parquet(bank, args.output, status=status, skill=args.skill)
        elif args.format == "hf":
            from task_bank.hf_export import export_hf
            count = export_hf(bank, args.output, status=status, skill=args.skill)
        else:
            raise InputError(f"unknown format {args.format!r}; choose one of {', '.join(EXPORT_FORMATS)}",
                             field="format")
    if args.json:
        emit_json(console, {"format": args.format, "path": str(args.output), "tasks": count})
    else:
        console.print(f"wrote {count} task(s) to {args.output} ({args.format})", soft_wrap=True)
    return 0


def add_io_parsers(sub: argparse._SubParsersAction, common: argparse.ArgumentParser,
                   status_arg: Callable[[str], str]) -> None:
    """Add ``import`` and ``export`` to the subcommands."""
    p = sub.add_parser("import", parents=[common], help="import task specs v1 from JSONL (dedup on)")
    p.add_argument("file", metavar="FILE")
    p.add_argument("--strict", action="store_true", help="import nothing if any line is bad")
    p.add_argument("--status", type=status_arg, default=None,
                   help="store tasks with this status (default: admitted, subject to dedup)")
    p.add_argument("--batch-size", type=int, default=500, help="tasks per transaction")
    p.add_argument("--progress", action="store_true", help="print 'committed N' to stderr after each commit")
    p.set_defaults(handler=cmd_import)

    p = sub.add_parser("export", parents=[common], help="export tasks as JSONL, Parquet or a HF dataset")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl")
    p.add_argument("--status", type=status_arg, default="admitted", help="status, or all (default admitted)")
    p.add_argument("--skill", default=None)
    p.add_argument("-o", "--output", required=True, metavar="PATH")
    p.set_defaults(handler=cmd_export)
