"""Redaction of secrets before any failure text reaches a prompt, a bank or a log. On by default.

A failure log is pasted by users and written by services, so it carries credentials in every layout: known key
prefixes, JWTs, PEM blocks, ``Authorization`` headers, AWS secret access keys, passwords inside connection
strings (raw ``#`` and ``?`` included, a unix socket's too) and tokens used as a URL's username,
``user:password@host`` with no scheme, ``key=value`` / JSON / YAML / XML / CLI-flag / URL-encoded secrets of any
length (a quoted one cut off by truncation too), ``.netrc`` and ``.pgpass`` entries, Docker's and npm's base64
``auth``, what was typed after a password prompt, ``-p`` of the commands that take a password there (``docker
login``, ``sshpass``, ``mysql -p'a b'``), what is echoed into ``--password-stdin``, ``email:password`` pairs, and
token-looking words right after key/secret/token/password in prose; e-mail addresses go too, in any script. A
false positive costs a few characters of context, a miss leaks a credential into a training task. Each match
becomes a placeholder that says what was removed (``[REDACTED_PASSWORD]`` for the password of
``postgres://user:p@ss@host``, never ``EMAIL``; the host stays), so the generator still sees that something was
there. The shapes and their linear-time rules live in :mod:`synth.secret_patterns` (and the layouts of
:mod:`synth.secret_layouts`); this module is the API: one text, one JSON value, one failure record (its id and
source included: a feed row writes those too).

This is not a DLP system. Not caught, because catching them would rewrite ordinary text: a password typed in
prose with no keyword before it, or one that reads like a word; ``-p X`` after any other command (it is a port
for ``ssh`` and ``docker run``, a flag for ``mkdir``); the password of ``email:pass/word`` (a slash makes it an
scp path); an address whose local part is in CJK script and glued to Latin letters or to more than 64 characters
of CJK prose (a shorter glued run is taken whole, a few words of context with it); ``user:word@example.com``
with no port or path and a password that reads like a word (taken for the address it resembles, so it still goes,
labelled EMAIL).
"""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, ConfigDict

from synth.secret_patterns import KINDS, SHAPES, secret_span
from synth.secret_words import basic_credentials, holds_key_token, kind_of, names_a_secret, plausible_secret
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
        (a JWT under ``token`` is JWT), as a password when it is base64 of ``user:password`` (``Authorization:
        Basic ...`` is PASSWORD in text too), else by the key."""
        if not plausible_secret(value, key):
            return self.text(value)
        found = redact_text(value).counts
        if sum(found.values()) == 1:
            kind = next(iter(found))
        else:
            kind = "PASSWORD" if basic_credentials(value.split()[-1]) else kind_of(key)
        self.total += 1
        return f"[REDACTED_{kind}]"


def _named_pair(value: dict[Any, Any]) -> str | None:
    """The secret name of a name/value pair (``{"name": "DB_PASSWORD", "value": ...}``, as Kubernetes and ECS list
    environment variables, or ``{"key": "password", "value": ...}``), or None. Why: the value's own key says
    nothing, so such pairs leaked whole (red-team round 43)."""
    for field in ("name", "key", "Name", "Key"):
        named = value.get(field)
        if isinstance(named, str) and "value" in {str(k).lower() for k in value} and names_a_secret(named):
            return named
    return None


def _leaf(value: Any, tally: _Tally, key: str | None) -> Any:
    """A string or number of a JSON value, redacted; ``key`` is the nearest enclosing key naming a secret."""
    if isinstance(value, str):
        return tally.whole(value, key) if key else tally.text(value)
    if key and isinstance(value, int | float) and not isinstance(value, bool) and plausible_secret(str(value), key):
        tally.total += 1  # "password": 123456 is as secret as "123456"
        return f"[REDACTED_{kind_of(key)}]"
    return value


_Pending = tuple[Any, "str | None", int, Any, Any]
"""A value still to redact: the value, its nearest secret-naming key, how far it is below Docker's ``auths`` (2:
the map of registries, 1: one registry's entry, 0: elsewhere), and the container and slot its copy goes to."""


def _credential_auth(name: str, item: Any, docker: int) -> bool:
    """Whether ``item``, under key ``name``, is a registry credential: any string under ``auth`` in an entry of
    Docker's ``auths``, or anywhere base64 of ``user:password`` under ``auth``/``_auth`` (npm). Why: Docker's
    config.json leaked whole (red-team round 43), while ``"auth": "oauth2"`` names a scheme and stays."""
    return (name.lower() in ("auth", "_auth") and isinstance(item, str) and plausible_secret(item, "password")
            and (docker == 1 or basic_credentials(item)))


