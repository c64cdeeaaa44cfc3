"""The ``show ID`` subcommand: everything the bank knows about one task."""

from __future__ import annotations

import argparse
import json

from rich.console import Console
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table

from task_bank.cli import emit_json, existing_bank
from task_bank.records import CurationAction, TaskRecord, TrainingStat
from task_bank.store import Bank
from task_bank.validation import ValidationReport


def _human(console: Console, record: TaskRecord, reports: list[ValidationReport], stats: list[TrainingStat],
           history: list[CurationAction], duplicates: list[str], children: list[str]) -> None:
    spec = record.spec
    head = f"[b]{record.id}[/b]  status={record.status.value}"
    if record.reasons:
        head += f"  reasons={', '.join(record.reasons)}"
    if record.duplicate_of:
        head += f"  duplicate of {record.duplicate_of} ({record.duplicate_kind.value if record.duplicate_kind else ''})"
    console.print(head)
    console.print(Panel(spec.prompt_text, title="prompt"))
    console.print(Panel(Syntax(spec.verifier, "python", line_numbers=True), title="verifier"))
    console.print(Panel(spec.reference, title="reference"))
    for i, case in enumerate(spec.failure_cases, start=1):
        console.print(Panel(case, title=f"failure case {i}"))
    if spec.metadata:
        console.print(Panel(json.dumps(spec.metadata, indent=2, default=str), title="metadata"))
    prov = {k: v for k, v in record.provenance.model_dump(mode="json").items() if v not in (None, [], 0, {})}
    console.print(Panel(json.dumps(prov, indent=2), title="provenance"))
    table = Table(title=f"{len(reports)} validation report(s)")
    for column in ("started", "admitted", "reasons", "checks", "backend", "ms"):
        table.add_column(column)
    for report in reports:
        checks = " ".join(f"{c.name}:{'ok' if c.passed else ('skip' if c.passed is None else 'FAIL')}"
                          for c in report.checks)
        table.add_row(report.started_at.strftime("%Y-%m-%d %H:%M:%S"), str(report.admitted),
                      ", ".join(report.reasons), checks, report.sandbox_backend, f"{report.duration_ms:.0f}")
    console.print(table)
    table = Table(title=f"{len(stats)} training statistic(s)")
    for column in ("recorded", "policy", "source", "step", "attempts", "mean", "pass rate"):
        table.add_column(column)
    for stat in stats:
        table.add_row(stat.recorded_at.strftime("%Y-%m-%d %H:%M:%S"), stat.policy, stat.source,
                      "" if stat.step is None else str(stat.step), str(stat.attempts), f"{stat.mean_score:.3f}",
                      f"{stat.pass_rate:.3f}")
    console.print(table)
    table = Table(title=f"{len(history)} status change(s)")
    for column in ("at", "action", "from", "to", "actor", "reason"):
        table.add_column(column)
    for entry in history:
        table.add_row(entry.at.strftime("%Y-%m-%d %H:%M:%S"), entry.action, entry.from_status.value,
                      entry.to_status.value, entry.actor, entry.reason)
    console.print(table)
    if duplicates:
        console.print(f"duplicates of this task: {', '.join(duplicates)}")
    if children:
        console.print(f"tasks evolved from this one: {', '.join(children)}")


def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """Spec, provenance, validation reports, training statistics and history of one task."""
    with Bank.open(existing_bank(args.bank)) as bank:
        record = bank.get(args.task_id)
        reports = bank.reports(record.id)
        stats = bank.stats(record.id)
        history = bank.history(record.id)
        duplicates = [r.id for r in bank.duplicates_of(record.id)]
        children = [r.id for r in bank.children(record.id)]
    if args.json:
        emit_json(console, {
            "record": record.model_dump(mode="json"),
            "reports": [r.model_dump(mode="json") for r in reports],
            "stats": [s.model_dump(mode="json") for s in stats],
            "history": [h.model_dump(mode="json") for h in history],
            "duplicates": duplicates,
            "children": children,
        })
        return 0
    _human(console, record, reports, stats, history, duplicates, children)
    return 0
