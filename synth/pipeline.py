"""The generate pipeline: failures -> redact -> group -> slots -> the drafting loop -> processed failures, as a run.

Entry point for the command line and for scheduled growth cycles::

    run_pipeline(failures, *, bank, backend, validator, config=PipelineConfig(), executor=None, run_id=None,
                 budget=None, tracker=None, prompts=None, probe=None, progress=None) -> PipelineSummary

* Resumable: failures in ``bank.processed_failure_ids()`` are skipped unless ``config.force``.
* Drafting, repair, validation, the band and storing are :func:`synth.drafting.draft_loop` over one
  :class:`synth.slots.FailureSlot` per draft slot of every weakness group and (``config.replay``) one
  :class:`synth.replay_tasks.ReplaySlot` per failure, whose task goes to the held-out split.
* A failure is marked processed only when its group is settled: a task came of it (admitted, or a duplicate of
  one the bank holds), or every slot used up its attempts with their reasons recorded. A group the budget cut
  off, or whose slots got no output from the generator, stays unprocessed and is drafted again by a later run
  (``failures_deferred`` counts them).
* With ``config.record_run`` the run is recorded as a ``GrowthRun`` of kind ``config.run_kind``, RUNNING first;
  on an exception it is marked FAILED (INTERRUPTED for Ctrl-C) and the exception propagates. A run is recorded
  SUCCEEDED only once all of its work is stored.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from synth.backends.base import GeneratorBackend
from synth.band import BandConfig, PolicyProbe
from synth.budget import Budget, BudgetTracker
from synth.drafting import Drafting, Tally, draft_loop
from synth.environment_slots import EnvironmentMode, plan_environment_slots
from synth.executor import Executor, LocalExecutor
from synth.grouping import FailureGroup, group_failures
from synth.prompts import PromptLibrary
from synth.redact import redact_failure
from synth.replay_tasks import plan_replay_slots
from synth.slots import Slot, SlotOutcome, diagnose_groups, plan_failure_slots
from synth.summary import PipelineSummary, ProgressHook, StageClock
from task_bank.failure import FailureRecord
from task_bank.provenance import utcnow
from task_bank.records import GrowthRun, RunOutcome, TaskSplit

if TYPE_CHECKING:
    from task_bank.store import Bank
    from verifier.env_validate import EnvValidator
    from verifier.validate import Validator


class PipelineConfig(BaseModel):
    """How one pipeline run drafts, repairs and records (stored on the run's GrowthRun)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    drafts_per_group: int = Field(default=2, ge=1)
    """Draft slots per failure group; slot i is anchored on member i (cycling)."""
    repair_rounds: int = Field(default=1, ge=0)
    """Repair attempts for a slot whose draft failed to parse or was rejected by the validator."""
    examples_per_prompt: int = Field(default=3, ge=0)
    """Other members of the group shown in the draft prompt as context."""
    redact: bool = True
    """Redact secrets before anything reaches a prompt or the bank."""
    force: bool = False
    """Draft for failures already processed by an earlier run."""
    diagnose: bool = False
    """Ask the generator for a one-line diagnosis per group first (``diagnose.j2``) and pass it to drafting."""
    group_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    """MinHash Jaccard similarity at which two failures count as the same weakness."""
    group_by_tags: bool = True
    """Also group failures that share their primary tag."""
    structured: bool = True
    """Pass the draft JSON schema to the backend for constrained decoding."""
    validate_batch: int = Field(default=8, ge=1)
    """Specs per ``validate_many`` call (one executor work item)."""
    band: BandConfig | None = None
    """The learnable band, applied when a policy probe is given."""
    replay: bool = True
    """Also draft one held-out replay task per failure (``replay.j2``; :mod:`synth.replay_tasks`), which
    ``synth.replay`` samples to tell whether training fixed the failure, and store the held-out replay environment
    of every admitted environment drafted from a tool-use failure (:mod:`synth.env_replay`)."""
    environments: EnvironmentMode = EnvironmentMode.AUTO
    """Which failures also get an environment draft (``environment.j2``; :mod:`synth.environment_slots`): auto
    drafts one per failure when some failure carries tool calls."""
    run_kind: str = "generate"
    """``GrowthRun.kind`` recorded for the run."""
    record_run: bool = True
    """Create and update the run's GrowthRun; a caller that records the run itself passes False."""


class Prepared(BaseModel):
    """Failures after redaction and the resumability filter, and their groups."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    failures: tuple[FailureRecord, ...]
    """Redacted failures still to process, in input order."""
    groups: tuple[FailureGroup, ...]
    """Their weakness groups."""
    skipped: int
    """Failures dropped because an earlier run processed them."""
    redactions: int
    """Secrets replaced."""

    @property
    def by_id(self) -> dict[str, FailureRecord]:
        """Failures by id."""
        return {f.id: f for f in self.failures}


def prepare(failures: Sequence[FailureRecord], config: PipelineConfig, processed: set[str],
            clock: StageClock | None = None,
            stored: Callable[[str], FailureRecord | None] = lambda failure_id: None) -> Prepared:
    """Redact (when configured), drop repeated records and already processed failures (unless ``force``), group.

    A record whose id another failure already holds, earlier in the input or in the bank (``stored`` looks an id
    up there), gets an id of its own (:meth:`FailureRecord.distinct_from`); the same failure under the same id
    again is a repeat, and dropped."""
    clock = clock or StageClock()
    redactions = 0
    with clock.stage("redact"):
        clean: list[FailureRecord] = []
        seen: dict[str, FailureRecord] = {}
        for f in failures:
            n = 0
            if config.redact:
                f, n = redact_failure(f)
            for holder in (seen.get(f.id), stored(f.id)):
                if holder is not None:
                    f = f.distinct_from(holder)
            if f.id in seen:  # the same failure again
                continue
            seen[f.id] = f
            redactions += n
            clean.append(f)
    todo = clean if config.force else [f for f in clean if f.id not in processed]
    with clock.stage("group"):
        groups = group_failures(todo, threshold=config.group_threshold, use_tags=config.group_by_tags)
    return Prepared(failures=tuple(todo), groups=tuple(groups), skipped=len(clean) - len(todo),
                    redactions=redactions)


def plan(prep: Prepared, config: PipelineConfig, prompts: PromptLibrary, *, per_group_cap: int | None = None,
         diagnoses: dict[str, str | None] | None = None) -> list[Slot]:
    """The draft slots of a prepared run, first prompts rendered (``--dry-run`` prints these): the practice slots
    of every group, then (with ``config.replay``) one replay slot per failure, then the environment slots that
    ``config.environments`` asks for."""
    practice: list[Slot] = list(plan_failure_slots(
        list(prep.groups), prep.by_id, prompts, drafts_per_group=config.drafts_per_group,
        examples_per_prompt=config.examples_per_prompt, per_group_cap=per_group_cap, diagnoses=diagnoses))
    replays = plan_replay_slots(list(prep.groups), prep.by_id, prompts) if config.replay else []
    environments = plan_environment_slots(list(prep.groups), prep.by_id, prompts, config.environments,
                                          replay=config.replay)
    return [*practice, *replays, *environments]


def settled_groups(slots: Sequence[Slot]) -> set[str]:
    """Groups whose failures are done: a task came of them, or every slot ended rejected with its reasons."""
    by_group: dict[str, list[SlotOutcome]] = {}
    for slot in slots:
        by_group.setdefault(slot.group_id, []).append(slot.outcome)
    produced = {SlotOutcome.ADMITTED, SlotOutcome.DUPLICATE}
    return {g for g, outcomes in by_group.items() if SlotOutcome.DEFERRED not in outcomes
            and (produced & set(outcomes) or all(o is SlotOutcome.REJECTED for o in outcomes))}


def run_pipeline(failures: Sequence[FailureRecord], *, bank: "Bank", backend: GeneratorBackend,
                 validator: "Validator", config: PipelineConfig | None = None, executor: Executor | None = None,
                 run_id: str | None = None, budget: Budget | None = None, tracker: BudgetTracker | None = None,
                 prompts: PromptLibrary | None = None, probe: PolicyProbe | None = None,
                 progress: ProgressHook | None = None, environments: "EnvValidator | None" = None) -> PipelineSummary:
    """Turn ``failures`` into validated tasks in ``bank``; see the module docstring for the contract.

    ``tracker`` (default: a fresh one over ``budget``) is where generator spend is counted; a caller running
    several pipelines under one budget passes its own; ``environments`` validates environment drafts.
    """
    config = config or PipelineConfig()
    tracker = tracker or BudgetTracker(budget or Budget())
    run_id = run_id or f"gen-{utcnow():%Y%m%dT%H%M%S}-{uuid4().hex[:6]}"
    record = RunRecord(bank, GrowthRun(id=run_id, kind=config.run_kind, inputs_seen=len(failures),
                                       budget=tracker.budget.limits(), config=config.model_dump(mode="json")))
    if config.record_run:
        record.start()
    try:
        summary = _run(failures, bank, backend, validator, config, executor or LocalExecutor(), run_id, tracker,
                       prompts or PromptLibrary(), probe, progress or ProgressHook(), environments)
    except BaseException as exc:
        if config.record_run:
            record.fail(exc)
        raise
    if config.record_run:
        record.finish(summary)
    return summary


class RunRecord:
    """The GrowthRun of one generate run, kept true: RUNNING from its start, INTERRUPTED (Ctrl-C) or FAILED when an
    exception ends it, and SUCCEEDED or BUDGET_EXHAUSTED only once everything it did is stored.

    :func:`run_pipeline` uses it when ``config.record_run``; the command line uses it around the whole run instead,
    so that closing the sandbox, the backend and the bank is part of the run (a Ctrl-C there is an interrupted
    run, not a succeeded one).
    """

    def __init__(self, bank: "Bank", run: GrowthRun) -> None:
        self.bank = bank
        self.run = run

    def start(self) -> None:
        """Store the RUNNING record."""
        self.bank.start_run(self.run)

    def fail(self, exc: BaseException) -> None:
        """Store the end of a run that ``exc`` stopped."""
        outcome = RunOutcome.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunOutcome.FAILED
        self.bank.update_run(self.run.model_copy(update={"outcome": outcome, "ended_at": utcnow(),
                                                         "message": str(exc) or type(exc).__name__}))

    def finish(self, summary: PipelineSummary) -> None:
        """Store the end of a run that did all its work."""
        self.bank.update_run(self.run.model_copy(update={
            "outcome": summary.outcome, "ended_at": utcnow(), "counts": summary.counts(),
            "budget_used": summary.budget_used,
            "message": f"{summary.admitted} admitted, {summary.rejected} rejected, {summary.duplicates} duplicates"}))


def _run(failures: Sequence[FailureRecord], bank: "Bank", backend: GeneratorBackend, validator: "Validator",
         config: PipelineConfig, executor: Executor, run_id: str, tracker: BudgetTracker, prompts: PromptLibrary,
         probe: PolicyProbe | None, progress: ProgressHook, environments: "EnvValidator | None") -> PipelineSummary:
    clock = StageClock()
    prep = prepare(failures, config, set() if config.force else bank.processed_failure_ids(), clock,
                   stored=bank.find_failure)
    bank.add_failures(prep.failures)
    diagnoses = None
    if config.diagnose and prep.groups:
        with clock.stage("diagnose"):
            diagnoses = diagnose_groups(list(prep.groups), prep.by_id, prompts, backend, executor)
    slots = plan(prep, config, prompts, per_group_cap=tracker.budget.per_group_cap, diagnoses=diagnoses)
    spent = (tracker.drafts, tracker.tokens)
    tally = draft_loop(slots, Drafting(
        bank=bank, backend=backend, validator=validator, executor=executor, prompts=prompts, tracker=tracker,
        run_id=run_id, repair_rounds=config.repair_rounds, validate_batch=config.validate_batch,
        structured=config.structured, probe=probe, band=config.band, clock=clock, progress=progress,
        environments=environments))
    settled = settled_groups(slots)
    bank.mark_failures_processed([fid for g in prep.groups if g.id in settled for fid in g.member_ids], run_id)
    deferred = sum(len(g.member_ids) for g in prep.groups if g.id not in settled)
    cut = any(s.outcome is SlotOutcome.DEFERRED for s in slots)
    heldout = sum(1 for s in slots if s.split is TaskSplit.HELDOUT and s.outcome is SlotOutcome.ADMITTED)
    summary = _summary(run_id, failures, prep, tally, tracker, spent, clock, cut, deferred, heldout)
    if environments is not None:  # held-out replay environments are stored beside admitted drafts, not drafted themselves
        stored = sum(1 for r in bank.heldout_environments() if r.provenance.growth_run_id == run_id)
        summary = summary.model_copy(update={"heldout_environments": stored})
    return summary


def _summary(run_id: str, failures: Sequence[FailureRecord], prep: Prepared, tally: Tally, tracker: BudgetTracker,
             spent: tuple[int, int], clock: StageClock, cut: bool, deferred: int, heldout: int) -> PipelineSummary:
    return PipelineSummary(
        run_id=run_id, outcome=RunOutcome.BUDGET_EXHAUSTED if cut else RunOutcome.SUCCEEDED,
        failures_read=len(failures), failures_skipped=prep.skipped, failures_deferred=deferred,
        redactions=prep.redactions, groups=len(prep.groups), drafts=tally.drafts, repairs=tally.repairs,
        validated=tally.validated, admitted=tally.admitted, heldout_admitted=heldout, rejected=tally.rejected,
        rejected_by_reason=dict(sorted(tally.reasons.items())), duplicates=tally.duplicates,
        admitted_ids=tuple(tally.admitted_ids), generator_tokens=tracker.tokens - spent[1],
        stage_seconds=clock.rounded(), budget_exhausted=tracker.exhausted() if cut else None,
        budget_used=tracker.used())