def _dict_items(value: dict[Any, Any], tally: _Tally, key: str | None, docker: int,
                out: dict[str, Any]) -> list[_Pending]:
    """Fill ``out`` with the redacted keys of ``value`` (its order kept) and return its items still to redact."""
    pending: list[_Pending] = []
    pair = _named_pair(value)
    for name, item in value.items():
        clean_name = tally.text(str(name))
        while clean_name in out:  # two keys redacted to one placeholder must not overwrite each other
            clean_name += "'"
        named = names_a_secret(str(name)) or (isinstance(item, str) and holds_key_token(str(name), item))
        secret_name = str(name) if named else (pair if str(name).lower() == "value" else None)
        if str(name).lower() == "auth" and isinstance(item, list | tuple) and len(item) == 2:
            item = [item[0], tally.whole(item[1], "password") if isinstance(item[1], str) else item[1]]  # (u, pw)
        if _credential_auth(str(name), item, docker):
            tally.total += 1
            out[clean_name] = "[REDACTED_PASSWORD]"
            continue
        out[clean_name] = None
        below = 2 if str(name).lower() == "auths" else 1 if docker == 2 else 0
        pending.append((item, key or secret_name, below, out, clean_name))
    return pending


def _walk(value: Any, tally: _Tally, key: str | None) -> Any:
    """Redact every string of a JSON value, keys included; ``key`` is the nearest enclosing key naming a secret.

    Iterative, with an explicit stack of pending values: a JSON value can nest deeper than Python's recursion
    limit (red-team round 43: 1,000 levels raised RecursionError), and any depth must come back redacted. Each
    container is copied empty and its slots are filled as their values are popped."""
    root: list[Any] = [None]
    stack: list[_Pending] = [(value, key, 0, root, 0)]
    while stack:
        item, secret_key, docker, parent, slot = stack.pop()
        if isinstance(item, dict):
            parent[slot] = out = {}
            stack += _dict_items(item, tally, secret_key, docker, out)
        elif isinstance(item, list | tuple):
            parent[slot] = copy = [None] * len(item)
            first_names = len(item) == 2 and isinstance(item[0], str) and names_a_secret(item[0])
            stack += [(element, secret_key or (item[0] if first_names and index == 1 else None), 0, copy, index)
                      for index, element in enumerate(item)]  # ["X-Api-Key", "..."]: the first names the second
        else:
            parent[slot] = _leaf(item, tally, secret_key)
    return root[0]


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


_ID_LIMIT: int = FailureRecord.model_json_schema()["properties"]["id"]["maxLength"]
"""The longest failure id :class:`task_bank.failure.FailureRecord` accepts (read from the model, so it cannot drift)."""
_ID_DIGEST = 12
"""Hex digits of the raw id's hash kept in a redacted id: enough that two raw ids never share a stored one."""


def _failure_id(raw: str, tally: _Tally) -> str:
    """The id to store for ``raw``: itself when it holds no secret, else its redacted text plus a hash of ``raw``.

    A feed row sets its own id (``alice@example.com|sk-proj-...``), so the id is text like any other. It is also
    the key of dedup, resumability and provenance, so its redaction must be a function of the raw id: the same raw
    id always gives the same stored id ("already processed" still matches), and the hash keeps apart two ids that
    differ only in a secret (``alice@x.com|1`` and ``bob@x.com|1``). The hash is unkeyed (the same in every bank):
    someone who already guesses a whole raw id can confirm the guess against it; it tells nobody else anything.
    """
    found = redact_text(raw)
    if not found.counts:
        return raw
    tally.total += sum(found.counts.values())
    digest = hashlib.blake2b(raw.encode("utf-8", "surrogatepass"), digest_size=_ID_DIGEST // 2,
                             person=b"envsynth-fid").hexdigest()
    return f"{found.text[:_ID_LIMIT - _ID_DIGEST - 1]}#{digest}"


def redact_failure(record: FailureRecord) -> tuple[FailureRecord, int]:
    """A copy of ``record`` with every text that can reach a prompt or the bank redacted: the id, the source, the
    conversation, the response, the signal detail, the expected answer, the tags, the model name and the tool
    calls (names, argument keys and nested values).

    The id and the source are written by whoever wrote the feed (any JSONL or chat-log row sets both), so they are
    not trusted either. An id with no secret is kept exactly; one with a secret becomes a stable redacted id (see
    :func:`_failure_id`). The source only labels the record: growth cycles key their cursor by the configured feed
    name, not by it. The timestamp is kept. Returns the record and the number of replacements made.
    """
    tally = _Tally()
    calls = tuple(ToolCall(tool=_tool_name(c.tool, tally), args=_walk(c.args, tally, None)) for c in record.tool_calls)
    redacted = record.model_copy(update={
        "id": _failure_id(record.id, tally),
        "source": tally.text(record.source),
        "conversation": tuple(Message(role=m.role, content=tally.text(m.content)) for m in record.conversation),
        "response": tally.text(record.response),
        "signal": FailureSignal(kind=record.signal.kind, detail=tally.text(record.signal.detail)),
        "expected": tally.text(record.expected) if record.expected is not None else None,
        "tags": tuple(tally.text(tag) for tag in record.tags),
        "model": tally.text(record.model) if record.model is not None else None,
        "tool_calls": calls,
    })
    return redacted, tally.total
