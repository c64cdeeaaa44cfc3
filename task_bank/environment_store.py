"""Environments in the bank: stored with their validation report and evidence, deduplicated, exported.

:class:`EnvironmentStore` is the part of :class:`task_bank.store.Bank` that holds environment specs (table
``environments``, migration ``m009_environments``). Each row keeps the spec, its status and reasons, the validation
report and the evidence (reference replay with each observation, per-seed results) as JSON, and two dedup keys:

- ``source_key``: a hash of the source's syntax tree (``ast.dump``), so reformatting, comments and docstrings do
  not make a new environment;
- ``signature_key``: a hash of the tool signatures (:attr:`EnvInterface.signature_key`) and the prompt, so the
  same tools offered for the same job are one environment even when the code differs.

An environment matching an admitted (or once admitted) one of its own split on either key is rejected with reason
``duplicate`` and ``duplicate_of`` naming it; exact re-submission of the same content is a no-op. Across splits only
the signature key counts: a held-out replay environment is by design its training sibling's simulator asked the
failure's own request (:mod:`synth.env_replay`), so a shared source is expected, but the same tools offered for the
same prompt in both splits would be training on the evaluation.

Every record carries its :class:`~task_bank.provenance.Provenance` (drafted: the slot's failure, group, generator,
template hash and run; imported: the file) and its :class:`~task_bank.spec.TaskSplit`; the export writes both on
each line (:class:`~task_bank.environment.EnvironmentLine`).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict, Field

from task_bank.codec import iso
from task_bank.db import Database
from task_bank.environment import EnvironmentLine, EnvironmentSpec
from task_bank.environment_results import EnvironmentEvidence
from task_bank.environment_tools import EnvInterface, ToolSpecError, read_tools
from task_bank.provenance import Provenance, utcnow
from task_bank.records import ONCE_ADMITTED, TaskStatus
from task_bank.spec import TaskSplit, content_hash
from task_bank.validation import Reason, ValidationReport


class EnvironmentRecord(BaseModel):
    """One stored environment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: EnvironmentSpec
    """The environment spec v1 as admitted."""
    status: TaskStatus
    """admitted or rejected (the task statuses; a duplicate is rejected with reason ``duplicate``)."""
    reasons: tuple[Reason, ...] = ()
    """Why it is not admitted."""
    duplicate_of: str | None = None
    """The environment it duplicates."""
    report: ValidationReport | None = None
    """The validator's report."""
    evidence: EnvironmentEvidence = EnvironmentEvidence()
    """The reference replay and per-seed results validation saw."""
    provenance: Provenance = Field(default_factory=Provenance)
    """Where the environment came from (records stored before provenance had a home read as an empty one)."""
    split: TaskSplit = TaskSplit.TRAIN
    """``heldout``: a replay environment only ``synth.replay`` rolls out; training never sees it."""

    @property
    def id(self) -> str:
        """The environment's id."""
        return self.spec.id

    @property
    def interface(self) -> EnvInterface | None:
        """Its tools as read from the source (None when the source breaks the spec)."""
        try:
            return read_tools(self.spec.environment)
        except (ValueError, SyntaxError, RecursionError, MemoryError):  # ToolSpecError, and whatever a stored
            return None  # source of an older rule breaks (an unreadable environment must not take its page down)


def dedup_keys(spec: EnvironmentSpec) -> tuple[str, str | None]:
    """(source_key, signature_key) of an environment; signature_key is None when its tools cannot be read."""
    try:
        tree = ast.parse(spec.environment)
        for node in ast.walk(tree):  # docstrings do not make a new environment
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                    and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
                body[0] = ast.Pass()
        source = ast.dump(tree)
    except (SyntaxError, ValueError, RecursionError):
        source = spec.environment
    try:
        signature = content_hash({"tools": read_tools(spec.environment).signature_key,
                                  "prompt": " ".join(spec.prompt_text.split()).lower()})[:20]
    except (ToolSpecError, SyntaxError, ValueError, RecursionError):
        signature = None
    return content_hash(source)[:20], signature


