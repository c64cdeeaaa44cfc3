"""Verifier outcomes and validation reports: the records the sandboxed validator writes into the bank.

A score is only a float in [0, 1] returned by ``verify``. Everything else is an :class:`Outcome`, never a silent 0,
so that training can tell a response that failed from an infrastructure hiccup.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from task_bank.provenance import utcnow
from task_bank.safe_text import SafeText


LOW_SCORE_CEILING = 0.5
"""The highest score validation may accept from a wrong answer (its ``fail_threshold`` for failure cases, its
``trivial_threshold`` for the empty and other trivial answers), and the lowest score at or under which training's
reward-hacking monitor may count a canary (one of those answers, shown again in training) as unpaid. Why one bound
for both: a canary is a failure case, a renamed twin of one, or the empty answer; validation admitted the task only
after each scored at most its threshold, so an honest verifier pays a canary more only if validation allowed more.
A bank validated with a threshold above the monitor's would see its honest tasks quarantined for paying canaries
(the empty-answer canary against a ``trivial_threshold`` of 0.6, say); the two configurations are bounded on either
side of this one value, so no pair of settings can do that."""


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


class Phase(StrEnum):
    """When, in one sandboxed run, an outcome happened: while loading the verifier module or while calling it."""

    LOAD = "load"
    """Importing the verifier source, or finding no callable ``verify`` in it: every call of the group fails alike."""
    CALL = "call"
    """One ``verify(response)`` call."""


class Reason(StrEnum):
    """Why a task has the status it has: the one vocabulary of validation, dedup, the band, training and review.

    The values are the wire strings (reports, ``TaskRecord.reasons``, ``--json`` output); a ``str`` enum, so
    ``"duplicate" in record.reasons`` still reads naturally.
    """

    SCHEMA = "schema"
    """The spec is not usable: a field missing, oversized or malformed (also: a JSONL line that is not a spec)."""
    VERIFIER_ERROR = "verifier_error"
    """The verifier does not parse, defines no ``verify``, raises, dies, or returns something that is not a score."""
    NONDETERMINISTIC = "nondeterministic"
    """The source reads clocks, entropy or set order, or a probe scored differently across runs or calls."""
    UNSOLVABLE = "unsolvable"
    """The reference scored below 1.0."""
    FAILURE_CASE_PASSES = "failure_case_passes"
    """A failure case scored above the fail threshold."""
    FEW_TWINS = "few_twins"
    """The failure cases that are programs could not be renamed into as many different twins as one training process
    of the verifier scores (their names ran out): validation could not show it enough wrong answers it had not seen."""
    MUTANT_PASSES = "mutant_passes"
    """Most one-token changes of the reference (mutants: renamed, a comparison negated, an operator swapped, ...)
    scored above the fail threshold: the verifier does not check what the program does."""
    WEAK_TESTS = "weak_tests"
    """The requests the verifier made of the reference do not tell it from a simple wrong program (a constant, the
    first item, the largest, a length ... of an argument) that answers inputs near them otherwise: the verifier pays
    that program (``verifier.weak_requests``)."""
    TRIVIAL = "trivial"
    """An empty, whitespace, echo or junk answer scored above the trivial threshold."""
    TIMEOUT = "timeout"
    """A call was killed for time, or took longer than the call budget."""
    SANDBOX_ERROR = "sandbox_error"
    """The sandbox failed; says nothing about the task (it is retried, never blamed)."""
    EXECUTES_RESPONSE = "executes_response"
    """The verifier runs the response as code (``eval``, ``exec``, a subprocess): a policy would be rewarded for
    attacking the grader."""
    REWARD_HACK = "reward_hack"
    """A known reward-hacking answer (an object that compares equal to anything, a score printed to stdout, ...)
    scored high."""
    DUPLICATE = "duplicate"
    """Dedup matched an admitted (or once-admitted) task; ``duplicate_of`` names it."""
    TOO_EASY = "too_easy"
    """The policy's pass rate is above the learnable band: nothing to learn."""
    TOO_HARD = "too_hard"
    """The policy's pass rate is below the learnable band: no GRPO signal."""
    MASTERED = "mastered"
    """Retired by the trainer: the policy passes it in every recent window."""
    SOLVABLE = "solvable"
    """Re-admitted by the trainer: a too-hard task the policy now sometimes solves."""
    REVIEWED = "reviewed"
    """Set by a reviewer; the history entry holds their words."""
    REJECTED = "rejected"
    """Rejected without a more precise reason (a report that names none)."""
    # --- environment reasons (issue 15; owner: environments) ---
    CONSTANT_SCORE = "constant_score"
    """An environment scored every trajectory it was shown (reference, failure cases, doing nothing) the same."""
    SHARED_STATE = "shared_state"
    """A second ``Env`` instance (or a second ``reset``) in one interpreter did not start from the state a fresh
    process starts from: class attributes or module globals carry state between rollouts."""
    TOOL_TIMEOUT = "tool_timeout"
    """An environment's ``reset``, a tool call, ``score`` or the whole rollout was killed for time."""
    SEED_INSENSITIVE = "seed_insensitive"
    """A seeded family (one with ``solve``) gave too few different observations across seeds."""
    # --- replay reasons (issue 12; owner: replay) ---
    DEPLOYED_RESPONSE_PASSES = "deployed_response_passes"
    """A replay task's verifier gave the deployed model's failing response more than a trivial answer's score: it
    could not tell the failure from a fix."""


