"""Task spec v1: the interchange record every envsynth tool reads and writes (see docs/SPEC.md).

A task's id is a hash of its canonical content (prompt, verifier, reference, failure cases), so drafting the same
task twice yields the same id and exact deduplication comes for free. ``metadata`` and ``provenance`` are
deliberately outside the hash: re-tagging a task, or moving it to another bank, does not make it a new task.
"""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from task_bank.provenance import Provenance
from task_bank.safe_text import has_lone_surrogate

SCHEMA_VERSION = 1
"""Version of the task spec this code writes. Readers accept this and older versions."""

Role = Literal["system", "user", "assistant", "tool"]


class Message(BaseModel):
    """One chat turn."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Role
    """Who spoke: system, user, assistant or tool."""
    content: str
    """What was said, as plain text."""


Prompt = str | tuple[Message, ...]


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: the byte form that content hashes are taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


MAX_NESTING = 64
"""Deepest nesting of lists and objects a record may hold (its metadata, a line of a JSONL file). Why: the bank's
serializer refuses values deeper than about 255 levels, so a task with deeper metadata passed validation and then
failed the write that stores it, taking the whole import down with it (red-team finding); no real record needs
more than a few levels."""


def nesting_depth(value: Any) -> int:
    """How deeply lists and dicts nest in ``value`` (0 for a scalar); iterative, so any depth is measured."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, (list, tuple)):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def check_metadata(metadata: dict[str, Any]) -> None:
    """What a record's free-form metadata must be: storable (nested at most :data:`MAX_NESTING` levels) and valid
    Unicode text throughout. Raises ValueError, which pydantic reports on the record."""
    if not metadata:
        return
    if nesting_depth(metadata) > MAX_NESTING:
        raise ValueError(f"metadata nests lists and objects more than {MAX_NESTING} levels deep")
    try:
        text = canonical_json(metadata)
    except ValueError:  # json's own words ("Out of range float values are not JSON compliant") named no field
        raise ValueError("metadata holds NaN or Infinity, which JSON cannot store") from None
    if has_lone_surrogate(text):
        raise ValueError("metadata contains a lone surrogate (such as \\ud800 in the JSON): not valid Unicode text")


def content_hash(value: Any) -> str:
    """Full sha256 hex digest of ``canonical_json(value)``."""
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def check_version_and_prompt(schema_version: int, prompt: Prompt) -> None:
    """The checks every spec record (task, environment) makes: a version this code reads, and a prompt with text.
    Raises ValueError, which pydantic reports on the record."""
    if schema_version > SCHEMA_VERSION:
        raise ValueError(f"schema_version {schema_version} is newer than this envsynth understands "
                         f"({SCHEMA_VERSION}); upgrade envsynth to read it")
    if isinstance(prompt, str) and not prompt.strip():
        raise ValueError("prompt is empty")
    if not isinstance(prompt, str) and not prompt:
        raise ValueError("prompt has no messages")


def _prompt_payload(prompt: Prompt) -> Any:
    if isinstance(prompt, str):
        return prompt
    return [m.model_dump() for m in prompt]


def derive_task_id(prompt: Prompt, verifier: str, reference: str, failure_cases: tuple[str, ...] | list[str]) -> str:
    """The stable id of a task: ``t_`` + the first 20 hex digits of the hash of its canonical content."""
    payload = {
        "prompt": _prompt_payload(prompt),
        "verifier": verifier,
        "reference": reference,
        "failure_cases": list(failure_cases),
    }
    return "t_" + content_hash(payload)[:20]


class PromptedSpec:
    """What every spec record (task, environment) derives from its ``prompt`` and ``metadata`` fields. A plain mixin:
    the fields stay declared on each record, in that record's JSON field order (so they are only named here for
    type checkers)."""

    if TYPE_CHECKING:
        prompt: Prompt
        metadata: dict[str, Any]

    @property
    def skill(self) -> str | None:
        """``metadata['skill']`` when present: the weakness the task trains."""
        skill = self.metadata.get("skill")
        return str(skill) if skill is not None else None

    @property
    def tags(self) -> tuple[str, ...]:
        """``metadata['tags']`` as the strings it holds: a list of them, or one string; anything else (a number,
        null, a mapping) holds none. Why: metadata is free-form and a task file may carry ``"tags": 5``, which the
        web view's task page once iterated and answered with a 500 (red-team round 30)."""
        tags = self.metadata.get("tags")
        if isinstance(tags, str):
            return (tags,)
        if isinstance(tags, (list, tuple)):
            return tuple(tag for tag in tags if isinstance(tag, str))
        return ()

    @property
    def prompt_text(self) -> str:
        """The prompt flattened to text (for search, dedup and display)."""
        if isinstance(self.prompt, str):
            return self.prompt
        return "\n".join(f"{m.role}: {m.content}" for m in self.prompt)

    def chat_prompt(self) -> list[dict[str, str]]:
        """The prompt in chat form, as TRL's GRPOTrainer consumes it."""
        if isinstance(self.prompt, str):
            return [{"role": "user", "content": self.prompt}]
        return [m.model_dump() for m in self.prompt]


