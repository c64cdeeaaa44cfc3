"""``python -m task_bank``: look into a bank, import and export tasks, print the record schemas.

Every subcommand takes ``--bank PATH`` (default ``$ENVSYNTH_BANK``, else ``./task_bank.db``) and ``--json`` (JSON
only on stdout). Exit codes are the shared ones (:mod:`task_bank.exit_codes`): 0 done; 1 an import skipped bad
lines; 2 bad input; 4 the sandbox failed; 5 the bank failed; 130 interrupted. Never a traceback.

``import`` validates every new task in the sandbox by default. The bank layer does not import the verifier (the
layers point down: ``task_bank`` <- ``verifier``), so a validating import runs ``python -m verifier import`` with
the same arguments, in a child process, and ends with its exit code; ``--no-validate`` stores the tasks here, as
``candidate`` tasks that training never samples until re-validation judges them. Environment lines (issue 15) are
imported, exported and counted as :mod:`task_bank.environment_cli` says. ``serve`` is added by
:func:`task_bank.web.cli.add_serve_parser` when the web view is installed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from rich.console import Console

from task_bank.cli_support import (add_bank_args, bank_for_writing, bank_path, emit_json, existing_bank, json_text,
                                   missing_file, print_import_report, run_command, text_console, whole_number)
from task_bank.environment_cli import (add_environment_rows, import_commands, show_environment,
                                      write_environments)
from task_bank.errors import InputError
from task_bank.jsonl import export_jsonl, import_jsonl
from task_bank.records import TaskRecord, TaskStatus
from task_bank.store import Bank
from task_bank.tables import print_runs, show_task, stats_table, task_list_table

Handler = Callable[[argparse.Namespace, Console], int]
EXPORT_FORMATS = ("jsonl", "parquet", "hf")
SORTS = ("created", "updated", "pass_rate", "id", "status", "skill")
FORMAT = ("one task spec v1 JSON object per line (docs/SPEC.md); a line exported with provenance keeps it; blank "
          "lines are skipped")


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
    text = json_text(document, indent=None if args.json else 2)
    if not args.output:
        sys.stdout.write(text + "\n")
        return 0
    try:
        Path(args.output).write_text(text + "\n", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write the file ({exc.strerror})", path=args.output, field="output") from None
    if args.json:
        emit_json({"written": args.output})
    else:
        console.print(f"wrote {args.output}")
    return 0


def cmd_stats(args: argparse.Namespace, console: Console) -> int:
    """Counts per status, duplicates, failures, runs; environments per status."""
    with Bank.open(existing_bank(args.bank)) as bank:
        summary = bank.summary()
        environments = bank.environment_counts()
    if args.json:
        emit_json({**summary, "environments": environments})
    else:
        console.print(add_environment_rows(stats_table(summary), environments))
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
        emit_json({"total": total, "offset": args.offset, "tasks": [_brief(r) for r in records]})
    else:
        console.print(task_list_table(records, total, args.offset, console.width))
    return 0


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """Spec, provenance, validation reports, training statistics and history of one task."""
    with Bank.open(existing_bank(args.bank)) as bank:
        environment = None if bank.has_task(args.task_id) else bank.find_environment(args.task_id)
        if environment is not None:  # an environment id: its own view (task_bank.environment_cli)
            if args.json:
                emit_json({"record": environment.model_dump(mode="json")})
            else:
                show_environment(console, environment)
            return 0
        record = bank.get(args.task_id)
        reports, stats, history = bank.reports(record.id), bank.stats(record.id), bank.history(record.id)
        duplicates = [r.id for r in bank.duplicates_of(record.id)]
        children = [r.id for r in bank.children(record.id)]
    if args.json:
        emit_json({"record": record.model_dump(mode="json"), "reports": [r.model_dump(mode="json") for r in reports],
                   "stats": [s.model_dump(mode="json") for s in stats],
                   "history": [h.model_dump(mode="json") for h in history],
                   "duplicates": duplicates, "children": children})
    else:
        show_task(console, record, reports, stats, history, duplicates, children)
    return 0


def cmd_runs(args: argparse.Namespace, console: Console) -> int:
    """Growth and generate runs, newest first."""
    with Bank.open(existing_bank(args.bank)) as bank:
        runs = bank.list_runs(limit=args.limit)
    if args.json:
        emit_json({"runs": [run.model_dump(mode="json") for run in runs]})
    else:
        print_runs(console, runs)
    return 0


def validating_import_command(args: argparse.Namespace) -> list[str]:
    """The ``python -m verifier import`` command line a validating import hands over to."""
    command = [sys.executable, "-m", "verifier", "import", str(args.file), "--bank", str(bank_path(args.bank)),
               "--sandbox", args.sandbox, "--workers", str(args.workers), "--batch-size", str(args.batch_size)]
    return command + [flag for flag, on in (("--strict", args.strict), ("--progress", args.progress),
                                            ("--json", args.json), ("--allow-response-exec", args.allow_response_exec))
                      if on]


def _run(command: list[str]) -> int:
    with subprocess.Popen(command) as child:
        try:
            return child.wait()
        except KeyboardInterrupt:  # the child heard the Ctrl-C too: its one line and exit code stand
            return child.wait()


def cmd_import(args: argparse.Namespace, console: Console) -> int:
    """Store the task specs of a JSONL file: validated in the sandbox (by the verifier), or unjudged candidates."""
    if not Path(args.file).is_file():
        raise InputError(missing_file(Path(args.file)) + "; give a task spec v1 JSONL file", path=str(args.file),
                         field="FILE")
    commands = import_commands(args, None if args.no_validate else validating_import_command(args))
    if commands:  # validated: the verifier's task import and/or environment import store them
        if args.status is not None:
            raise InputError("--status only applies with --no-validate; validation decides the status",
                             field="status")
        worst = 0
        for command in commands:  # tasks, then environments; a fatal exit stops here, bad lines (1) do not
            code = _run(command)
            if code not in (0, 1):
                return code
            worst = worst or code
        return worst
    def progress(committed: int) -> None:
        print(f"committed {committed}", file=sys.stderr, flush=True)

    status = TaskStatus(args.status) if args.status not in (None, "all") else None
    with bank_for_writing(bank_path(args.bank)) as bank:
        report = import_jsonl(bank, args.file, strict=args.strict, status=status, batch_size=args.batch_size,
                              on_commit=progress if args.progress else None)
    print_import_report(report, as_json=args.json)
    return 1 if report.problems else 0


def cmd_export(args: argparse.Namespace, console: Console) -> int:
    """Write tasks as JSONL (spec v1), Parquet or a saved HF dataset."""
    status = None if args.status == "all" else args.status
    with Bank.open(existing_bank(args.bank)) as bank:
        environments = 0
        if args.format == "jsonl":
            count = export_jsonl(bank, args.output, status=status, skill=args.skill)
            environments = write_environments(bank, args.output, status=status, skill=args.skill)
        else:
            import datasets
            datasets.disable_progress_bars()  # this process is a CLI: bars would mix into the output
            from task_bank.hf_export import export_hf, export_parquet
            export = export_parquet if args.format == "parquet" else export_hf
            count = export(bank, args.output, status=status, skill=args.skill)
    if args.json:
        emit_json({"format": args.format, "path": str(args.output), "tasks": count, "environments": environments})
    else:
        also = f" and {environments} environment(s)" if environments else ""
        console.print(f"wrote {count} task(s){also} to {args.output} ({args.format})", soft_wrap=True)
    return 0


def _subcommand(sub: argparse._SubParsersAction, name: str, handler: Handler, summary: str,
                description: str) -> argparse.ArgumentParser:
    parser = sub.add_parser(name, help=summary, description=description)
    add_bank_args(parser)
    parser.set_defaults(handler=handler)
    return parser


def _add_import(sub: argparse._SubParsersAction) -> None:
    p = _subcommand(sub, "import", cmd_import, "import task specs v1 from JSONL (validated in the sandbox)",
                    "Store the tasks of a JSONL file. Each new task is validated in the sandbox and stored admitted "
                    "(subject to dedup) or rejected with its reasons; ids already in the bank are skipped. With "
                    "--no-validate tasks are stored as candidates, which training never samples. A file of environment spec v1 "
                    "lines is validated and stored by python -m verifier.env_cli import. Exit 1 when bad "
                    "lines were skipped (each named on stderr as FILE:LINE:COLUMN: field: message).")
    p.add_argument("file", metavar="FILE", help=f"the tasks: {FORMAT}")
    p.add_argument("--allow-response-exec", action="store_true",
                   help="admit verifiers that run the response as code in their own process (old HumanEval "
                        "style); recorded on each such task, whose responses are then scored one process each "
                        "(default: rejected as executes_response)")
    p.add_argument("--no-validate", action="store_true",
                   help="store the tasks unjudged, as candidates (default: validate each new task in the sandbox)")
    p.add_argument("--sandbox", "--backend", dest="sandbox", default="bwrap", metavar="NAME",
                   help="sandbox backend for validation: bwrap, docker, unsafe-local (default: bwrap)")
    p.add_argument("--workers", type=int, default=2, help="sandbox workers for validation (default: 2)")
    p.add_argument("--strict", action="store_true", help="import nothing if any line is bad (default: skip them)")
    p.add_argument("--status", type=_status_arg, default=None,
                   help="with --no-validate: store tasks with this status, any but admitted, which only "
                        "validation gives (default: candidate)")
    p.add_argument("--batch-size", type=whole_number(1), default=500, help="tasks per transaction (default: 500)")
    p.add_argument("--progress", action="store_true",
                   help="print 'committed N' to stderr after each commit (default: off)")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m task_bank`` (``serve`` included when the web view is importable)."""
    parser = argparse.ArgumentParser(prog="python -m task_bank",
                                     description="Look into a task bank, import and export tasks, print the schemas.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = _subcommand(sub, "schema", cmd_schema, "JSON Schema of the records",
                    "Print the JSON Schema of the bank's records (task_spec, task_record, failure, ...).")
    p.add_argument("--record", default=None, help="one record (task_spec, task_record, failure, ...) (default: all)")
    p.add_argument("-o", "--output", default=None, metavar="PATH", help="write to this file (default: stdout)")

    _subcommand(sub, "stats", cmd_stats, "counts per status, duplicates, failures, runs",
                "Count the bank's tasks per status, duplicates per kind, failures, runs, reports and statistics.")

    p = _subcommand(sub, "list", cmd_list, "list tasks (filters, full-text search, paging)",
                    "List one page of tasks, newest first, filtered by status, skill, text, failure group or run.")
    p.add_argument("--status", type=_status_arg, default=None, help="a status, or all (default: all)")
    p.add_argument("--skill", default=None, help="metadata skill (default: any)")
    p.add_argument("--search", default=None, metavar="TEXT",
                   help="full-text search over prompt and verifier code (default: none)")
    p.add_argument("--failure-group", default=None, metavar="GROUP", help="provenance failure group (default: any)")
    p.add_argument("--run", default=None, metavar="RUN_ID", help="growth run id (default: any)")
    p.add_argument("--sort", default="created", choices=SORTS, help="sort key (default: created)")
    p.add_argument("--ascending", action="store_true", help="oldest / lowest first (default: newest first)")
    p.add_argument("--limit", type=whole_number(1), default=50, help="tasks per page (default: 50)")
    p.add_argument("--offset", type=whole_number(0), default=0, help="tasks to skip (default: 0)")

    p = _subcommand(sub, "show", cmd_show, "one task: spec, provenance, reports, statistics, history",
                    "Show everything the bank knows about one task, or one environment (its tools, reference "
                    "trajectory, provenance and split).")
    p.add_argument("task_id", metavar="ID", help="the task id (t_...) or environment id (e_...)")

    _add_import(sub)

    p = _subcommand(sub, "export", cmd_export, "export tasks as JSONL, Parquet or a HF dataset",
                    "Write tasks as task spec v1 JSONL (with provenance), Parquet, or a saved Hugging Face dataset; "
                    "JSONL also gets the matching environments (environment spec v1 lines) after the tasks.")
    p.add_argument("--format", choices=EXPORT_FORMATS, default="jsonl", help="output format (default: jsonl)")
    p.add_argument("--status", type=_status_arg, default="admitted", help="a status, or all (default: admitted)")
    p.add_argument("--skill", default=None, help="metadata skill (default: any)")
    p.add_argument("-o", "--output", required=True, metavar="PATH", help="file (jsonl, parquet) or directory (hf)")

    p = _subcommand(sub, "runs", cmd_runs, "growth and generate runs, newest first",
                    "List the recorded growth and generate runs, newest first, with their counts.")
    p.add_argument("--limit", type=whole_number(1), default=50, help="runs to show (default: 50)")

    try:
        from task_bank.web.cli import add_serve_parser
    except ImportError:
        add_serve_parser = None
    if add_serve_parser is not None:
        add_serve_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one subcommand; an error becomes one line on stderr and the shared exit code."""
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    return run_command(lambda: handler(args, text_console(file=sys.stdout)))
