"""The environment validation checks as pure functions: replays observed in sessions in, one CheckResult out.

=================  ================================================================================================
check              fails with
=================  ================================================================================================
schema             ``schema``: sizes, no ``class Env``/``reset``/``score``, a tool without docstring or typed args,
                   a reference calling a tool that does not exist, a reference that is also a failure case
compiles           ``verifier_error``: the source does not parse
static_determinism ``nondeterministic``: unseeded randomness, clocks, pids, set order, ... (the task rules)
reference          ``unsolvable`` (< 1.0), or the fault reason of the step that ended the session
failure_cases      ``failure_case_passes`` (> fail threshold), or a fault reason
trivial            ``trivial``: doing nothing (no calls, empty answer) scored above the trivial threshold
constant_score     ``constant_score``: reference, failure cases and doing nothing all scored the same (checked
                   once the reference passed: a constant 0 is ``unsolvable``)
shared_state       ``shared_state``: the reference replayed on a second instance, or after a second ``reset``,
                   in one process differs from the reference replayed in a fresh process
determinism        ``nondeterministic``: observations, tool returns or scores differ across fresh interpreters
                   (other ``PYTHONHASHSEED``, shifted clocks, other global RNG seed)
family             (with ``solve``) ``unsolvable`` when a seed's ``solve`` trajectory scores < 1.0,
                   ``seed_insensitive`` when too few seeds give distinct observations, or a fault reason
=================  ================================================================================================

Fault reasons, from the step that ended a session: ``tool_timeout`` (reset, a call, score or the rollout killed
for time), ``verifier_error`` (the environment crashed or returned something the spec forbids), ``sandbox_error``
(infrastructure; says nothing about the environment).
"""

from __future__ import annotations

from collections.abc import Sequence

from task_bank.environment_results import Replay, StepOutcome
from task_bank.validation import CheckResult, Reason

_FAULTS = {StepOutcome.ERROR: Reason.SANDBOX_ERROR, StepOutcome.TIMEOUT: Reason.TOOL_TIMEOUT,
           StepOutcome.CRASHED: Reason.VERIFIER_ERROR, StepOutcome.INVALID: Reason.VERIFIER_ERROR,
           StepOutcome.DEAD: Reason.VERIFIER_ERROR}
_PRIORITY = (Reason.SANDBOX_ERROR, Reason.TOOL_TIMEOUT, Reason.VERIFIER_ERROR)


def fault(replays: Sequence[Replay]) -> tuple[Reason, str] | None:
    """The worst session-ending step among ``replays`` (sandbox first, then time, then the environment's bugs)."""
    found = [(replay, replay.failure) for replay in replays if replay.failure is not None]
    if not found:
        return None
    ranked = sorted(found, key=lambda pair: _PRIORITY.index(_FAULTS[pair[1].outcome]))
    replay, step = ranked[0]
    return _FAULTS[step.outcome], f"seed {replay.seed}: {step.outcome.value}: {step.detail}"[:500]


def _score(replay: Replay) -> float:
    return replay.score.score if replay.score.score is not None else 0.0


def check_reference(replay: Replay) -> CheckResult:
    """The reference trajectory ran without a session-ending step and scored exactly 1.0."""
    failure = fault([replay])
    if failure is not None:
        return CheckResult(name="reference", passed=False, reason=failure[0], detail=failure[1])
    if _score(replay) != 1.0:
        return CheckResult(name="reference", passed=False, reason=Reason.UNSOLVABLE,
                           detail=f"the reference must score exactly 1.0; it scored {_score(replay):g}")
    return CheckResult(name="reference", passed=True, detail=f"1.0 after {len(replay.steps)} tool calls")


def check_low(name: str, reason: Reason, replays: Sequence[Replay], threshold: float) -> CheckResult:
    """Each replay ended properly and scored at most ``threshold``."""
    failure = fault(replays)
    if failure is not None:
        return CheckResult(name=name, passed=False, reason=failure[0], detail=failure[1])
    high = [(i, _score(r)) for i, r in enumerate(replays) if _score(r) > threshold]
    if high:
        listed = ", ".join(f"#{i} scored {s:g}" for i, s in high[:5])
        return CheckResult(name=name, passed=False, reason=reason, detail=f"must score <= {threshold:g}: {listed}")
    top = max((_score(r) for r in replays), default=0.0)
    return CheckResult(name=name, passed=True, detail=f"{len(replays)} trajectories, highest {top:g}")


