"""``python -m synth.probe``: measure how often a policy solves the bank's admitted tasks.

    python -m synth.probe --policy PATH_OR_ID --bank BANK [-k/--k 8] [--backend transformers] [--max-new-tokens 256]

Samples the policy ``k`` times per task through the generator backends, scores every sample with the sandboxed
verifier pool, and records pass@k and the pass rate per policy checkpoint as ``TrainingStat(source="probe")``
(``bank.add_stats``); the trainer and the band read them there. Samples the sandbox could not score are left out,
never counted as failures (see :mod:`synth.band`). A sample is at most ``--max-new-tokens`` (default 256) tokens: a
task's answer is short, and 1,024 tokens per sample made ten tasks at k=4 take minutes on a small CPU model.

The bank must exist: a missing file is bad input (exit 2), never a new empty bank. A bank with no task to probe
(no admitted training task, or none rejected as too_hard with ``--status rejected``; of ``--skill`` when given)
ends with one ``error:`` line saying so and exit 5, before the policy is loaded, as ``trainer.grpo`` and
``synth.replay`` refuse a bank with nothing for them.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict
from rich.table import Table

from synth.backends import create_backend
from synth.band import PolicyProbe, ProbeMeasure
from synth.cli_common import (EXIT_CODES_EPILOG, HelpFormatter, add_backend_args, add_sandbox_args,
                              generator_settings, open_sandbox)
from synth.executor import Executor, LocalExecutor
from task_bank.cli_support import add_bank_args, emit_json, existing_bank, run_command, text_console
from task_bank.errors import BankError, ConfigError
from task_bank.records import TaskRecord, TaskSplit, TaskStatus

if TYPE_CHECKING:
    from task_bank.store import Bank


class ProbeSummary(BaseModel):
    """What one probe run measured."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str
    k: int
    tasks: int
    recorded: int
    """Tasks with a scored sample, whose stats were written."""
    mean_pass_rate: float | None
    measures: tuple[ProbeMeasure, ...]


def probe_records(bank: "Bank", *, status: TaskStatus = TaskStatus.ADMITTED, skill: str | None = None,
                  limit: int = 1000) -> list[TaskRecord]:
    """The tasks :func:`probe_bank` samples: up to ``limit`` training-split tasks of ``status`` (of ``skill``),
    and with ``status`` REJECTED only those rejected as ``too_hard``."""
    if status is TaskStatus.REJECTED:
        return [r for r in bank.iter_tasks(status=status, skill=skill, split=TaskSplit.TRAIN)
                if "too_hard" in r.reasons][:limit]
    return bank.list(status=status, skill=skill, limit=limit, split=TaskSplit.TRAIN)


def no_tasks_message(bank_path: Path, status: TaskStatus, skill: str | None) -> str:
    """Why there is nothing to probe, and how to get something."""
    of_skill = f" with skill '{skill}'" if skill else ""
    if status is TaskStatus.REJECTED:
        return (f"{bank_path}: the bank has no training task{of_skill} rejected as too_hard to re-measure; "
                f"drop --status rejected to probe the admitted tasks")
    return (f"{bank_path}: the bank has no admitted training task{of_skill} to probe; admit some with "
            f"`python -m synth.generate` or `python -m task_bank import FILE`")


