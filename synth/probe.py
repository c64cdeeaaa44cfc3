"""``python -m synth.probe``: measure how often a policy solves the bank's admitted tasks.

    python -m synth.probe --policy PATH_OR_ID --bank BANK [-k 8] [--backend transformers] [--max-new-tokens 256]

Samples the policy ``k`` times per task through the generator backends, scores every sample with the sandboxed
verifier pool, and records pass@k and the pass rate per policy checkpoint as ``TrainingStat(source="probe")``
(``bank.add_stats``); the trainer and the band read them there. Samples the sandbox could not score are left out,
never counted as failures (see :mod:`synth.band`). A sample is at most ``--max-new-tokens`` (default 256) tokens: a
task's answer is short, and 1,024 tokens per sample made ten tasks at k=4 take minutes on a small CPU model.
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
from task_bank.cli_support import add_bank_args, bank_path, emit_json, run_command, text_console
from task_bank.errors import ConfigError
from task_bank.records import TaskSplit, TaskStatus

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


def probe_bank(bank: "Bank", probe: PolicyProbe, executor: Executor, *, status: TaskStatus = TaskStatus.ADMITTED,
               skill: str | None = None, limit: int = 1000, batch: int = 32) -> ProbeSummary:
    """Probe up to ``limit`` tasks of ``status`` in ``bank`` and record their stats; returns the summary.

    With ``status`` REJECTED only tasks rejected as ``too_hard`` are probed: those are the ones a stronger policy
    can bring back (the trainer promotes them on a pass rate measured after their rejection). Held-out tasks
    (failure replays) are never probed: their pass rates are ``synth.replay``'s, kept apart from training.
    """
    if status is TaskStatus.REJECTED:
        records = [r for r in bank.iter_tasks(status=status, skill=skill, split=TaskSplit.TRAIN)
                   if "too_hard" in r.reasons][:limit]
    else:
        records = bank.list(status=status, skill=skill, limit=limit, split=TaskSplit.TRAIN)
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
    parser.add_argument("-k", type=int, default=8, help="samples per task")
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
    table = Table(title=f"probe of {summary.policy} (k={summary.k})")
    for column in ("task", "scored", "pass rate", "pass@1", f"pass@{summary.k}"):
        table.add_column(column, justify="left" if column == "task" else "right")
    for m in summary.measures:
        rate = "-" if m.pass_rate is None else f"{m.pass_rate:.2f}"
        top = m.pass_at_k.get(summary.k)
        table.add_row(m.task_id, f"{m.attempts}/{m.samples}", rate, f"{m.pass_at_k.get(1, 0.0):.2f}",
                      "-" if top is None else f"{top:.2f}")
    return table


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    from task_bank.store import Bank
    if args.k < 1:
        raise ConfigError(f"-k must be at least 1, got {args.k}", field="k")
    with ExitStack() as stack:
        settings = generator_settings(args, model=args.policy, drafts=args.drafts)
        backend = stack.enter_context(create_backend(settings.backend, settings.options(os.environ,
                                                                                        structured=False)))
        pool = stack.enter_context(open_sandbox(args))
        bank = stack.enter_context(Bank.open(bank_path(args.bank)))
        executor = stack.enter_context(LocalExecutor(args.workers))
        probe = PolicyProbe(backend, pool, k=args.k, pass_threshold=args.pass_threshold, policy=args.policy)
        summary = probe_bank(bank, probe, executor, status=TaskStatus(args.status), skill=args.skill,
                              limit=args.limit)
    if args.json:
        emit_json(summary.model_dump(mode="json"), indent=2)
    else:
        text_console(soft_wrap=True).print(_table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
