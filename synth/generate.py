"""``python -m synth.generate``: grow the task bank from deployment failures.

    python -m synth.generate --failures examples/failures.jsonl --backend replay --drafts examples/drafts.jsonl

Wires command-line options to :func:`synth.pipeline.run_pipeline`: load -> redact -> group -> draft -> validate
in the sandbox -> dedup -> (learnable band with ``--policy``) -> admit. Progress bars go to stderr, the final
table (or ``--json``) to stdout. ``--dry-run`` prints the rendered prompts and touches neither model nor bank.

The run's record stays true whenever Ctrl-C comes: before the bank is open nothing is recorded; from then until
every resource is closed the run is recorded INTERRUPTED and the command exits 130 with one line; once the run
is recorded as done, Ctrl-C is ignored for the few milliseconds it takes to print the table.
"""

from __future__ import annotations

if __name__ == "__main__":
    from synth import quiet_startup_interrupts

    quiet_startup_interrupts()

import argparse  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
from collections.abc import Sequence  # noqa: E402
from contextlib import ExitStack  # noqa: E402
from pathlib import Path  # noqa: E402
from uuid import uuid4  # noqa: E402

from pydantic import ValidationError  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.text import Text  # noqa: E402

from synth.backends import GeneratorRegistry, default_registry  # noqa: E402
from synth.backends.base import GeneratorSettings  # noqa: E402
from synth.band import BandConfig, PolicyProbe  # noqa: E402
from synth.budget import Budget, BudgetTracker  # noqa: E402
from synth.cli_common import (EXIT_CODES_EPILOG, HelpFormatter, add_backend_args, add_sandbox_args,  # noqa: E402
                              generator_settings, open_sandbox)
from synth.environment_slots import EnvironmentMode  # noqa: E402
from synth.executor import LocalExecutor  # noqa: E402
from synth.loaders import ColumnMapping, LoadResult, load_failures, load_hub_dataset  # noqa: E402
from synth.pipeline import PipelineConfig, RunRecord, plan, prepare, run_pipeline  # noqa: E402
from synth.prompts import PromptLibrary  # noqa: E402
from synth.summary import PipelineSummary, ProgressHook, RichProgress, StageClock, summary_table  # noqa: E402
from task_bank.cli_support import (add_bank_args, bank_for_writing, bank_path, emit_json, one_line, run_command,  # noqa: E402
                                   text_console)
from task_bank.errors import ConfigError, InputError  # noqa: E402
from task_bank.provenance import utcnow  # noqa: E402
from task_bank.records import GrowthRun  # noqa: E402

EPILOG = """\
failure records (--failures FILE.jsonl, one JSON object per line), either
  {"conversation": [{"role": "user", "content": ...}], "response": "what the model said",
   "signal": {"kind": "thumbs_down|error|correction|failed_check|feedback", "detail": ...},
   "expected": ..., "tags": [...], "id": ...}          (only conversation, response, signal required)
or an OpenAI-style chat log row whose last message is the assistant's failing answer:
  {"messages": [...], "feedback": ...}  where feedback is a string, {"kind", "detail"},
  {"rating": "thumbs_down"|-1, "comment"}, {"score": 0, "comment"} or {"value", "text"};
  "rating", "correction" or "error" fields are read too.
.parquet files and datasets folders are read through --column FIELD=COLUMN.

""" + EXIT_CODES_EPILOG

