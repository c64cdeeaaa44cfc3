"""The one drafting loop: draft -> parse -> validate -> store, with repair rounds, for every kind of slot.

``synth.generate`` (slots anchored on failures) and a growth cycle's evolve stage (slots anchored on parent
tasks) both run :func:`draft_loop`; what differs between them is the slot kind (:mod:`synth.slots`), never the
loop. One wave of requests at a time (:func:`synth.budget.generate_in_waves`, so the budget stops a run between
waves), each wave is:

1. **drafted**: a request that produced nothing ends its slot as ``no_output`` (counted as a rejection; no repair
   is spent on it, since the generator, not the draft, failed);
2. **parsed** into a spec by the slot (a task spec, or an environment spec for an environment slot); a reply that is no usable draft is rejected (``parse_error``,
   ``schema_error``);
3. **checked against the bank** (each step from here on is the slot's spec kind's, :mod:`synth.spec_kinds`):
   a spec whose id is already stored is not validated again; the stored verdict
   stands (a stored rejection is a rejection with its reasons, anything else a duplicate);
4. **validated** in the sandbox (tasks: ``executor.map(validator.validate_many, chunks)``; environments: the
   environment validator in session workers) and by the slot kind's own checks (``Slot.judge``), then, with a
   probe and a band, training tasks are measured on the policy (out-of-band tasks are stored REJECTED
   ``too_easy``/``too_hard``; environments are not probed);
5. **stored** in the slot kind's split: every attempt that parsed is stored with its report and provenance,
   rejected ones included; the bank's dedup finds near duplicates.

A slot whose attempt was rejected gets up to ``repair_rounds`` repair prompts that quote the concrete reasons;
then it ends REJECTED. Slots the budget cut off end DEFERRED. One rule counts: an attempt is admitted, rejected
(per reason) or a duplicate, for every kind of slot.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from synth.backends.base import Generation, GeneratorBackend
from synth.band import BandConfig, PolicyProbe
from synth.budget import BudgetTracker, generate_in_waves
from synth.drafts import DraftError, DraftReason
from synth.executor import Executor
from synth.prompts import PromptLibrary
from synth.slots import Slot, SlotOutcome
from synth.spec_kinds import SpecKind, Verdict
from synth.summary import ProgressHook, StageClock
from task_bank.environment import AnySpec
from task_bank.records import TaskSplit, TaskStatus, TrainingStat
from task_bank.spec import TaskSpec
from task_bank.validation import Reason, ValidationReport

if TYPE_CHECKING:
    from task_bank.store import Bank
    from verifier.env_validate import EnvValidator
    from verifier.validate import Validator


BandVerdict = tuple[Reason | None, TrainingStat | None]
"""What the band found for one task: the out-of-band reason (None inside the band) and the probe's statistic."""


@dataclass
class Drafting:
    """What one run of the loop works with (built by the caller, closed by the caller)."""

    bank: "Bank"
    backend: GeneratorBackend
    validator: "Validator"
    """Validates task specs."""
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
    environments: "EnvValidator | None" = None
    """Validates environment specs; needed only when some slot drafts environments."""


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
    parsed: list[tuple[Slot, AnySpec]] = []
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
                parsed.append((slot, slot.parse(gen.text)))
            except DraftError as exc:
                tally.reject([exc.reason])
                slot.fail((exc.reason,), (exc.detail,))
    fresh = []
    for kind in _kinds(slot for slot, _ in parsed):
        mine = [(slot, spec) for slot, spec in parsed if slot.kind is kind]
        known = kind.known_ids(run.bank, (spec.id for _, spec in mine))
        for slot, spec in mine:
            if spec.id in known:
                _stored_verdict(slot, kind.last_report(run.bank, spec.id), tally)
            else:
                fresh.append((slot, spec))
    verdicts = _validate(fresh, run)
    verdicts = [replace(v, report=slot.judge(spec, v.report)) for (slot, spec), v in zip(fresh, verdicts)]
    tally.validated += len(verdicts)
    bands = _band(fresh, [v.report for v in verdicts], run, tally)
    with run.clock.stage("admit"):
        run.progress.start("admit", len(fresh))
        for i, ((slot, spec), verdict) in enumerate(zip(fresh, verdicts)):
            run.progress.advance("admit")
            _store(slot, spec, verdict, bands.get(i), run, tally)


