"""Loaders: failure records from JSONL, OpenAI-style chat logs, Parquet files and Hugging Face datasets.

Every loader yields :class:`task_bank.failure.FailureRecord`. A JSONL line is read as a chat log when it has a
``messages`` list (the final assistant turn is the response, the turns before it the conversation), otherwise as
a FailureRecord. Chat logs carry the failure signal in feedback fields: ``feedback`` (a string, or an object in one
of the shapes :class:`task_bank.failure.FailureSignal` reads: ``{kind, detail}``, ``{rating, comment}``,
``{score, comment}``, ``{value, text}``), ``rating``/``thumbs`` (``down``, ``-1``, ``thumbs_down``, ``0``),
``correction``, ``error``. Parquet files and datasets are read row by row through a :class:`ColumnMapping`.

Input is strict: the first bad line raises :class:`task_bank.errors.InputError` naming the file, the line (or
row) and the field, unless ``skip_invalid`` is set, in which case bad lines are returned as :class:`LoadIssue`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from task_bank.lines import LongLine, load_json_line, numbered_lines
from task_bank.errors import EnvsynthError, InputError
from task_bank.failure import FailureRecord, FailureSignal, SignalKind
from task_bank.spec import Message

_THUMBS_DOWN = {"down", "-1", "thumbs_down", "thumbsdown", "0", "bad", "negative", "false"}


class LoadIssue(BaseModel):
    """One input line or row that could not be read."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    line: int
    field: str | None
    message: str


class LoadResult(BaseModel):
    """What a loader read: the records, and the issues it skipped (only with ``skip_invalid``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    records: tuple[FailureRecord, ...]
    issues: tuple[LoadIssue, ...] = ()


class ColumnMapping(BaseModel):
    """Which column holds which FailureRecord field, for Parquet files and datasets.

    Give either ``messages`` (a chat list whose final assistant turn is the response) or ``prompt`` plus
    ``response``. ``signal_kind`` names a column; ``default_signal`` applies where it is absent or empty.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str | None = None
    prompt: str | None = "prompt"
    messages: str | None = None
    response: str | None = "response"
    signal_kind: str | None = None
    signal_detail: str | None = None
    default_signal: SignalKind = SignalKind.FEEDBACK
    expected: str | None = None
    tags: str | None = None
    model: str | None = None
    timestamp: str | None = None


class RowError(EnvsynthError):
    """A problem with one row and the field it concerns; the caller adds file and line (InputError or LoadIssue)."""

    def __init__(self, message: str, field: str | None) -> None:
        super().__init__(message)
        self.field = field


def _pydantic_error(exc: ValidationError) -> RowError:
    first = exc.errors()[0]
    field = ".".join(str(p) for p in first["loc"]) or None
    return RowError(str(first["msg"]).removeprefix("Value error, "), field)


def _signal_from_feedback(row: dict[str, Any]) -> FailureSignal:
    """The failure signal of a chat-log row, from whichever feedback field it carries."""
    feedback = row.get("feedback")
    if isinstance(feedback, dict):
        try:
            return FailureSignal.model_validate(feedback)
        except ValidationError as exc:
            err = _pydantic_error(exc)
            raise RowError(str(err), "feedback" + (f".{err.field}" if err.field else "")) from None
    if row.get("error"):
        return FailureSignal(kind=SignalKind.ERROR, detail=str(row["error"]))
    if row.get("correction"):
        return FailureSignal(kind=SignalKind.CORRECTION, detail=str(row["correction"]))
    for key in ("rating", "thumbs"):
        if key in row and str(row[key]).strip().lower() in _THUMBS_DOWN:
            detail = feedback if isinstance(feedback, str) else ""
            return FailureSignal(kind=SignalKind.THUMBS_DOWN, detail=detail)
    if isinstance(feedback, str) and feedback.strip():
        return FailureSignal(kind=SignalKind.FEEDBACK, detail=feedback)
    raise RowError("no failure signal: give feedback, rating/thumbs, correction or error", "feedback")