_BAND_FLAGS = {"low": "--band-low", "high": "--band-high", "k": "--probe-k"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synth.generate", formatter_class=HelpFormatter, epilog=EPILOG,
        description="Grow the task bank from deployment failures: draft, validate in the sandbox, admit.")
    parser.add_argument("--failures", required=True, metavar="FILE",
                        help="failures: .jsonl (records or chat logs), .parquet, a saved dataset folder, or hf:NAME")
    parser.add_argument("--model", default=None, help="generator model: local path, hub id or served name")
    parser.add_argument("--drafts", type=Path, default=None, metavar="FILE",
                        help="recorded drafts for --backend replay (JSONL of {key, text})")
    add_backend_args(parser)
    add_bank_args(parser)
    add_sandbox_args(parser)
    parser.add_argument("--dry-run", action="store_true",
                        help="print the rendered prompts and exit (as one JSON document with --json)")
    parser.add_argument("--force", action="store_true", help="also draft for failures already processed")
    parser.add_argument("--repair-rounds", type=int, default=1, help="repair attempts per rejected draft")
    parser.add_argument("--drafts-per-group", type=int, default=2, help="tasks drafted per weakness group")
    parser.add_argument("--workers", type=int, default=1, help="stage work items run at once")
    parser.add_argument("--no-redact", action="store_true", help="do not redact secrets (not recommended)")
    parser.add_argument("--diagnose", action="store_true", help="diagnose each group before drafting")
    parser.add_argument("--no-structured", action="store_true", help="do not ask for JSON-schema output")
    parser.add_argument("--no-replay", action="store_true",
                        help="do not draft a held-out replay task per failure (synth.replay measures those)")
    parser.add_argument("--environments", choices=[m.value for m in EnvironmentMode], default="auto",
                        help="draft an environment per failure (prompts/environment.j2: a tool-use failure gets "
                             "its tools, a single-turn one a seeded family): auto = only when some failure carries "
                             "tool_calls, all = always, none = never")
    parser.add_argument("--group-threshold", type=float, default=0.5, help="MinHash similarity for grouping")
    parser.add_argument("--prompts", type=Path, default=None, metavar="DIR",
                        help="template folder (default: the templates shipped with envsynth)")
    parser.add_argument("--run-id", default=None, help="run id (default: gen-<UTC time>-<random>)")
    parser.add_argument("--column", action="append", default=[], metavar="FIELD=COLUMN",
                        help="column mapping for Parquet/datasets, e.g. prompt=question (repeatable)")
    parser.add_argument("--split", default="train", help="split of an hf: dataset")
    parser.add_argument("--skip-invalid", action="store_true", help="skip unreadable input lines (listed)")
    parser.add_argument("--allow-response-exec", action="store_true",
                        help="admit drafted verifiers that run the response as code in their own process (old "
                             "HumanEval style; recorded on the task, each response then scored in a process of its "
                             "own); default: rejected as executes_response, the repair round is told to use "
                             "envsynth_sandbox.run_response")
    budget = parser.add_argument_group("budget (default: no limit)")
    budget.add_argument("--max-drafts", type=int, default=None, help="generator calls, repairs included")
    budget.add_argument("--max-tokens", type=int, default=None, help="generator completion tokens")
    budget.add_argument("--max-wall-s", type=float, default=None, help="seconds after which no new wave starts")
    budget.add_argument("--per-group-cap", type=int, default=None, help="draft slots per weakness group")
    band = parser.add_argument_group("learnable band (needs --policy)")
    band.add_argument("--policy", default=None, help="policy checkpoint (path or hub id) to probe new tasks with")
    band.add_argument("--band-low", type=float, default=None,
                      help="reject tasks the policy passes less often than this as too_hard (default: 0.1)")
    band.add_argument("--band-high", type=float, default=None,
                      help="reject tasks the policy passes more often than this as too_easy (default: 0.9)")
    band.add_argument("--probe-k", type=int, default=None, help="policy samples per task (default: 8)")
    band.add_argument("--policy-drafts", type=Path, default=None, help="recorded samples for --policy-backend replay")
    add_backend_args(band, prefix="policy-", default_backend="transformers", what="policy", max_new_tokens=256)
    return parser


def _mapping(pairs: Sequence[str]) -> ColumnMapping | None:
    if not pairs:
        return None
    fields: dict[str, str] = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not column:
            raise ConfigError(f"--column expects FIELD=COLUMN, got '{pair}'", field="--column")
        fields[field] = column
    try:
        return ColumnMapping(**fields)
    except ValueError as exc:
        raise ConfigError(f"bad --column mapping: {one_line(exc)}", field="--column") from None