class EnvironmentStore:
    """Environments of one bank; shares the Bank's connection (``self._db``)."""

    _db: Database

    def add_environment(self, spec: EnvironmentSpec, report: ValidationReport | None = None,
                        evidence: EnvironmentEvidence | None = None, *, provenance: Provenance | None = None,
                        split: TaskSplit = TaskSplit.TRAIN) -> EnvironmentRecord:
        """Store ``spec`` with its verdict, provenance and split: admitted when the report admits it (or no report
        is given), else rejected; a duplicate of a kept environment is rejected with reason ``duplicate``. An id
        already stored is returned as it is (nothing changes)."""
        existing = self.find_environment(spec.id)
        if existing is not None:
            return existing
        source_key, signature_key = dedup_keys(spec)
        status, reasons, duplicate_of = self._verdict(spec, report, split)
        record = EnvironmentRecord(spec=spec, status=status, reasons=reasons, duplicate_of=duplicate_of,
                                   report=report, evidence=evidence or EnvironmentEvidence(),
                                   provenance=provenance or Provenance(), split=split)
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO environments (id, status, skill, source_key, signature_key, duplicate_of, created_at, "
                "body) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (spec.id, status.value, spec.skill, source_key, signature_key, duplicate_of, iso(utcnow()),
                 record.model_dump_json()))
        return record

    def rejudge_environment(self, record: EnvironmentRecord, report: ValidationReport,
                            evidence: EnvironmentEvidence) -> EnvironmentRecord:
        """Replace the verdict of ``record``, stored when the sandbox failed (its one reason ``sandbox_error``, which
        says nothing about the environment), with a real one; its spec, provenance and split are kept. Why: an
        import with a broken sandbox once stored every environment as rejected, and importing the file again
        changed nothing (an id already stored is returned as it is)."""
        if tuple(record.reasons) != (Reason.SANDBOX_ERROR,):
            raise ValueError(f"environment {record.id} has a verdict of its own: {list(record.reasons)}")
        status, reasons, duplicate_of = self._verdict(record.spec, report, record.split)
        judged = record.model_copy(update={"status": status, "reasons": reasons, "duplicate_of": duplicate_of,
                                           "report": report, "evidence": evidence})
        with self._db.write() as conn:
            conn.execute("UPDATE environments SET status = ?, duplicate_of = ?, body = ? WHERE id = ?",
                         (status.value, duplicate_of, judged.model_dump_json(), record.id))
        return judged

    def _verdict(self, spec: EnvironmentSpec, report: ValidationReport | None,
                 split: TaskSplit) -> tuple[TaskStatus, tuple[Reason, ...], str | None]:
        """(status, reasons, duplicate_of) of ``spec`` judged by ``report`` (None: admitted unjudged): admitted when
        the report admits it, unless it duplicates a kept environment, then rejected as ``duplicate``."""
        if report is not None and not report.admitted:
            return TaskStatus.REJECTED, tuple(report.reasons), None
        duplicate_of = self._duplicate(*dedup_keys(spec), split)
        if duplicate_of is not None:
            return TaskStatus.REJECTED, (Reason.DUPLICATE,), duplicate_of
        return TaskStatus.ADMITTED, (), None

    def find_environment(self, environment_id: str) -> EnvironmentRecord | None:
        """The stored environment, or None."""
        with self._db.read() as conn:
            row = conn.execute("SELECT body FROM environments WHERE id = ?", (environment_id,)).fetchone()
        return EnvironmentRecord.model_validate_json(row[0]) if row else None

    def iter_environments(self, status: TaskStatus | None = None) -> Iterator[EnvironmentRecord]:
        """Stored environments in storage order (of one status, or all)."""
        where, params = (" WHERE status = ?", (status.value,)) if status is not None else ("", ())
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT body FROM environments{where} ORDER BY pk", params).fetchall()
        for row in rows:
            yield EnvironmentRecord.model_validate_json(row[0])

    def heldout_environments(self) -> list[EnvironmentRecord]:
        """Admitted held-out replay environments, in storage order: what ``synth.replay`` rolls out."""
        return [r for r in self.iter_environments(TaskStatus.ADMITTED) if r.split is TaskSplit.HELDOUT]

    def environment_counts(self) -> dict[str, int]:
        """Environments per status."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT status, count(*) FROM environments GROUP BY status").fetchall()
        return {status: count for status, count in rows}

    def export_environments(self, status: TaskStatus | None = TaskStatus.ADMITTED) -> Iterator[str]:
        """Environment spec v1 JSONL lines (admitted ones by default), in storage order."""
        for record in self.iter_environments(status):
            yield environment_line(record)

    def _duplicate(self, source_key: str, signature_key: str | None, split: TaskSplit) -> str | None:
        """The first kept environment this one duplicates: either key within its split, the signature across."""
        kept = tuple(s.value for s in ONCE_ADMITTED)
        with self._db.read() as conn:
            rows = conn.execute(
                f"SELECT source_key, signature_key, body FROM environments WHERE status IN "
                f"({', '.join('?' * len(kept))}) AND (source_key = ? OR (signature_key IS NOT NULL AND "
                "signature_key = ?)) ORDER BY pk", (*kept, source_key, signature_key)).fetchall()
        for source, signature, body in rows:
            other = EnvironmentRecord.model_validate_json(body)
            if (signature_key is not None and signature == signature_key) or \
                    (source == source_key and other.split is split):
                return other.id
        return None


def environment_line(record: EnvironmentRecord) -> str:
    """The export line of a stored environment: spec v1 with its provenance (and split when held out)."""
    return EnvironmentLine.of(record.spec, record.provenance, record.split).to_json()
