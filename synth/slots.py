"""Draft slots: one task-to-be per slot, anchored on one failure of a group, carried through repair rounds.

A group with n members gets ``min(config.drafts_per_group, budget.per_group_cap)`` slots; slot i is anchored on
member ``i mod n`` (the failure whose response the task must catch) and shows up to
``config.examples_per_prompt`` other members as context. A slot's request key is ``<group id>/d<slot>/r<round>``:
stable across runs, so the replay backend can map each request to its recorded reply.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synth.backends.base import GenerationRequest, GeneratorBackend
from synth.budget import Budget
from synth.config import PipelineConfig
from synth.drafts import draft_json_schema
from synth.executor import Executor
from synth.grouping import FailureGroup
from synth.prompts import PromptLibrary, RenderedPrompt
from synth.summary import StageClock
from task_bank.failure import FailureRecord

if TYPE_CHECKING:
    from synth.pipeline import Prepared


class Slot:
    """Mutable working state of one draft slot inside a run (never leaves the pipeline)."""

    def __init__(self, group: FailureGroup, index: int, anchor: FailureRecord, examples: list[FailureRecord],
                 diagnosis: str | None) -> None:
        self.group = group
        self.index = index
        self.anchor = anchor
        self.examples = examples
        self.diagnosis = diagnosis
        self.round = 0
        self.request: GenerationRequest
        self.rendered: RenderedPrompt
        self.last_text: str | None = None
        self.reasons: list[str] = []
        self.details: list[str] = []
        self.failed = False
        self.cut_by_budget = False

    @property
    def key(self) -> str:
        """``<group id>/d<slot>/r<round>``."""
        return f"{self.group.id}/d{self.index}/r{self.round}"

    @property
    def source_ids(self) -> tuple[str, ...]:
        """The anchor first, then the failures shown as context."""
        return (self.anchor.id, *(f.id for f in self.examples))

    @property
    def metadata(self) -> dict[str, Any]:
        """Task metadata for drafts of this slot."""
        return {"skill": self.group.label, "tags": list(self.group.tags), "source": "synth",
                "failure_group": self.group.id}

    def fail(self, reasons: list[str], details: list[str]) -> None:
        """The current attempt was rejected for ``reasons``; a repair prompt will quote them."""
        self.failed, self.reasons, self.details = True, reasons, details

    def finish(self) -> None:
        """The current attempt passed validation; no repair."""
        self.failed = False

    def wants_repair(self, repair_rounds: int) -> bool:
        """True when the attempt failed and repair rounds are left."""
        return self.failed and not self.cut_by_budget and self.round < repair_rounds


def slot_request(slot: Slot, prompts: PromptLibrary, config: PipelineConfig, *,
                 repair: bool = False) -> tuple[GenerationRequest, RenderedPrompt]:
    """The next request for ``slot``: its draft prompt, or (``repair``) a repair prompt for the next round."""
    if repair:
        slot.round += 1
        slot.failed = False
        rendered = prompts.render("repair.j2", group=slot.group, anchor=slot.anchor, previous=slot.last_text or "",
                                  reasons=slot.reasons, details=slot.details, round=slot.round)
    else:
        rendered = prompts.render("draft.j2", group=slot.group, anchor=slot.anchor, examples=slot.examples,
                                  slot=slot.index, diagnosis=slot.diagnosis)
    schema = draft_json_schema() if config.structured else None
    return GenerationRequest(key=slot.key, messages=rendered.messages, json_schema=schema), rendered


def plan_slots(prep: "Prepared", config: PipelineConfig, budget: Budget, prompts: PromptLibrary,
               backend: GeneratorBackend, executor: Executor, clock: StageClock) -> list[Slot]:
    """Slots for every group (with a diagnosis per group first when ``config.diagnose``), requests rendered."""
    diagnoses: dict[str, str | None] = {g.id: None for g in prep.groups}
    by_id = prep.by_id
    if config.diagnose and prep.groups:
        with clock.stage("diagnose"):
            requests = []
            for g in prep.groups:
                rendered = prompts.render("diagnose.j2", group=g, failures=[by_id[i] for i in g.member_ids])
                requests.append(GenerationRequest(key=f"{g.id}/diagnose", messages=rendered.messages))
            size = backend.batch_size
            batches = [requests[i:i + size] for i in range(0, len(requests), size)]
            gens = [x for batch in executor.map(backend.generate, batches) for x in batch]
            diagnoses.update({g.id: (x.text or "").strip() or None for g, x in zip(prep.groups, gens)})
    per_group = config.drafts_per_group
    if budget.per_group_cap is not None:
        per_group = min(per_group, budget.per_group_cap)
    slots = []
    for g in prep.groups:
        members = [by_id[i] for i in g.member_ids]
        for index in range(per_group):
            anchor = members[index % len(members)]
            others = [m for m in members if m.id != anchor.id][:config.examples_per_prompt]
            slot = Slot(g, index, anchor, others, diagnoses[g.id])
            slot.request, slot.rendered = slot_request(slot, prompts, config)
            slots.append(slot)
    return slots
