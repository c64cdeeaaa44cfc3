"""Conversion between bank records and SQLite rows.

A task row keeps its records as JSON columns (spec without the verifier, provenance, reasons) and copies the
fields that filters and sorts use into indexed columns. The verifier source is stored once, in its own column,
because full-text search indexes it and it is most of a task's bytes.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone

from task_bank.dedup import DedupKeys
from task_bank.records import DuplicateKind, TaskRecord, TaskSplit, TaskStatus
from task_bank.spec import TaskSpec
from task_bank.provenance import Provenance

TASK_COLUMNS = ("id, status, reasons, spec, verifier, provenance, duplicate_of, duplicate_kind, created_at, updated_at, "
                "split, status_changed_at")
"""The columns :func:`record_from_row` reads, in order."""

TASK_WRITE_COLUMNS = ("id", "status", "skill", "failure_group", "growth_run_id", "parent_task_id", "created_at",
                      "updated_at", "content_hash", "verifier_skeleton", "verifier_hash", "duplicate_of", "duplicate_kind", "reasons",
                      "prompt_text", "verifier", "spec", "provenance", "minhash", "split",
                      "status_changed_at")
"""The columns :func:`task_row` fills, in order."""


def iso(moment: datetime) -> str:
    """A sortable UTC timestamp string; naive datetimes are taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds")


def parse_time(text: str) -> datetime:
    """The inverse of :func:`iso`."""
    return datetime.fromisoformat(text)


def task_row(record: TaskRecord, keys: DedupKeys) -> tuple[object, ...]:
    """Values for :data:`TASK_WRITE_COLUMNS`."""
    spec = record.spec
    prov = record.provenance
    skill = spec.skill
    return (
        spec.id, record.status.value, skill, prov.failure_group, prov.growth_run_id, prov.parent_task_id,
        iso(record.created_at), iso(record.updated_at), keys.content_hash, keys.verifier_skeleton, keys.verifier_hash,
        record.duplicate_of, record.duplicate_kind.value if record.duplicate_kind else None,
        json.dumps(list(record.reasons)), spec.prompt_text, spec.verifier,
        spec.model_dump_json(exclude={"verifier"}), prov.model_dump_json(), keys.signature, record.split.value,
        iso(record.status_changed_at) if record.status_changed_at else None,
    )


def record_from_row(row: sqlite3.Row | tuple[object, ...]) -> TaskRecord:
    """A :class:`TaskRecord` from the columns of :data:`TASK_COLUMNS`."""
    (task_id, status, reasons, spec_json, verifier, provenance, duplicate_of, duplicate_kind, created_at,
     updated_at, split, status_changed_at) = row
    spec_data = json.loads(str(spec_json))
    spec_data["verifier"] = verifier
    spec_data.pop("provenance", None)  # rows written before provenance had one home carry a null copy here
    return TaskRecord(
        spec=TaskSpec.model_validate(spec_data),
        status=TaskStatus(status),
        reasons=tuple(json.loads(str(reasons))),
        provenance=Provenance.model_validate_json(str(provenance)),
        duplicate_of=duplicate_of if duplicate_of is None else str(duplicate_of),
        duplicate_kind=DuplicateKind(duplicate_kind) if duplicate_kind else None,
        created_at=parse_time(str(created_at)),
        updated_at=parse_time(str(updated_at)),
        split=TaskSplit(split),
        status_changed_at=parse_time(str(status_changed_at)) if status_changed_at else None,
    )
