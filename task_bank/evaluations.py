"""Replay evaluations: how a policy does on the held-out failure replays and on the retention suite, per policy.

``synth.replay`` samples a policy k times on every held-out replay task (and on the shipped retention suite) and
stores one :class:`ReplaySummary` per run plus one :class:`TaskEvalResult` per task, through
:class:`EvaluationStore`, the part of :class:`task_bank.store.Bank` that holds them (tables ``replay_evals`` and
``replay_results``, migration ``m007_replay_results``). The web view reads them back: a failure's page shows its
replay tasks' pass rate per policy, the overview the latest policy's fixed failures and retention.

A replay task counts as *fixed* when at least :data:`FIXED_AT` of its scored samples pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from task_bank.codec import iso
from task_bank.db import Database
from task_bank.provenance import utcnow

FIXED_AT = 0.5
"""A failure counts as fixed when the pass rate of its replay task over the k samples is at least this."""


class EvalSuite(str, Enum):
    """Which held-out suite a task belongs to."""

    REPLAY = "replay"
    """A failure replayed: the original conversation, judged by a verifier the deployed answer fails."""
    RETENTION = "retention"
    """The shipped suite of everyday requests unrelated to the failures: did training break what worked?"""


class TaskEvalResult(BaseModel):
    """One task's samples in one evaluation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """The task judged."""
    suite: EvalSuite
    """Replay or retention."""
    failure_id: str | None = None
    """For a replay task: the failure it replays."""
    group: str | None = None
    """For a replay task: the weakness group of that failure."""
    samples: int = Field(ge=0)
    """Samples drawn (k)."""
    attempts: int = Field(ge=0)
    """Samples scored; infrastructure errors are left out, never counted as failures."""
    passes: int = Field(ge=0)
    """Scored samples at or above the pass threshold."""

    @property
    def pass_rate(self) -> float | None:
        """passes / attempts; None when nothing could be scored."""
        return self.passes / self.attempts if self.attempts else None

    @property
    def fixed(self) -> bool:
        """At least :data:`FIXED_AT` of the scored samples passed."""
        return bool(self.attempts) and self.passes / self.attempts >= FIXED_AT


class GroupTally(BaseModel):
    """Replay results of one weakness group."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    total: int = Field(ge=0)
    """Replay tasks of the group."""
    fixed: int = Field(ge=0)
    """Of which fixed."""
    pass_at_1: float = Field(ge=0.0, le=1.0)
    """Mean pass rate of its tasks: the chance one sample passes."""
    interval: tuple[float, float] = (0.0, 1.0)
    """Wilson 95% interval of the fixed share."""


class RetentionTally(BaseModel):
    """The retention suite's result."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pass_rate: float | None = Field(default=None, ge=0.0, le=1.0)
    """Mean pass rate over the suite's tasks (None when the suite was not run)."""
    total: int = Field(default=0, ge=0)
    """Tasks in the suite."""
    was: float | None = Field(default=None, ge=0.0, le=1.0)
    """The same figure for the policy evaluated before (or ``--against``), for "retention Z (was W)"."""


class ReplaySummary(BaseModel):
    """One ``synth.replay`` run: a policy's fixed failures and retention (the ``--json`` contract's core)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Evaluation id."""
    policy: str
    """The policy evaluated (path, hub id or run/step name)."""
    k: int = Field(ge=1)
    """Samples per task."""
    total: int = Field(ge=0)
    """Held-out replay tasks judged."""
    fixed: int = Field(ge=0)
    """Of which fixed (pass rate >= FIXED_AT)."""
    pass_at_1: float = Field(ge=0.0, le=1.0)
    """Mean pass rate over the replay tasks."""
    interval: tuple[float, float]
    """Wilson 95% interval of the fixed share."""
    unscored: int = Field(default=0, ge=0)
    """Replay tasks none of whose samples the sandbox could score (counted in ``total``, never as fixed)."""
    by_group: dict[str, GroupTally] = Field(default_factory=dict)
    """Per weakness group."""
    retention: RetentionTally = Field(default_factory=RetentionTally)
    """The retention suite."""
    recorded_at: datetime = Field(default_factory=utcnow)
    """When the evaluation finished."""


class FailureReplayRate(BaseModel):
    """A replay task's result under one policy, for a failure's page."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str
    task_id: str
    attempts: int
    passes: int
    fixed: bool
    recorded_at: datetime


class EvaluationStore:
    """Replay evaluations of one bank; shares the Bank's connection (``self._db``)."""

    _db: Database

    def record_replay_eval(self, summary: ReplaySummary, results: Sequence[TaskEvalResult]) -> None:
        """Store one evaluation and its per-task results in one transaction."""
        with self._db.write() as conn:
            pk = conn.execute("INSERT INTO replay_evals (id, policy, recorded_at, body) VALUES (?, ?, ?, ?)",
                              (summary.id, summary.policy, iso(summary.recorded_at),
                               summary.model_dump_json())).lastrowid
            conn.executemany(
                "INSERT OR REPLACE INTO replay_results (eval_pk, task_id, suite, failure_id, attempts, passes) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(pk, r.task_id, r.suite.value, r.failure_id, r.attempts, r.passes) for r in results])

    def replay_evals(self, policy: str | None = None, limit: int = 50) -> list[ReplaySummary]:
        """Recorded evaluations, newest first (of one policy, or of all)."""
        where, params = (" WHERE policy = ?", [policy]) if policy is not None else ("", [])
        with self._db.read() as conn:
            rows = conn.execute(f"SELECT body FROM replay_evals{where} ORDER BY recorded_at DESC, pk DESC LIMIT ?",
                                [*params, max(0, limit)]).fetchall()
        return [ReplaySummary.model_validate_json(row[0]) for row in rows]

    def replay_results(self, eval_id: str) -> list[TaskEvalResult]:
        """The per-task results of one evaluation (suite and counts; failure ids for replay tasks)."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT r.task_id, r.suite, r.failure_id, r.attempts, r.passes, e.body FROM replay_results r "
                "JOIN replay_evals e ON e.pk = r.eval_pk WHERE e.id = ? ORDER BY r.rowid", (eval_id,)).fetchall()
        return [TaskEvalResult(task_id=t, suite=EvalSuite(s), failure_id=f, attempts=a, passes=p,
                               samples=int(json.loads(body)["k"])) for t, s, f, a, p, body in rows]

    def failure_replay_rates(self, failure_id: str) -> list[FailureReplayRate]:
        """Each policy's latest result on the replay task(s) of one failure, newest evaluation first."""
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT e.policy, r.task_id, r.attempts, r.passes, e.recorded_at FROM replay_results r "
                "JOIN replay_evals e ON e.pk = r.eval_pk WHERE r.failure_id = ? "
                "ORDER BY e.recorded_at DESC, e.pk DESC", (failure_id,)).fetchall()
        seen: set[tuple[str, str]] = set()
        out = []
        for policy, task_id, attempts, passes, at in rows:
            if (policy, task_id) in seen:
                continue
            seen.add((policy, task_id))
            out.append(FailureReplayRate(policy=policy, task_id=task_id, attempts=attempts, passes=passes,
                                         fixed=bool(attempts) and passes / attempts >= FIXED_AT,
                                         recorded_at=datetime.fromisoformat(at)))
        return out
