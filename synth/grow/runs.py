"""A growth cycle's single-run guarantee (the lock) and the record it keeps of itself in the bank (one GrowthRun).

The lock is an OS file lock, taken without waiting (``filelock.FileLock(path, blocking=False)``, flock on Linux),
not a "running" row in the bank: the kernel releases it when the holder dies, even by ``kill -9``, so a crashed
cycle never blocks the next one, while a live one always does. A second cycle started while one runs fails at once
with :class:`task_bank.errors.LockedError` (exit 75, ``EX_TEMPFAIL``). Beside the lock the holder writes
``<lock>.owner`` (pid, host, start time) so the refusal can say who holds it; that file is informational only.
A lock file that cannot be created (a read-only folder) is a :class:`task_bank.errors.BankError` naming it.

The run record is written at start and at end.

Why written at start and not only at the end: a cycle killed by ``kill -9``, a power cut or the OOM killer has no
chance to say so. Its run stays RUNNING in the bank; the next cycle, which holds the lock and therefore knows no
other cycle is alive, marks every RUNNING ``grow`` run INTERRUPTED (``ended_at`` stays None: nobody saw it end)
and names itself in the message. ``python -m task_bank runs`` then shows the gap instead of a run that seems
to go on forever.

:class:`RunLedger` gathers what the stages report — counts per stage and reason, budget spent — into the final
record; counts are keyed ``<stage>:<what>`` (``feed:records``, ``generate:admitted``,
``generate:rejected:trivial``, ``evolve:admitted``, ``revalidate:rejected``), with the cycle totals ``admitted``
and ``drafts`` beside them.
"""

from __future__ import annotations

import json
import os
import socket
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from filelock import FileLock, Timeout
from pydantic import BaseModel, ConfigDict, Field

from synth.budget import BudgetTracker
from task_bank.errors import BankError, LockedError
from task_bank.provenance import utcnow
from task_bank.records import GrowthRun, RunOutcome

if TYPE_CHECKING:
    from task_bank.store import Bank

KIND = "grow"


class StageResult(BaseModel):
    """What one stage of a cycle did, for the run record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: dict[str, int] = Field(default_factory=dict)
    """Counts per outcome and reason."""
    cut_by_budget: bool = False
    """True when the budget stopped the stage before its work was done."""


def new_run_id() -> str:
    """``grow-<UTC time>-<6 hex>``: sortable by start and unique across machines."""
    return f"grow-{utcnow():%Y%m%dT%H%M%S}-{uuid4().hex[:6]}"


def mark_interrupted(bank: "Bank", by_run: str) -> list[str]:
    """Mark every RUNNING grow run INTERRUPTED; only safe while holding the cycle lock. Returns their ids."""
    stale = [r for r in bank.list_runs(limit=10_000) if r.kind == KIND and r.outcome is RunOutcome.RUNNING]
    for run in stale:
        note = f"interrupted: the process died without recording an end (found by {by_run})"
        bank.update_run(run.model_copy(update={"outcome": RunOutcome.INTERRUPTED,
                                               "message": f"{run.message}; {note}" if run.message else note}))
    return [r.id for r in stale]


class RunLedger:
    """Accumulates one cycle's counts and writes the run record; spend is counted by the cycle's one
    :class:`synth.budget.BudgetTracker`, which every stage's tracker reports back to."""

    def __init__(self, bank: "Bank", run: GrowthRun, tracker: BudgetTracker) -> None:
        self.bank = bank
        self.run = run
        self.tracker = tracker
        self.counts: Counter[str] = Counter()

    def start(self) -> None:
        """Store the RUNNING record."""
        self.bank.start_run(self.run)

    def add(self, stage: str, counts: Mapping[str, int]) -> None:
        """Add a stage's counts under ``<stage>:`` (zeros are kept: "0 deferred" is information)."""
        for key, value in counts.items():
            self.counts[f"{stage}:{key}"] += value

    def checkpoint(self, **update: object) -> None:
        """Write the counts so far (and any field in ``update``) while the run is still RUNNING."""
        self.run = self.run.model_copy(update={"counts": self._counts(), **update})
        self.bank.update_run(self.run)

    def _counts(self) -> dict[str, int]:
        totals = {"admitted": self.counts["generate:admitted"] + self.counts["evolve:admitted"],
                  "drafts": self.tracker.drafts}
        return dict(sorted({**self.counts, **totals}.items()))

    def finish(self, outcome: RunOutcome, message: str) -> GrowthRun:
        """Store the final record and return it."""
        self.run = self.run.model_copy(update={"outcome": outcome, "ended_at": utcnow(), "counts": self._counts(),
                                               "budget_used": self.tracker.used(), "message": message})
        self.bank.update_run(self.run)
        return self.run


def _owner_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".owner")


def _describe_owner(lock_path: Path) -> str:
    try:
        owner = json.loads(_owner_path(lock_path).read_text(encoding="utf-8"))
        return f" (pid {owner['pid']} on {owner['host']}, since {owner['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


@contextmanager
def cycle_lock(lock_path: Path) -> Iterator[None]:
    """Hold the growth lock for the ``with`` body, or raise :class:`LockedError` at once if another holds it."""
    lock = FileLock(lock_path, blocking=False, thread_local=False)
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        lock.acquire()
    except Timeout:
        raise LockedError(
            f"another growth cycle is running on this bank{_describe_owner(lock_path)}: lock {lock_path} is held. "
            "This cycle did nothing; the next scheduled one will run once that cycle ends.") from None
    except OSError as exc:
        folder = lock_path.parent
        why = f"{folder} is not a folder" if folder.exists() and not folder.is_dir() else (exc.strerror or str(exc))
        raise BankError(f"cannot create the growth lock {lock_path} ({why}): the bank's folder must be a writable "
                        "folder (or set 'lock' in the grow config to a writable path)") from None
    try:
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": utcnow().isoformat()}
        try:
            _owner_path(lock_path).write_text(json.dumps(owner), encoding="utf-8")
        except OSError:
            pass  # the owner note is informational only; the lock itself is held
        yield
    finally:
        lock.release()