def check_constant(replays: Sequence[Replay]) -> CheckResult:
    """Not every trajectory shown scored the same: a score that ignores the rollout teaches nothing."""
    scores = {_score(r) for r in replays if r.failure is None}
    if len(scores) == 1 and len(replays) > 1:
        return CheckResult(name="constant_score", passed=False, reason=Reason.CONSTANT_SCORE,
                           detail=f"all {len(replays)} trajectories scored {scores.pop():g}")
    return CheckResult(name="constant_score", passed=True, detail=f"{len(scores)} distinct scores")


def check_shared_state(reference: Replay, again: Sequence[Replay]) -> CheckResult:
    """The reference replayed on a second instance and after a second reset in one process matched a fresh run."""
    failure = fault(again)
    if failure is not None and failure[0] is Reason.SANDBOX_ERROR:
        return CheckResult(name="shared_state", passed=False, reason=failure[0], detail=failure[1])
    if fault([reference]) is not None:  # the reference check says why; two failed replays prove nothing of state
        return CheckResult(name="shared_state", passed=None, detail="skipped: the reference did not complete")
    labels = ("on a second Env() after another rollout", "after reset() of the same instance")
    for label, replay in zip(labels, again):
        if replay.fingerprint() != reference.fingerprint():
            return CheckResult(name="shared_state", passed=False, reason=Reason.SHARED_STATE,
                               detail=f"the reference replayed {label} in one process differs from a fresh "
                                      f"process (score {_score(replay):g} vs {_score(reference):g}); build every "
                                      f"piece of state in reset(), not in class attributes or module globals")
    return CheckResult(name="shared_state", passed=True, detail="second instance and second reset match")


def check_determinism(runs: Sequence[Sequence[Replay]]) -> CheckResult:
    """Every probe's observation, tool returns and score are identical in every fresh interpreter."""
    failure = fault([r for run in runs for r in run if r.failure is not None
                     and r.failure.outcome is StepOutcome.ERROR])
    if failure is not None:
        return CheckResult(name="determinism", passed=False, reason=failure[0], detail=failure[1])
    first = runs[0]
    for index, run in enumerate(runs[1:], start=1):
        for probe, (a, b) in enumerate(zip(first, run, strict=True)):
            if a.fingerprint() != b.fingerprint():
                where = next((i for i, (x, y) in enumerate(zip(a.fingerprint(), b.fingerprint())) if x != y), 0)
                step = "the observation" if where == 0 else (
                    "the score" if where == len(a.steps) + 1 else f"the return of call {where}")
                return CheckResult(name="determinism", passed=False, reason=Reason.NONDETERMINISTIC,
                                   detail=f"probe #{probe}: {step} differs between interpreter 0 and {index} "
                                          f"(hash seed, clock and RNG seed differ)")
    return CheckResult(name="determinism", passed=True,
                       detail=f"{len(first)} trajectories identical in {len(runs)} fresh interpreters")


def check_family(solved: Sequence[Replay], min_distinct: int) -> CheckResult:
    """Every seed's ``solve`` trajectory scored 1.0, and the seeds showed at least ``min_distinct`` distinct problems:
    what ``reset`` returned together with what the tools returned along ``solve``'s trajectory. Why the tools too:
    a family whose seeds differ in state the policy finds through tools (a vault's code drawn from the seed, behind
    one fixed greeting) showed one observation and was rejected as ``seed_insensitive``, 14 of 50 honest families
    in a review (round 28). A seed whose difference no observation and no tool shows is no new problem for the
    policy, only an answer it cannot know: still ``seed_insensitive``."""
    failure = fault(solved)
    if failure is not None:
        return CheckResult(name="family", passed=False, reason=failure[0], detail=failure[1])
    low = [(r.seed, _score(r)) for r in solved if _score(r) != 1.0]
    if low:
        listed = ", ".join(f"seed {seed} scored {score:g}" for seed, score in low[:5])
        return CheckResult(name="family", passed=False, reason=Reason.UNSOLVABLE,
                           detail=f"solve()'s trajectory must score 1.0 on every seed: {listed}")
    distinct = len({(r.observation.fingerprint(), tuple(s.fingerprint() for s in r.steps)) for r in solved})
    if distinct < min_distinct:
        return CheckResult(name="family", passed=False, reason=Reason.SEED_INSENSITIVE,
                           detail=f"{len(solved)} seeds showed {distinct} distinct problems (what reset() returned, "
                                  f"with what the tools returned along solve()'s calls); at least {min_distinct} "
                                  "needed: a seed must change something the policy can see")
    return CheckResult(name="family", passed=True,
                       detail=f"{len(solved)} seeds solved with 1.0; {distinct} distinct problems")
