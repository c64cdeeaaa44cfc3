"""Redaction of obvious secrets before any failure text reaches a prompt, a bank or a log. On by default.

A pattern with a ``keep`` group (``Bearer ``, ``api_key=``) keeps that label and replaces only the secret after
it. Patterns are deliberately conservative (known key prefixes, JWTs, bearer headers, ``key=value`` secrets, email
addresses): a false positive costs a few characters of context, a miss leaks a credential into a training task.
Each match is replaced by a typed placeholder such as ``[REDACTED_API_KEY]`` so the generator still sees that
something was there. This is not a DLP system: free-form secrets (a password typed in prose) are not caught.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict

from task_bank.failure import FailureRecord, FailureSignal
from task_bank.spec import Message

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("PRIVATE_KEY", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?-----END [A-Z ]*PRIVATE KEY-----", re.DOTALL)),
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("API_KEY", re.compile(r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}"
                           r"|AIza[0-9A-Za-z_-]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})")),
    ("TOKEN", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,})")),
    ("TOKEN", re.compile(r"(?i)(?P<keep>bearer )(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)")),
    ("SECRET", re.compile(r"(?i)(?P<keep>(?:api[_-]?key|secret|token|password|passwd)[\"']?\s?[:=]\s?[\"']?)"
                          r"(?P<secret>[^\s\"',;\[]{8,})")),
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b")),
)


class Redaction(BaseModel):
    """The result of redacting one text: the clean text and how many matches of each kind were replaced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    counts: dict[str, int]


def redact_text(text: str) -> Redaction:
    """Replace every secret-looking span in ``text`` by a ``[REDACTED_<KIND>]`` placeholder."""
    counts: dict[str, int] = {}
    for kind, pattern in _PATTERNS:
        placeholder = f"[REDACTED_{kind}]"
        if "keep" in pattern.groupindex:
            text, n = pattern.subn(lambda m, p=placeholder: m.group("keep") + p, text)
        else:
            text, n = pattern.subn(placeholder, text)
        if n:
            counts[kind] = counts.get(kind, 0) + n
    return Redaction(text=text, counts=counts)


def redact_failure(record: FailureRecord) -> tuple[FailureRecord, int]:
    """A copy of ``record`` with conversation, response, signal detail and expected answer redacted.

    The id is kept, so resumability and provenance still refer to the same failure. Returns the record and the
    number of replacements made.
    """
    total = 0

    def clean(text: str) -> str:
        nonlocal total
        result = redact_text(text)
        total += sum(result.counts.values())
        return result.text

    conversation = tuple(Message(role=m.role, content=clean(m.content)) for m in record.conversation)
    redacted = record.model_copy(update={
        "conversation": conversation,
        "response": clean(record.response),
        "signal": FailureSignal(kind=record.signal.kind, detail=clean(record.signal.detail)),
        "expected": clean(record.expected) if record.expected is not None else None,
    })
    return redacted, total
