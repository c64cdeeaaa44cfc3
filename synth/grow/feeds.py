"""Failure feeds and their cursors: which failure records arrived since the last growth cycle.

A feed is an append-only JSONL file of failure records, or a folder of ``*.jsonl`` files read in name order
(rotated logs such as ``2026-11-24T06.jsonl``). The bank keeps one cursor per feed (``bank.get_cursor(name)``):
a :class:`FeedPosition`, the file and byte offset up to which every record was *processed*.

Why a byte position and not "records newer than a timestamp": feeds are written by other systems whose clocks and
ordering we do not control, while the bytes already read never change. Why "processed" and not "read": the cursor
is moved only after the records before it went through the pipeline and were marked processed in the bank
(:func:`advance`), so a cycle killed at any point re-reads from the last position whose records are all done; the
bank's processed-failure set makes the re-read records no-ops, and nothing is lost or done twice.

Only complete lines (ending in a newline) are read: a writer caught mid-append is read next cycle. Lines are
failure records or OpenAI-style chat-log rows, as :mod:`synth.loaders` reads JSONL; records without a ``source``
get the feed's name. A complete line that is not a failure record is reported as a :class:`FeedEntry` with an
``error`` and counts as done, so one bad line cannot stall an unattended feed. A file shorter than the cursor's
offset was truncated or replaced: it is read again from the start (already processed records are then skipped by
id).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synth.grow.config import SourceConfig
from synth.loaders import RowError, json_row, parse_failure_row
from task_bank.errors import InputError
from task_bank.failure import FailureRecord

if TYPE_CHECKING:
    from task_bank.store import Bank


class FeedPosition(BaseModel):
    """A point in a feed: everything before it has been processed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = ""
    """File name inside a folder feed; empty for a single-file feed."""
    offset: int = Field(default=0, ge=0)
    """Byte offset inside that file, always at a line start."""

    def to_cursor(self) -> str:
        """The string stored with ``bank.set_cursor``."""
        return self.model_dump_json()

    @classmethod
    def from_cursor(cls, value: str | None) -> "FeedPosition":
        """Parse a stored cursor; None (no cycle has run yet) is the start of the feed."""
        if value is None:
            return cls()
        try:
            return cls.model_validate_json(value)
        except ValidationError as exc:
            raise InputError(f"stored feed cursor {value!r} is not a feed position: {exc.errors()[0]['msg']}; "
                             "set it to '{}' with bank.set_cursor to re-read the feed from its start") from None

    def key(self) -> tuple[str, int]:
        """Sort key: positions compare by file name, then offset."""
        return (self.file, self.offset)


class FeedEntry(BaseModel):
    """One complete line of a feed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record: FailureRecord | None
    """The failure record, or None when the line did not parse."""
    error: str | None = None
    """Why the line did not parse, naming file and line."""
    end: FeedPosition
    """The position just after this line."""


def _files(path: Path) -> list[tuple[str, Path]]:
    if path.is_dir():
        return [(p.name, p) for p in sorted(path.glob("*.jsonl")) if p.is_file()]
    if path.is_file():
        return [("", path)]
    raise InputError("feed not found: no such file or folder; fix the source's path in the grow config (a cron "
                     "job reading a misspelt feed would otherwise do nothing forever)", path=str(path))


def _parse(line: bytes, where: str, source: str) -> tuple[FailureRecord | None, str | None]:
    """A failure record, or a chat-log row (``messages`` + feedback fields), read as :mod:`synth.loaders` reads a
    line of a failure file (``json_row``: a line no reader can hold is that line's error, never the cycle's)."""
    row = json_row(line)
    if isinstance(row, RowError):
        return None, f"{where}: {row}"
    try:
        return parse_failure_row(row, source), None
    except RowError as exc:
        field = f" (field '{exc.field}')" if exc.field else ""
        return None, f"{where}: not a failure record ({exc}){field}"


def read_new(path: Path, source: str, start: FeedPosition) -> list[FeedEntry]:
    """Every complete line of the feed at or after ``start``, in feed order.

    A feed path that does not exist is an InputError naming it (an empty file or folder is a feed with nothing
    new); records carrying the default source are tagged with ``source`` so that the bank can list failures per
    feed.
    """
    entries: list[FeedEntry] = []
    for name, file in _files(path):
        if name and name < start.file:
            continue
        data = file.read_bytes()
        offset = start.offset if name == start.file else 0
        if offset > len(data):
            offset = 0
        line_number = data.count(b"\n", 0, offset) + 1
        while True:
            newline = data.find(b"\n", offset)
            if newline < 0:
                break
            line = data[offset:newline]
            end = FeedPosition(file=name, offset=newline + 1)
            if line.strip():
                record, error = _parse(line, f"{file}:{line_number}", source)
                entries.append(FeedEntry(record=record, error=error, end=end))
            else:
                entries.append(FeedEntry(record=None, end=end))
            offset = newline + 1
            line_number += 1
    return entries


def records(entries: Iterable[FeedEntry]) -> list[FailureRecord]:
    """The parsed records of ``entries``, in order, each id once."""
    seen: set[str] = set()
    out: list[FailureRecord] = []
    for entry in entries:
        if entry.record is not None and entry.record.id not in seen:
            seen.add(entry.record.id)
            out.append(entry.record)
    return out


def advance(start: FeedPosition, entries: Sequence[FeedEntry], processed: set[str]) -> FeedPosition:
    """The furthest position such that every record between ``start`` and it is in ``processed``.

    Unparseable and blank lines count as done. The result never moves backwards from ``start``.
    """
    position = start
    for entry in entries:
        if entry.record is not None and entry.record.id not in processed:
            break
        position = entry.end
    return position


def cursor_key(source: str) -> str:
    """The bank cursor name of a feed (namespaced, so other jobs' cursors cannot collide)."""
    return f"grow:{source}"


class Feeds:
    """What a cycle read from every feed, kept so the cursors can be moved after processing."""

    def __init__(self, bank: "Bank", sources: Sequence[SourceConfig]) -> None:
        self.read: list[tuple[str, FeedPosition, list[FeedEntry]]] = []
        for source in sources:
            start = FeedPosition.from_cursor(bank.get_cursor(cursor_key(source.name)))
            self.read.append((source.name, start, read_new(source.path, source.name, start)))

    def failures(self) -> list[FailureRecord]:
        """Every record read, each id once."""
        return records(e for _, _, entries in self.read for e in entries)

    def errors(self) -> list[str]:
        """Why unreadable lines were skipped."""
        return [e.error for _, _, entries in self.read for e in entries if e.error]

    def advance_cursors(self, bank: "Bank", processed: set[str]) -> int:
        """Move each cursor over its processed prefix; return how many records are left behind it."""
        left = 0
        for name, start, entries in self.read:
            position = advance(start, entries, processed)
            if position != start:
                bank.set_cursor(cursor_key(name), position.to_cursor())
            left += sum(1 for e in entries if e.record is not None and e.record.id not in processed)
        return left
