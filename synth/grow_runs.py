"""The record a growth cycle keeps of itself in the bank: one :class:`GrowthRun`, written at start and at end.

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

from collections import Counter
from collections.abc import Mapping
from typing import TYPE_CHECKING
from uuid import uuid4

from task_bank.provenance import utcnow
from task_bank.records import GrowthRun, RunOutcome

if TYPE_CHECKING:
    from task_bank.store import Bank

KIND = "grow"


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
    """Accumulates one cycle's counts and spend, and writes the run record."""

    def __init__(self, bank: "Bank", run: GrowthRun) -> None:
        self.bank = bank
        self.run = run
        self.counts: Counter[str] = Counter()
        self.drafts = 0
        self.tokens = 0

    def start(self) -> None:
        """Store the RUNNING record."""
        self.bank.start_run(self.run)

    def add(self, stage: str, counts: Mapping[str, int]) -> None:
        """Add a stage's counts under ``<stage>:`` (zeros are kept: "0 deferred" is information)."""
        for key, value in counts.items():
            self.counts[f"{stage}:{key}"] += value

    def spend(self, drafts: int, tokens: int) -> None:
        """Add generator calls and completion tokens."""
        self.drafts += drafts
        self.tokens += tokens

    def checkpoint(self, **update: object) -> None:
        """Write the counts so far (and any field in ``update``) while the run is still RUNNING."""
        self.run = self.run.model_copy(update={"counts": self._counts(), **update})
        self.bank.update_run(self.run)

    def _counts(self) -> dict[str, int]:
        totals = {"admitted": self.counts["generate:admitted"] + self.counts["evolve:admitted"],
                  "drafts": self.drafts}
        return dict(sorted({**self.counts, **totals}.items()))

    def finish(self, outcome: RunOutcome, message: str, elapsed_s: float) -> GrowthRun:
        """Store the final record and return it."""
        used = {"max_drafts": float(self.drafts), "max_tokens": float(self.tokens),
                "max_wall_s": round(elapsed_s, 3)}
        self.run = self.run.model_copy(update={"outcome": outcome, "ended_at": utcnow(), "counts": self._counts(),
                                               "budget_used": used, "message": message})
        self.bank.update_run(self.run)
        return self.run
