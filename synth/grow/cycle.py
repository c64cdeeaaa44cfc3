"""One growth cycle: new failures -> generate pipeline -> cursors -> evolve -> re-validate, recorded as a run.

The order of writes is what makes a cycle safe to kill at any point (``kill -9`` included):

1. take the lock (:func:`synth.grow.runs.cycle_lock`), so no other cycle is alive; mark RUNNING grow runs
   INTERRUPTED;
2. record this run as RUNNING;
3. read every feed from its cursor (:mod:`synth.grow.feeds`); nothing is written yet;
4. run the pipeline (:func:`synth.pipeline.run_pipeline`) a batch of weakness groups at a time: it stores the
   failures and the tasks as they are judged, and marks the batch's settled failures processed when it ends;
5. after each batch, move each cursor over the prefix of its feed that is now processed — never further;
6. evolve and re-validate (each write is a whole task or report);
7. record the end: outcome, counts per stage and reason, budget used.

Killed anywhere, the bank holds only whole transactions; the next cycle re-reads the feeds from cursors that were
never moved past unprocessed records, skips the processed ones, and the tasks a killed pipeline already stored
come back as the same ids (deterministic backends) or are judged again as new drafts (sampling backends), never
as a second copy of one task. A cycle re-run with no new input admits nothing.

Why batches of groups: the pipeline marks failures processed when its run ends; handing it a whole backlog would
mean a cycle killed near its end had marked nothing, and a sampling backend would store a second set of tasks for
groups that had theirs. Grouping a batch gives the same groups as grouping the whole backlog (a group's members
are all in its batch), so group ids, request keys and slots are those of a single pipeline run.

Budgets: drafts, tokens and wall time are per cycle, counted by one tracker and shared by generation (first,
batch by batch) and evolution (what is left); drafts per weakness group are capped in both. Work a budget cuts off
is deferred, and the run's outcome is BUDGET_EXHAUSTED.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from synth.budget import Budget, BudgetTracker
from synth.grow.config import GrowConfig
from synth.grow.evolve import evolve, select_parents
from synth.grow.feeds import Feeds
from synth.grow.revalidate import revalidate
from synth.grow.runs import KIND, RunLedger, cycle_lock, mark_interrupted, new_run_id
from synth.grow.runtime import Runtime, open_runtime
from synth.pipeline import prepare, run_pipeline
from synth.prompts import PromptLibrary
from synth.summary import StageClock
from task_bank.errors import EnvsynthError
from task_bank.failure import FailureRecord
from task_bank.records import GrowthRun, RunOutcome
from task_bank.store import Bank

RuntimeOpener = Callable[[GrowConfig], AbstractContextManager[Runtime]]
"""Builds a cycle's runtime; :func:`synth.grow.runtime.open_runtime` unless a caller passes its own."""


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


def batches(failures: Sequence[FailureRecord], config: GrowConfig) -> list[list[FailureRecord]]:
    """``failures`` split into batches of ``groups_per_batch`` whole weakness groups, in group order."""
    by_id = {f.id: f for f in failures}
    groups = prepare(failures, config.pipeline, set()).groups
    size = config.groups_per_batch
    return [[by_id[fid] for g in groups[i:i + size] for fid in g.member_ids] for i in range(0, len(groups), size)]


class _Cycle:
    """One cycle's bank, runtime, ledger and clock, and its stages in order."""

    def __init__(self, bank: Bank, config: GrowConfig, rt: Runtime, ledger: RunLedger, clock: StageClock,
                 prompts: PromptLibrary) -> None:
        self.bank, self.config, self.rt, self.ledger, self.clock = bank, config, rt, ledger, clock
        self.prompts = prompts
        self.tracker = ledger.tracker

    def generate(self, fresh: list[FailureRecord], feeds: Feeds) -> bool:
        """Run the pipeline batch by batch; True when a budget cut the stage short."""
        for batch in batches(fresh, self.config):
            part = self.tracker.within()
            summary = run_pipeline(batch, bank=self.bank, backend=self.rt.backend, validator=self.rt.validator,
                                   config=self.config.pipeline, executor=self.rt.executor,
                                   run_id=self.ledger.run.id, tracker=part, prompts=self.prompts)
            self.tracker.spend(part.drafts, part.tokens)
            self.ledger.add("generate", summary.counts())
            for stage, seconds in summary.stage_seconds.items():
                self.clock.add(f"generate.{stage}", seconds)
            feeds.advance_cursors(self.bank, self.bank.processed_failure_ids())
            self.ledger.checkpoint()
            if summary.outcome is RunOutcome.BUDGET_EXHAUSTED:
                return True
        return False

    def evolve(self) -> bool:
        parents, skipped = select_parents(self.bank, self.config.evolve)
        self.ledger.add("evolve", {"already_evolved": skipped})
        if not parents:
            return False
        part = self.tracker.within()
        result = evolve(parents, bank=self.bank, runtime=self.rt, prompts=self.prompts, tracker=part,
                        run_id=self.ledger.run.id, config=self.config)
        self.tracker.spend(part.drafts, part.tokens)
        self.ledger.add("evolve", result.counts)
        return result.cut_by_budget

    def revalidate(self, validator_version: str) -> bool:
        if self.tracker.exhausted() == "max_wall_s":
            self.ledger.add("revalidate", {"skipped_wall_time": 1})
            return True
        result = revalidate(self.bank, validator=self.rt.validator, executor=self.rt.executor,
                            current=validator_version, max_tasks=self.config.revalidate.max_tasks,
                            validate_batch=self.config.pipeline.validate_batch)
        self.ledger.add("revalidate", result.counts)
        return False

    def run(self, feeds: Feeds, validator_version: str) -> tuple[RunOutcome, str]:
        with self.clock.stage("feeds"):
            failures, errors = feeds.failures(), feeds.errors()
            processed = self.bank.processed_failure_ids()
            fresh = [f for f in failures if f.id not in processed]
            self.ledger.add("feed", {"records": len(failures), "unreadable": len(errors),
                                     "already_processed": len(failures) - len(fresh)})
        self.ledger.checkpoint(inputs_seen=len(failures))
        cut = False
        if fresh:
            with self.clock.stage("generate"):
                cut = self.generate(fresh, feeds)
        with self.clock.stage("cursors"):
            deferred = feeds.advance_cursors(self.bank, self.bank.processed_failure_ids())
            self.ledger.add("feed", {"deferred": deferred})
        self.ledger.checkpoint()
        if self.config.evolve.enabled:
            with self.clock.stage("evolve"):
                cut = self.evolve() or cut
            self.ledger.checkpoint()
        if self.config.revalidate.enabled:
            with self.clock.stage("revalidate"):
                cut = self.revalidate(validator_version) or cut
        c = self.ledger.counts
        message = (f"{c['generate:admitted'] + c['evolve:admitted']} admitted ({c['generate:admitted']} from "
                   f"{len(fresh)} new failures, {c['evolve:admitted']} evolved), {c['revalidate:rejected']} "
                   f"rejected on re-validation; {deferred} failures deferred")
        if errors:
            message += f"; {len(errors)} unreadable feed lines, first: {errors[0]}"
        return (RunOutcome.BUDGET_EXHAUSTED if cut else RunOutcome.SUCCEEDED), message


