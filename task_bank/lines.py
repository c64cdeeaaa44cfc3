"""The one JSONL reader: each line of a file anyone may have written, parsed, or the :class:`BadLine` saying why not.

Every command that reads JSONL (tasks, environments, responses, failures, recorded generator replies) goes through
here, so one bad line never hides the verdict on the others and no line ends a run: a line that is not UTF-8, not
JSON, not a value Python can hold or with a key given twice (:func:`load_json_line`), longer than
:data:`MAX_LINE_BYTES`, or not the record wanted names its file, line, column and field. A file may open with a
byte order mark.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from task_bank.errors import InputError
from task_bank.safe_text import escape_controls
from task_bank.spec import MAX_NESTING, nesting_depth

T = TypeVar("T", bound=BaseModel)

MAX_LINE_BYTES = 16 * 2**20
"""The most one line (one record) of a JSONL file may hold. Why a cap: a 200 MB prompt was imported whole, and then
every page of the web view and every ``list --json`` that held it carried it too (red-team round 42); no honest
task, environment or chat log comes near it."""


@dataclass(frozen=True)
class LongLine:
    """A line longer than :data:`MAX_LINE_BYTES`, never held whole: only its size is kept."""

    size: int
    """Its length in bytes, line feed included."""

    @property
    def message(self) -> str:
        return (f"the line holds {self.size / 2**20:.1f} MiB, more than the {MAX_LINE_BYTES // 2**20} MiB one record "
                "may hold")


def numbered_lines(handle: BinaryIO) -> Iterator[tuple[int, bytes | LongLine]]:
    """Each line of a binary file with its 1-based number, read at most :data:`MAX_LINE_BYTES` at a time: a longer
    line is read through to its end in bounded pieces and given as its :class:`LongLine`. Every JSONL reader of
    untrusted files iterates through here."""
    number = 0
    while raw := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(raw) <= MAX_LINE_BYTES or raw.endswith(b"\n"):
            yield number, raw
            continue
        size = len(raw)
        while not raw.endswith(b"\n") and (raw := handle.readline(MAX_LINE_BYTES)):
            size += len(raw)
        yield number, LongLine(size)


class BadLine(BaseModel):
    """One line of a JSONL file that is not what the reader wants: where it is and what is wrong."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """File read."""
    line: int
    """1-based line number."""
    column: int | None = None
    """1-based column (in characters) of a JSON or encoding error; None when the whole line is at fault."""
    field: str | None = None
    """Failing field, dotted for nested ones (``prompt.0.role``); None when the line is not an object at all."""
    message: str
    """What is wrong, in one line."""

    def __str__(self) -> str:
        """One line for a terminal: what the file holds (a field's name is the file's key) written visibly
        (``escape_controls``: a key holding ESC set the window title and cleared the screen, red-team round 42)."""
        where = f"{self.path}:{self.line}" + (f":{self.column}" if self.column is not None else "")
        return escape_controls(f"{where}: " + (f"{self.field}: " if self.field else "") + self.message)


@dataclass(frozen=True)
class ParsedLine(Generic[T]):
    """One line that parsed: the value, and where it came from."""

    path: str
    """File read."""
    line: int
    """1-based line number."""
    value: T
    """The parsed record."""


Precheck = Callable[[Mapping[str, object]], "tuple[str, str] | None"]
"""A look at the raw object before validation: ``(field, message)`` to refuse it with a clearer message."""


_BRANCH = re.compile(r"(str|int|float|bool|none|[\w-]+\[.*\])")
"""A part of an error's location that names a branch of a union (``str``, ``tuple[Message, ...]``), not a field."""


def _validation_line(name: str, number: int, exc: ValidationError) -> BadLine:
    """The most specific error first: of a union's branches (a prompt is a string or a list of chat messages) the
    one that got furthest into the value says what is wrong (``prompt.0.extra``), not the first branch tried
    (``prompt.str: Input should be a valid string``, which a chat prompt with one bad message got before)."""
    errors = [(".".join(str(part) for part in error["loc"] if not (isinstance(part, str) and _BRANCH.fullmatch(part))),
               str(error["msg"]).removeprefix("Value error, ").replace("valid tuple", "list (JSON array)"))
              for error in exc.errors()]
    field = max(errors, key=lambda error: error[0].count(".") + bool(error[0]))[0]
    messages = list(dict.fromkeys(message for where, message in errors if where == field))
    message = " or ".join(messages)
    if len(errors) > len(messages):
        message += f" (and {len(errors) - len(messages)} more error(s))"
    return BadLine(path=name, line=number, field=field or None, message=message)


