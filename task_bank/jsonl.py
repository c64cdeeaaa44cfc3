"""Import and export of task spec v1 as JSONL (one :class:`~task_bank.spec.TaskLine` per line).

An import either validates every new task (``judge``: the verifier layer's validator, passed in, since the bank
layer never imports the verifier) and stores it admitted or rejected by its report, or stores it unjudged as a
``candidate`` that training never samples. Ids already in the bank are skipped before judging: validation costs
sandbox time, and a stored task is never changed by an import. Every line that does not parse is reported with
its file, line, column and field (:class:`task_bank.cli_support.BadLine`); ``strict`` imports nothing when any
line is bad. Batches are committed as they fill, and ``on_commit`` hears of each batch only after its commit, so
a killed import never reports a task the bank does not hold.

A line's ``split`` (:attr:`task_bank.spec.TaskLine.split`) is kept: a held-out task exported from one bank is
stored held-out in the next, so moving tasks never turns an evaluation task into a training one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import groupby, islice
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from task_bank.lines import BadLine, ParsedLine, read_jsonl
from task_bank.environment import AnyLine, parse_line
from task_bank.errors import InputError
from task_bank.provenance import Provenance
from task_bank.query import StatusFilter
from task_bank.records import TaskStatus
from task_bank.safe_text import escape_surrogates
from task_bank.shown_text import oversized, unprintable_id
from task_bank.spec import SCHEMA_VERSION, TaskLine, TaskSpec, TaskSplit
from task_bank.store import Admission, AdmitItem, Bank
from task_bank.validation import ValidationReport

Judge = Callable[[Sequence[TaskSpec]], Sequence[ValidationReport]]
"""Validates specs, one report each in input order (``verifier.Validator.validate_many``)."""

JUDGE_BATCH = 16
"""Specs handed to the judge at once: enough to keep every sandbox worker busy, few enough to commit often."""


class ImportReport(BaseModel):
    """What an import did."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str
    """File read."""
    lines: int
    """Non-blank lines read."""
    stored: int
    """New tasks stored (admitted, rejected, or unjudged candidates)."""
    admitted: int
    """New tasks stored as admitted (always 0 for an unvalidated import: only validation admits)."""
    duplicates: int
    """New tasks stored as duplicates of admitted ones."""
    rejected: int
    """New tasks the validator rejected (stored as rejected, with its reasons)."""
    existing: int
    """Lines whose id was already in the bank (or earlier in the file): left untouched, never re-judged."""
    validated: bool
    """Whether new tasks were judged in the sandbox (False: stored unjudged, ``--no-validate``)."""
    problems: tuple[BadLine, ...]
    """Lines not imported, in file order."""
    environment_lines: int = 0
    """Environment lines left for the environment import (``task_bank import`` of a file ``task_bank export``
    wrote: tasks, then environments)."""

    def summary(self) -> str:
        """The one-line account a person reads."""
        judged = (f"{self.admitted} admitted, {self.rejected} rejected by validation, {self.duplicates} duplicate(s)"
                  if self.validated else f"unvalidated: {self.admitted} admitted, {self.duplicates} duplicate(s), "
                                         f"{self.stored - self.admitted - self.duplicates} candidate(s)")
        others = f"; {self.environment_lines} environment line(s) left for the environment import" \
            if self.environment_lines else ""
        return (f"{self.path}: {self.lines} line(s); stored {self.stored} new task(s) ({judged}); "
                f"{self.existing} already in the bank; {len(self.problems)} bad line(s){others}")


def _newer_version(data: Mapping[str, object]) -> tuple[str, str] | None:
    """A line from a newer envsynth is refused for its version, not for the first field this one does not know."""
    version = data.get("schema_version")
    if isinstance(version, int) and version > SCHEMA_VERSION:
        return "schema_version", f"schema_version {version} is newer than this envsynth reads ({SCHEMA_VERSION})"
    return None


def read_lines(path: str | Path) -> Iterator[ParsedLine[TaskLine] | BadLine]:
    """Each non-blank line of a task spec v1 JSONL file, parsed, or the :class:`BadLine` that stops it."""
    return read_jsonl(path, TaskLine, what="a task spec", precheck=_newer_version)


def read_any_lines(path: str | Path) -> Iterator[ParsedLine[AnyLine] | BadLine]:
    """Each non-blank line as a task or an environment line (by its ``kind``), or the :class:`BadLine` that stops
    it: a file of both kinds gets one verdict a line, as a file of tasks does."""
    return read_jsonl(path, parse_line, what="a task or environment spec", precheck=_newer_version)


def read_specs(path: str | Path) -> Iterator[TaskSpec | BadLine]:
    """Each line as a bare spec (provenance dropped), or as the problem that stops it being one."""
    for item in read_lines(path):
        yield item if isinstance(item, BadLine) else item.value.spec


