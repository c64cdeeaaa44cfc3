"""Draft slots: one task-to-be each, carried through its repair rounds by the drafting loop (:mod:`synth.drafting`).

A slot is anchored on something the task must answer for, and its *kind* says three things and nothing else:
the stem of its request keys, the template of its first prompt, and how its reply becomes a task spec (plus the
provenance that links the task back to its anchor). Two optional hooks let a kind store its tasks in another
split (``split``) and add checks of its own after validation (``judge``). The loop itself (draft -> parse ->
validate -> store, repair) is the same for every kind, so a new kind of draft (a replay task for one failure, an
environment) is a new :class:`Slot` subclass here or beside its command, never a copy of the loop; a slot that
drafts something other than a task spec overrides ``parse``/``json_schema`` and names its
:class:`synth.spec_kinds.SpecKind` (how the loop validates and stores it):

- :class:`FailureSlot` is anchored on one failure of a weakness group (``draft.j2``; key
  ``<group id>/d<slot>/r<round>``): a group with n members gets ``drafts_per_group`` slots (capped by the
  budget's ``per_group_cap``), slot i anchored on member ``i mod n`` and shown up to ``examples_per_prompt``
  other members as context;
- :class:`synth.grow.evolve.ParentSlot` is anchored on an admitted task the policy still fails (``evolve.j2``);
- :class:`synth.replay_tasks.ReplaySlot` replays one failure's conversation as a held-out task (``replay.j2``);
- :class:`synth.environment_slots.EnvironmentSlot` drafts an environment from one failure (``environment.j2``).

Keys are stable across runs, so the replay backend can map each request to its recorded reply. Every kind
repairs with ``repair.j2``, which quotes the concrete reasons of the rejection; :meth:`Slot.repair_context` gives
it what the repaired task must still do.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from enum import Enum
from typing import Any, ClassVar

from synth.backends.base import GenerationRequest, GeneratorBackend
from synth.drafts import Draft, draft_json_schema, draft_to_spec, parse_draft
from synth.executor import Executor
from synth.grouping import FailureGroup
from synth.prompts import PromptLibrary, RenderedPrompt
from synth.spec_kinds import TASKS, SpecKind
from task_bank.environment import AnySpec
from task_bank.failure import FailureRecord
from task_bank.records import TaskSplit
from task_bank.spec import TaskSpec
from task_bank.validation import ValidationReport

REPAIR_TEMPLATE = "repair.j2"


class SlotOutcome(str, Enum):
    """Where a slot ended; the caller decides from these what its anchors are owed (a failure is processed only
    when a task came of it or its attempts were used up with their reasons recorded)."""

    PENDING = "pending"
    """Still being drafted or repaired."""
    ADMITTED = "admitted"
    """A task of this slot was admitted by this run."""
    DUPLICATE = "duplicate"
    """A valid task the bank already held (exactly or nearly)."""
    REJECTED = "rejected"
    """Every attempt was used up; each rejection is recorded with its reasons."""
    NO_OUTPUT = "no_output"
    """The generator produced nothing for the last attempt: not the draft's fault, so no repair is spent on it
    and the anchor is left for a later run."""
    DEFERRED = "deferred"
    """The budget ran out before the slot's next attempt."""


