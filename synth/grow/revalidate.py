"""The re-validation stage of a growth cycle: re-judge admitted tasks under the current validation rules.

``verifier.VALIDATOR_VERSION`` is bumped whenever a rule, threshold or probe changes. An ADMITTED task whose
latest stored report carries an older version is validated again; the new report is stored
(``bank.add_report``), and a task that now fails is set REJECTED with the new reasons (a curation action by
actor ``grow``, so the history says why). An ADMITTED task with no report at all (imported without validation,
or written by an older envsynth) counts as stale too: a task nobody validated must not keep being trained on, and
a verifier with a syntax error is exactly what re-validation exists to catch.

Why the report is stored before the status changes, and why an ADMITTED task whose latest report is current but
failing counts as pending: a cycle killed between the two writes must not leave a rejected verdict that nothing
acts on. The next cycle sees that task, applies the stored verdict, and validates nothing twice.

Versions compare numerically part by part (``1.10`` is newer than ``1.9``); a report from a *newer* validator
(a bank shared with a newer envsynth) is never downgraded.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from synth.executor import Executor
from synth.grow.runs import StageResult
from task_bank.records import TaskRecord, TaskStatus
from task_bank.validation import Reason, ValidationReport

if TYPE_CHECKING:
    from task_bank.store import Bank
    from verifier.validate import Validator

_PAGE = 500


def version_key(version: str) -> tuple[tuple[int, str], ...]:
    """A sort key under which ``1.9 < 1.10 < 2.0`` and ``1.0 < 1.0.1``."""
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in re.split(r"[.\-+]", version.strip()) if p)


def is_older(version: str, current: str) -> bool:
    """True when ``version`` is an older validator version than ``current``."""
    return version_key(version) < version_key(current)


def find_pending(bank: "Bank", current: str, limit: int) -> tuple[list[TaskRecord], list[tuple[TaskRecord,
                                                                                            ValidationReport]]]:
    """Admitted tasks to re-validate (at most ``limit``), and admitted tasks whose latest, current report
    already rejects them (a verdict a killed cycle stored but did not apply)."""
    stale: list[TaskRecord] = []
    unapplied: list[tuple[TaskRecord, ValidationReport]] = []
    offset = 0
    while len(stale) < limit:
        page = bank.list(status=TaskStatus.ADMITTED, sort="created", descending=False, limit=_PAGE, offset=offset)
        for record in page:
            reports = bank.reports(record.id)
            latest = reports[-1] if reports else None
            if latest is None or is_older(latest.validator_version, current):
                stale.append(record)
                if len(stale) >= limit:
                    break
            elif not latest.admitted:
                unapplied.append((record, latest))
        if len(page) < _PAGE:
            break
        offset += _PAGE
    return stale, unapplied


def _reject(bank: "Bank", record: TaskRecord, report: ValidationReport, current: str) -> None:
    reasons = report.reasons or (Reason.REJECTED,)
    bank.set_status(record.id, TaskStatus.REJECTED, actor="grow", reasons=reasons,
                    reason=f"re-validation under validator {current}: {', '.join(reasons)}")


def revalidate(bank: "Bank", *, validator: "Validator", executor: Executor, current: str, max_tasks: int,
               validate_batch: int = 8) -> StageResult:
    """Re-validate up to ``max_tasks`` stale admitted tasks; reject those that now fail."""
    stale, unapplied = find_pending(bank, current, max_tasks)
    counts: Counter[str] = Counter(checked=len(stale), kept=0, rejected=0)
    for record, report in unapplied:
        _reject(bank, record, report, current)
        counts["rejected"] += 1
        counts.update({f"rejected:{r}": 1 for r in report.reasons})
    specs = [r.spec for r in stale]
    chunks = [specs[i:i + validate_batch] for i in range(0, len(specs), validate_batch)]
    reports = [rep for chunk in executor.map(validator.validate_many, chunks) for rep in chunk]
    for record, report in zip(stale, reports):
        bank.add_report(report)
        if report.admitted:
            counts["kept"] += 1
            continue
        _reject(bank, record, report, current)
        counts["rejected"] += 1
        counts.update({f"rejected:{r}": 1 for r in report.reasons})
    return StageResult(counts=dict(counts))
