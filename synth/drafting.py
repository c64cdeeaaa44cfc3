"""The one drafting loop: draft -> parse -> validate -> store, with repair rounds, for every kind of slot.

``synth.generate`` (slots anchored on failures) and a growth cycle's evolve stage (slots anchored on parent
tasks) both run :func:`draft_loop`; what differs between them is the slot kind (:mod:`synth.slots`), never the
loop. One wave of requests at a time (:func:`synth.budget.generate_in_waves`, so the budget stops a run between
waves), each wave is:

1. **drafted**: a request that produced nothing ends its slot as ``no_output`` (counted as a rejection; no repair
   is spent on it, since the generator, not the draft, failed);
2. **parsed** into a task spec by the slot's kind; a reply that is no usable draft is rejected (``parse_error``,
   ``schema_error``);
3. **checked against the bank**: a spec whose id is already stored is not validated again; the stored verdict
   stands (a stored rejection is a rejection with its reasons, anything else a duplicate);
4. **validated** in the sandbox (``executor.map(validator.validate_many, chunks)``) and by the slot kind's own
   checks (``Slot.judge``), then, with a probe and a band, training tasks are measured on the policy (out-of-band
   tasks are stored REJECTED ``too_easy``/``too_hard``);
5. **stored** in the slot kind's split: every attempt that parsed is stored with its report and provenance,
   rejected ones included; the bank's dedup finds near duplicates.

A slot whose attempt was rejected gets up to ``repair_rounds`` repair prompts that quote the concrete reasons;
then it ends REJECTED. Slots the budget cut off end DEFERRED. One rule counts: an attempt is admitted, rejected
(per reason) or a duplicate, for every kind of slot.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from synth.backends.base import Generation, GeneratorBackend
from synth.band import BandConfig, PolicyProbe
from synth.budget import BudgetTracker, generate_in_waves
from synth.drafts import DraftError, DraftReason, parse_draft
from synth.executor import Executor
from synth.prompts import PromptLibrary
from synth.slots import Slot, SlotOutcome
from synth.summary import ProgressHook, StageClock
from task_bank.provenance import Provenance
from task_bank.records import TaskSplit, TaskStatus, TrainingStat
from task_bank.spec import TaskSpec
from task_bank.validation import Reason, ValidationReport

if TYPE_CHECKING:
    from task_bank.store import Admission, Bank
    from verifier.validate import Validator


BandVerdict = tuple[Reason | None, TrainingStat | None]
"""What the band found for one task: the out-of-band reason (None inside the band) and the probe's statistic."""


@dataclass
class Drafting:
    """What one run of the loop works with (built by the caller, closed by the caller)."""

    bank: "Bank"
    backend: GeneratorBackend
    validator: "Validator"
    executor: Executor
    prompts: PromptLibrary
    tracker: BudgetTracker
    run_id: str
    """Recorded as ``growth_run_id`` on every task stored."""
    repair_rounds: int = 1
    validate_batch: int = 8
    structured: bool = True
    """Pass the draft JSON schema to the backend."""
    probe: PolicyProbe | None = None
    band: BandConfig | None = None
    clock: StageClock = field(default_factory=StageClock)
    progress: ProgressHook = field(default_factory=ProgressHook)


@dataclass
class Tally:
    """What the loop did, counted over draft attempts (repairs included)."""

    drafts: int = 0
    repairs: int = 0
    validated: int = 0
    admitted: int = 0
    rejected: int = 0
    duplicates: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    admitted_ids: list[str] = field(default_factory=list)
    seen_ids: set[str] = field(default_factory=set)

    def reject(self, reasons: Sequence[Reason | DraftReason | str]) -> None:
        self.rejected += 1
        self.reasons.update(dict.fromkeys(reasons or ("rejected",), 1))

    def counts(self) -> dict[str, int]:
        """Flat counts: drafts, repairs, validated, admitted, rejected, duplicates, ``rejected:<reason>``."""
        flat = {"drafts": self.drafts, "repairs": self.repairs, "validated": self.validated,
                "admitted": self.admitted, "rejected": self.rejected, "duplicates": self.duplicates}
        flat.update({f"rejected:{k}": v for k, v in sorted(self.reasons.items())})
        return flat


