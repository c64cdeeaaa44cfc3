"""Environment slots: an environment drafted from one failure, through the one drafting loop (:mod:`synth.drafting`).

:class:`EnvironmentSlot` is anchored on one failure. A tool-use failure (its ``tool_calls``) asks
``prompts/environment.j2`` for an environment with the tools the deployed model called; a single-turn failure
asks for a seeded family (``solve()``), an endless supply of variants of the skill it lacked. The reply is parsed
by :func:`synth.environment_drafts.parse_environment_reply` (the failure's own trajectory joins the failure cases,
so an admitted environment provably fails the deployed behaviour), validated by the environment validator and
stored with ``Bank.add_environment`` (:class:`EnvironmentKind`), all by the same loop as tasks: the same counting,
the same repair rounds. A repair round renders ``environment.j2`` again with the rejected reply and the concrete
reasons (``rejected``), so the generator sees its own tools and the rule it broke.

Which failures get one (:class:`EnvironmentMode`, ``synth.generate --environments``): ``auto`` (the default)
drafts one per failure only when the input holds a tool-use failure, i.e. the log shows a model that uses tools;
``all`` for every failure; ``none`` never. Request keys are ``<group id>/env-<failure id>/r<round>``, stable across
runs for the replay backend.

Every stored environment carries the typed provenance a task does (:func:`synth.spec_kinds.provenance`: the
failure, its group, the generator and its sampling, the template and its hash, the draft, the repair round, the
run). With replay on (``PipelineConfig.replay``, the default), an admitted environment drafted from a tool-use
failure also gets its held-out replay sibling, the failure's own request in the same simulator
(:mod:`synth.env_replay`), which ``synth.replay`` rolls the policy out in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

from synth.drafts import Draft
from synth.env_replay import store_heldout_replay
from synth.environment_drafts import EnvironmentDraft, environment_prompt, parse_environment_reply
from synth.grouping import FailureGroup
from synth.prompts import PromptLibrary, RenderedPrompt
from synth.slots import Slot
from synth.spec_kinds import SpecKind, Stored, Verdict, provenance
from task_bank.environment import AnySpec, EnvironmentSpec
from task_bank.errors import ConfigError
from task_bank.failure import FailureRecord
from task_bank.records import TaskStatus
from task_bank.spec import TaskSpec
from task_bank.validation import Reason, ValidationReport

if TYPE_CHECKING:
    from synth.drafting import Drafting
    from task_bank.store import Bank


class EnvironmentMode(str, Enum):
    """Which failures a generation run drafts environments for (see the module docstring)."""

    AUTO = "auto"
    ALL = "all"
    NONE = "none"


class EnvironmentKind(SpecKind):
    """Environment spec v1: validated by ``Drafting.environments``, stored with ``Bank.add_environment``."""

    def known_ids(self, bank: "Bank", ids: Iterable[str]) -> set[str]:
        return {i for i in ids if bank.find_environment(i) is not None}

    def last_report(self, bank: "Bank", spec_id: str) -> ValidationReport | None:
        record = bank.find_environment(spec_id)
        return record.report if record is not None else None

    def validate(self, specs: Sequence[AnySpec], run: "Drafting") -> list[Verdict]:
        validator = run.environments
        if validator is None:
            raise ConfigError("environment slots need an environment validator (Drafting.environments)")
        verdicts = []
        for verdict in run.executor.map(validator.validate, [_environment(spec) for spec in specs]):
            verdicts.append(Verdict(verdict.report, verdict.evidence))
            run.progress.advance("validate")
        return verdicts

    def store(self, spec: AnySpec, slot: Slot, verdict: Verdict, run: "Drafting", *,
              status: TaskStatus | None = None, reasons: tuple[Reason, ...] = ()) -> Stored:
        spec = _environment(spec)
        report = verdict.report
        if status is not None:
            report = report.model_copy(update={"admitted": status is TaskStatus.ADMITTED, "reasons": reasons})
        new = run.bank.find_environment(spec.id) is None
        record = run.bank.add_environment(spec, report, verdict.evidence, provenance=provenance(slot, run))
        if new and isinstance(slot, EnvironmentSlot) and slot.replay:
            store_heldout_replay(run.bank, record, slot.anchor, slot.group.label or slot.group.id, report,
                                 verdict.evidence)
        return Stored(new=new, status=record.status)


ENVIRONMENTS = EnvironmentKind()
"""The kind of every environment slot."""


def _environment(spec: AnySpec) -> EnvironmentSpec:
    if not isinstance(spec, EnvironmentSpec):
        raise TypeError(f"an environment slot drafted a {type(spec).__name__}")
    return spec


class EnvironmentSlot(Slot):
    """A slot anchored on one failure; its spec is an environment (a seeded family for a single-turn failure)."""

    kind: ClassVar[SpecKind] = ENVIRONMENTS

    def __init__(self, group: FailureGroup, anchor: FailureRecord, replay: bool = False) -> None:
        super().__init__(0)
        self.group = group
        self.anchor = anchor
        self.family = not anchor.tool_calls
        """True for a single-turn failure: the draft must be a seeded family with ``solve()``."""
        self.replay = replay
        """Also store the held-out replay sibling of an admitted environment (tool-use failures only)."""

    @property
    def stem(self) -> str:
        return f"{self.group.id}/env-{self.anchor.id}"

    @property
    def group_id(self) -> str:
        return self.group.id

    def first_prompt(self, prompts: PromptLibrary) -> RenderedPrompt:
        return environment_prompt(prompts, self.anchor, family=self.family)

    def render(self, prompts: PromptLibrary) -> RenderedPrompt:
        """``environment.j2`` in every round; a repair round quotes the rejected reply and its reasons."""
        if self.round == 0:
            self.rendered = self.first_prompt(prompts)
        else:
            details = list(self.details) or list(self.reasons)
            self.rendered = environment_prompt(prompts, self.anchor, family=self.family,
                                               rejected={"reply": self.last_text or "", "details": details})
        return self.rendered

    def repair_context(self) -> dict[str, Any]:
        return {"group": self.group, "anchor": self.anchor}

    def parse(self, text: str) -> AnySpec:
        metadata = {"source": "synth", "failure_group": self.group.id, "tags": list(self.group.tags)}
        if self.group.label:
            metadata["skill"] = self.group.label
        return parse_environment_reply(text, self.anchor, metadata)

    def json_schema(self) -> dict[str, Any]:
        return EnvironmentDraft.model_json_schema()

    def to_spec(self, draft: Draft) -> TaskSpec:
        raise TypeError("an environment slot parses environment drafts (parse), never task drafts")

    def provenance_fields(self) -> dict[str, Any]:
        return {"source_failure_ids": (self.anchor.id,), "failure_group": self.group.id}


def plan_environment_slots(groups: Sequence[FailureGroup], failures: dict[str, FailureRecord], prompts: PromptLibrary,
                           mode: EnvironmentMode, *, replay: bool = False) -> list[EnvironmentSlot]:
    """One environment slot per failure of every group (group then member order), first prompts rendered; none
    under ``none``, or under ``auto`` when no failure carries tool calls. ``replay``: admitted environments of
    tool-use failures get their held-out replay sibling."""
    members = [(g, failures[i]) for g in groups for i in g.member_ids]
    if mode is EnvironmentMode.NONE or (mode is EnvironmentMode.AUTO and not any(f.tool_calls for _, f in members)):
        return []
    slots = []
    for group, failure in members:
        slot = EnvironmentSlot(group, failure, replay=replay)
        slot.render(prompts)
        slots.append(slot)
    return slots
