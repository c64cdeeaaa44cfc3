"""The failure record: one thing a deployed model got wrong, as envsynth reads it.

Loaders in ``synth`` turn chat logs, JSONL and datasets into these records; every generated task keeps the ids of
the failures it came from in its provenance.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from task_bank.spec import Message, content_hash


class SignalKind(str, Enum):
    """What marked the response as a failure."""

    THUMBS_DOWN = "thumbs_down"
    ERROR = "error"
    CORRECTION = "correction"
    FAILED_CHECK = "failed_check"
    FEEDBACK = "feedback"


class FailureSignal(BaseModel):
    """The evidence that a response failed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SignalKind
    """Thumbs down, an error or traceback, a user correction, a failed automatic check, or free-text feedback."""
    detail: str = ""
    """The traceback, the correction, the check's message or the feedback text."""


class FailureRecord(BaseModel):
    """One deployment failure: the conversation, what the model answered, and why that was wrong."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(default="", max_length=200)
    """Stable id; derived from a hash of conversation and response when empty on input."""
    conversation: tuple[Message, ...] = Field(min_length=1)
    """The chat up to (not including) the failing response."""
    response: str
    """What the deployed model answered."""
    signal: FailureSignal
    """Why this is a failure."""
    expected: str | None = None
    """The right answer, when someone gave one."""
    tags: tuple[str, ...] = ()
    """Free labels (skill, product area); grouping uses them."""
    model: str | None = None
    """Name of the deployed model that failed."""
    timestamp: datetime | None = None
    """When the failure happened."""
    source: str = "default"
    """Which feed the record came from; growth cycles keep one cursor per source."""

    @model_validator(mode="after")
    def _fill_id(self) -> "FailureRecord":
        if not self.id:
            payload = {"conversation": [m.model_dump() for m in self.conversation], "response": self.response}
            object.__setattr__(self, "id", "f_" + content_hash(payload)[:20])
        return self

    @property
    def user_text(self) -> str:
        """The user turns joined: what the model was asked."""
        return "\n".join(m.content for m in self.conversation if m.role == "user")