def _split_messages(messages: Any) -> tuple[tuple[Message, ...], str]:
    """Conversation and response from a chat list whose final turn is the assistant's."""
    if not isinstance(messages, list) or not messages:
        raise RowError("must be a non-empty list of {role, content}", "messages")
    try:
        turns = [Message.model_validate(m) for m in messages]
    except ValidationError as exc:
        err = _pydantic_error(exc)
        raise RowError(str(err), f"messages.{err.field}") from None
    if turns[-1].role != "assistant":
        raise RowError("the final turn must be the assistant's response", "messages")
    if len(turns) < 2:
        raise RowError("needs at least one turn before the assistant's response", "messages")
    return tuple(turns[:-1]), turns[-1].content


def chat_log_record(row: dict[str, Any], source: str) -> FailureRecord:
    """A FailureRecord from one OpenAI-style chat-log row."""
    conversation, response = _split_messages(row.get("messages"))
    fields = {"conversation": conversation, "response": response, "signal": _signal_from_feedback(row),
              "source": row.get("source", source)}
    for key in ("id", "expected", "tags", "model", "timestamp"):
        if row.get(key) is not None:
            fields[key] = row[key]
    try:
        return FailureRecord.model_validate(fields)
    except ValidationError as exc:
        raise _pydantic_error(exc) from None


def mapped_record(row: dict[str, Any], mapping: ColumnMapping, source: str) -> FailureRecord:
    """A FailureRecord from one Parquet/dataset row through ``mapping``."""
    def col(name: str | None) -> Any:
        if name is None:
            return None
        if name not in row:
            raise RowError(f"column '{name}' is missing", name)
        return row[name]

    if mapping.messages:
        conversation, response = _split_messages(col(mapping.messages))
    else:
        prompt, response = col(mapping.prompt), col(mapping.response)
        if not isinstance(prompt, str) or not prompt.strip():
            raise RowError("must be a non-empty string", mapping.prompt)
        conversation = (Message(role="user", content=prompt),)
    kind = col(mapping.signal_kind) or mapping.default_signal
    fields: dict[str, Any] = {"conversation": conversation, "response": response, "source": source,
                              "signal": {"kind": kind, "detail": str(col(mapping.signal_detail) or "")}}
    columns = mapping.model_dump()
    for key in ("id", "expected", "tags", "model", "timestamp"):
        value = col(columns[key])
        if value is not None:
            fields[key] = list(value) if key == "tags" and not isinstance(value, str) else value
    if isinstance(fields.get("tags"), str):
        fields["tags"] = [t.strip() for t in fields["tags"].split(",") if t.strip()]
    try:
        return FailureRecord.model_validate(fields)
    except ValidationError as exc:
        raise _pydantic_error(exc) from None


def json_row(raw: bytes, *, first: bool = False) -> dict[str, Any] | RowError:
    """One line of a failure file or feed as a JSON object, or the RowError that says why it is not one. Decoded
    here, a line at a time, so a line that is not UTF-8 is that line's error (a file read as text ended the run
    with an internal UnicodeDecodeError, and a feed line of 100,000 ``[`` raised RecursionError in every later
    cycle: red-team round 30); parsed by the one bounded reader of untrusted lines (``load_json_line``). ``first``:
    the file's first line, which may open with a byte order mark."""
    try:
        line = raw.decode("utf-8-sig" if first else "utf-8")
    except UnicodeDecodeError as exc:
        return RowError(f"not UTF-8 text ({exc.reason} at byte {exc.start + 1})", None)
    try:
        value = load_json_line(line)
    except json.JSONDecodeError as exc:
        return RowError(f"not valid JSON ({exc.msg} at column {exc.colno})", None)
    return value if isinstance(value, dict) else RowError("a line must be a JSON object", None)


