"""``python -m synth.grow``: one growth cycle of the task bank, or one every ``--every`` interval.

    python -m synth.grow --config grow.toml [--bank PATH] [--json] [--executor local|ray]
    python -m synth.grow --config grow.toml --every 6h [--max-cycles N]

A cycle reads the failures that arrived since the last one, drafts and validates tasks from them, evolves tasks
the policy still fails, re-validates tasks judged by an older validator, and records itself in the bank
(``python -m task_bank runs`` lists the runs). See :mod:`synth.grow_cycle` for why it is safe to kill, and
``deploy/`` for cron and systemd examples.

Exit codes (the same for one cycle and for the last cycle of a loop):

====  ==========================================================================================
0     the cycle ran (outcome succeeded, or budget_exhausted: the rest waits for the next cycle)
1     the cycle failed for another reason; recorded as failed, the next cycle retries
2     bad configuration, arguments or input file; nothing was done (or the run is recorded as failed)
3     the generator backend failed (as ``synth.generate``); recorded as failed
4     the sandbox failed (as ``synth.generate``); recorded as failed
5     the bank failed (as ``synth.generate``)
75    EX_TEMPFAIL: another cycle holds the lock; nothing was done (systemd: ``SuccessExitStatus=75``)
130   interrupted by Ctrl-C or SIGTERM; recorded as interrupted, the next cycle resumes
====  ==========================================================================================
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from synth.grow_config import GrowConfig, load_config, resolve_bank
from synth.grow_cycle import CycleReport, run_cycle
from synth.grow_schedule import parse_interval, run_every
from task_bank.errors import ConfigError, EnvsynthError, LockedError
# Exit codes are shared by every envsynth command; grow's tests and scripts import them from here too.
from task_bank.exit_codes import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK, EXIT_USAGE, exit_code


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synth.grow",
        description="Grow the task bank: new failures -> tasks, evolve tasks the policy fails, re-validate.",
        epilog="exit codes: 0 ran, 1 failed, 2 bad config or input, 3 backend, 4 sandbox, 5 bank failed, "
               "75 another cycle holds the lock (nothing done), 130 interrupted")
    parser.add_argument("--config", type=Path, required=True, help="grow TOML file (deploy/grow.toml is an example)")
    parser.add_argument("--bank", type=Path, default=None,
                        help="bank file (default: config 'bank', else $ENVSYNTH_BANK, else ./task_bank.db)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per cycle")
    parser.add_argument("--every", default=None, metavar="INTERVAL",
                        help="run in the foreground every INTERVAL (e.g. 6h, 30m) until Ctrl-C")
    parser.add_argument("--max-cycles", type=int, default=None, metavar="N",
                        help="with --every: stop after N cycles")
    parser.add_argument("--executor", choices=("local", "ray"), default=None,
                        help="where drafting and validation run (default: the config's [executor] kind)")
    return parser


def _summary_lines(report: CycleReport) -> list[str]:
    run, c = report.run, report.run.counts
    took = (run.ended_at - run.started_at).total_seconds() if run.ended_at else 0.0
    lines = [f"{run.id}  {run.outcome.value} in {took:.1f}s: {run.message}"]
    if report.interrupted_runs:
        lines.append(f"  marked interrupted: {', '.join(report.interrupted_runs)}")
    for stage in ("feed", "generate", "evolve", "revalidate"):
        parts = [f"{k.split(':', 1)[1]}={v}" for k, v in sorted(c.items()) if k.startswith(stage + ":")]
        if parts:
            lines.append(f"  {stage}: {' '.join(parts)}")
    used = ", ".join(f"{k} {run.budget_used.get(k, 0):g}/{v:g}" for k, v in run.budget.items()
                     if k in run.budget_used)
    lines.append(f"  budget used: {used}")
    return lines


def _emit(out: TextIO, as_json: bool, report: CycleReport | None = None, **extra: object) -> None:
    if as_json:
        payload = report.model_dump(mode="json") if report is not None else {}
        print(json.dumps({**payload, **extra}, sort_keys=True), file=out, flush=True)
    elif report is not None:
        print("\n".join(_summary_lines(report)), file=out, flush=True)


def one_cycle(config: GrowConfig, bank: Path, as_json: bool, out: TextIO, err: TextIO) -> int:
    """Run one cycle and print its report; returns the exit code (Ctrl-C propagates)."""
    try:
        report = run_cycle(config, bank)
    except LockedError as exc:
        print(f"synth.grow: {exc} (exit {EXIT_LOCKED})", file=err, flush=True)
        _emit(out, as_json, outcome="locked", message=str(exc), exit_code=EXIT_LOCKED)
        return EXIT_LOCKED
    except EnvsynthError as exc:
        code = exit_code(exc)
        print(f"synth.grow: cycle failed: {exc} (exit {code})", file=err, flush=True)
        _emit(out, as_json, outcome="failed", message=str(exc), exit_code=code)
        return code
    except Exception as exc:  # noqa: BLE001 - a bug must not end an unattended --every loop; the run says FAILED
        traceback.print_exc(file=err)
        print(f"synth.grow: cycle failed with an unexpected error (exit {EXIT_FAILED})", file=err, flush=True)
        _emit(out, as_json, outcome="failed", message=f"{type(exc).__name__}: {exc}", exit_code=EXIT_FAILED)
        return EXIT_FAILED
    _emit(out, as_json, report, exit_code=EXIT_OK)
    return EXIT_OK


def _raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Parse ``argv``, run one cycle or the ``--every`` loop, return the exit code. SIGTERM is handled like
    Ctrl-C while it runs (systemd stops a unit with SIGTERM), so the run is recorded as interrupted."""
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        config = load_config(args.config)
        if args.executor is not None:
            config = config.model_copy(update={"executor": config.executor.model_copy(
                update={"kind": args.executor})})
        interval = parse_interval(args.every) if args.every is not None else None
        if args.max_cycles is not None and (interval is None or args.max_cycles < 1):
            raise ConfigError("--max-cycles needs --every and a value of at least 1", field="--max-cycles")
    except EnvsynthError as exc:
        print(f"synth.grow: {exc}", file=err)
        return EXIT_USAGE
    bank = resolve_bank(args.bank, config, dict(os.environ))
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        if interval is None:
            return one_cycle(config, bank, args.json, out, err)
        codes = run_every(lambda: one_cycle(config, bank, args.json, out, err), interval,
                          max_cycles=args.max_cycles, announce=lambda msg: print(f"synth.grow: {msg}", file=err,
                                                                                 flush=True))
        return codes[-1]
    except KeyboardInterrupt:
        print(f"synth.grow: interrupted; the run is recorded as interrupted and the next cycle resumes "
              f"(exit {EXIT_INTERRUPTED})", file=err, flush=True)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous)


if __name__ == "__main__":
    sys.exit(main())