class Slot(ABC):
    """Mutable working state of one slot inside a run (never leaves the run)."""

    split: ClassVar[TaskSplit] = TaskSplit.TRAIN
    """Where this kind's tasks are stored: TRAIN (sampled by training and measured for the band) or HELDOUT
    (evaluation only: the loop never probes it for the band)."""
    kind: ClassVar[SpecKind] = TASKS
    """How the loop validates and stores this kind's specs (:mod:`synth.spec_kinds`)."""

    def __init__(self, index: int) -> None:
        self.index = index
        """Draft number of this slot for its anchor."""
        self.round = 0
        """0 for the first draft, then the repair round."""
        self.rendered: RenderedPrompt | None = None
        """The prompt of the current attempt."""
        self.last_text: str | None = None
        """The generator's reply to the current attempt."""
        self.reasons: tuple[str, ...] = ()  # Reason or DraftReason values
        """Why the current attempt was rejected (machine-readable)."""
        self.details: tuple[str, ...] = ()
        """The same, for a human (and the repair prompt)."""
        self.failed = False
        """The current attempt was rejected; a repair may follow."""
        self.outcome = SlotOutcome.PENDING

    @property
    @abstractmethod
    def stem(self) -> str:
        """The request key without its round, e.g. ``<group id>/d<slot>``."""

    @property
    @abstractmethod
    def group_id(self) -> str:
        """The weakness group this slot's tasks count against."""

    @abstractmethod
    def first_prompt(self, prompts: PromptLibrary) -> RenderedPrompt:
        """The prompt of the first attempt (round 0)."""

    @abstractmethod
    def repair_context(self) -> dict[str, Any]:
        """Variables ``repair.j2`` needs to say what the repaired task must still do (``anchor`` or ``parent``)."""

    @abstractmethod
    def to_spec(self, draft: Draft) -> TaskSpec:
        """The task spec a parsed draft becomes; DraftError (``schema_error``) when it breaks a TaskSpec rule."""

    @abstractmethod
    def provenance_fields(self) -> dict[str, Any]:
        """What links a task of this slot to its anchor: ``source_failure_ids``, ``failure_group``, and
        ``parent_task_id`` where there is a parent."""

    def parse(self, text: str) -> AnySpec:
        """The spec in one reply (DraftError with ``parse_error``/``schema_error`` when there is none): a task
        draft made a task spec by :meth:`to_spec`, unless the kind drafts something else."""
        return self.to_spec(parse_draft(text))

    def json_schema(self) -> dict[str, Any]:
        """The JSON schema a structured backend constrains the reply to."""
        return draft_json_schema()

    def judge(self, spec: AnySpec, report: ValidationReport) -> ValidationReport:
        """This kind's own checks on top of the validator's report (the default adds none); a report that comes
        back rejected is repaired like any other rejection."""
        return report

    @property
    def key(self) -> str:
        """``<stem>/r<round>``."""
        return f"{self.stem}/r{self.round}"

    def render(self, prompts: PromptLibrary) -> RenderedPrompt:
        """Render the current attempt's prompt: the first prompt in round 0, a repair prompt after."""
        if self.round == 0:
            self.rendered = self.first_prompt(prompts)
        else:
            self.rendered = prompts.render(REPAIR_TEMPLATE, previous=self.last_text or "", reasons=list(self.reasons),
                                           details=list(self.details), round=self.round,
                                           **{"anchor": None, "parent": None, "group": None, **self.repair_context()})
        return self.rendered

    def request(self, structured: bool) -> GenerationRequest:
        """The generator request for the current attempt (render first)."""
        if self.rendered is None:
            raise ValueError(f"slot {self.key} has no rendered prompt")
        return GenerationRequest(key=self.key, messages=self.rendered.messages,
                                 json_schema=self.json_schema() if structured else None)

    def fail(self, reasons: tuple[str, ...], details: tuple[str, ...]) -> None:
        """The current attempt was rejected for ``reasons``; a repair prompt will quote them."""
        self.failed, self.reasons, self.details = True, reasons or ("rejected",), details

    def end(self, outcome: SlotOutcome) -> None:
        """The slot is done with ``outcome``."""
        self.failed, self.outcome = False, outcome

    def next_round(self) -> None:
        """Start the next repair round."""
        self.round += 1
        self.failed = False


class FailureSlot(Slot):
    """A slot anchored on one failure of a weakness group; the task must catch that failure."""

    def __init__(self, group: FailureGroup, index: int, anchor: FailureRecord, examples: list[FailureRecord],
                 diagnosis: str | None) -> None:
        super().__init__(index)
        self.group = group
        self.anchor = anchor
        self.examples = examples
        self.diagnosis = diagnosis

    @property
    def stem(self) -> str:
        return f"{self.group.id}/d{self.index}"

    @property
    def group_id(self) -> str:
        return self.group.id

    def first_prompt(self, prompts: PromptLibrary) -> RenderedPrompt:
        return prompts.render("draft.j2", group=self.group, anchor=self.anchor, examples=self.examples,
                              slot=self.index, diagnosis=self.diagnosis)

    def repair_context(self) -> dict[str, Any]:
        return {"group": self.group, "anchor": self.anchor}

    def to_spec(self, draft: Draft) -> TaskSpec:
        """The deployed model's failing response is always a failure case: an admitted task provably catches it."""
        metadata = {"skill": self.group.label, "tags": list(self.group.tags), "source": "synth",
                    "failure_group": self.group.id}
        return draft_to_spec(draft, failing_response=self.anchor.response, metadata=metadata)

    def provenance_fields(self) -> dict[str, Any]:
        return {"source_failure_ids": (self.anchor.id, *(f.id for f in self.examples)),
                "failure_group": self.group.id}


def diagnose_groups(groups: list[FailureGroup], failures: dict[str, FailureRecord], prompts: PromptLibrary,
                    backend: GeneratorBackend, executor: Executor) -> dict[str, str | None]:
    """One line per group (``diagnose.j2``) naming the weakness its failures share, for the draft prompt."""
    requests = []
    for g in groups:
        rendered = prompts.render("diagnose.j2", group=g, failures=[failures[i] for i in g.member_ids])
        requests.append(GenerationRequest(key=f"{g.id}/diagnose", messages=rendered.messages))
    size = backend.batch_size
    batches = [requests[i:i + size] for i in range(0, len(requests), size)]
    gens = [x for batch in executor.map(backend.generate, batches) for x in batch]
    return {g.id: (x.text or "").strip() or None for g, x in zip(groups, gens)}


def plan_failure_slots(groups: list[FailureGroup], failures: dict[str, FailureRecord], prompts: PromptLibrary, *,
                       drafts_per_group: int, examples_per_prompt: int, per_group_cap: int | None = None,
                       diagnoses: dict[str, str | None] | None = None) -> list[FailureSlot]:
    """Slots for every group, their first prompts rendered (see the module docstring for the anchoring rule)."""
    per_group = drafts_per_group if per_group_cap is None else min(drafts_per_group, per_group_cap)
    slots = []
    for g in groups:
        members = [failures[i] for i in g.member_ids]
        for index in range(per_group):
            anchor = members[index % len(members)]
            others = [m for m in members if m.id != anchor.id][:examples_per_prompt]
            slot = FailureSlot(g, index, anchor, others, (diagnoses or {}).get(g.id))
            slot.render(prompts)
            slots.append(slot)
    return slots
