"""Environment lines in ``python -m task_bank`` import, export and stats (environment spec v1, issue 15).

- ``import``: a file whose lines are environments is handed to ``python -m verifier.env_cli import`` in a child
  process, as a task file is handed to ``python -m verifier import`` (the bank layer never imports the verifier).
  An environment is always validated (there is no unjudged environment: a stored one is admitted or rejected), so
  ``--no-validate`` refuses environment lines, and a file that mixes both kinds is refused with the line of the
  first environment (import the two kinds as two files), before anything is stored.
- ``export`` (JSONL): the matching environments follow the tasks, one environment spec v1 line each (``"kind":
  "environment"``), filtered by the same status and skill, each with its provenance (and ``"split": "heldout"``
  for a held-out replay environment), so an import elsewhere keeps the chain and the split.
- ``show ID``: an environment id (``e_...``) shows the environment: status, prompt, tools, reference trajectory,
  provenance and split (:func:`show_environment`; ``--json`` prints the stored record).
- ``stats``: environments per status, beside the tasks.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from rich.console import Console
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from task_bank.cli_support import bank_path
from task_bank.lines import load_json_line
from task_bank.environment import is_environment_line
from task_bank.environment_store import EnvironmentRecord, environment_line
from task_bank.errors import InputError
from task_bank.records import TaskStatus
from task_bank.store import Bank
from task_bank.tables import code_panel


def environment_lines(path: Path) -> tuple[list[int], int]:
    """Line numbers holding an environment, and how many other non-blank lines there are; a line that is no JSON
    counts as another line (the task import names it)."""
    environments, others = [], 0
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return [], 0  # the task import reports why the file cannot be read
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = load_json_line(line)
        except json.JSONDecodeError:
            others += 1
            continue
        if is_environment_line(value):
            environments.append(number)
        else:
            others += 1
    return environments, others


def import_commands(args: argparse.Namespace, validating: list[str] | None) -> list[list[str]]:
    """The commands that import FILE: the task import (``validating``; None: this process stores the tasks
    unvalidated, and the list holds no command for them) when it holds task lines or no environment line, then
    ``python -m verifier.env_cli import`` when it holds environment lines. A file of both, as ``task_bank export``
    writes (tasks, then environments), is imported whole: each import leaves the other kind's lines to the other.

    InputError (naming file, line and field ``kind``) for environments in an unvalidated import."""
    path = Path(args.file)
    environments, others = environment_lines(path)
    if environments and args.no_validate:
        raise InputError("environments are always validated; drop --no-validate", path=str(path),
                         line=environments[0], field="kind")
    commands = [validating] if validating is not None and (others or not environments) else []
    if environments:
        commands.append([sys.executable, "-m", "verifier.env_cli", "import", str(path), "--bank",
                         str(bank_path(args.bank)), "--sandbox", args.sandbox, "--skip-tasks"]
                        + (["--json"] if args.json else []))
    return commands


def write_environments(bank: Bank, path: str | Path, *, status: str | None, skill: str | None) -> int:
    """Append the matching environments to the exported JSONL file; returns how many."""
    count = 0
    try:
        with open(path, "a", encoding="utf-8") as out:
            for record in bank.iter_environments(TaskStatus(status) if status else None):
                if skill is not None and record.spec.skill != skill:
                    continue
                out.write(environment_line(record) + "\n")
                count += 1
    except OSError as exc:
        raise InputError(f"cannot write the file ({exc.strerror})", path=str(path)) from exc
    return count


def add_environment_rows(table: Table, counts: dict[str, int]) -> Table:
    """The stats table with environments per status appended."""
    table.add_row("environments", str(sum(counts.values())))
    for status, count in sorted(counts.items()):
        table.add_row(f"  environments: {status}", str(count))
    return table


def show_environment(console: Console, record: EnvironmentRecord) -> None:
    """Everything the bank keeps about one environment, as ``task_bank show`` prints a task."""
    spec = record.spec
    head = Text(record.id, style="bold") + f"  environment  status={record.status.value}  split={record.split.value}"
    if record.reasons:
        head += f"  reasons={', '.join(record.reasons)}"
    if record.duplicate_of:
        head += f"  duplicate of {record.duplicate_of}"
    console.print(head)
    console.print(Panel(spec.prompt_text, title="prompt"))
    interface = record.interface
    tools = "\n".join(t.render() for t in interface.tools) if interface else "(the source breaks the spec)"
    console.print(Panel(tools or "(no tools)", title="tools"))
    calls = [f"{c.tool}({json.dumps(c.args, ensure_ascii=False)})" for c in spec.reference.calls]
    console.print(Panel("\n".join([f"seed {spec.reference.seed}", *calls, f"answer: {spec.reference.response}"]),
                        title="reference trajectory"))
    console.print(code_panel(spec.environment, "environment"))
    if spec.metadata:
        console.print(Panel(json.dumps(spec.metadata, indent=2, default=str), title="metadata"))
    prov = {k: v for k, v in record.provenance.model_dump(mode="json").items() if v not in (None, [], 0, {})}
    console.print(Panel(json.dumps(prov, indent=2), title="provenance"))