def probe_bank(bank: "Bank", probe: PolicyProbe, executor: Executor, *, status: TaskStatus = TaskStatus.ADMITTED,
               skill: str | None = None, limit: int = 1000, batch: int = 32) -> ProbeSummary:
    """Probe up to ``limit`` tasks of ``status`` in ``bank`` and record their stats; returns the summary.

    With ``status`` REJECTED only tasks rejected as ``too_hard`` are probed: those are the ones a stronger policy
    can bring back (the trainer promotes them on a pass rate measured after their rejection). Held-out tasks
    (failure replays) are never probed: their pass rates are ``synth.replay``'s, kept apart from training.
    """
    records = probe_records(bank, status=status, skill=skill, limit=limit)
    measures: list[ProbeMeasure] = []
    for i in range(0, len(records), batch):
        specs = [r.spec for r in records[i:i + batch]]
        found = probe.measure(specs, executor)
        stats = [s for s in (probe.stat(m) for m in found) if s is not None]
        bank.add_stats(stats)
        measures.extend(found)
    rates = [m.pass_rate for m in measures if m.pass_rate is not None]
    return ProbeSummary(policy=probe.policy, k=probe.k, tasks=len(measures), recorded=len(rates),
                        mean_pass_rate=sum(rates) / len(rates) if rates else None, measures=tuple(measures))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synth.probe", formatter_class=HelpFormatter, epilog=EXIT_CODES_EPILOG,
        description="Measure how often a policy solves the bank's admitted tasks; record pass@k and pass rate.")
    parser.add_argument("--policy", required=True, help="policy checkpoint: local path, hub id or served name")
    parser.add_argument("--k", "-k", type=int, default=8, help="samples per task")
    parser.add_argument("--pass-threshold", type=float, default=1.0, help="score at or above which a sample passes")
    parser.add_argument("--drafts", type=Path, default=None, help="recorded samples for --backend replay")
    parser.add_argument("--skill", default=None, help="only tasks of this skill")
    parser.add_argument("--limit", type=int, default=1000, help="at most this many tasks")
    parser.add_argument("--status", choices=("admitted", "rejected"), default="admitted",
                        help="admitted (default) tasks, or tasks rejected as too_hard, to see if they became solvable")
    parser.add_argument("--workers", type=int, default=1, help="stage work items run at once")
    add_backend_args(parser, default_backend="transformers", what="policy", max_new_tokens=256)
    add_bank_args(parser)
    add_sandbox_args(parser)
    return parser


def _table(summary: ProbeSummary) -> Table:
    """One row per task: scored samples, pass rate, pass@1 and pass@k (one pass@1 column when k is 1)."""
    table = Table(title=f"probe of {summary.policy} (k={summary.k})")
    ks = sorted({1, summary.k})
    for column in ("task", "scored", "pass rate", *(f"pass@{k}" for k in ks)):
        table.add_column(column, justify="left" if column == "task" else "right")
    for m in summary.measures:
        rate = "-" if m.pass_rate is None else f"{m.pass_rate:.2f}"
        at = {1: f"{m.pass_at_k.get(1, 0.0):.2f}"}
        top = m.pass_at_k.get(summary.k)
        at.setdefault(summary.k, "-" if top is None else f"{top:.2f}")
        table.add_row(m.task_id, f"{m.attempts}/{m.samples}", rate, *(at[k] for k in ks))
    return table


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    from task_bank.store import Bank
    if args.k < 1:
        raise ConfigError(f"must be at least 1, got {args.k}", field="--k")
    if args.limit < 1:
        raise ConfigError(f"must be at least 1, got {args.limit}", field="--limit")
    path = existing_bank(args.bank)
    status = TaskStatus(args.status)
    settings = generator_settings(args, model=args.policy, drafts=args.drafts)  # a bad flag fails before the bank
    with ExitStack() as stack:
        bank = stack.enter_context(Bank.open(path))
        if not probe_records(bank, status=status, skill=args.skill, limit=1):
            raise BankError(no_tasks_message(path, status, args.skill))
        backend = stack.enter_context(create_backend(settings.backend, settings.options(os.environ,
                                                                                        structured=False,
                                                                                        role="policy")))
        pool = stack.enter_context(open_sandbox(args))
        executor = stack.enter_context(LocalExecutor(args.workers))
        probe = PolicyProbe(backend, pool, k=args.k, pass_threshold=args.pass_threshold, policy=args.policy)
        summary = probe_bank(bank, probe, executor, status=status, skill=args.skill, limit=args.limit)
    if args.json:
        emit_json(summary.model_dump(mode="json"), indent=2)
    else:
        text_console(soft_wrap=True).print(_table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
