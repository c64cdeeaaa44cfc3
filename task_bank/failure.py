"""The failure record: one thing a deployed model got wrong, as envsynth reads it.

Loaders in ``synth`` turn chat logs, JSONL and datasets into these records; every generated task keeps the ids of
the failures it came from in its provenance.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from task_bank.environment import ToolCall
from task_bank.safe_text import holds_lone_surrogate
from task_bank.spec import Message, content_hash


class SignalKind(str, Enum):
    """What marked the response as a failure."""

    THUMBS_DOWN = "thumbs_down"
    ERROR = "error"
    CORRECTION = "correction"
    FAILED_CHECK = "failed_check"
    FEEDBACK = "feedback"


_NEGATIVE = {"thumbs_down", "thumbsdown", "down", "-1", "0", "bad", "negative", "false", "no"}
_POSITIVE = {"thumbs_up", "thumbsup", "up", "1", "good", "positive", "true", "yes"}
_VERDICT_KEYS = ("rating", "score", "value")
_TEXT_KEYS = ("comment", "text", "detail")


def _is_failure(key: str, value: object) -> bool:
    """Whether a chat tool's verdict (``rating``/``value``: thumbs or +-1; ``score``: below 0.5) marks a failure."""
    if key == "score" and isinstance(value, int | float) and not isinstance(value, bool):
        return value < 0.5
    word = str(value).strip().lower()
    if word in _NEGATIVE or (word.lstrip("-").replace(".", "", 1).isdigit() and float(word) < 0):
        return True
    if word in _POSITIVE or (word.replace(".", "", 1).isdigit() and float(word) > 0):
        return False
    raise ValueError(f"{key} {_shown(value)} is not a rating: use thumbs_down/-1 (a failure) or thumbs_up/1")


def _shown(value: object) -> str:
    """``value`` as an error message may quote it: a short word or number as it is (a misspelt rating), anything
    else only by its type and size. Why: a feedback field is user text, and a secret pasted into one was echoed
    whole on stderr, before redaction ever saw it (red-team round 30)."""
    word = str(value)
    if len(word) <= 16 and (word.replace("_", "").isalpha() or word.lstrip("+-").replace(".", "", 1).isdigit()):
        return repr(value)
    return f"(a {type(value).__name__} of {len(word)} characters, not shown)"


class FailureSignal(BaseModel):
    """The evidence that a response failed.

    Besides ``{kind, detail}`` it reads the feedback shapes chat tools export: ``{"rating": "thumbs_down" | -1 | 1,
    "comment": ...}``, ``{"score": 0, "comment": ...}`` and ``{"value": ..., "text": ...}`` (a thumbs down);
    positive feedback is refused, since it marks no failure.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: SignalKind
    """Thumbs down, an error or traceback, a user correction, a failed automatic check, or free-text feedback."""
    detail: str = ""
    """The traceback, the correction, the check's message or the feedback text."""

    @model_validator(mode="before")
    @classmethod
    def _chat_tool_shapes(cls, data: object) -> object:
        if not isinstance(data, dict) or "kind" in data:
            return data
        key = next((k for k in _VERDICT_KEYS if k in data), None)
        if key is None:
            raise ValueError(f"unknown feedback shape (fields: {', '.join(map(str, data)) or 'none'}); give "
                             "{kind, detail}, {rating, comment}, {score, comment} or {value, text}")
        if not _is_failure(key, data[key]):
            raise ValueError(f"{key} {data[key]!r} is positive feedback, not a failure")
        unknown = set(data) - {key, *_TEXT_KEYS}
        if unknown:
            raise ValueError(f"unknown feedback field(s) {', '.join(sorted(map(str, unknown)))} beside {key!r}")
        text = next((data[k] for k in _TEXT_KEYS if data.get(k)), "")
        return {"kind": SignalKind.THUMBS_DOWN, "detail": str(text)}


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
    tool_calls: tuple[ToolCall, ...] = ()
    """The tool calls the deployed model made before its answer, in order (tool-use failures; issue 15): an
    environment drafted from this failure replays them as a failure case."""

    @model_validator(mode="after")
    def _fill_id(self) -> "FailureRecord":
        if holds_lone_surrogate(self.model_dump()):  # it could not be stored (red-team round 42)
            raise ValueError("contains a lone surrogate (such as \\ud800 in the JSON): not valid Unicode text")
        if not self.id:
            object.__setattr__(self, "id", "f_" + self.content_key[:20])
        return self

    @property
    def content_key(self) -> str:
        """A hash of what failed (the conversation and the response): what makes two records one failure, whatever
        their ids, sources or tags."""
        return content_hash({"conversation": [m.model_dump() for m in self.conversation], "response": self.response})

    def distinct_from(self, other: "FailureRecord") -> "FailureRecord":
        """This record under an id of its own when ``other`` holds its id for another failure: the id with ``~``
        and eight hex digits of :attr:`content_key` (the same every time, so resuming still finds it). Why: feeds
        number their rows, and a second failure ``"1"`` (another file, another feed) was dropped, or skipped as
        already processed, or linked tasks to the first one's conversation (red-team round 30)."""
        if self.id != other.id or self.content_key == other.content_key:
            return self
        suffix = "~" + self.content_key[:8]
        return self.model_copy(update={"id": self.id[:200 - len(suffix)] + suffix})

    @property
    def user_text(self) -> str:
        """The user turns joined: what the model was asked."""
        return "\n".join(m.content for m in self.conversation if m.role == "user")
