"""One growth cycle: new failures -> generate pipeline -> cursors -> evolve -> re-validate, recorded as a run.

The order of writes is what makes a cycle safe to kill at any point (``kill -9`` included):

1. take the lock (:mod:`synth.grow_lock`), so no other cycle is alive; mark RUNNING grow runs INTERRUPTED;
2. record this run as RUNNING;
3. read every feed from its cursor (:mod:`synth.cursor`); nothing is written yet;
4. run the pipeline (:func:`synth.pipeline.run_pipeline`) a batch of weakness groups at a time
   (:mod:`synth.grow_generate`): it stores the failures and the tasks as they are judged, and marks the batch's
   failures processed when the batch ends;
5. after each batch, move each cursor over the prefix of its feed that is now processed — never further;
6. evolve and re-validate (each write is a whole task or report);
7. record the end: outcome, counts per stage and reason, budget used.

Killed anywhere, the bank holds only whole transactions; the next cycle re-reads the feeds from cursors that were
never moved past unprocessed records, skips the processed ones, and the tasks a killed pipeline already stored
come back as the same ids (deterministic backends) or are judged again as new drafts (sampling backends), never
as a second copy of one task. A cycle re-run with no new input admits nothing.

Budgets: drafts, tokens and wall time are per cycle and shared by generation (first) and evolution (what is
left); drafts per weakness group are capped in both. Work a budget cuts off is deferred, and the run's outcome is
BUDGET_EXHAUSTED.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from synth.budget import Budget, BudgetTracker
from synth.cursor import FeedEntry, FeedPosition, advance, read_new, records
from synth.grow_config import GrowConfig
from synth.grow_evolve import evolve, select_parents
from synth.grow_generate import generate
from synth.grow_lock import cycle_lock
from synth.grow_revalidate import revalidate
from synth.grow_runs import KIND, RunLedger, mark_interrupted, new_run_id
from synth.grow_runtime import Runtime, open_runtime
from synth.prompts import PromptLibrary
from task_bank.errors import EnvsynthError
from task_bank.failure import FailureRecord
from task_bank.records import GrowthRun, RunOutcome
from task_bank.store import Bank

RuntimeOpener = Callable[[GrowConfig], AbstractContextManager[Runtime]]
"""Builds a cycle's runtime; :func:`synth.grow_runtime.open_runtime` unless a test passes fakes."""


def cursor_key(source: str) -> str:
    """The bank cursor name of a feed (namespaced, so other jobs' cursors cannot collide)."""
    return f"grow:{source}"