def draft_id(key: str, text: str | None) -> str:
    """``d_`` + 16 hex digits naming one reply to one request."""
    return "d_" + hashlib.sha256(f"{key}\n{text}".encode()).hexdigest()[:16]


def draft_loop(slots: Sequence[Slot], run: Drafting, tally: Tally | None = None) -> Tally:
    """Draft, repair and store tasks for ``slots`` (their first prompts rendered); see the module docstring."""
    tally = tally or Tally()
    pending = list(slots)
    while pending:
        drafted: list[Slot] = []
        run.progress.start("draft", len(pending))
        waves = generate_in_waves(pending, lambda s: s.request(run.structured), run.backend, run.executor,
                                  run.tracker)
        while True:
            with run.clock.stage("draft"):
                wave = next(waves, None)
            if wave is None:
                break
            take, gens = wave
            run.progress.advance("draft", len(take))
            drafted.extend(take)
            _wave(list(zip(take, gens)), run, tally)
        for slot in pending[len(drafted):]:
            slot.end(SlotOutcome.DEFERRED)
        pending = []
        for slot in drafted:
            if not slot.failed:
                continue
            if slot.round < run.repair_rounds:
                slot.next_round()
                slot.render(run.prompts)
                pending.append(slot)
            else:
                slot.end(SlotOutcome.REJECTED)
    return tally


def _wave(generated: list[tuple[Slot, Generation]], run: Drafting, tally: Tally) -> None:
    parsed: list[tuple[Slot, TaskSpec]] = []
    with run.clock.stage("parse"):
        for slot, gen in generated:
            tally.drafts += 1
            tally.repairs += slot.round > 0
            slot.last_text = gen.text
            if gen.text is None:
                tally.reject([DraftReason.NO_OUTPUT])
                slot.end(SlotOutcome.NO_OUTPUT)
                continue
            try:
                parsed.append((slot, slot.to_spec(parse_draft(gen.text))))
            except DraftError as exc:
                tally.reject([exc.reason])
                slot.fail((exc.reason,), (exc.detail,))
    known = run.bank.existing_ids(spec.id for _, spec in parsed)
    fresh = []
    for slot, spec in parsed:
        if spec.id in known:
            _stored_verdict(slot, spec, run.bank, tally)
        else:
            fresh.append((slot, spec))
    reports = _validate([spec for _, spec in fresh], run)
    reports = [slot.judge(spec, report) for (slot, spec), report in zip(fresh, reports)]
    tally.validated += len(reports)
    bands = _band(fresh, reports, run, tally)
    with run.clock.stage("admit"):
        run.progress.start("admit", len(fresh))
        for i, ((slot, spec), report) in enumerate(zip(fresh, reports)):
            run.progress.advance("admit")
            _store(slot, spec, report, bands.get(i), run, tally)


def _stored_verdict(slot: Slot, spec: TaskSpec, bank: "Bank", tally: Tally) -> None:
    """A spec the bank already holds keeps its verdict: rejected by validation stays rejected (and may be
    repaired), anything else (admitted, a near duplicate, out of band, retired) is a duplicate."""
    reports = bank.reports(spec.id)
    if reports and not reports[-1].admitted:
        tally.reject(reports[-1].reasons)
        slot.fail(tuple(reports[-1].reasons), tuple(_check_details(reports[-1])))
    else:
        tally.duplicates += 1
        slot.end(SlotOutcome.DUPLICATE)


def _check_details(report: ValidationReport) -> list[str]:
    return [f"{c.name}: {c.detail or c.reason}" for c in report.checks if c.passed is False]


