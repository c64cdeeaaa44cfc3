"""Spec kinds: how the one drafting loop (:mod:`synth.drafting`) validates and stores what a slot drafts.

A slot's reply becomes a spec of one kind, and the loop asks the slot's :class:`SpecKind` for the four steps that
differ between kinds and nothing else:

- which of the drafted ids the bank already holds, and the last verdict stored for one (a stored rejection is a
  rejection that may be repaired, anything else a duplicate);
- validation of a batch of specs (tasks: ``Validator.validate_many`` in chunks on the executor; environments: the
  environment validator, one spec per executor work item), each giving a :class:`Verdict`;
- storing one spec with its verdict, giving what the bank did (:class:`Stored`);
- whether the learnable band applies (tasks of the training split only: an environment is not probed).

:data:`TASKS` is the kind of every task slot; :class:`synth.environment_slots.EnvironmentKind` the environments'.
Counting (admitted, rejected per reason, duplicate) stays in the loop, the same for every kind.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from task_bank.environment import AnySpec
from task_bank.environment_results import EnvironmentEvidence
from task_bank.provenance import Provenance
from task_bank.records import TaskStatus
from task_bank.spec import TaskSpec
from task_bank.validation import Reason, ValidationReport

if TYPE_CHECKING:
    from synth.drafting import Drafting
    from synth.slots import Slot
    from task_bank.store import Bank


@dataclass(frozen=True)
class Verdict:
    """One spec's validation: the report (judged by the slot) and, for an environment, what the validator saw."""

    report: ValidationReport
    evidence: EnvironmentEvidence | None = None


@dataclass(frozen=True)
class Stored:
    """What the bank did with one spec: whether this call stored it, and the status it holds."""

    new: bool
    status: TaskStatus


class SpecKind(ABC):
    """The kind-specific steps of the drafting loop (see the module docstring)."""

    banded: bool = False
    """Whether the learnable band may measure this kind (training-split slots only)."""

    @abstractmethod
    def known_ids(self, bank: "Bank", ids: Iterable[str]) -> set[str]:
        """Which of ``ids`` the bank holds as this kind."""

    @abstractmethod
    def last_report(self, bank: "Bank", spec_id: str) -> ValidationReport | None:
        """The verdict stored last for a held id (None when none was stored)."""

    @abstractmethod
    def validate(self, specs: Sequence[AnySpec], run: "Drafting") -> list[Verdict]:
        """One verdict per spec, in order."""

    @abstractmethod
    def store(self, spec: AnySpec, slot: "Slot", verdict: Verdict, run: "Drafting", *,
              status: TaskStatus | None = None, reasons: tuple[Reason, ...] = ()) -> Stored:
        """Store ``spec`` with its verdict (``status``/``reasons`` override it, e.g. out of band)."""


def provenance(slot: "Slot", run: "Drafting") -> Provenance:
    """What links a stored spec to its slot's anchor, the generator and the run."""
    from synth.drafting import draft_id

    rendered = slot.rendered
    return Provenance(**slot.provenance_fields(), generator_backend=run.backend.name,
                      generator_model=run.backend.model, sampling=run.backend.sampling,
                      prompt_template=rendered.template if rendered else None,
                      prompt_template_hash=rendered.template_hash if rendered else None,
                      draft_id=draft_id(slot.key, slot.last_text), repair_round=slot.round,
                      growth_run_id=run.run_id)


class TaskKind(SpecKind):
    """Task spec v1: validated by the task validator in chunks, stored with ``Bank.admit``."""

    banded = True

    def known_ids(self, bank: "Bank", ids: Iterable[str]) -> set[str]:
        return bank.existing_ids(ids)

    def last_report(self, bank: "Bank", spec_id: str) -> ValidationReport | None:
        reports = bank.reports(spec_id)
        return reports[-1] if reports else None

    def validate(self, specs: Sequence[AnySpec], run: "Drafting") -> list[Verdict]:
        size = run.validate_batch
        chunks = [list(specs[i:i + size]) for i in range(0, len(specs), size)]
        verdicts: list[Verdict] = []
        for chunk, result in zip(chunks, run.executor.map(run.validator.validate_many, chunks)):
            verdicts.extend(Verdict(report) for report in result)
            run.progress.advance("validate", len(chunk))
        return verdicts

    def store(self, spec: AnySpec, slot: "Slot", verdict: Verdict, run: "Drafting", *,
              status: TaskStatus | None = None, reasons: tuple[Reason, ...] = ()) -> Stored:
        if not isinstance(spec, TaskSpec):
            raise TypeError(f"a task slot drafted a {type(spec).__name__}")
        if run.validator.config.allow_response_exec:  # recorded on the task (metadata), so it travels with exports
            from verifier.static_exec import mark_response_exec
            spec = mark_response_exec(spec)
        admission = run.bank.admit(spec, provenance=provenance(slot, run), report=verdict.report, status=status,
                                   reasons=reasons, split=slot.split)
        return Stored(new=admission.new, status=admission.status)


TASKS = TaskKind()
"""The kind of every task slot (practice, replay, evolve)."""
