"""Environment drafts: the generator's JSON object for one environment, from a failure, parsed into a spec.

:func:`environment_prompt` renders ``prompts/environment.j2`` for one failure: a tool-use failure (its
``tool_calls``) becomes an environment with those tools, a single-turn failure (``family=True``) a seeded family
with ``solve()``; a repair round passes the rejected reply and the validator's details back (``rejected``).
:func:`parse_environment_reply` turns a reply into an :class:`EnvironmentSpec`: the JSON object is found as for
task drafts (:mod:`synth.drafts`), validated, and the failure's own trajectory (its tool calls and answer, on the
reference seed) is added as a failure case, so an admitted environment provably fails the deployed behaviour.
Errors are :class:`synth.drafts.DraftError` with ``parse_error`` or ``schema_error``, as for task drafts.

The drafting loop (:mod:`synth.drafting`) runs these through :class:`synth.environment_slots.EnvironmentSlot`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synth.drafts import DraftError, _first_object
from synth.prompts import PromptLibrary, RenderedPrompt
from task_bank.environment import EnvironmentSpec, Trajectory
from task_bank.failure import FailureRecord

TEMPLATE = "environment.j2"


class EnvironmentDraft(BaseModel):
    """One environment as the generator proposes it (the JSON object ``environment.j2`` asks for)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    prompt: str = Field(min_length=1)
    """What the policy is asked."""
    environment: str = Field(min_length=1)
    """Python source defining ``class Env``."""
    reference: Trajectory
    """A trajectory that must score 1.0."""
    failure_cases: list[Trajectory] = Field(default_factory=list)
    """Trajectories that must score low."""
    skill: str | None = None
    """The skill the environment trains."""
    max_turns: int | None = Field(default=None, ge=1, le=64)
    """Tool calls a rollout may make."""


def environment_prompt(library: PromptLibrary, failure: FailureRecord, *, family: bool,
                       rejected: dict[str, Any] | None = None) -> RenderedPrompt:
    """The drafting prompt for ``failure`` (``rejected``: ``{"reply", "details"}`` of the previous round)."""
    return library.render(TEMPLATE, failure=failure, family=family, rejected=rejected)


def parse_environment_reply(text: str | None, failure: FailureRecord | None,
                            metadata: dict[str, Any] | None = None) -> EnvironmentSpec:
    """The environment spec in one generator reply; the failure's trajectory joins its failure cases."""
    if text is None or not text.strip():
        raise DraftError("parse_error", "the reply is empty")
    try:
        obj = _first_object(text)
    except ValueError as exc:
        raise DraftError("parse_error", f"{exc}; reply started with {text.strip()[:80]!r}") from None
    try:
        draft = EnvironmentDraft.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'object'}: {e['msg']}" for e in exc.errors())
        raise DraftError("schema_error", problems) from None
    cases = [c for c in draft.failure_cases if c != draft.reference]
    meta = dict(metadata or {})
    if failure is not None:
        deployed = Trajectory(seed=draft.reference.seed, calls=failure.tool_calls, response=failure.response)
        if deployed not in cases and deployed != draft.reference:
            cases.append(deployed)
        meta["source_failure"] = failure.id
    if draft.skill:
        meta["skill"] = draft.skill
    if draft.max_turns:
        meta["max_turns"] = draft.max_turns
    try:
        return EnvironmentSpec(prompt=draft.prompt, environment=draft.environment, reference=draft.reference,
                               failure_cases=tuple(cases), metadata=meta)
    except ValidationError as exc:
        raise DraftError("schema_error", "; ".join(e["msg"] for e in exc.errors())) from None