def _validate(specs: list[TaskSpec], run: Drafting) -> list[ValidationReport]:
    with run.clock.stage("validate"):
        run.progress.start("validate", len(specs))
        size = run.validate_batch
        chunks = [specs[i:i + size] for i in range(0, len(specs), size)]
        reports: list[ValidationReport] = []
        for chunk, result in zip(chunks, run.executor.map(run.validator.validate_many, chunks)):
            reports.extend(result)
            run.progress.advance("validate", len(chunk))
    return reports


def _band(fresh: list[tuple[Slot, TaskSpec]], reports: list[ValidationReport], run: Drafting,
          tally: Tally) -> dict[int, BandVerdict]:
    """Probe the tasks dedup would admit; index -> (out-of-band reason or None, probe statistic)."""
    if run.probe is None or run.band is None:
        return {}
    # Only tasks dedup would admit are worth probe samples; duplicates are stored as such.
    todo = [i for i, (slot, spec) in enumerate(fresh) if reports[i].admitted and slot.split is TaskSplit.TRAIN
            and spec.id not in tally.seen_ids and run.bank.duplicate_of(spec) is None]
    with run.clock.stage("band"):
        run.progress.start("band", len(todo))
        measures = run.probe.measure([fresh[i][1] for i in todo], run.executor) if todo else []
        run.progress.advance("band", len(todo))
    # An unmeasurable pass rate (every sample an infrastructure error) says nothing about the task: it is
    # admitted on its validation alone, never rejected for the sandbox's fault.
    return {i: (None if m.pass_rate is None else run.band.reason(m.pass_rate), run.probe.stat(m))
            for i, m in zip(todo, measures)}


def _store(slot: Slot, spec: TaskSpec, report: ValidationReport, band: BandVerdict | None,
           run: Drafting, tally: Tally) -> None:
    """Store one validated attempt and count it."""
    if not report.admitted:
        _admit(spec, slot, report, run)
        tally.reject(report.reasons)
        slot.fail(tuple(report.reasons), tuple(_check_details(report)))
        return
    if spec.id in tally.seen_ids:
        tally.duplicates += 1
        slot.end(SlotOutcome.DUPLICATE)
        return
    tally.seen_ids.add(spec.id)
    reason, stat = band or (None, None)
    if reason:
        _admit(spec, slot, report, run, status=TaskStatus.REJECTED, reasons=(reason,))
        tally.reject([reason])
        slot.end(SlotOutcome.REJECTED)
    else:
        admission = _admit(spec, slot, report, run)
        if admission.new and admission.status is TaskStatus.ADMITTED:
            tally.admitted += 1
            tally.admitted_ids.append(spec.id)
            slot.end(SlotOutcome.ADMITTED)
        else:
            tally.duplicates += 1
            slot.end(SlotOutcome.DUPLICATE)
            stat = None
    if stat is not None:
        run.bank.add_stats([stat])


def _admit(spec: TaskSpec, slot: Slot, report: ValidationReport, run: Drafting, *, status: TaskStatus | None = None,
           reasons: tuple[Reason, ...] = ()) -> "Admission":
    """The one place the loop writes a task (so the bank's admission API is spoken in one place)."""
    if run.validator.config.allow_response_exec:  # recorded on the task (metadata), so it travels with exports
        from verifier.static_exec import mark_response_exec
        spec = mark_response_exec(spec)
    rendered = slot.rendered
    provenance = Provenance(**slot.provenance_fields(), generator_backend=run.backend.name,
                            generator_model=run.backend.model, sampling=run.backend.sampling,
                            prompt_template=rendered.template if rendered else None,
                            prompt_template_hash=rendered.template_hash if rendered else None,
                            draft_id=draft_id(slot.key, slot.last_text), repair_round=slot.round,
                            growth_run_id=run.run_id)
    return run.bank.admit(spec, provenance=provenance, report=report, status=status, reasons=reasons,
                          split=slot.split)