class TaskSpec(PromptedSpec, BaseModel):
    """An RL task: what the policy sees, the code that scores its answer, and evidence the code works."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    """Spec version the record was written with; readers refuse versions newer than :data:`SCHEMA_VERSION`."""
    id: str = Field(default="", max_length=200)
    """Stable id; when empty on input it is derived from a hash of the canonical content."""
    prompt: Prompt
    """What the policy sees: a plain string, or a list of chat messages."""
    verifier: str = Field(min_length=1)
    """Python source defining ``verify(response: str) -> float``, a score in [0, 1]."""
    reference: str
    """A response that must score exactly 1.0."""
    failure_cases: tuple[str, ...] = Field(min_length=1)
    """Responses that must score low; the deployed model's failing answer belongs here."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form: skill, tags, difficulty, source."""

    @model_validator(mode="after")
    def _fill_id_and_check_version(self) -> "TaskSpec":
        check_version_and_prompt(self.schema_version, self.prompt)
        texts = (self.prompt_text, self.verifier, self.reference, *self.failure_cases, self.id)
        if any(map(has_lone_surrogate, texts)):
            raise ValueError("contains a lone surrogate (such as \\ud800 in the JSON): not valid Unicode text")
        check_metadata(self.metadata)
        if not self.id:
            object.__setattr__(self, "id", self.content_id)
        return self

    @property
    def content_id(self) -> str:
        """The id derived from content, whatever id the record carries."""
        return derive_task_id(self.prompt, self.verifier, self.reference, self.failure_cases)

    def to_json(self) -> str:
        """One JSONL line of task spec v1."""
        return self.model_dump_json()


class TaskSplit(str, Enum):
    """Which use a task is kept for; the trainer, evolving and the band only ever read the training split.

    Not part of a task's content (a task keeps its id whichever split holds it), but it travels with the task on
    a JSONL line (:attr:`TaskLine.split`), so an exported evaluation task is imported as one.
    """

    TRAIN = "train"
    """Practice tasks: sampled by the trainer, evolved, probed for the band."""
    HELDOUT = "heldout"
    """Evaluation tasks (failure replays): only ``synth.replay`` samples them. Dedup still compares against them,
    so a practice task that copies one is rejected as a duplicate (a leak from evaluation into training)."""


class TaskLine(TaskSpec):
    """One line of a task spec v1 JSONL file: the spec, and where it came from when it was exported from a bank.

    Provenance has one home, :attr:`task_bank.records.TaskRecord.provenance`; this wire form only carries it
    through a file, so a generated task's chain survives a move between banks. It is optional, outside the content
    id, and omitted from the JSON when absent.
    """

    provenance: Provenance | None = None
    """Where the task came from, as the exporting bank recorded it."""
    split: TaskSplit = TaskSplit.TRAIN
    """The split the exporting bank kept the task in; absent (older files, hand-written tasks) means ``train``.
    Written only for ``heldout``: a practice task's line stays what it always was, and an envsynth that predates
    the field refuses a held-out line rather than import an evaluation task as a practice one."""

    @classmethod
    def of(cls, spec: TaskSpec, provenance: Provenance | None = None,
           split: TaskSplit = TaskSplit.TRAIN) -> "TaskLine":
        """The line for ``spec`` carrying ``provenance`` and ``split``."""
        return cls.model_validate({**spec.model_dump(), "provenance": provenance, "split": split})

    @property
    def spec(self) -> TaskSpec:
        """The task itself, without the provenance and split it travelled with."""
        return TaskSpec.model_validate(self.model_dump(exclude={"provenance", "split"}))

    def to_json(self) -> str:
        """One JSONL line of task spec v1 (``provenance`` only when the line carries one, ``split`` only when
        held-out)."""
        omitted = {"provenance"} if self.provenance is None else set()
        if self.split is TaskSplit.TRAIN:
            omitted.add("split")
        return self.model_dump_json(exclude=omitted or None)