def run_cycle(config: GrowConfig, bank_path: Path, *, opener: RuntimeOpener = open_runtime,
              prompts: PromptLibrary | None = None, validator_version: str | None = None,
              interrupt_came: Callable[[], bool] = lambda: False) -> CycleReport:
    """Run one growth cycle on ``bank_path``; LockedError at once when another cycle holds the lock.

    ``opener`` builds the cycle's :class:`Runtime` as a context manager (a service embedding cycles can pass
    one that reuses its own backend, validator and executor). ``validator_version`` (default: the verifier's
    ``VALIDATOR_VERSION``) is the version re-validation judges reports against. On any exception, Ctrl-C
    included, the run is recorded FAILED or INTERRUPTED and the exception propagates. ``interrupt_came()`` says
    whether Ctrl-C or SIGTERM came (the command's signal handlers): an exception raised then is the interrupt
    (a KeyboardInterrupt raised inside a pydantic serializer came out as PydanticSerializationError, and the run
    was recorded FAILED, the command exiting 1 instead of 130), recorded INTERRUPTED and raised as one.
    """
    if validator_version is None:
        from verifier.validate import VALIDATOR_VERSION as validator_version
    config = config.model_copy(update={"pipeline": config.pipeline.model_copy(
        update={"run_kind": KIND, "record_run": False})})
    with cycle_lock(config.lock_path(bank_path)):
        with Bank.open(bank_path) as bank:
            run_id = new_run_id()
            interrupted = mark_interrupted(bank, run_id)
            b = config.budget
            tracker = BudgetTracker(Budget(max_drafts=b.max_drafts, max_tokens=b.max_tokens,
                                           max_wall_s=b.max_wall_s, per_group_cap=b.max_drafts_per_group))
            ledger = RunLedger(bank, GrowthRun(
                id=run_id, kind=KIND, budget={"max_drafts": float(b.max_drafts), "max_tokens": float(b.max_tokens),
                                              "max_wall_s": b.max_wall_s,
                                              "max_drafts_per_group": float(b.max_drafts_per_group)},
                config=config.model_dump(mode="json")), tracker)
            ledger.start()
            clock = StageClock()
            try:
                with clock.stage("feeds"):
                    feeds = Feeds(bank, config.sources)  # before the runtime: a missing feed costs no sandbox
                with clock.stage("runtime"), opener(config) as rt:
                    outcome, message = _Cycle(bank, config, rt, ledger, clock,
                                              prompts or PromptLibrary()).run(feeds, validator_version)
            except KeyboardInterrupt:
                ledger.finish(RunOutcome.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM); the next cycle resumes "
                              "where this one stopped")
                raise
            except EnvsynthError as exc:
                ledger.finish(RunOutcome.FAILED, str(exc))
                raise
            except Exception as exc:
                if interrupt_came():
                    ledger.finish(RunOutcome.INTERRUPTED, "interrupted (Ctrl-C or SIGTERM); the next cycle resumes "
                                  "where this one stopped")
                    raise KeyboardInterrupt from exc
                ledger.finish(RunOutcome.FAILED, f"{type(exc).__name__}: {exc}")
                raise
            run = ledger.finish(outcome, message)
            return CycleReport(run=run, interrupted_runs=tuple(interrupted), stage_seconds=_own_time(clock))


def _own_time(clock: StageClock) -> dict[str, float]:
    """Stage times, with ``runtime`` holding only the building and closing of the runtime (not the stages in it)."""
    seconds = clock.rounded()
    inner = sum(v for k, v in seconds.items() if k in ("feeds", "generate", "cursors", "evolve", "revalidate"))
    seconds["runtime"] = round(max(0.0, seconds.get("runtime", 0.0) - inner), 4)
    return seconds