def _load(args: argparse.Namespace) -> LoadResult:
    mapping = _mapping(args.column)
    if args.failures.startswith("hf:"):
        return load_hub_dataset(args.failures[3:], split=args.split, mapping=mapping, skip_invalid=args.skip_invalid)
    return load_failures(args.failures, mapping=mapping, skip_invalid=args.skip_invalid)


def _band(args: argparse.Namespace) -> BandConfig | None:
    values = {"--band-low": args.band_low, "--band-high": args.band_high, "--probe-k": args.probe_k}
    given = [flag for flag, value in values.items() if value is not None]
    if not args.policy:
        if given:
            raise ConfigError(f"{', '.join(given)} only apply with --policy (the policy the band is measured on)",
                              field=given[0])
        return None
    d = BandConfig()
    low = d.low if args.band_low is None else args.band_low
    high = d.high if args.band_high is None else args.band_high
    try:
        band = BandConfig(low=low, high=high, k=d.k if args.probe_k is None else args.probe_k)
    except ValidationError as exc:
        if any(error["loc"] for error in exc.errors()):  # a value out of its range
            raise ConfigError(f"bad option: {one_line(exc, flags=_BAND_FLAGS)}") from None
        raise ConfigError(f"--band-low ({low}) is above --band-high ({high})", field="--band-low") from None
    return band


def _config(args: argparse.Namespace) -> tuple[PipelineConfig, Budget]:
    band = _band(args)
    flags = {"drafts_per_group": "--drafts-per-group", "repair_rounds": "--repair-rounds",
             "group_threshold": "--group-threshold", "max_drafts": "--max-drafts", "max_tokens": "--max-tokens",
             "max_wall_s": "--max-wall-s", "per_group_cap": "--per-group-cap"}
    try:
        config = PipelineConfig(drafts_per_group=args.drafts_per_group, repair_rounds=args.repair_rounds,
                                redact=not args.no_redact, force=args.force, diagnose=args.diagnose,
                                group_threshold=args.group_threshold, structured=not args.no_structured, band=band,
                                replay=not args.no_replay, environments=EnvironmentMode(args.environments))
        budget = Budget(max_drafts=args.max_drafts, max_tokens=args.max_tokens, max_wall_s=args.max_wall_s,
                        per_group_cap=args.per_group_cap)
    except ValidationError as exc:
        raise ConfigError(f"bad option: {one_line(exc, flags=flags)}") from None
    return config, budget


def _dry_run(loaded: LoadResult, config: PipelineConfig, budget: Budget, prompts: PromptLibrary,
             console: Console, as_json: bool = False) -> int:
    """The rendered draft prompts: as text, or with ``--json`` one JSON document (``{"failures", "groups",
    "prompts": [{"key", "template", "template_hash", "messages": [{"role", "content"}]}]}``; the text once went to
    stdout under ``--json`` too: red-team round 30)."""
    prep = prepare(loaded.records, config, set())
    slots = plan(prep, config, prompts, per_group_cap=budget.per_group_cap)
    if as_json:
        emit_json({"failures": len(prep.failures), "groups": len(prep.groups),
                   "prompts": [{"key": slot.key, "template": slot.rendered.template,
                                "template_hash": slot.rendered.template_hash,
                                "messages": [{"role": m.role, "content": m.content} for m in slot.rendered.messages]}
                               for slot in slots]}, indent=2)
        return 0
    for slot in slots:
        rendered = slot.rendered
        console.rule(f"{slot.key}  ({rendered.template} {rendered.template_hash})")
        for message in rendered.messages:
            console.print(Text(message.role, style="bold"), highlight=False)
            console.print(message.content, markup=False, highlight=False)
    console.print(f"{len(prep.failures)} failures, {len(prep.groups)} groups, {len(slots)} draft prompts")
    return 0


