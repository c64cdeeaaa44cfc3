"""``python -m synth.grow``: one growth cycle of the task bank, or one every ``--every`` interval.

    python -m synth.grow --config grow.toml [--bank PATH] [--json] [--executor local|ray]
    python -m synth.grow --config grow.toml --every 6h [--max-cycles N]

A cycle reads the failures that arrived since the last one, drafts and validates tasks from them, evolves tasks
the policy still fails, re-validates tasks judged by an older validator, and records itself in the bank
(``python -m task_bank runs`` lists the runs). See :mod:`synth.grow.cycle` for why it is safe to kill, and
``deploy/`` for cron and systemd examples. Errors are one ``error:`` line, as in every envsynth command.

The ``--every`` loop anchors its ticks to the first start (``t0 + n * interval``), not to the end of the previous
cycle: a six-hourly job stays six-hourly whatever each cycle took. A cycle that overruns one or more ticks is
followed at once by the next, and the missed ticks are dropped, not queued (a cycle already consumes everything
that arrived; systemd's ``Persistent=true`` makes the same choice). A cycle that fails or finds the lock held does
not end the loop; Ctrl-C or SIGTERM does: during a cycle, that cycle is recorded interrupted; while the loop
sleeps, no cycle is running and none is recorded.

Exit codes (the same for one cycle and for the last cycle of a loop): 0 the cycle ran (succeeded, or
budget_exhausted: the rest waits for the next cycle); 1 failed for another reason (recorded failed); 2 bad
configuration, arguments or input (a feed path that does not exist included); 3 generator backend; 4 sandbox;
5 bank (an unwritable bank folder included); 75 another cycle holds the lock, nothing done
(systemd: ``SuccessExitStatus=75``); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn, TextIO

from synth.cli_common import HelpFormatter
from synth.grow.config import GrowConfig, load_config, resolve_bank
from synth.grow.cycle import CycleReport, RuntimeOpener, run_cycle
from synth.grow.runs import KIND
from synth.grow.runtime import open_runtime
from task_bank.cli_support import json_text, run_command
from task_bank.errors import ConfigError, EnvsynthError
from task_bank.exit_codes import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from task_bank.records import RunOutcome

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_interval(text: str) -> float:
    """Seconds in an interval written like ``90s``, ``15m``, ``6h``, ``1d`` or ``1h30m``."""
    compact = text.strip().lower().replace(" ", "")
    parts = _PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ConfigError(f"cannot read interval {text!r}: write a number and a unit s, m, h or d, "
                          "e.g. 6h, 30m or 1h30m", field="--every")
    seconds = sum(float(n) * _UNITS[u] for n, u in parts)
    if seconds <= 0:
        raise ConfigError(f"interval {text!r} must be longer than zero", field="--every")
    return seconds


def next_tick(first_start: float, interval: float, previous: float, now: float) -> float:
    """When to start the cycle after the one that started at tick ``previous``: normally ``previous + interval``;
    when that tick has already passed (the cycle overran), the latest passed tick (due now)."""
    due = previous + interval
    if now < due:
        return due
    return first_start + math.floor((now - first_start) / interval) * interval


def run_every(cycle: Callable[[], int], interval: float, *, max_cycles: int | None = None,
              sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
              announce: Callable[[str], None] = lambda _msg: None) -> list[int]:
    """Run ``cycle`` every ``interval`` seconds, ``max_cycles`` times (forever when None); return exit codes."""
    codes: list[int] = []
    first = tick = clock()
    while True:
        codes.append(cycle())
        if max_cycles is not None and len(codes) >= max_cycles:
            return codes
        now = clock()
        tick = next_tick(first, interval, tick, now)
        wait = max(0.0, tick - now)
        announce(f"cycle {len(codes)} ended with exit code {codes[-1]}; next cycle in {wait:.0f}s (Ctrl-C stops)")
        sleep(wait)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m synth.grow", formatter_class=HelpFormatter,
        description="Grow the task bank: new failures -> tasks, evolve tasks the policy fails, re-validate.",
        epilog="exit codes: 0 ran, 1 failed, 2 bad config or input (a missing feed included), 3 backend, 4 sandbox, "
               "5 bank failed (an unwritable bank folder included), 75 another cycle holds the lock (nothing "
               "done), 130 interrupted")
    parser.add_argument("--config", type=Path, required=True, help="grow TOML file (deploy/grow.toml is an example)")
    parser.add_argument("--bank", type=Path, default=None, metavar="PATH",
                        help="bank file (default: config 'bank', else $ENVSYNTH_BANK, else ./task_bank.db)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per cycle on stdout")
    parser.add_argument("--every", default=None, metavar="INTERVAL",
                        help="run in the foreground every INTERVAL (e.g. 6h, 30m) until Ctrl-C (default: once)")
    parser.add_argument("--max-cycles", type=int, default=None, metavar="N",
                        help="with --every: stop after N cycles (default: no limit)")
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
        print(json_text({**payload, **extra}), file=out, flush=True)
    elif report is not None:
        print("\n".join(_summary_lines(report)), file=out, flush=True)


def _reraise(exc: Exception) -> Callable[[], int]:
    def body() -> NoReturn:
        raise exc
    return body


def one_cycle(config: GrowConfig, bank: Path, as_json: bool, out: TextIO, err: TextIO,
              opener: RuntimeOpener = open_runtime, interrupt_came: Callable[[], bool] = lambda: False) -> int:
    """Run one cycle and print its report; returns the exit code (Ctrl-C propagates, to end an ``--every`` loop).

    A failed cycle is one ``error:`` line and the shared exit code (:func:`task_bank.cli_support.run_command`),
    never the end of the loop. ``interrupt_came()`` says whether Ctrl-C or SIGTERM came: an exception raised then is
    the interrupt (:func:`run_cycle`)."""
    try:
        report = run_cycle(config, bank, opener=opener, interrupt_came=interrupt_came)
    except Exception as exc:  # noqa: BLE001 - a bug must not end an unattended --every loop; the run says FAILED
        if interrupt_came():
            raise KeyboardInterrupt from exc
        with contextlib.redirect_stderr(err):
            code = run_command(_reraise(exc))
        outcome = "locked" if code == 75 else "failed"
        message = str(exc) if isinstance(exc, EnvsynthError) else f"{type(exc).__name__}: {exc}"
        _emit(out, as_json, outcome=outcome, message=message, exit_code=code)
        return code
    _emit(out, as_json, report, exit_code=EXIT_OK)
    return EXIT_OK


def _recorded_state(bank: Path) -> str:
    """What the bank says of the cycle Ctrl-C stopped, read back rather than assumed (a Ctrl-C after the cycle
    recorded its end must not be reported as an interrupted cycle)."""
    from task_bank.store import Bank

    try:
        with Bank.open(bank) as opened:
            latest = next((r for r in opened.list_runs(limit=20) if r.kind == KIND), None)
    except EnvsynthError:
        latest = None
    if latest is None:
        return "no cycle was recorded"
    resumes = "; the next cycle resumes where it stopped" if latest.outcome is RunOutcome.INTERRUPTED else ""
    return f"cycle {latest.id} is recorded {latest.outcome.value}{resumes}"


def main(argv: Sequence[str] | None = None, out: TextIO | None = None, err: TextIO | None = None, *,
         opener: RuntimeOpener = open_runtime) -> int:
    """Parse ``argv``, run one cycle or the ``--every`` loop, return the exit code. SIGTERM is handled like
    Ctrl-C while it runs (systemd stops a unit with SIGTERM), so a running cycle is recorded as interrupted.
    ``opener`` builds each cycle's backend, validator and executor (a test or a service passes its own)."""
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
        print(f"error: {exc}", file=err)
        return EXIT_USAGE
    bank = resolve_bank(args.bank, config)
    running, requested = [False], [False]

    def cycle() -> int:
        running[0] = True
        code = one_cycle(config, bank, args.json, out, err, opener, interrupt_came=lambda: requested[0])
        running[0] = False
        return code

    def interrupt(_signum: int, _frame: object) -> None:
        requested[0] = True  # read where the KeyboardInterrupt may come out as another exception
        raise KeyboardInterrupt

    previous_int = signal.signal(signal.SIGINT, interrupt)
    previous_term = signal.signal(signal.SIGTERM, interrupt)
    try:
        if interval is None:
            return cycle()
        codes = run_every(cycle, interval, max_cycles=args.max_cycles,
                          announce=lambda msg: print(f"synth.grow: {msg}", file=err, flush=True))
        return codes[-1]
    except KeyboardInterrupt:
        what = _recorded_state(bank) if running[0] else "no cycle was running"
        print(f"error: interrupted; {what} (exit {EXIT_INTERRUPTED})", file=err, flush=True)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGTERM, previous_term)
        signal.signal(signal.SIGINT, previous_int)
