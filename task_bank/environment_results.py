"""What happened in one environment rollout, as the trusted side recorded it: the records sessions return, the
validator judges and the bank shows (reference trajectory with each observation, per-seed results).

A tool that raises is not a failure of the rollout: its error goes back to the policy (``raised``) and the session
lives on. Everything the environment code does wrong otherwise (``invalid``, ``crashed``, ``timeout``) ends the
session; ``error`` is the sandbox's fault (infrastructure), never the environment's or the policy's.
"""

from __future__ import annotations

import json
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator


class StepOutcome(StrEnum):
    """How one session operation (reset, tool call, score, solve) ended."""

    OK = "ok"
    """The operation returned a JSON value (reset: the observation string)."""
    RAISED = "raised"
    """The tool raised; the policy sees the error message and the rollout goes on."""
    SCORED = "scored"
    """``score`` returned a float in [0, 1]."""
    INVALID = "invalid"
    """The environment returned something the spec forbids (a non-JSON value, a non-float or out-of-range score)."""
    CRASHED = "crashed"
    """The environment failed to load or reset, or its process died."""
    TIMEOUT = "timeout"
    """Killed for time: the reset, call or rollout limit."""
    DEAD = "dead"
    """The session had already ended (an earlier step crashed or timed out)."""
    ERROR = "error"
    """The sandbox itself failed (infrastructure); says nothing about the environment."""


ENDS_SESSION = frozenset({StepOutcome.INVALID, StepOutcome.CRASHED, StepOutcome.TIMEOUT, StepOutcome.DEAD,
                          StepOutcome.ERROR})
"""Outcomes after which the session is gone."""


class StepResult(BaseModel):
    """One operation of a session, judged by the supervisor (a different process from the environment code)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: StepOutcome
    """How the operation ended."""
    value: JsonValue = None
    """The returned JSON value (``ok`` only)."""
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    """The score, present exactly when ``outcome`` is ``scored``."""
    detail: str = ""
    """Exception text or the reason for the outcome (bounded length)."""
    duration_ms: float = Field(default=0.0, ge=0.0)
    """Wall time of the operation as the supervisor measured it."""

    @model_validator(mode="after")
    def _score_iff_scored(self) -> "StepResult":
        if (self.outcome is StepOutcome.SCORED) != (self.score is not None):
            raise ValueError("score must be set exactly when outcome is 'scored'")
        return self

    def for_policy(self) -> str:
        """What the policy reads back: a string return as it is, other JSON as JSON, an error as ``{"error": ...}``."""
        if self.outcome is StepOutcome.OK:
            return self.value if isinstance(self.value, str) else json.dumps(self.value, ensure_ascii=False)
        return json.dumps({"error": self.detail or self.outcome.value}, ensure_ascii=False)

    def fingerprint(self) -> tuple[str, str, float | None]:
        """What must be identical across interpreters for a replay to count as deterministic."""
        return self.outcome.value, json.dumps(self.value, sort_keys=True), self.score


class Replay(BaseModel):
    """One trajectory replayed in one session: the observation, each tool call's result, and the score."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    """Seed the environment was reset with."""
    observation: StepResult
    """What ``reset`` returned."""
    steps: tuple[StepResult, ...] = ()
    """One result per tool call, in order (stops at the first that ends the session)."""
    score: StepResult
    """What ``score`` returned for the final answer."""

    def fingerprint(self) -> tuple[tuple[str, str, float | None], ...]:
        """Observation, tool returns and score, without timings."""
        return (self.observation.fingerprint(), *(s.fingerprint() for s in self.steps), self.score.fingerprint())

    @property
    def failure(self) -> StepResult | None:
        """The first step that ended the session, if any."""
        for step in (self.observation, *self.steps, self.score):
            if step.outcome in ENDS_SESSION:
                return step
        return None


class SeedResult(BaseModel):
    """One seed of a seeded family: what ``reset`` showed and how ``solve``'s trajectory scored."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int
    """The seed."""
    observation: str
    """The observation ``reset(seed)`` returned (first 2,000 characters)."""
    calls: int
    """Tool calls in ``solve``'s trajectory."""
    outcome: StepOutcome
    """How the replay of ``solve``'s trajectory ended (``scored`` when it did)."""
    score: float | None
    """Its score, when scored."""


class EnvironmentEvidence(BaseModel):
    """What validation saw, kept for the bank and the web view: the reference replay and the per-seed results."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reference: Replay | None = None
    """The reference trajectory as replayed in the first interpreter (each observation and tool return)."""
    seeds: tuple[SeedResult, ...] = ()
    """Per-seed results of a seeded family (empty without ``solve``)."""