def load_json_line(text: str) -> Any:
    """One line of a file anyone may have written, as JSON: every reader of JSONL input goes through here. Raises
    ``json.JSONDecodeError`` (a ValueError, with ``msg`` and ``colno``) for anything that is not a value the program
    can hold, not only for invalid JSON: brackets nested more than :data:`~task_bank.spec.MAX_NESTING` levels
    (deeper ones raised RecursionError, or passed validation and then failed the bank's write) and integers of more
    than 4,300 digits (Python refuses to convert them). Why one helper: each reader that caught only invalid JSON let
    such a line end the whole run with no verdict for the lines around it (red-team finding)."""
    too_deep = f"JSON nested more than {MAX_NESTING} levels deep (the most a record may hold)"
    try:
        data = json.loads(text, object_pairs_hook=_unique_keys)
    except (json.JSONDecodeError, UnusableJSON):
        raise
    except _DuplicateKey as exc:
        raise UnusableJSON(f"the key {json.dumps(exc.args[0])[:200]} appears twice in one object (which one counts "
                           "would be the reader's guess)", text, 0) from None
    except RecursionError:
        raise UnusableJSON(too_deep, text, 0) from None
    except ValueError as exc:
        raise UnusableJSON(str(exc).split(";")[0][:200], text, 0) from None
    if nesting_depth(data) > MAX_NESTING:
        raise UnusableJSON(too_deep, text, 0)
    return data


class _DuplicateKey(Exception):
    """A key given twice in one JSON object; its argument is the key."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's pairs as a dict, refusing a repeated key: Python keeps the last, other readers and a person
    reading the file may take the first, so a task could show a reviewer one verifier and run another."""
    data = dict(pairs)
    if len(data) != len(pairs):
        seen: set[str] = set()
        raise _DuplicateKey(next(key for key, _ in pairs if key in seen or seen.add(key)))
    return data


class UnusableJSON(json.JSONDecodeError):
    """Valid JSON that no record may hold (:func:`load_json_line`); its ``msg`` says why."""


def _parse_line(name: str, number: int, raw: bytes | LongLine, model: type[T] | Callable[[Any], T], what: str,
                precheck: Precheck | None) -> ParsedLine[T] | BadLine | None:
    if isinstance(raw, LongLine):
        return BadLine(path=name, line=number, message=raw.message)
    try:
        text = raw.decode("utf-8-sig" if number == 1 else "utf-8")  # a file may open with a byte order mark
    except UnicodeDecodeError as exc:
        column = len(raw[:exc.start].decode("utf-8", errors="replace")) + 1
        return BadLine(path=name, line=number, column=column, message=f"not UTF-8 text ({exc.reason})")
    text = text.rstrip("\r\n")  # the newline would turn a truncated object's error into "line 2 column 1"
    if not text.strip():
        return None
    try:
        data = load_json_line(text)
    except UnusableJSON as exc:
        return BadLine(path=name, line=number, message=exc.msg)
    except json.JSONDecodeError as exc:
        return BadLine(path=name, line=number, column=exc.colno, message=f"not valid JSON: {exc.msg}")
    if not isinstance(data, dict):
        return BadLine(path=name, line=number, message=f"expected a JSON object ({what}), got {type(data).__name__}")
    refused = precheck(data) if precheck is not None else None
    if refused is not None:
        return BadLine(path=name, line=number, field=refused[0], message=refused[1])
    try:
        value = model.model_validate(data) if isinstance(model, type) else model(data)
    except ValidationError as exc:
        return _validation_line(name, number, exc)
    except ValueError as exc:  # a parser's own refusal (an unknown ``kind``)
        return BadLine(path=name, line=number, field="kind", message=str(exc)[:500])
    return ParsedLine(path=name, line=number, value=value)


def read_jsonl(path: Path | str, model: type[T] | Callable[[Any], T], *, what: str | None = None,
               precheck: Precheck | None = None) -> Iterator[ParsedLine[T] | BadLine]:
    """Each non-blank line of a JSONL file as a :class:`ParsedLine` of ``model`` or the :class:`BadLine` saying why not.

    ``model`` is a pydantic model, or a parser of one JSON object that raises pydantic's ValidationError (or
    ValueError) for a line it refuses (a line of either kind: ``task_bank.environment.parse_line``). Lines are read one
    at a time (a large file is never held whole). ``what`` names the record in messages (default: the model's name).
    A file that cannot be opened raises InputError naming it.
    """
    name = str(path)
    label = what or model.__name__
    try:
        handle = open(path, "rb")
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror})", path=name) from None
    with handle:
        for number, raw in numbered_lines(handle):
            item = _parse_line(name, number, raw, model, label, precheck)
            if item is not None:
                yield item