class ScoreResult(BaseModel):
    """The result of one ``verify(response)`` call."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    outcome: Outcome
    """How the call ended."""
    score: float | None = Field(default=None, ge=0.0, le=1.0)
    """The score, present exactly when ``outcome`` is ``scored``."""
    detail: SafeText = ""
    """Exception text, signal, or reason for the outcome (bounded length; lone surrogates escaped)."""
    duration_ms: float = Field(default=0.0, ge=0.0)
    """Wall time of the call as the trusted side measured it."""
    ran_response: bool = False
    """Whether the verifier ran this response's code (``run_response``) during the call: called a name the code it
    ran binds, or ran it as a script that does more than import and define (a fragment such as ``import math`` does
    not count). The sandbox's trusted side knows it (a response process marks the text before any of its code
    runs); the verifier cannot say it. A verifier that runs programs yet pays some without running them judges them by their look (red-team
    round 45, F4): the training monitor flags it (``unrun``)."""
    run_digest: str | None = Field(default=None, pattern=r"^[0-9a-f]{32}$")
    """A digest of what the verifier's runs of this response's code (``run_response``) reported to it: their
    requests without the code, result lines, stdout and stderr, and how each process ended. Written by the sandbox's
    trusted side from each response process's own report (the verifier cannot reach it); None when the verifier ran
    none of it, reported before a run had ended, or a run left no digest. An honest verifier that judges runs gives
    two responses of one task with the same digest the same score; the training monitor flags one that does not
    (``results``: it judged something besides what the runs reported)."""
    run_requests: tuple[str, ...] | None = Field(default=None, max_length=4096)
    """Only when the call asked for them (``RunEnv.record_requests``): the requests the verifier's runs of this
    response were made with, each the JSON text of ``[calls, stdin]`` as the response process read it, before any of
    its code ran (1 MiB of them at most). The training monitor replays the reference's on every text of the task
    (``trainer.results_replay``). Untrusted data: the verifier chose it."""
    run_requests_dropped: int = Field(default=0, ge=0)
    """With :attr:`run_requests`: how many runs' requests were left out of them (too large to record: past the 1 MiB
    the sandbox keeps for a text, or past what the run's pipe could be grown to). A replay of the records that left
    some out is not the whole of what the verifier asked."""
    phase: Phase = Phase.CALL
    """``load`` when the verifier module failed to load (the same outcome then stands for every call of the group),
    else ``call``. Set where the sandbox classifies the failure; nobody re-derives it from ``detail``."""

    @model_validator(mode="after")
    def _score_iff_scored(self) -> "ScoreResult":
        if (self.outcome is Outcome.SCORED) != (self.score is not None):
            raise ValueError("score must be set exactly when outcome is 'scored'")
        return self


class CheckResult(BaseModel):
    """One validation check and what it found."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """Check name: schema, compiles, static_determinism, executes_response, reference, failure_cases, mutants,
    weak_tests, trivial, determinism, budget."""
    passed: bool | None
    """True or False; None when the check was skipped because an earlier one failed."""
    reason: Reason | None = None
    """Machine-readable rejection reason when it failed (unsolvable, trivial, nondeterministic, ...)."""
    detail: SafeText = ""
    """Human-readable explanation (lone surrogates escaped: it quotes what verifiers raised)."""
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
    reasons: tuple[Reason, ...] = ()
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
