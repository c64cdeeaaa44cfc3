"""What ``python -m task_bank`` shows a person: the bank's records as rich tables that fit the terminal.

Nothing here decides anything; each function takes records and draws them. At 80 columns nothing is cut without a
mark: ids and times never shrink, long text wraps (verifier code, run counts) or ends in ``…`` (a prompt, which
``show`` prints whole).
"""

from __future__ import annotations

import json

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Text

from task_bank.records import CurationAction, GrowthRun, TaskRecord, TrainingStat
from task_bank.shown_text import shown
from task_bank.validation import ValidationReport

_TIME = "%Y-%m-%d %H:%M"
_SECONDS = "%Y-%m-%d %H:%M:%S"


_BREAKDOWNS = {"by_status": "status", "by_split": "admitted, split", "duplicates": "duplicates"}
"""The summary's per-kind counts (``stats --json`` keys) and the label of their rows in the table."""


def stats_table(summary: dict[str, object]) -> Table:
    """Counts per status, admitted tasks per split (practice and held-out), duplicates, failures and runs."""
    table = Table(title=f"task bank {summary['path']}")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("tasks", str(summary["tasks"]))
    for key, label in _BREAKDOWNS.items():
        value = summary[key]
        if isinstance(value, dict):
            for name, count in value.items():
                table.add_row(f"  {label}: {name}", str(count))
    for key in ("failures", "processed_failures", "runs", "reports", "training_stats", "skills"):
        table.add_row(key.replace("_", " "), str(summary[key]))
    return table


def task_list_table(records: list[TaskRecord], total: int, offset: int, width: int) -> Table:
    """One page of tasks: id, status, skill and creation time whole, the prompt in what is left (``…`` when cut)."""
    table = Table(title=f"{len(records)} of {total} task(s), from {offset}", pad_edge=False, collapse_padding=True)
    skill_width = 16 if width >= 110 else 10
    rows = [[r.id, r.status.value, _cut(r.spec.skill or "", skill_width), r.created_at.strftime(_TIME)]
            for r in records]
    columns = ["id", "status", "skill", "created"]
    used = sum(max([len(c)] + [len(row[i]) for row in rows]) + 3 for i, c in enumerate(columns)) + 4
    room = max(12, width - used)  # what the other columns and the borders leave for the prompt
    for column in columns:
        table.add_column(column, no_wrap=True)
    table.add_column("prompt", no_wrap=True)
    for record, row in zip(records, rows):
        table.add_row(*row, _cut(" ".join(record.spec.prompt_text.split()), room))
    return table


def print_runs(console: Console, runs: list[GrowthRun]) -> None:
    """Runs newest first: a table on a wide terminal; below 110 columns one wrapped paragraph per run, so a run id
    (the handle every other command takes) is never cut."""
    if console.width >= 110:
        table = Table(title=f"{len(runs)} run(s)")
        for column in ("id", "kind", "outcome", "started", "ended"):
            table.add_column(column, no_wrap=True)
        table.add_column("inputs", justify="right")
        table.add_column("counts", overflow="fold", ratio=1)
        for run in runs:
            table.add_row(run.id, run.kind.value, run.outcome.value, run.started_at.strftime(_TIME),
                          run.ended_at.strftime(_TIME) if run.ended_at else "", str(run.inputs_seen), _counts(run))
        console.print(table)
        return
    console.print(f"{len(runs)} run(s)")
    for run in runs:
        ended = f" -> {run.ended_at.strftime(_TIME)}" if run.ended_at else ""
        console.print(Text(run.id, style="bold") + f"  {run.kind.value}  {run.outcome.value}  "
                      f"{run.started_at.strftime(_TIME)}{ended}  inputs={run.inputs_seen}", highlight=False)
        if run.counts:
            console.print(f"    {_counts(run)}", highlight=False)


def _counts(run: GrowthRun) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(run.counts.items()))


