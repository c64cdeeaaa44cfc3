"""Redaction of obvious secrets before any failure text reaches a prompt, a bank or a log. On by default.

A pattern with a ``keep`` group (``Bearer ``, ``api_key=``) keeps that label and replaces only the secret after
it. Patterns are deliberately conservative (known key prefixes, JWTs, bearer headers, AWS secret access keys,
passwords inside connection strings, ``key=value`` secrets, high-entropy words right after key/secret/token/password,
email addresses): a false positive costs a few characters of context, a miss leaks a credential into a training
task. Each match is replaced by a placeholder that says what was removed (``[REDACTED_PASSWORD]`` for the password
of ``postgres://user:pass@host``, never ``EMAIL``), so the generator still sees that something was there. This is
not a DLP system: a password typed in prose without a keyword, or one that reads like a word, is not caught.
"""

from __future__ import annotations

import math
import re

from pydantic import BaseModel, ConfigDict

from task_bank.failure import FailureRecord, FailureSignal
from task_bank.spec import Message

_URL_PASSWORD = re.compile(r"(?P<keep>\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@]*:)(?P<secret>[^\s@/]+)(?=@)")
"""``postgres://user:PASSWORD@host``: only the password goes; user and host stay (they are not secrets, and the
address after ``@`` is not an email)."""
_WORD_KINDS = (("pass", "PASSWORD"), ("pwd", "PASSWORD"), ("token", "TOKEN"), ("secret", "SECRET"), ("key", "API_KEY"))
_KEYWORD = (r"(?:api[_ -]?key|access[_ -]?key|private[_ -]?key|secret(?:[_ -]?key)?|client[_ -]?secret|"
            r"auth[_ -]?token|access[_ -]?token|token|password|passwd|passphrase|pwd)")
_ASSIGNED = re.compile(rf"(?i)(?P<keep>(?P<word>{_KEYWORD})[\"']?\s?[:=]\s?[\"']?)(?P<secret>[^\s\"',;\[]{{8,}})")
"""``password=...``, ``token: ...``: whatever follows the sign is the secret."""
_MENTIONED = re.compile(rf"(?i)(?P<keep>\b(?P<word>{_KEYWORD})\b[\"']?(?:\s+(?:is|was|of|for|reads|->))?\s+[\"'`]?)"
                        rf"(?P<secret>[A-Za-z0-9_\-+/=.~!@#$%^&*]{{12,}})")
"""``my token is 8f3kLq92xZ0pQa``: a word is only taken when it looks random (see :func:`_looks_random`)."""
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])"
                         r"(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")
"""An AWS secret access key: 40 characters of base64 alphabet mixing upper case, lower case and digits (a git
hash is hex only, so it stays)."""

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("PRIVATE_KEY", re.compile(r"-----BEGIN [A-Z ]{0,40}PRIVATE KEY-----(?:(?!-----BEGIN ).){0,16384}?"
                               r"-----END [A-Z ]{0,40}PRIVATE KEY-----", re.DOTALL)),  # bounded: never quadratic
    ("JWT", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}")),
    ("API_KEY", re.compile(r"\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|hf_[A-Za-z0-9]{20,}|AKIA[0-9A-Z]{16}"
                           r"|AIza[0-9A-Za-z_-]{30,}|xox[abprs]-[A-Za-z0-9-]{10,})")),
    ("TOKEN", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,})")),
    ("TOKEN", re.compile(r"(?i)(?P<keep>bearer )(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)")),
    ("PASSWORD", _URL_PASSWORD),
    ("AWS_SECRET_KEY", _AWS_SECRET),
    ("EMAIL", re.compile(r"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}\.[A-Za-z]{2,24}\b")),
)


def _looks_random(word: str) -> bool:
    """High entropy: at least 3.5 bits per character and letters mixed with digits or symbols (prose has neither)."""
    counts = {c: word.count(c) for c in set(word)}
    entropy = -sum(n / len(word) * math.log2(n / len(word)) for n in counts.values())
    has_letter = any(c.isalpha() for c in word)
    has_other = any(c.isdigit() for c in word) or any(not c.isalnum() for c in word)
    return entropy >= 3.5 and has_letter and has_other


def _kind_of(word: str) -> str:
    lowered = word.lower()
    return next(kind for stem, kind in _WORD_KINDS if stem in lowered)


class Redaction(BaseModel):
    """The result of redacting one text: the clean text and how many matches of each kind were replaced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    counts: dict[str, int]


def redact_text(text: str) -> Redaction:
    """Replace every secret-looking span in ``text`` by a ``[REDACTED_<KIND>]`` placeholder naming what it was."""
    counts: dict[str, int] = {}

    def count(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return f"[REDACTED_{kind}]"

    def keyed(match: re.Match[str], random_only: bool = False) -> str:
        if random_only and not _looks_random(match.group("secret")):
            return match.group(0)
        return match.group("keep") + count(_kind_of(match.group("word")))

    for kind, pattern in _PATTERNS[:-1]:  # every shape but the email, which a keyword secret may contain
        if "keep" in pattern.groupindex:
            text = pattern.sub(lambda m, k=kind: m.group("keep") + count(k), text)
        else:
            text = pattern.sub(lambda m, k=kind: count(k), text)
    text = _ASSIGNED.sub(keyed, text)
    text = _MENTIONED.sub(lambda m: keyed(m, random_only=True), text)
    kind, email = _PATTERNS[-1]
    text = email.sub(lambda m: count(kind), text)
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
