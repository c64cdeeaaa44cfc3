"""Drafts: the generator's JSON object for one task, parsed robustly and checked against a pydantic schema.

A generator reply is untrusted text. :func:`parse_draft` finds the JSON object in it (the whole reply, a fenced
```json block, or the first decodable object after leading prose), validates it as :class:`Draft`, and raises
:class:`DraftError` with a typed :class:`DraftReason` (``parse_error``: no JSON object; ``schema_error``: an
object with missing or wrong fields) and a detail that a repair prompt can quote back to the generator.
Constrained decoding gives shape, not validity, so even structured-output backends go through here.

:func:`draft_to_spec` turns a draft into a :class:`task_bank.spec.TaskSpec`; for a draft anchored on a failure it
appends the deployed model's failing response to ``failure_cases``, so an admitted task provably catches it.
"""

from __future__ import annotations

import json
from itertools import islice
import re
from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, ValidationError

from task_bank.errors import EnvsynthError
from task_bank.spec import TaskSpec

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n(.*?)```", re.DOTALL)


class DraftReason(StrEnum):
    """Why a generator reply did not become a task spec (rejections before validation; the validator's reasons
    are :class:`task_bank.validation.Reason`)."""

    NO_OUTPUT = "no_output"
    """The generator produced nothing for the request (not the draft's fault: never repaired)."""
    PARSE_ERROR = "parse_error"
    """No JSON object in the reply."""
    SCHEMA_ERROR = "schema_error"
    """An object with missing or wrong fields, or one that breaks a TaskSpec rule."""


class DraftError(EnvsynthError):
    """A reply that is not a usable draft, with its :class:`DraftReason` and a detail a repair prompt can quote."""

    def __init__(self, reason: DraftReason | str, detail: str) -> None:
        self.reason = DraftReason(reason)
        self.detail = detail
        super().__init__(f"{self.reason.value}: {detail}")


class Draft(BaseModel):
    """One task as the generator proposes it (the JSON object the draft prompt asks for)."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)

    prompt: str = Field(min_length=1)
    """What the policy will be asked."""
    verifier: str = Field(min_length=1, validation_alias=AliasChoices("verifier", "verify", "verify_source"))
    """Python source defining ``verify(response: str) -> float``."""
    reference: str
    """A response that must score 1.0."""
    failure_cases: list[str] = Field(default_factory=list)
    """Plausible wrong responses that must score low."""
    skill: str | None = None
    """The weakness the task trains, in a few words."""


def draft_json_schema() -> dict[str, Any]:
    """The JSON schema handed to structured-output backends (field names as the prompt spells them)."""
    return {
        "type": "object",
        "properties": {
            "prompt": {"type": "string"},
            "verifier": {"type": "string"},
            "reference": {"type": "string"},
            "failure_cases": {"type": "array", "items": {"type": "string"}},
            "skill": {"type": "string"},
        },
        "required": ["prompt", "verifier", "reference", "failure_cases"],
        "additionalProperties": False,
    }


def _candidates(text: str) -> list[str]:
    """Substrings that may hold the JSON object, most likely first."""
    found = [text.strip()]
    found += [m.group(1).strip() for m in _FENCE.finditer(text)]
    return found


MAX_STARTS = 16
"""Positions of ``{`` a reply is decoded from, at most, in each candidate text. Why: each attempt may scan the rest
of the reply before it fails, so trying every ``{`` cost braces x length: a 0.5 MB reply of nested openings took
12-14 s to parse, and more for a larger one (red-team round 30). A draft's object starts at one of a reply's first
braces (the prose before it rarely holds more than a few)."""


def _first_object(text: str) -> Any:
    """The first JSON object decodable from one of the first :data:`MAX_STARTS` ``{`` of each candidate in
    ``text``; raises ValueError when there is none."""
    decoder = json.JSONDecoder()
    for source in _candidates(text):
        try:
            value = json.loads(source)
        except (ValueError, RecursionError):  # RecursionError: brackets nested past the parser's limit
            value = None
        if isinstance(value, dict):
            return value
        for start in islice((i for i, ch in enumerate(source) if ch == "{"), MAX_STARTS):
            try:
                value, _ = decoder.raw_decode(source, start)
            except (ValueError, RecursionError):
                continue
            if isinstance(value, dict):
                return value
    raise ValueError("no JSON object found in the reply")


def parse_draft(text: str | None) -> Draft:
    """Parse one generator reply into a :class:`Draft`; DraftError names what is wrong."""
    if text is None or not text.strip():
        raise DraftError(DraftReason.PARSE_ERROR, "the reply is empty")
    try:
        obj = _first_object(text)
    except ValueError as exc:
        raise DraftError(DraftReason.PARSE_ERROR, f"{exc}; reply started with {text.strip()[:80]!r}") from None
    try:
        return Draft.model_validate(obj)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'object'}: {e['msg']}" for e in exc.errors())
        raise DraftError(DraftReason.SCHEMA_ERROR, problems) from None


def draft_to_spec(draft: Draft, *, failing_response: str | None, metadata: dict[str, Any]) -> TaskSpec:
    """The task spec for ``draft``, with the deployed model's failing response (when there is one) added as a
    failure case; a failure case equal to the reference is dropped.

    Raises DraftError(``schema_error``) when the draft breaks a TaskSpec rule (for example an empty prompt).
    """
    cases = [c for c in draft.failure_cases if c != draft.reference]
    if failing_response is not None and failing_response not in cases:
        cases.append(failing_response)
    meta = dict(metadata)
    if draft.skill:
        meta["skill"] = draft.skill
    try:
        return TaskSpec(prompt=draft.prompt, verifier=draft.verifier, reference=draft.reference,
                        failure_cases=tuple(cases), metadata=meta)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'task'}: {e['msg']}" for e in exc.errors())
        raise DraftError(DraftReason.SCHEMA_ERROR, problems) from None