def _kinds(slots: Iterable[Slot]) -> list[SpecKind]:
    """The spec kinds of ``slots``, in order of first appearance."""
    return list({id(slot.kind): slot.kind for slot in slots}.values())


def _stored_verdict(slot: Slot, report: ValidationReport | None, tally: Tally) -> None:
    """A spec the bank already holds keeps its verdict: rejected by validation stays rejected (and may be
    repaired), anything else (admitted, a near duplicate, out of band, retired) is a duplicate."""
    if report is not None and not report.admitted:
        tally.reject(report.reasons)
        slot.fail(tuple(report.reasons), tuple(_check_details(report)))
    else:
        tally.duplicates += 1
        slot.end(SlotOutcome.DUPLICATE)


def _check_details(report: ValidationReport) -> list[str]:
    return [f"{c.name}: {c.detail or c.reason}" for c in report.checks if c.passed is False]


def _validate(fresh: list[tuple[Slot, AnySpec]], run: Drafting) -> list[Verdict]:
    """Every fresh spec validated by its slot's kind, verdicts in the order of ``fresh``."""
    verdicts: dict[int, Verdict] = {}
    with run.clock.stage("validate"):
        run.progress.start("validate", len(fresh))
        for kind in _kinds(slot for slot, _ in fresh):
            at = [i for i, (slot, _) in enumerate(fresh) if slot.kind is kind]
            verdicts.update(zip(at, kind.validate([fresh[i][1] for i in at], run)))
    return [verdicts[i] for i in range(len(fresh))]


def _band(fresh: list[tuple[Slot, AnySpec]], reports: list[ValidationReport], run: Drafting,
          tally: Tally) -> dict[int, BandVerdict]:
    """Probe the tasks dedup would admit; index -> (out-of-band reason or None, probe statistic)."""
    if run.probe is None or run.band is None:
        return {}
    # Only tasks dedup would admit are worth probe samples; duplicates are stored as such.
    todo = [(i, spec) for i, (slot, spec) in enumerate(fresh) if isinstance(spec, TaskSpec) and slot.kind.banded
            and reports[i].admitted and slot.split is TaskSplit.TRAIN and spec.id not in tally.seen_ids
            and run.bank.duplicate_of(spec) is None]
    with run.clock.stage("band"):
        run.progress.start("band", len(todo))
        measures = run.probe.measure([spec for _, spec in todo], run.executor) if todo else []
        run.progress.advance("band", len(todo))
    # An unmeasurable pass rate (every sample an infrastructure error) says nothing about the task: it is
    # admitted on its validation alone, never rejected for the sandbox's fault.
    return {i: (None if m.pass_rate is None else run.band.reason(m.pass_rate), run.probe.stat(m))
            for (i, _), m in zip(todo, measures)}


def _store(slot: Slot, spec: AnySpec, verdict: Verdict, band: BandVerdict | None, run: Drafting,
           tally: Tally) -> None:
    """Store one validated attempt through its slot's kind and count it."""
    report = verdict.report
    if not report.admitted:
        slot.kind.store(spec, slot, verdict, run)
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
        slot.kind.store(spec, slot, verdict, run, status=TaskStatus.REJECTED, reasons=(reason,))
        tally.reject([reason])
        slot.end(SlotOutcome.REJECTED)
    else:
        stored = slot.kind.store(spec, slot, verdict, run)
        if stored.new and stored.status is TaskStatus.ADMITTED:
            tally.admitted += 1
            tally.admitted_ids.append(spec.id)
            slot.end(SlotOutcome.ADMITTED)
        else:
            tally.duplicates += 1
            slot.end(SlotOutcome.DUPLICATE)
            stat = None
    if stat is not None:
        run.bank.add_stats([stat])