class CycleReport(BaseModel):
    """What a cycle did: its run record, plus where the time went."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    run: GrowthRun
    """The run as stored in the bank."""
    interrupted_runs: tuple[str, ...] = ()
    """Earlier runs this cycle found RUNNING and marked interrupted."""
    stage_seconds: dict[str, float] = Field(default_factory=dict)
    """Wall time per stage: feeds, generate (and its own stages as ``generate.<stage>``), cursors, evolve,
    revalidate, runtime (building backend, validator and executor)."""


class _Feeds:
    """What the cycle read from every feed, kept so the cursors can be moved after processing."""

    def __init__(self, bank: Bank, config: GrowConfig) -> None:
        self.read: list[tuple[str, FeedPosition, list[FeedEntry]]] = []
        for source in config.sources:
            start = FeedPosition.from_cursor(bank.get_cursor(cursor_key(source.name)))
            self.read.append((source.name, start, read_new(source.path, source.name, start)))

    def failures(self) -> list[FailureRecord]:
        return records(e for _, _, entries in self.read for e in entries)

    def errors(self) -> list[str]:
        return [e.error for _, _, entries in self.read for e in entries if e.error]

    def advance_cursors(self, bank: Bank, processed: set[str]) -> int:
        """Move each cursor over its processed prefix; return how many records are left behind it."""
        left = 0
        for name, start, entries in self.read:
            position = advance(start, entries, processed)
            if position != start:
                bank.set_cursor(cursor_key(name), position.to_cursor())
            left += sum(1 for e in entries if e.record is not None and e.record.id not in processed)
        return left


class _Clock:
    def __init__(self, max_wall_s: float) -> None:
        self.t0 = time.monotonic()
        self.max_wall_s = max_wall_s
        self.seconds: dict[str, float] = {}

    def elapsed(self) -> float:
        return time.monotonic() - self.t0

    def left(self) -> float:
        return self.max_wall_s - self.elapsed()

    def timed(self, name: str, start: float) -> None:
        self.seconds[name] = round(self.seconds.get(name, 0.0) + time.monotonic() - start, 4)


def _stages(bank: Bank, config: GrowConfig, rt: Runtime, ledger: RunLedger, clock: _Clock,
            prompts: PromptLibrary, validator_version: str) -> tuple[RunOutcome, str]:
    b = config.budget
    t = time.monotonic()
    feeds = _Feeds(bank, config)
    failures = feeds.failures()
    errors = feeds.errors()
    processed = bank.processed_failure_ids()
    fresh = [f for f in failures if f.id not in processed]
    ledger.add("feed", {"records": len(failures), "unreadable": len(errors),
                        "already_processed": len(failures) - len(fresh)})
    clock.timed("feeds", t)
    ledger.checkpoint(inputs_seen=len(failures))

    cut = False
    if fresh:
        t = time.monotonic()

        def after_batch() -> None:
            feeds.advance_cursors(bank, bank.processed_failure_ids())
            ledger.checkpoint()

        cut = generate(fresh, bank=bank, rt=rt, config=config, ledger=ledger, prompts=prompts,
                       wall_left=clock.left, after_batch=after_batch, stage_seconds=clock.seconds)
        clock.timed("generate", t)

    t = time.monotonic()
    deferred = feeds.advance_cursors(bank, bank.processed_failure_ids())
    ledger.add("feed", {"deferred": deferred})
    clock.timed("cursors", t)
    ledger.checkpoint()

    if config.evolve.enabled:
        t = time.monotonic()
        parents, skipped = select_parents(bank, config.evolve)
        ledger.add("evolve", {"already_evolved": skipped})
        if parents:
            tracker = BudgetTracker(Budget(max_drafts=max(0, b.max_drafts - ledger.drafts),
                                           max_tokens=max(0, b.max_tokens - ledger.tokens),
                                           max_wall_s=max(clock.left(), 1e-3)))
            result = evolve(parents, bank=bank, backend=rt.backend, validator=rt.validator, executor=rt.executor,
                            prompts=prompts, tracker=tracker, run_id=ledger.run.id,
                            drafts_per_parent=config.evolve.drafts_per_parent,
                            per_group_cap=b.max_drafts_per_group, validate_batch=config.pipeline.validate_batch,
                            structured=config.pipeline.structured)
            ledger.add("evolve", result.counts)
            ledger.spend(result.drafts, result.tokens)
            cut = cut or result.cut_by_budget
        clock.timed("evolve", t)
        ledger.checkpoint()

    if config.revalidate.enabled:
        t = time.monotonic()
        if clock.left() <= 0:
            ledger.add("revalidate", {"skipped_wall_time": 1})
            cut = True
        else:
            result = revalidate(bank, validator=rt.validator, executor=rt.executor, current=validator_version,
                                max_tasks=config.revalidate.max_tasks, validate_batch=config.pipeline.validate_batch)
            ledger.add("revalidate", result.counts)
        clock.timed("revalidate", t)

    c = ledger.counts
    message = (f"{c['generate:admitted'] + c['evolve:admitted']} admitted ({c['generate:admitted']} from "
               f"{len(fresh)} new failures, {c['evolve:admitted']} evolved), {c['revalidate:rejected']} rejected "
               f"on re-validation; {deferred} failures deferred")
    if errors:
        message += f"; {len(errors)} unreadable feed lines, first: {errors[0]}"
    return (RunOutcome.BUDGET_EXHAUSTED if cut else RunOutcome.SUCCEEDED), message


def current_validator_version() -> str:
    """``verifier.validate.VALIDATOR_VERSION`` as it is now (read at call time, so a test can patch it)."""
    from verifier import validate

    return validate.VALIDATOR_VERSION


def run_cycle(config: GrowConfig, bank_path: Path, *, opener: RuntimeOpener = open_runtime,
              prompts: PromptLibrary | None = None, validator_version: str | None = None) -> CycleReport:
    """Run one growth cycle on ``bank_path``; LockedError at once when another cycle holds the lock.

    ``opener`` builds the cycle's :class:`Runtime` as a context manager (a service embedding cycles can pass
    one that reuses its own backend, validator and executor). On any exception, Ctrl-C included, the run is
    recorded FAILED or INTERRUPTED and the exception propagates.
    """
    config = config.model_copy(update={"pipeline": config.pipeline.model_copy(
        update={"run_kind": KIND, "record_run": False})})
    with cycle_lock(config.lock_path(bank_path)):
        with Bank.open(bank_path) as bank:
            run_id = new_run_id()
            interrupted = mark_interrupted(bank, run_id)
            b = config.budget
            ledger = RunLedger(bank, GrowthRun(
                id=run_id, kind=KIND, budget={"max_drafts": float(b.max_drafts), "max_tokens": float(b.max_tokens),
                                              "max_wall_s": b.max_wall_s,
                                              "max_drafts_per_group": float(b.max_drafts_per_group)},
                config=config.model_dump(mode="json")))
            ledger.start()
            clock = _Clock(b.max_wall_s)
            try:
                t = time.monotonic()
                with opener(config) as rt:
                    clock.timed("runtime", t)
                    outcome, message = _stages(bank, config, rt, ledger, clock, prompts or PromptLibrary(),
                                               validator_version or current_validator_version())
                    t = time.monotonic()
                clock.timed("runtime", t)
            except KeyboardInterrupt:
                ledger.finish(RunOutcome.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM); the next cycle resumes "
                              "where this one stopped", clock.elapsed())
                raise
            except EnvsynthError as exc:
                ledger.finish(RunOutcome.FAILED, str(exc), clock.elapsed())
                raise
            except Exception as exc:
                ledger.finish(RunOutcome.FAILED, f"{type(exc).__name__}: {exc}", clock.elapsed())
                raise
            run = ledger.finish(outcome, message, clock.elapsed())
            return CycleReport(run=run, interrupted_runs=tuple(interrupted), stage_seconds=clock.seconds)
