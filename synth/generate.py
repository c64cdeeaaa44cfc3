"""``python -m synth.generate``: grow the task bank from deployment failures.

    python -m synth.generate --failures examples/failures.jsonl --backend replay --drafts examples/drafts.jsonl

Wires command-line options to :func:`synth.pipeline.run_pipeline`: load -> redact -> group -> draft -> validate
in the sandbox -> dedup -> (learnable band with ``--policy``) -> admit. Progress bars go to stderr, the final
table (or ``--json``) to stdout. ``--dry-run`` prints the rendered prompts and touches neither model nor bank.
Exit codes: see :mod:`synth.cli_common`.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path

from rich.console import Console

from synth.backends import create_backend
from synth.band import PolicyProbe
from synth.budget import Budget
from synth.cli_common import (add_backend_args, add_bank_args, add_sandbox_args, backend_options, default_bank,
                              one_line, open_sandbox, run_command)
from synth.config import BandConfig, PipelineConfig
from synth.executor import LocalExecutor
from synth.loaders import ColumnMapping, LoadResult, load_failures, load_hub_dataset
from synth.pipeline import prepare, run_pipeline
from synth.progress import ProgressHook, RichProgress
from synth.prompts import PromptLibrary
from synth.report import summary_table
from synth.slots import plan_slots
from synth.summary import StageClock
from task_bank.errors import ConfigError, InputError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synth.generate",
        description="Grow the task bank from deployment failures: draft, validate in the sandbox, admit.")
    parser.add_argument("--failures", required=True,
                        help="failures: .jsonl (records or chat logs), .parquet, a saved dataset folder, or hf:NAME")
    parser.add_argument("--model", default=None, help="generator model: local path, hub id or served name")
    parser.add_argument("--drafts", type=Path, default=None, help="recorded drafts for --backend replay")
    add_backend_args(parser)
    add_bank_args(parser)
    add_sandbox_args(parser)
    parser.add_argument("--dry-run", action="store_true", help="print the rendered prompts and exit")
    parser.add_argument("--force", action="store_true", help="also draft for failures already processed")
    parser.add_argument("--repair-rounds", type=int, default=1, help="repair attempts per rejected draft")
    parser.add_argument("--drafts-per-group", type=int, default=2, help="tasks drafted per weakness group")
    parser.add_argument("--workers", type=int, default=1, help="stage work items run at once")
    parser.add_argument("--no-redact", action="store_true", help="do not redact secrets (not recommended)")
    parser.add_argument("--diagnose", action="store_true", help="diagnose each group before drafting")
    parser.add_argument("--no-structured", action="store_true", help="do not ask for JSON-schema output")
    parser.add_argument("--group-threshold", type=float, default=0.5, help="MinHash similarity for grouping")
    parser.add_argument("--prompts", type=Path, default=None, help="template folder (default: prompts/)")
    parser.add_argument("--run-id", default=None, help="run id (default: generated)")
    parser.add_argument("--column", action="append", default=[], metavar="FIELD=COLUMN",
                        help="column mapping for Parquet/datasets, e.g. prompt=question (repeatable)")
    parser.add_argument("--split", default="train", help="split of an hf: dataset")
    parser.add_argument("--skip-invalid", action="store_true", help="skip unreadable input lines (listed)")
    budget = parser.add_argument_group("budget")
    budget.add_argument("--max-drafts", type=int, default=None)
    budget.add_argument("--max-tokens", type=int, default=None)
    budget.add_argument("--max-wall-s", type=float, default=None)
    budget.add_argument("--per-group-cap", type=int, default=None)
    band = parser.add_argument_group("learnable band (with --policy)")
    band.add_argument("--policy", default=None, help="policy checkpoint (path or hub id) to probe new tasks with")
    band.add_argument("--band-low", type=float, default=0.1)
    band.add_argument("--band-high", type=float, default=0.9)
    band.add_argument("--probe-k", type=int, default=8, help="policy samples per task")
    band.add_argument("--policy-drafts", type=Path, default=None, help="recorded samples for --policy-backend replay")
    add_backend_args(band, prefix="policy-", default_backend="transformers", what="policy")
    return parser


def _mapping(pairs: Sequence[str]) -> ColumnMapping | None:
    if not pairs:
        return None
    fields: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not column:
            raise ConfigError(f"--column expects FIELD=COLUMN, got '{pair}'", field="column")
        fields[field] = column
    try:
        return ColumnMapping(**fields)
    except ValueError as exc:
        raise ConfigError(f"bad --column mapping: {one_line(exc)}", field="column") from None


def _load(args: argparse.Namespace) -> LoadResult:
    mapping = _mapping(args.column)
    if args.failures.startswith("hf:"):
        return load_hub_dataset(args.failures[3:], split=args.split, mapping=mapping, skip_invalid=args.skip_invalid)
    return load_failures(args.failures, mapping=mapping, skip_invalid=args.skip_invalid)


def _config(args: argparse.Namespace) -> tuple[PipelineConfig, Budget]:
    try:
        band = BandConfig(low=args.band_low, high=args.band_high, k=args.probe_k) if args.policy else None
        config = PipelineConfig(drafts_per_group=args.drafts_per_group, repair_rounds=args.repair_rounds,
                                redact=not args.no_redact, force=args.force, diagnose=args.diagnose,
                                group_threshold=args.group_threshold, structured=not args.no_structured, band=band)
        budget = Budget(max_drafts=args.max_drafts, max_tokens=args.max_tokens, max_wall_s=args.max_wall_s,
                        per_group_cap=args.per_group_cap)
    except ValueError as exc:
        raise ConfigError(f"bad option: {one_line(exc)}") from None
    return config, budget


def _dry_run(loaded: LoadResult, config: PipelineConfig, budget: Budget, prompts: PromptLibrary,
             console: Console) -> int:
    prep = prepare(loaded.records, config, set())
    slots = plan_slots(prep, config.model_copy(update={"diagnose": False}), budget, prompts, None,
                       LocalExecutor(), StageClock())
    for slot in slots:
        console.rule(f"{slot.key}  ({slot.rendered.template} {slot.rendered.template_hash})")
        for message in slot.rendered.messages:
            console.print(f"[bold]{message.role}[/bold]", highlight=False)
            console.print(message.content, markup=False, highlight=False)
    console.print(f"{len(prep.failures)} failures, {len(prep.groups)} groups, {len(slots)} draft prompts")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return run_command(lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    out = Console(soft_wrap=True)
    err = Console(stderr=True)
    config, budget = _config(args)
    prompts = PromptLibrary(args.prompts)
    start = time.perf_counter()
    loaded = _load(args)
    load_s = time.perf_counter() - start
    for issue in loaded.issues:
        err.print(f"skipped {issue.path}:{issue.line}: {issue.message}" + (f" (field '{issue.field}')"
                  if issue.field else ""), markup=False, highlight=False)
    if not loaded.records:
        raise InputError("no failure records to process", path=args.failures)
    if args.dry_run:
        return _dry_run(loaded, config, budget, prompts, out)
    from task_bank.store import Bank
    from verifier.validate import Validator

    with ExitStack() as stack:
        backend = stack.enter_context(create_backend(args.backend, backend_options(
            args, model=args.model, drafts=args.drafts, structured=not args.no_structured)))
        pool = stack.enter_context(open_sandbox(args))
        bank = stack.enter_context(Bank.open(args.bank or default_bank()))
        probe = None
        if args.policy:
            policy_backend = stack.enter_context(create_backend(args.policy_backend, backend_options(
                args, model=args.policy, prefix="policy_", drafts=args.policy_drafts, structured=False)))
            probe = PolicyProbe(policy_backend, pool, k=args.probe_k, policy=args.policy)
        executor = stack.enter_context(LocalExecutor(args.workers))
        validator = stack.enter_context(Validator(pool))  # closes its warm per-seed interpreters on exit
        progress: ProgressHook = ProgressHook() if args.json else RichProgress(err)
        try:
            summary = run_pipeline(loaded.records, bank=bank, backend=backend, validator=validator,
                                   config=config, executor=executor, run_id=args.run_id, budget=budget,
                                   prompts=prompts, probe=probe, progress=progress)
        finally:
            progress.close()
    stages = {"load": round(load_s, 4), **summary.stage_seconds}
    summary = summary.model_copy(update={"stage_seconds": stages})
    if args.json:
        print(json.dumps(summary.model_dump(mode="json"), indent=2))
    else:
        out.print(summary_table(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
