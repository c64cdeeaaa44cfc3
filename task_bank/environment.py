"""Environment spec v1: a task whose answer is a whole rollout of tool calls against a seeded simulator.

A JSONL line beside task spec v1 (issue 15; extend, never rename)::

    {"id": "...", "kind": "environment", "prompt": "..." | [{"role", "content"}],
     "environment": "<Python source defining class Env>",
     "reference": {"seed": 0, "calls": [{"tool": "add_item", "args": {"name": "apple", "qty": 2}}], "response": "..."},
     "failure_cases": [{"seed": 0, "calls": [...], "response": "..."}],
     "metadata": {"max_turns": 8, ...}}

``class Env``: ``reset(self, seed: int) -> str`` builds all state from the seed alone; every other public method
except ``score`` and ``solve`` is a tool (typed arguments, a docstring, a JSON return); ``score(self, response) ->
float`` judges the final state and answer; an optional ``solve(self) -> dict`` makes the environment a seeded family.
A line without ``kind`` is task spec v1 (:func:`parse_spec_line` tells the two apart).

Like a task, an environment's id is a hash of its canonical content (prompt, source, reference, failure cases),
prefixed ``e_`` so that the two kinds never collide; metadata stays outside the hash.

An exported line may also carry ``provenance`` and ``split`` (:class:`EnvironmentLine`, as :class:`TaskLine` does for
tasks): both outside the content id, so a drafted environment keeps its chain through a move between banks, and a
held-out replay environment stays held out.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

from task_bank.provenance import Provenance
from task_bank.spec import (SCHEMA_VERSION, Prompt, PromptedSpec, TaskLine, TaskSpec, TaskSplit, check_metadata,
                            check_version_and_prompt, content_hash)

ENVIRONMENT_KIND = "environment"
"""The ``kind`` value that marks an environment spec line."""

DEFAULT_TURNS = 8
"""Tool-calling rounds of a rollout (training or evaluation) whose environment sets no ``metadata.max_turns``."""


class ToolCall(BaseModel):
    """One action of a trajectory: a tool of the environment and the keyword arguments it is called with."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tool: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    """Name of a public method of ``Env`` (not ``reset``, ``score`` or ``solve``)."""
    args: dict[str, JsonValue] = Field(default_factory=dict)
    """Keyword arguments, JSON values only."""


class Trajectory(BaseModel):
    """A whole rollout: the seed the environment is reset with, the tool calls in order, and the final answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = Field(default=0, ge=0, le=2**63 - 1)
    """Seed passed to ``reset``; every piece of state must follow from it alone."""
    calls: tuple[ToolCall, ...] = ()
    """Tool calls, in the order the policy made them."""
    response: str = ""
    """The final answer handed to ``score``."""


DO_NOTHING = Trajectory()
"""The trajectory of a policy that makes no call and answers nothing: it must score low."""


def derive_environment_id(prompt: Prompt, environment: str, reference: Trajectory,
                          failure_cases: tuple[Trajectory, ...] | list[Trajectory]) -> str:
    """The stable id of an environment: ``e_`` + the first 20 hex digits of the hash of its canonical content."""
    payload = {
        "kind": ENVIRONMENT_KIND,
        "prompt": prompt if isinstance(prompt, str) else [m.model_dump() for m in prompt],
        "environment": environment,
        "reference": reference.model_dump(mode="json"),
        "failure_cases": [f.model_dump(mode="json") for f in failure_cases],
    }
    return "e_" + content_hash(payload)[:20]


