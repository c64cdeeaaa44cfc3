"""Verifier outcomes and validation reports: the records the sandboxed validator writes into the bank.

A score is only a float in [0, 1] returned by ``verify``. Everything else is an :class:`Outcome`, never a silent 0,
so that training can tell a response that failed from an infrastructure hiccup.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from task_bank.provenance import utcnow


class Outcome(str, Enum):
    """How one call of ``verify`` ended."""

    SCORED = "scored"
    """``verify`` returned a float in [0, 1]."""
    CRASHED = "crashed"
    """The verifier raised, or its process died (signal, exit without a result, memory limit)."""
    TIMEOUT = "timeout"
    """The call ran past its wall or CPU time budget and was killed from outside."""
    INVALID = "invalid"
    """``verify`` returned something that is not a score: non-number, NaN, out of [0, 1]."""
    ERROR = "error"
    """The sandbox itself failed (infrastructure); says nothing about the response."""


class ScoreResult(BaseModel):
    """The result of one ``verify(response)`` call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    """How the call ended."""
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    """The score, present exactly when ``outcome`` is ``scored``."""
    detail: str = ""
    """Exception text, signal, or reason for the outcome (bounded length)."""
    duration_ms: float = Field(default=0.0, ge=0.0)
    """Wall time of the call as the trusted side measured it."""

    @model_validator(mode="after")
    def _score_iff_scored(self) -> "ScoreResult":
        if (self.outcome is Outcome.SCORED) != (self.score is not None):
            raise ValueError("score must be set exactly when outcome is 'scored'")
        return self


class CheckResult(BaseModel):
    """One validation check and what it found."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Check name: schema, compiles, reference, failure_cases, trivial, determinism, static_determinism, budget."""
    passed: bool | None
    """True or False; None when the check was skipped because an earlier one failed."""
    reason: str | None = None
    """Machine-readable rejection reason when it failed (unsolvable, trivial, nondeterministic, ...)."""
    detail: str = ""
    """Human-readable explanation."""
    scores: tuple[ScoreResult, ...] = ()
    """The verify calls the check made, in order."""
    duration_ms: float = Field(default=0.0, ge=0.0)
    """Wall time the check took."""


class ValidationReport(BaseModel):
    """The validator's verdict on one task, with every check it ran."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """Id of the task judged."""
    admitted: bool
    """True when every check passed."""
    reasons: tuple[str, ...] = ()
    """Machine-readable rejection reasons, deduplicated, in check order (empty when admitted)."""
    checks: tuple[CheckResult, ...] = ()
    """Every check run, in order."""
    validator_version: str
    """Version of the validation rules; tasks judged by an older version are re-validated."""
    sandbox_backend: str
    """Sandbox backend that ran the verifier (bwrap, docker, unsafe-local)."""
    started_at: datetime = Field(default_factory=utcnow)
    """When validation started."""
    duration_ms: float = Field(default=0.0, ge=0.0)
    """Total wall time."""