def _jsonl_rows(path: Path) -> Iterator[tuple[int, dict[str, Any] | RowError]]:
    """Each non-blank line as a row, or the RowError that says why it is not one (``--skip-invalid`` skips it)."""
    with path.open("rb") as fh:
        for number, raw in numbered_lines(fh):
            if isinstance(raw, LongLine):
                yield number, RowError(raw.message, None)
            elif raw.strip():
                yield number, json_row(raw, first=number == 1)


def parse_failure_row(row: dict[str, Any], source: str) -> FailureRecord:
    """A FailureRecord from one JSONL row: a chat-log row (``messages``) or a record; RowError names the field."""
    if "messages" in row:
        return chat_log_record(row, source)
    try:
        return FailureRecord.model_validate({"source": source, **row})
    except ValidationError as exc:
        raise _pydantic_error(exc) from None


def _collect(path: Path, rows: Iterable[tuple[int, Any]], convert: Any, skip_invalid: bool) -> LoadResult:
    records: list[FailureRecord] = []
    issues: list[LoadIssue] = []
    for number, row in rows:
        try:
            if isinstance(row, RowError):
                raise row
            records.append(convert(row))
        except RowError as exc:
            if not skip_invalid:
                raise InputError(str(exc), path=str(path), line=number, field=exc.field) from None
            issues.append(LoadIssue(path=str(path), line=number, field=exc.field, message=str(exc)))
    return LoadResult(records=tuple(records), issues=tuple(issues))


def load_failures(path: str | Path, *, mapping: ColumnMapping | None = None, source: str | None = None,
                  skip_invalid: bool = False) -> LoadResult:
    """Read failures from a ``.jsonl`` file, a ``.parquet`` file or a saved ``datasets`` folder.

    ``source`` (default: the file name) is stored on each record that does not name its own. Parquet and
    datasets need ``mapping`` only when their columns are not named ``prompt`` and ``response``.
    """
    path = Path(path)
    src = source or path.name
    if not path.exists():
        raise InputError("file not found; check the --failures path", path=str(path))
    if path.is_dir() or path.suffix == ".parquet":
        rows = _table_rows(path)
        cmap = mapping or ColumnMapping()
        return _collect(path, rows, lambda r: mapped_record(r, cmap, src), skip_invalid)
    return _collect(path, _jsonl_rows(path), lambda r: parse_failure_row(r, src), skip_invalid)


def _table_rows(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Rows of a Parquet file or a ``datasets.save_to_disk`` folder, numbered from 1."""
    try:
        if path.is_dir():
            import datasets
            table = datasets.load_from_disk(str(path))
            if isinstance(table, datasets.DatasetDict):
                raise InputError(f"holds splits {list(table)}; point at one split's folder", path=str(path))
            rows = table.to_list()
        else:
            import pyarrow.parquet as pq
            rows = pq.read_table(path).to_pylist()
    except InputError:
        raise
    except Exception as exc:  # pyarrow and datasets raise many unrelated types for an unreadable file
        raise InputError(f"cannot read as a table: {exc}", path=str(path)) from None
    yield from enumerate(rows, start=1)


def load_hub_dataset(name: str, *, split: str = "train", mapping: ColumnMapping | None = None,
                     source: str | None = None, skip_invalid: bool = False) -> LoadResult:
    """Read failures from a Hugging Face hub dataset (``datasets.load_dataset(name, split=split)``)."""
    import datasets
    try:
        table = datasets.load_dataset(name, split=split)
    except Exception as exc:  # network, auth and format errors all mean "cannot read this input"
        raise InputError(f"cannot load dataset '{name}' split '{split}': {exc}", path=name) from None
    cmap = mapping or ColumnMapping()
    src = source or name
    return _collect(Path(name), enumerate(table.to_list(), start=1), lambda r: mapped_record(r, cmap, src),
                    skip_invalid)
