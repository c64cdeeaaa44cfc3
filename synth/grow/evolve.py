"""The evolve stage of a growth cycle: harder or varied versions of admitted tasks the policy still fails.

A parent is an ADMITTED task whose latest recorded pass rate (``bank.latest_pass_rates()``, from training or
probing) is at or below ``[evolve] max_pass_rate``; lowest first. Each parent gets ``drafts_per_parent``
:class:`ParentSlot` s (variant 0 "vary": same skill, other setting; the rest "harder"), rendered from
``prompts/evolve.j2`` and keyed ``evolve/<parent id>/d<variant>/r<round>`` so the replay backend can answer them.
They run through the same drafting loop as drafts from failures (:func:`synth.drafting.draft_loop`): parsed,
validated in the sandbox, repaired, and stored with ``Provenance.parent_task_id`` set, rejected attempts included,
so a reviewer sees every child of a task (``bank.children``).

Why a parent is skipped when it already has a child stored after its latest pass-rate measurement: the cycle
must be idempotent (re-running it admits nothing new) and must not re-evolve the same evidence every six hours;
a new measurement that still shows the policy failing makes the parent eligible again. Drafting stops when the
cycle's budget runs out, and each weakness group (the parent's failure group) is held to the per-group cap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from synth.budget import BudgetTracker
from synth.drafting import Drafting, draft_loop
from synth.drafts import Draft, draft_to_spec
from synth.grow.config import EvolveConfig, GrowConfig
from synth.grow.runs import StageResult
from synth.grow.runtime import Runtime
from synth.prompts import PromptLibrary, RenderedPrompt
from synth.slots import Slot, SlotOutcome
from task_bank.records import TaskRecord, TaskSplit, TaskStatus
from task_bank.spec import TaskSpec

if TYPE_CHECKING:
    from task_bank.store import Bank

TEMPLATE = "evolve.j2"


class Parent(BaseModel):
    """An admitted task chosen for evolution, with the pass rate that made it one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record: TaskRecord
    """The admitted task."""
    pass_rate: float = Field(ge=0.0, le=1.0)
    """Its latest recorded pass rate."""

    @property
    def group(self) -> str:
        """The weakness group the per-group cap counts against."""
        return self.record.provenance.failure_group or self.record.id


class ParentSlot(Slot):
    """A slot anchored on a parent task: variant 0 varies it, the others make it harder."""

    def __init__(self, parent: Parent, index: int) -> None:
        super().__init__(index)
        self.parent = parent
        self.mode = "vary" if index == 0 else "harder"

    @property
    def stem(self) -> str:
        return f"evolve/{self.parent.record.id}/d{self.index}"

    @property
    def group_id(self) -> str:
        return self.parent.group

    def first_prompt(self, prompts: PromptLibrary) -> RenderedPrompt:
        return prompts.render(TEMPLATE, parent=self.parent.record.spec, pass_rate=self.parent.pass_rate,
                              slot=self.index, mode=self.mode)

    def repair_context(self) -> dict[str, Any]:
        return {"parent": self.parent.record.spec}

    def to_spec(self, draft: Draft) -> TaskSpec:
        parent = self.parent.record
        metadata = {**parent.spec.metadata, "source": "evolve", "evolved_from": parent.id, "evolve_mode": self.mode}
        return draft_to_spec(draft, failing_response=None, metadata=metadata)

    def provenance_fields(self) -> dict[str, Any]:
        parent = self.parent.record
        return {"source_failure_ids": parent.provenance.source_failure_ids,
                "failure_group": parent.provenance.failure_group, "parent_task_id": parent.id}


def _already_evolved(bank: "Bank", record: TaskRecord) -> bool:
    stats = bank.stats(record.id)
    since = max((s.recorded_at for s in stats), default=None)
    return any(since is None or child.created_at >= since for child in bank.children(record.id))


def select_parents(bank: "Bank", config: EvolveConfig) -> tuple[list[Parent], int]:
    """Parents for this cycle (lowest pass rate first, at most ``max_parents``) and how many were skipped
    because they were already evolved since their latest measurement."""
    rates = bank.latest_pass_rates(policy=config.policy)
    low = sorted((rate, task_id) for task_id, rate in rates.items() if rate <= config.max_pass_rate)
    parents: list[Parent] = []
    skipped = 0
    for rate, task_id in low:
        if len(parents) >= config.max_parents:
            break
        record = bank.find(task_id)
        if record is None or record.status is not TaskStatus.ADMITTED or record.split is not TaskSplit.TRAIN:
            continue  # a held-out replay task is never evolved: its children would train on the evaluation
        if _already_evolved(bank, record):
            skipped += 1
            continue
        parents.append(Parent(record=record, pass_rate=rate))
    return parents, skipped


def plan_parent_slots(parents: Sequence[Parent], prompts: PromptLibrary, drafts_per_parent: int,
                      per_group_cap: int) -> tuple[list[ParentSlot], int]:
    """Slots for every parent within the per-group cap, first prompts rendered; and how many the cap refused."""
    per_group: Counter[str] = Counter()
    slots: list[ParentSlot] = []
    refused = 0
    for parent in parents:
        for index in range(drafts_per_parent):
            if per_group[parent.group] >= per_group_cap:
                refused += 1
                continue
            per_group[parent.group] += 1
            slot = ParentSlot(parent, index)
            slot.render(prompts)
            slots.append(slot)
    return slots, refused


def evolve(parents: Sequence[Parent], *, bank: "Bank", runtime: Runtime, prompts: PromptLibrary,
           tracker: BudgetTracker, run_id: str, config: GrowConfig) -> StageResult:
    """Draft, validate, repair and store children of ``parents``; see the module docstring."""
    slots, refused = plan_parent_slots(parents, prompts, config.evolve.drafts_per_parent,
                                       config.budget.max_drafts_per_group)
    p = config.pipeline
    tally = draft_loop(slots, Drafting(bank=bank, backend=runtime.backend, validator=runtime.validator,
                                       executor=runtime.executor, prompts=prompts, tracker=tracker, run_id=run_id,
                                       repair_rounds=p.repair_rounds, validate_batch=p.validate_batch,
                                       structured=p.structured))
    deferred = sum(1 for s in slots if s.outcome is SlotOutcome.DEFERRED)
    counts = {"parents": len(parents), "group_cap_refused": refused, **tally.counts(), "deferred": deferred}
    return StageResult(counts=counts, cut_by_budget=deferred > 0)