def code_panel(source: str, title: str) -> RenderableType:
    """Python source in a panel, highlighted with line numbers: its head only (``shown_text``), then a line saying
    what was left out. Lines wrap rather than disappear past the edge."""
    head = shown(source)
    return _with_note(Panel(Syntax(head.text, "python", line_numbers=True, word_wrap=True), title=title), head.note)


def text_panel(text: str, title: str) -> RenderableType:
    """Plain text in a panel (rich markup in it is printed as written): its head only, as :func:`code_panel`."""
    head = shown(text)
    return _with_note(Panel(Text(head.text), title=title), head.note)


def _with_note(panel: Panel, note: str) -> RenderableType:
    return Group(panel, Text(note, style="yellow")) if note else panel


def show_task(console: Console, record: TaskRecord, reports: list[ValidationReport], stats: list[TrainingStat],
              history: list[CurationAction], duplicates: list[str], children: list[str]) -> None:
    """Everything the bank knows about one task; verifier lines wrap rather than disappear past the edge."""
    spec = record.spec
    head = Text(record.id, style="bold") + f"  status={record.status.value}"
    if record.reasons:
        head += f"  reasons={', '.join(record.reasons)}"
    if record.duplicate_of:
        kind = record.duplicate_kind.value if record.duplicate_kind else ""
        head += f"  duplicate of {record.duplicate_of} ({kind})"
    console.print(head)
    console.print(text_panel(spec.prompt_text, "prompt"))
    console.print(code_panel(spec.verifier, "verifier"))
    console.print(text_panel(spec.reference, "reference"))
    for i, case in enumerate(spec.failure_cases, start=1):
        console.print(text_panel(case, f"failure case {i}"))
    if spec.metadata:
        console.print(Panel(json.dumps(spec.metadata, indent=2, default=str), title="metadata"))
    prov = {k: v for k, v in record.provenance.model_dump(mode="json").items() if v not in (None, [], 0, {})}
    console.print(Panel(json.dumps(prov, indent=2), title="provenance"))
    console.print(_reports_table(reports))
    console.print(_stats_table(stats))
    console.print(_history_table(history))
    if duplicates:
        console.print(f"duplicates of this task: {', '.join(duplicates)}")
    if children:
        console.print(f"tasks evolved from this one: {', '.join(children)}")


def _reports_table(reports: list[ValidationReport]) -> Table:
    table = Table(title=f"{len(reports)} validation report(s)")
    for column in ("started", "admitted", "reasons", "checks", "backend", "ms"):
        table.add_column(column, overflow="fold")
    for report in reports:
        checks = " ".join(f"{c.name}:{'ok' if c.passed else ('skip' if c.passed is None else 'FAIL')}"
                          for c in report.checks)
        table.add_row(report.started_at.strftime(_SECONDS), str(report.admitted), ", ".join(report.reasons), checks,
                      report.sandbox_backend, f"{report.duration_ms:.0f}")
    return table


def _stats_table(stats: list[TrainingStat]) -> Table:
    table = Table(title=f"{len(stats)} training statistic(s)")
    for column in ("recorded", "policy", "source", "step", "attempts", "mean", "pass rate"):
        table.add_column(column, overflow="fold")
    for stat in stats:
        table.add_row(stat.recorded_at.strftime(_SECONDS), stat.policy, stat.source.value,
                      "" if stat.step is None else str(stat.step), str(stat.attempts), f"{stat.mean_score:.3f}",
                      f"{stat.pass_rate:.3f}")
    return table


def _history_table(history: list[CurationAction]) -> Table:
    table = Table(title=f"{len(history)} status change(s)")
    for column in ("at", "action", "from", "to", "actor", "reason"):
        table.add_column(column, overflow="fold")
    for entry in history:
        why = entry.reason or ", ".join(entry.reasons)
        table.add_row(entry.at.strftime(_SECONDS), entry.action.value, entry.from_status.value,
                      entry.to_status.value, entry.actor, why)
    return table


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[:max(1, width - 1)] + "…"
