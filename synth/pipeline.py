"""The generate pipeline: failures -> redact -> group -> draft -> validate -> band -> admit, with repair rounds.

Entry point for the command line and for scheduled growth cycles::

    run_pipeline(failures: Sequence[FailureRecord], *, bank: Bank, backend: GeneratorBackend,
                 validator: Validator, config: PipelineConfig = PipelineConfig(),
                 executor: Executor | None = None, run_id: str | None = None, budget: Budget | None = None,
                 prompts: PromptLibrary | None = None, probe: PolicyProbe | None = None,
                 progress: ProgressHook | None = None) -> PipelineSummary

* Resumable: failures in ``bank.processed_failure_ids()`` are skipped unless ``config.force``; failures of every
  group that was drafted are marked processed at the end (groups a budget cut off are not).
* Drafting and validation run through ``executor.map(backend.generate, batches)`` and
  ``executor.map(validator.validate_many, chunks)``, so another executor (Ray) can take them over.
* A slot whose reply fails to parse or whose task the validator rejects gets up to ``config.repair_rounds``
  repair prompts that quote the concrete reasons. Each rejected attempt that parsed is stored REJECTED with its
  report; the rest are counted. Duplicates are found by ``bank.admit`` (dedup); the band, when ``probe`` and
  ``config.band`` are given, runs just before admission and stores out-of-band tasks REJECTED (too_easy/too_hard)
  with their probe statistics.
* With ``config.record_run`` the run is recorded as a ``GrowthRun`` of kind ``config.run_kind``; on an exception
  the run is marked FAILED (INTERRUPTED for Ctrl-C) and the exception propagates.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING
from uuid import uuid4

from pydantic import BaseModel, ConfigDict

from synth.backends.base import Generation, GeneratorBackend
from synth.band import PolicyProbe
from synth.budget import Budget, BudgetTracker
from synth.config import PipelineConfig
from synth.drafts import DraftError, draft_to_spec, parse_draft
from synth.executor import Executor, LocalExecutor
from synth.grouping import FailureGroup, group_failures
from synth.progress import ProgressHook
from synth.prompts import PromptLibrary
from synth.redact import redact_failure
from synth.slots import Slot, plan_slots, slot_request
from synth.summary import PipelineSummary, StageClock
from synth.waves import generate_in_waves
from task_bank.failure import FailureRecord
from task_bank.provenance import Provenance, utcnow
from task_bank.records import GrowthRun, RunOutcome, TaskStatus, TrainingStat
from task_bank.spec import TaskSpec
from task_bank.validation import ValidationReport

if TYPE_CHECKING:
    from task_bank.store import Bank
    from verifier import Validator


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
            clock: StageClock | None = None) -> Prepared:
    """Redact (when configured), drop repeated ids and already processed failures (unless ``force``), group."""
    clock = clock or StageClock()
    redactions = 0
    with clock.stage("redact"):
        clean: list[FailureRecord] = []
        seen: set[str] = set()
        for f in failures:
            if f.id in seen:
                continue
            seen.add(f.id)
            if config.redact:
                f, n = redact_failure(f)
                redactions += n
            clean.append(f)
    todo = clean if config.force else [f for f in clean if f.id not in processed]
    with clock.stage("group"):
        groups = group_failures(todo, threshold=config.group_threshold, use_tags=config.group_by_tags)
    return Prepared(failures=tuple(todo), groups=tuple(groups), skipped=len(clean) - len(todo),
                    redactions=redactions)


class _Run:
    """Mutable bookkeeping of one pipeline run (internal; the public result is PipelineSummary)."""

    def __init__(self, run_id: str) -> None:
        self.run_id = run_id
        self.drafts = self.repairs = self.validated = self.admitted = self.rejected = self.duplicates = 0
        self.reasons: Counter[str] = Counter()
        self.admitted_ids: list[str] = []
        self.seen_ids: set[str] = set()

    def reject(self, reasons: Sequence[str]) -> None:
        self.rejected += 1
        self.reasons.update(dict.fromkeys(reasons or ("rejected",), 1))


def _draft_id(slot: Slot, text: str | None) -> str:
    return "d_" + hashlib.sha256(f"{slot.key}\n{text}".encode()).hexdigest()[:16]


def _provenance(slot: Slot, backend: GeneratorBackend, run_id: str, text: str | None) -> Provenance:
    return Provenance(source_failure_ids=slot.source_ids, failure_group=slot.group.id,
                      generator_backend=backend.name, generator_model=backend.model, sampling=backend.sampling,
                      prompt_template=slot.rendered.template, prompt_template_hash=slot.rendered.template_hash,
                      draft_id=_draft_id(slot, text), repair_round=slot.round, growth_run_id=run_id)


def _check_details(report: ValidationReport) -> list[str]:
    return [f"{c.name}: {c.detail or c.reason}" for c in report.checks if c.passed is False]


def _generate(slots: list[Slot], backend: GeneratorBackend, executor: Executor, tracker: BudgetTracker,
              progress: ProgressHook) -> list[tuple[Slot, Generation]]:
    """Generate for ``slots`` in waves, stopping when the budget runs out; slots never drafted are returned apart."""
    done: list[tuple[Slot, Generation]] = []
    progress.start("draft", len(slots))
    for take, gens in generate_in_waves(slots, lambda slot: slot.request, backend, executor, tracker):
        done.extend(zip(take, gens))
        progress.advance("draft", len(take))
    for s in slots[len(done):]:
        s.cut_by_budget = True
    return done


def run_pipeline(failures: Sequence[FailureRecord], *, bank: "Bank", backend: GeneratorBackend,
                 validator: "Validator", config: PipelineConfig | None = None, executor: Executor | None = None,
                 run_id: str | None = None, budget: Budget | None = None, prompts: PromptLibrary | None = None,
                 probe: PolicyProbe | None = None, progress: ProgressHook | None = None) -> PipelineSummary:
    """Turn ``failures`` into validated tasks in ``bank``; see the module docstring for the contract."""
    config = config or PipelineConfig()
    executor = executor or LocalExecutor()
    budget = budget or Budget()
    prompts = prompts or PromptLibrary()
    progress = progress or ProgressHook()
    run_id = run_id or f"gen-{utcnow():%Y%m%dT%H%M%S}-{uuid4().hex[:6]}"
    run = GrowthRun(id=run_id, kind=config.run_kind, inputs_seen=len(failures), budget=budget.limits(),
                    config=config.model_dump(mode="json"))
    if config.record_run:
        bank.start_run(run)
    try:
        summary = _run(failures, bank, backend, validator, config, executor, run_id, budget, prompts, probe,
                       progress)
    except BaseException as exc:
        if config.record_run:
            outcome = RunOutcome.INTERRUPTED if isinstance(exc, KeyboardInterrupt) else RunOutcome.FAILED
            bank.update_run(run.model_copy(update={"outcome": outcome, "ended_at": utcnow(),
                                                   "message": str(exc) or type(exc).__name__}))
        raise
    if config.record_run:
        bank.update_run(run.model_copy(update={
            "outcome": summary.outcome, "ended_at": utcnow(), "counts": summary.counts(),
            "budget_used": summary.budget_used,
            "message": f"{summary.admitted} admitted, {summary.rejected} rejected, {summary.duplicates} duplicates"}))
    return summary


def _run(failures: Sequence[FailureRecord], bank: "Bank", backend: GeneratorBackend, validator: "Validator",
         config: PipelineConfig, executor: Executor, run_id: str, budget: Budget, prompts: PromptLibrary,
         probe: PolicyProbe | None, progress: ProgressHook) -> PipelineSummary:
    clock = StageClock()
    tracker = BudgetTracker(budget)
    state = _Run(run_id)
    prep = prepare(failures, config, set() if config.force else bank.processed_failure_ids(), clock)
    bank.add_failures(prep.failures)
    slots = plan_slots(prep, config, budget, prompts, backend, executor, clock)
    pending = list(slots)
    while pending:
        with clock.stage("draft"):
            generated = _generate(pending, backend, executor, tracker, progress)
        state.drafts += len(generated)
        state.repairs += sum(1 for s, _ in generated if s.round > 0)
        parsed: list[tuple[Slot, Generation, TaskSpec]] = []
        with clock.stage("parse"):
            for slot, gen in generated:
                slot.last_text = gen.text
                try:
                    if gen.text is None:
                        raise DraftError("no_output", gen.error or "the generator returned nothing")
                    spec = draft_to_spec(parse_draft(gen.text), failing_response=slot.anchor.response,
                                         metadata=slot.metadata)
                except DraftError as exc:
                    state.reject([exc.reason])
                    slot.fail([exc.reason], [exc.detail])
                    continue
                parsed.append((slot, gen, spec))
        reports = _validate([spec for _, _, spec in parsed], validator, config, executor, progress, clock)
        state.validated += len(reports)
        _admit(parsed, reports, bank, backend, run_id, probe, config, executor, state, clock, progress)
        pending = [s for s, _ in generated if s.wants_repair(config.repair_rounds)]
        for slot in pending:
            slot.request, slot.rendered = slot_request(slot, prompts, config, repair=True)
    cut = {s.group.id for s in slots if s.cut_by_budget}
    bank.mark_failures_processed([fid for g in prep.groups if g.id not in cut for fid in g.member_ids], run_id)
    exhausted = tracker.exhausted() if cut else None
    return PipelineSummary(
        run_id=run_id, outcome=RunOutcome.BUDGET_EXHAUSTED if cut else RunOutcome.SUCCEEDED,
        failures_read=len(failures), failures_skipped=prep.skipped, redactions=prep.redactions,
        groups=len(prep.groups), drafts=state.drafts, repairs=state.repairs, validated=state.validated,
        admitted=state.admitted, rejected=state.rejected, rejected_by_reason=dict(sorted(state.reasons.items())),
        duplicates=state.duplicates, admitted_ids=tuple(state.admitted_ids), generator_tokens=tracker.tokens,
        stage_seconds=clock.rounded(), budget_exhausted=exhausted, budget_used=tracker.used())


def _validate(specs: list[TaskSpec], validator: "Validator", config: PipelineConfig, executor: Executor,
              progress: ProgressHook, clock: StageClock) -> list[ValidationReport]:
    with clock.stage("validate"):
        progress.start("validate", len(specs))
        chunks = [specs[i:i + config.validate_batch] for i in range(0, len(specs), config.validate_batch)]
        reports: list[ValidationReport] = []
        for chunk, result in zip(chunks, executor.map(validator.validate_many, chunks)):
            reports.extend(result)
            progress.advance("validate", len(chunk))
    return reports


def _admit(parsed: list[tuple[Slot, Generation, TaskSpec]], reports: list[ValidationReport], bank: "Bank",
           backend: GeneratorBackend, run_id: str, probe: PolicyProbe | None, config: PipelineConfig,
           executor: Executor, state: _Run, clock: StageClock, progress: ProgressHook) -> None:
    """Band-check the validated tasks, then store every parsed attempt in the bank and count the outcome."""
    band_reason: dict[int, str] = {}
    stats: dict[int, TrainingStat | None] = {}
    if probe is not None and config.band is not None:
        # Only tasks dedup would admit are worth probe samples; duplicates are stored as such below.
        fresh = [i for i, (_, _, spec) in enumerate(parsed)
                 if reports[i].admitted and spec.id not in state.seen_ids and bank.find(spec.id) is None
                 and bank.duplicate_of(spec) is None]
        with clock.stage("band"):
            progress.start("band", len(fresh))
            measures = probe.measure([parsed[i][2] for i in fresh], executor) if fresh else []
            progress.advance("band", len(fresh))
        for i, m in zip(fresh, measures):
            stats[i] = probe.stat(m)
            # An unmeasurable pass rate (every sample an infrastructure error) says nothing about the task: it is
            # admitted on its validation alone, never rejected for the sandbox's fault.
            band_reason[i] = "" if m.pass_rate is None else (config.band.reason(m.pass_rate) or "")
    with clock.stage("admit"):
        progress.start("admit", len(parsed))
        for i, (slot, gen, spec) in enumerate(parsed):
            progress.advance("admit")
            report = reports[i]
            prov = _provenance(slot, backend, run_id, gen.text)
            if not report.admitted:
                bank.admit(spec, provenance=prov, report=report)
                state.reject(report.reasons)
                slot.fail(list(report.reasons), _check_details(report))
                continue
            slot.finish()
            if spec.id in state.seen_ids:
                state.duplicates += 1
                continue
            state.seen_ids.add(spec.id)
            if band_reason.get(i):
                record = bank.admit(spec, provenance=prov, report=report, status=TaskStatus.REJECTED,
                                    reasons=(band_reason[i],))
                state.reject([band_reason[i]])
            else:
                record = bank.admit(spec, provenance=prov, report=report)
                if record.status is TaskStatus.ADMITTED and record.provenance.growth_run_id == run_id:
                    state.admitted += 1
                    state.admitted_ids.append(spec.id)
                else:
                    state.duplicates += 1
            if stats.get(i) is not None and record.provenance.growth_run_id == run_id:
                bank.add_stats([stats[i]])