def main(argv: Sequence[str] | None = None, *, registry: GeneratorRegistry | None = None) -> int:
    """Run the command; ``registry`` (default: every shipped backend) is where ``--backend`` names are looked up
    (a test or an embedding service registers its own backends there)."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        args = build_parser().parse_args(argv)
        return run_command(lambda: _main(args, registry or default_registry()))
    finally:
        signal.signal(signal.SIGINT, previous)


def _main(args: argparse.Namespace, registry: GeneratorRegistry) -> int:
    out = text_console(soft_wrap=True)
    err = text_console(stderr=True)
    clock = StageClock()
    config, budget = _config(args)
    settings = generator_settings(args, model=args.model, drafts=args.drafts)
    policy = generator_settings(args, model=args.policy, drafts=args.policy_drafts, prefix="policy_")
    prompts = PromptLibrary(args.prompts)
    with clock.stage("load"):
        loaded = _load(args)
    for issue in loaded.issues:
        err.print(f"skipped {issue.path}:{issue.line}: {issue.message}" + (f" (field '{issue.field}')"
                  if issue.field else ""), markup=False, highlight=False)
    if not loaded.records:
        raise InputError("no failure records to process", path=args.failures)
    if args.dry_run:
        return _dry_run(loaded, config, budget, prompts, out, as_json=args.json)
    summary = _generate(args, loaded, config, budget, settings, policy, prompts, registry, err)
    summary = summary.model_copy(update={"stage_seconds": {**clock.rounded(), **summary.stage_seconds}})
    if args.json:
        emit_json(summary.model_dump(mode="json"), indent=2)
    else:
        out.print(summary_table(summary))
    return 0


def _generate(args: argparse.Namespace, loaded: LoadResult, config: PipelineConfig, budget: Budget,
              settings: GeneratorSettings, policy: GeneratorSettings, prompts: PromptLibrary,
              registry: GeneratorRegistry, err: Console) -> PipelineSummary:
    """Run the pipeline with the run recorded around everything it opens (see the module docstring)."""
    from verifier.env_validate import EnvValidator
    from verifier.validate import Validator
    from verifier.validation_config import ValidationConfig

    run_id = args.run_id or f"gen-{utcnow():%Y%m%dT%H%M%S}-{uuid4().hex[:6]}"
    # bad input or options leave no new empty bank; an interrupted or failed run is kept, recorded as such
    with bank_for_writing(bank_path(args.bank), discard_on=(InputError, ConfigError)) as bank:
        record = RunRecord(bank, GrowthRun(id=run_id, kind=config.run_kind, inputs_seen=len(loaded.records),
                                           budget=budget.limits(), config=config.model_dump(mode="json")))
        record.start()
        try:
            with ExitStack() as stack:
                backend = stack.enter_context(registry.create(settings.backend, settings.options(
                    os.environ, structured=config.structured)))
                pool = stack.enter_context(open_sandbox(args))
                probe = None
                if args.policy:
                    policy_backend = stack.enter_context(registry.create(policy.backend, policy.options(
                        os.environ, structured=False, role="policy")))
                    probe = PolicyProbe(policy_backend, pool, k=config.band.k, policy=args.policy)
                executor = stack.enter_context(LocalExecutor(args.workers))
                checks = ValidationConfig(allow_response_exec=args.allow_response_exec)
                validator = stack.enter_context(Validator(pool, checks))  # closes its warm per-seed interpreters
                environments = stack.enter_context(EnvValidator(args.sandbox))  # starts workers on first use
                progress: ProgressHook = ProgressHook() if args.json else RichProgress(err)
                stack.callback(progress.close)
                summary = run_pipeline(loaded.records, bank=bank, backend=backend, validator=validator,
                                       config=config.model_copy(update={"record_run": False}), executor=executor,
                                       run_id=run_id, tracker=BudgetTracker(budget), prompts=prompts, probe=probe,
                                       progress=progress, environments=environments)
        except BaseException as exc:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not leave the run RUNNING
            record.fail(exc)
            raise
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the run is done: recording and printing it is not undone
        record.finish(summary)
    return summary


if __name__ == "__main__":
    sys.exit(main())
