"""Redaction of secrets before any failure text reaches a prompt, a bank or a log. On by default.

A failure log is pasted by users and written by services, so it carries credentials in every layout: known key
prefixes, JWTs, PEM blocks, ``Authorization`` headers, AWS secret access keys, passwords inside connection
strings, ``key=value`` / JSON / YAML / XML / CLI-flag secrets of any length, and token-looking words right after
key/secret/token/password in prose; email addresses go too. A false positive costs a few characters of context, a
miss leaks a credential into a training task. Each match becomes a placeholder that says what was removed
(``[REDACTED_PASSWORD]`` for the password of ``postgres://user:p@ss@host``, never ``EMAIL``; the host stays), so
the generator still sees that something was there. The shapes and their linear-time rules live in
:mod:`synth.secret_patterns`; this module is the API: one text, one JSON value, one failure record. This is not a
DLP system: a password typed in prose with no keyword before it, or one that reads like a word, is not caught.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict

from synth.secret_patterns import KINDS, SHAPES, kind_of, names_a_secret, plausible_secret, secret_span
from task_bank.environment import ToolCall
from task_bank.failure import FailureRecord, FailureSignal
from task_bank.spec import Message

__all__ = ["KINDS", "Redaction", "redact_failure", "redact_json", "redact_text"]


class Redaction(BaseModel):
    """The result of redacting one text: the clean text and how many matches of each kind were replaced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    counts: dict[str, int]


def redact_text(text: str) -> Redaction:
    """Replace every secret-looking span in ``text`` by a ``[REDACTED_<KIND>]`` placeholder naming what it was.

    Every shape is matched against the original text, in priority order; a span that overlaps one already taken is
    dropped. So a placeholder is never matched again, one secret counts once, and the most specific label wins.
    """
    claimed = bytearray(len(text))
    spans: list[tuple[int, int, str]] = []
    for shape in SHAPES:
        for match in shape.pattern.finditer(text):
            kind = shape.judge(match)
            start, end = secret_span(match)
            if kind is None or start == end or claimed.find(1, start, end) != -1:
                continue
            claimed[start:end] = b"\x01" * (end - start)
            spans.append((start, end, kind))
    counts: dict[str, int] = {}
    parts: list[str] = []
    position = 0
    for start, end, kind in sorted(spans):
        parts += [text[position:start], f"[REDACTED_{kind}]"]
        counts[kind] = counts.get(kind, 0) + 1
        position = end
    parts.append(text[position:])
    return Redaction(text="".join(parts), counts=counts)


class _Tally:
    """Counts replacements across the many strings of one record."""

    def __init__(self) -> None:
        self.total = 0

    def text(self, text: str) -> str:
        result = redact_text(text)
        self.total += sum(result.counts.values())
        return result.text

    def whole(self, value: str, key: str) -> str:
        """A value stored under a secret-naming key goes entirely, labelled by its shape when it has exactly one
        (a JWT under ``token`` is JWT), else by the key."""
        if not plausible_secret(value, key):
            return self.text(value)
        found = redact_text(value).counts
        kind = next(iter(found)) if sum(found.values()) == 1 else kind_of(key)
        self.total += 1
        return f"[REDACTED_{kind}]"


def _walk(value: Any, tally: _Tally, key: str | None) -> Any:
    """Redact every string of a JSON value, keys included; ``key`` is the nearest enclosing key naming a secret."""
    if isinstance(value, str):
        return tally.whole(value, key) if key else tally.text(value)
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for name, item in value.items():
            clean_name = tally.text(str(name))
            while clean_name in out:  # two keys redacted to one placeholder must not overwrite each other
                clean_name += "'"
            out[clean_name] = _walk(item, tally, key or (str(name) if names_a_secret(str(name)) else None))
        return out
    if isinstance(value, list | tuple):
        return [_walk(item, tally, key) for item in value]
    if key and isinstance(value, int | float) and not isinstance(value, bool) and plausible_secret(str(value), key):
        tally.total += 1  # "password": 123456 is as secret as "123456"
        return f"[REDACTED_{kind_of(key)}]"
    return value


def redact_json(value: Any) -> tuple[Any, int]:
    """A copy of a JSON value (tool-call arguments) with every string redacted and the number of replacements.

    Strings below a key that names a secret (``api_key``, ``password``, ``token``, ``secret``, ``Authorization``)
    go whole, however short, unless they are placeholders (``${DB_PASSWORD}``, ``****``, null).
    """
    tally = _Tally()
    return _walk(value, tally, None), tally.total


def _tool_name(name: str, tally: _Tally) -> str:
    """A tool name redacted to a placeholder that is still a valid tool name (``REDACTED_TOKEN``)."""
    found = redact_text(name).counts
    if not found:
        return name
    tally.total += sum(found.values())
    return "REDACTED_" + "_".join(sorted(found))


def redact_failure(record: FailureRecord) -> tuple[FailureRecord, int]:
    """A copy of ``record`` with every text that can reach a prompt or the bank redacted: the conversation, the
    response, the signal detail, the expected answer, the tags, the model name and the tool calls (names,
    argument keys and nested values).

    The id, the source and the timestamp are kept: the id ties resumability and provenance to the same failure,
    the source is the feed name that growth cycles keep their cursor under (chosen by whoever runs the feed, not
    written by a user). Returns the record and the number of replacements made.
    """
    tally = _Tally()
    calls = tuple(ToolCall(tool=_tool_name(c.tool, tally), args=_walk(c.args, tally, None)) for c in record.tool_calls)
    redacted = record.model_copy(update={
        "conversation": tuple(Message(role=m.role, content=tally.text(m.content)) for m in record.conversation),
        "response": tally.text(record.response),
        "signal": FailureSignal(kind=record.signal.kind, detail=tally.text(record.signal.detail)),
        "expected": tally.text(record.expected) if record.expected is not None else None,
        "tags": tuple(tally.text(tag) for tag in record.tags),
        "model": tally.text(record.model) if record.model is not None else None,
        "tool_calls": calls,
    })
    return redacted, tally.total