def _chunks(items: Iterable[AdmitItem], size: int) -> Iterator[list[AdmitItem]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _judged(items: Iterable[AdmitItem], bank: Bank, judge: Judge) -> Iterator[AdmitItem]:
    """Attach a validation report to each item whose id the bank does not hold yet (stored ids are not re-judged)."""
    for chunk in _chunks(items, JUDGE_BATCH):
        known = bank.existing_ids(spec.id for spec, _, _ in chunk)
        fresh = [spec for spec, _, _ in chunk if spec.id not in known]
        reports = {report.task_id: report for report in judge(fresh)} if fresh else {}
        for spec, provenance, _ in chunk:
            yield spec, provenance, reports.get(spec.id)


def import_jsonl(bank: Bank, path: str | Path, *, judge: Judge | None = None, strict: bool = False,
                 status: TaskStatus | None = None, batch_size: int = 500,
                 on_commit: Callable[[int], None] | None = None,
                 prepare: Callable[[TaskSpec], TaskSpec] | None = None) -> ImportReport:
    """Store every valid line of a task spec v1 JSONL file; ``strict`` imports nothing when any line is bad.

    With ``judge`` each new task is validated and stored admitted (subject to dedup) or rejected with its report;
    without it, new tasks are stored unjudged with ``status`` (default ``candidate``: training never samples
    them until re-validation judges them). ``on_commit`` gets the running count of lines committed after each
    batch. ``prepare`` rewrites each new spec before it is judged and stored (the verifier layer marks tasks
    imported under ``--allow-response-exec``). Raises InputError (naming the file, line and field of the first bad
    lines) in strict mode.
    """
    name = escape_surrogates(str(path))  # a file name that is not UTF-8 (red-team round 42)
    if judge is not None and status is not None:
        raise InputError("a status is only chosen for unvalidated imports; validation decides it otherwise",
                         field="status")
    if judge is None and status is TaskStatus.ADMITTED:  # training samples admitted tasks: only validation admits
        raise InputError("an unvalidated import cannot store tasks as admitted (training would sample verifiers "
                         "no sandbox ever ran); drop --no-validate to validate them, or choose another status",
                         field="status")
    problems: list[BadLine] = []
    counts = {"lines": 0, "existing": 0, "committed": 0, "environments": 0}
    seen: set[str] = set()
    splits: dict[str, TaskSplit] = {}

    def items() -> Iterator[AdmitItem]:
        for item in read_any_lines(path):
            counts["lines"] += 1
            if isinstance(item, BadLine):
                problems.append(item)
            elif not isinstance(item.value, TaskLine):  # an environment line: the environment import's
                counts["environments"] += 1
            elif item.value.id in seen:
                counts["existing"] += 1
            elif (bad_id := unprintable_id(item.value.id)) is not None:
                problems.append(BadLine(path=name, line=item.line, field="id", message=bad_id))
            elif judge is None and (too_big := oversized(item.value)) is not None:  # validation would refuse it
                problems.append(BadLine(path=name, line=item.line, field=too_big[0], message=too_big[1]))
            else:
                seen.add(item.value.id)
                chain = item.value.provenance or Provenance()  # an exported task keeps its chain
                spec = item.value.spec if prepare is None else prepare(item.value.spec)
                splits[spec.id] = item.value.split
                yield spec, chain.model_copy(update={"imported_from": name}), None

    source: Iterable[AdmitItem] = items()
    if strict:
        source = list(source)
        if problems:
            shown = "\n".join(str(p) for p in problems[:10])
            more = f"\n... and {len(problems) - 10} more" if len(problems) > 10 else ""
            raise InputError(f"--strict: {len(problems)} bad line(s), nothing imported:\n{shown}{more}", path=name)
    if judge is not None:
        source = _judged(source, bank, judge)

    new: list[Admission] = []

    def committed(admissions: list[Admission]) -> None:
        counts["committed"] += len(admissions)
        new.extend(a for a in admissions if a.new)
        counts["existing"] += sum(1 for a in admissions if not a.new)
        if on_commit is not None:
            on_commit(counts["committed"])

    unjudged = status or TaskStatus.CANDIDATE
    # the bank admits one split per call: each run of lines that share a split streams through its own call
    for split, run in groupby(source, key=lambda item: splits[item[0].id]):
        bank.admit_many(run, status=None if judge is not None else unjudged, batch_size=batch_size,
                        on_commit=committed, split=split)
    duplicates = sum(1 for r in new if r.duplicate_of is not None)
    admitted = sum(1 for r in new if r.status is TaskStatus.ADMITTED)
    return ImportReport(path=name, lines=counts["lines"], stored=len(new), admitted=admitted,
                        duplicates=duplicates, rejected=len(new) - admitted - duplicates if judge is not None else 0,
                        existing=counts["existing"], validated=judge is not None, problems=tuple(problems),
                        environment_lines=counts["environments"])


def export_jsonl(bank: Bank, path: str | Path, *, status: StatusFilter = None, skill: str | None = None) -> int:
    """Write the matching tasks as task spec v1 lines, each with its provenance and split; returns how many."""
    count = 0
    try:
        with open(path, "w", encoding="utf-8") as out:
            for record in bank.iter_tasks(status=status, skill=skill):
                out.write(TaskLine.of(record.spec, record.provenance, record.split).to_json() + "\n")
                count += 1
    except OSError as exc:
        raise InputError(f"cannot write the file ({exc.strerror})", path=str(path)) from exc
    return count