class EnvironmentSpec(PromptedSpec, BaseModel):
    """An RL environment: what the policy sees, the simulator it acts in, and trajectories that prove it works."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: int = Field(default=SCHEMA_VERSION, ge=1)
    """Spec version the record was written with; readers refuse versions newer than they understand."""
    id: str = Field(default="", max_length=200)
    """Stable id; when empty on input it is derived from a hash of the canonical content."""
    kind: Literal["environment"] = ENVIRONMENT_KIND
    """Always ``environment``; a line without ``kind`` is a task spec v1."""
    prompt: Prompt
    """What the policy sees before the observation ``reset`` returns (appended to the last user message)."""
    environment: str = Field(min_length=1)
    """Python source defining ``class Env`` (see the module docstring)."""
    reference: Trajectory
    """A trajectory that must score exactly 1.0, replayed identically in every interpreter."""
    failure_cases: tuple[Trajectory, ...] = Field(min_length=1)
    """Trajectories that must score low; the deployed model's failing rollout belongs here."""
    metadata: dict[str, Any] = Field(default_factory=dict)
    """Free-form: skill, tags, source, ``max_turns`` (tool calls a rollout may make)."""

    @model_validator(mode="after")
    def _fill_id_and_check_version(self) -> "EnvironmentSpec":
        check_version_and_prompt(self.schema_version, self.prompt)
        check_metadata(self.metadata)
        if not self.id:
            object.__setattr__(self, "id", self.content_id)
        return self

    @property
    def content_id(self) -> str:
        """The id derived from content, whatever id the record carries."""
        return derive_environment_id(self.prompt, self.environment, self.reference, self.failure_cases)

    @property
    def max_turns(self) -> int | None:
        """``metadata['max_turns']`` when it is a positive integer: the tool calls a rollout may make."""
        turns = self.metadata.get("max_turns")
        return turns if isinstance(turns, int) and not isinstance(turns, bool) and turns > 0 else None

    def to_json(self) -> str:
        """One JSONL line of environment spec v1."""
        return self.model_dump_json()


class EnvironmentLine(EnvironmentSpec):
    """One line of an environment spec v1 JSONL file: the spec, and where it came from when a bank exported it.

    Provenance has one home, :attr:`task_bank.environment_store.EnvironmentRecord.provenance`; this wire form only
    carries it (and the split) through a file. Both are outside the content id and omitted from the JSON when
    absent (``split`` is written only for ``heldout``, so an envsynth that predates it refuses a held-out line
    rather than train on it)."""

    provenance: Provenance | None = None
    """Where the environment came from, as the exporting bank recorded it."""
    split: TaskSplit = TaskSplit.TRAIN
    """``heldout`` for a held-out replay environment: evaluated by ``synth.replay``, never trained on."""

    @classmethod
    def of(cls, spec: EnvironmentSpec, provenance: Provenance | None = None,
           split: TaskSplit = TaskSplit.TRAIN) -> "EnvironmentLine":
        """The line for ``spec`` carrying ``provenance`` and ``split``."""
        return cls.model_validate({**spec.model_dump(), "provenance": provenance, "split": split})

    @property
    def spec(self) -> EnvironmentSpec:
        """The environment itself, without what it travelled with."""
        return EnvironmentSpec.model_validate(self.model_dump(exclude={"provenance", "split"}))

    def to_json(self) -> str:
        """One JSONL line (``provenance`` only when present, ``split`` only when held out)."""
        omitted = {"provenance"} if self.provenance is None else set()
        if self.split is TaskSplit.TRAIN:
            omitted.add("split")
        return self.model_dump_json(exclude=omitted or None)


AnySpec = TaskSpec | EnvironmentSpec
"""Either kind of bank line."""

AnyLine = TaskLine | EnvironmentLine
"""Either kind of bank line, with what it travelled with (provenance, split)."""


def is_environment_line(value: object) -> bool:
    """True when a parsed JSONL value declares itself an environment (``kind: environment``)."""
    return isinstance(value, dict) and value.get("kind") == ENVIRONMENT_KIND


def parse_line(value: object) -> AnyLine:
    """A task or environment line, chosen by ``kind`` (absent: a task), with its provenance and split. Raises
    pydantic's ValidationError (or ValueError for an unknown kind) so callers can name the field."""
    if isinstance(value, dict) and "kind" in value and value["kind"] != ENVIRONMENT_KIND:
        raise ValueError(f"unknown kind {value['kind']!r}; expected 'environment' or no kind (a task)")
    if is_environment_line(value):
        return EnvironmentLine.model_validate(value)
    return TaskLine.model_validate(value)


def parse_spec_line(value: object) -> AnySpec:
    """A task spec v1 or an environment spec v1 (:func:`parse_line` without what the line travelled with): an
    exported line, provenance and all, reads as the spec it carries."""
    return parse_line(value).spec
