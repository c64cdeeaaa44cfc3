"""The environment validator: admits an environment only when it is solvable, not trivially passed, and grindable.

The checks and their reasons are listed in :mod:`verifier.env_checks`. The order of work:

1. ``schema``, ``compiles`` and ``static_determinism`` on the trusted side: the source is parsed (its tool
   signatures read with :func:`task_bank.environment_tools.read_tools`), never executed here.
2. Interpreter 0 (a session worker as training starts one: a hash seed drawn for it): the reference, every failure case and the
   do-nothing trajectory, each in its own session; then the shared-state probe (one session: a failure case, then
   a new ``Env()`` replaying the reference, then ``reset`` of that same instance replaying it again); then, for a
   seeded family, ``solve`` on each of ``family_seeds`` seeds and its trajectory replayed in a fresh session.
3. Interpreters 1..N-1, concurrently, each a session worker exec'd with its own hash seed (drawn once per
   validator), a shifted clock and the global ``random`` seeded anew from the operating system
   (:func:`verifier.validate.run_env`, the task validator's environments): the same probes again; every
   observation, tool return and score must match interpreter 0.

Session workers are kept warm per interpreter index across environments; ``close()`` ends them.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from types import TracebackType

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from task_bank.environment import DO_NOTHING, EnvironmentSpec, Trajectory
from task_bank.environment_results import EnvironmentEvidence, Replay, SeedResult, StepOutcome, StepResult
from task_bank.environment_tools import EnvInterface, ToolSpecError, read_tools
from task_bank.errors import SandboxError
from task_bank.provenance import utcnow
from task_bank.validation import CheckResult, Reason, ValidationReport
from verifier import env_checks
from verifier.checks import check_static, skipped
from verifier.limits import RunEnv, draw_hash_seeds
from verifier.sessions import Session, SessionLimits, SessionPool
from verifier.static_determinism import find_nondeterminism
from verifier.validation_config import DETERMINISM_RUNS_MAX, near_future_offset_s, run_env

ENV_VALIDATOR_VERSION = "env-1.1"
"""Version of the environment validation rules; bump it when a rule, default or probe changes."""
CHECK_ORDER = ("schema", "compiles", "static_determinism", "reference", "failure_cases", "trivial",
               "constant_score", "shared_state", "determinism", "family")


class EnvValidationConfig(BaseModel):
    """Thresholds, probes and limits of environment validation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fail_threshold: float = Field(default=0.5, ge=0.0, lt=1.0)
    """Every failure case must score at most this."""
    trivial_threshold: float = Field(default=0.2, ge=0.0, lt=1.0)
    """Doing nothing (no calls, empty answer) must score at most this."""
    determinism_runs: int = Field(default=3, ge=2, le=DETERMINISM_RUNS_MAX)
    """Fresh interpreters (distinct hash seed, clock offset, RNG seed) replaying every probe."""
    family_seeds: int = Field(default=8, ge=2, le=256)
    """Seeds a seeded family is solved on (seeds 1..family_seeds)."""
    family_min_distinct: int = Field(default=4, ge=2, le=256)
    """Distinct problems those seeds must give: what reset() returned, with what the tools of ``solve``'s trajectory
    returned (``env_checks.check_family``)."""
    max_source_chars: int = Field(default=200_000, ge=100)
    """Longest environment source accepted."""
    max_calls: int = Field(default=64, ge=1, le=10_000)
    """Most tool calls in one trajectory."""
    limits: SessionLimits = SessionLimits.for_rewards()
    """Session limits while validating, training's (:meth:`SessionLimits.for_rewards`: nothing an environment can
    read of them tells the two apart): a reset, call or rollout past them rejects with ``tool_timeout``."""


class EnvVerdict(BaseModel):
    """The validator's verdict and what it saw."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report: ValidationReport
    """Every check, in :data:`CHECK_ORDER`; the reasons when rejected."""
    evidence: EnvironmentEvidence
    """The reference replay and per-seed results, for the bank and the web view."""


def replay(pool: SessionPool, source: str, trajectory: Trajectory, env: RunEnv) -> Replay:
    """Run ``trajectory`` in a fresh session: reset, each call in order, then score its response."""
    with pool.open(source, trajectory.seed, env) as session:
        return _continue(session, session.observation, trajectory)


def _continue(session: Session, observation: StepResult, trajectory: Trajectory) -> Replay:
    steps: list[StepResult] = []
    for call in trajectory.calls:
        if not session.alive:
            break
        steps.append(session.call(call.tool, call.args))
    score = session.score(trajectory.response) if session.alive else StepResult(
        outcome=StepOutcome.DEAD, detail="the session ended before the answer")
    return Replay(seed=trajectory.seed, observation=observation, steps=tuple(steps), score=score)


class EnvValidator:
    """Validates environment specs in session workers it owns (one warm pool per interpreter index)."""

    def __init__(self, backend: str = "bwrap", config: EnvValidationConfig | None = None) -> None:
        self.backend = backend
        self.config = config or EnvValidationConfig()
        self._pools: dict[int, SessionPool] = {}
        self._lock = threading.Lock()
        self._clock_rng = random.SystemRandom()  # interpreter 1's clock shift, drawn per environment (run_env)
        self._hash_seeds = draw_hash_seeds(self._clock_rng, DETERMINISM_RUNS_MAX)  # the varied interpreters' seeds

    def validate(self, spec: EnvironmentSpec) -> EnvVerdict:
        """Run every check on ``spec``; never raises for anything the environment's code does."""
        started, t0 = utcnow(), time.perf_counter()
        done: dict[str, CheckResult] = {}
        evidence = EnvironmentEvidence()
        interface = self._static(spec, done)
        if interface is not None:
            evidence = self._dynamic(spec, interface, done)
        ordered = tuple(done.get(name) or skipped(name, "an earlier check rejected the environment")
                        for name in CHECK_ORDER if name != "family" or name in done)
        reasons = tuple(dict.fromkeys(c.reason for c in ordered if c.passed is False and c.reason))
        report = ValidationReport(task_id=spec.id, admitted=not reasons and all(c.passed for c in ordered),
                                  reasons=reasons, checks=ordered, validator_version=ENV_VALIDATOR_VERSION,
                                  sandbox_backend=self.backend, started_at=started,
                                  duration_ms=(time.perf_counter() - t0) * 1000)
        return EnvVerdict(report=report, evidence=evidence)

    def close(self) -> None:
        """Stop every session worker; idempotent."""
        with self._lock:
            pools, self._pools = list(self._pools.values()), {}
        for pool in pools:
            pool.close()

    def __enter__(self) -> EnvValidator:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _pool(self, run: int) -> SessionPool:
        with self._lock:
            pool = self._pools.get(run)
            if pool is None:
                seed = None if run == 0 else self._hash_seeds[run]  # run 0: training's way, a seed drawn per worker
                pool = self._pools[run] = SessionPool(self.backend, 1, self.config.limits, seed)
            return pool

    def _static(self, spec: EnvironmentSpec, done: dict[str, CheckResult]) -> EnvInterface | None:
        cfg = self.config
        if len(spec.environment) > cfg.max_source_chars:
            done["schema"] = _fail("schema", Reason.SCHEMA, f"the source has {len(spec.environment)} characters; "
                                                             f"at most {cfg.max_source_chars}")
            return None
        try:
            interface = read_tools(spec.environment)
        except SyntaxError as exc:
            done["schema"] = CheckResult(name="schema", passed=True, detail="fields valid")
            done["compiles"] = _fail("compiles", Reason.VERIFIER_ERROR, f"SyntaxError at line {exc.lineno}: {exc.msg}")
            return None
        except (ToolSpecError, ValueError, RecursionError, MemoryError) as exc:
            done["schema"] = _fail("schema", Reason.SCHEMA, str(exc)[:500])
            return None
        problem = _trajectory_problem(spec, interface, cfg.max_calls)
        if problem is not None:
            done["schema"] = _fail("schema", Reason.SCHEMA, problem)
            return None
        done["schema"] = CheckResult(name="schema", passed=True,
                                     detail=f"{len(interface.tools)} tools" + (", solve" if interface.has_solve else ""))
        done["compiles"] = CheckResult(name="compiles", passed=True, detail="parses")
        done["static_determinism"] = check_static(find_nondeterminism(spec.environment))
        return interface

    def _dynamic(self, spec: EnvironmentSpec, interface: EnvInterface,
                 done: dict[str, CheckResult]) -> EnvironmentEvidence:
        cfg = self.config
        probes = [spec.reference, *spec.failure_cases, DO_NOTHING.model_copy(update={"seed": spec.reference.seed})]
        try:
            first = self._replays(0, spec.environment, probes)
        except SandboxError as exc:
            done["reference"] = _fail("reference", Reason.SANDBOX_ERROR, f"sandbox failure: {exc}"[:500])
            return EnvironmentEvidence()
        reference, failures, nothing = first[0], first[1:-1], first[-1]
        evidence = EnvironmentEvidence(reference=reference)
        done["reference"] = env_checks.check_reference(reference)
        if reference.observation.outcome is not StepOutcome.OK:
            return evidence  # the environment does not even load and reset: nothing else can run
        done["failure_cases"] = env_checks.check_low("failure_cases", Reason.FAILURE_CASE_PASSES, failures,
                                                     cfg.fail_threshold)
        done["trivial"] = env_checks.check_low("trivial", Reason.TRIVIAL, [nothing], cfg.trivial_threshold)
        if done["reference"].passed:  # a constant 0 is an unsolvable reference, not a constant score
            done["constant_score"] = env_checks.check_constant(first)
        pool0 = self._pool(0)
        with pool0.open(spec.environment, spec.failure_cases[0].seed, run_env(0)) as session:
            _continue(session, session.observation, spec.failure_cases[0])
            again = [_continue(session, session.reset(spec.reference.seed, fresh=True), spec.reference)]
            if session.alive:
                again.append(_continue(session, session.reset(spec.reference.seed, fresh=False), spec.reference))
        done["shared_state"] = env_checks.check_shared_state(reference, again)
        with ThreadPoolExecutor(max_workers=cfg.determinism_runs - 1, thread_name_prefix="env-validate") as pool:
            later = list(pool.map(lambda run: self._replays(run, spec.environment, probes),
                                  range(1, cfg.determinism_runs)))
        done["determinism"] = env_checks.check_determinism([first, *later])
        if interface.has_solve:
            seeds = self._family(spec.environment)
            evidence = evidence.model_copy(update={"seeds": tuple(s for s, _ in seeds)})
            done["family"] = env_checks.check_family([r for _, r in seeds], cfg.family_min_distinct)
        return evidence

    def _replays(self, run: int, source: str, probes: Sequence[Trajectory]) -> list[Replay]:
        pool, env = self._pool(run), run_env(run, near_future_offset_s(self._clock_rng), self._hash_seeds[run])
        return [replay(pool, source, probe, env) for probe in probes]

    def _family(self, source: str) -> list[tuple[SeedResult, Replay]]:
        pool, env = self._pool(0), run_env(0)
        found = []
        for seed in range(1, self.config.family_seeds + 1):
            with pool.open(source, seed, env) as session:
                observation, solved = session.observation, session.solve()
            trajectory, problem = _as_trajectory(seed, solved)
            if trajectory is None:
                failed = StepResult(outcome=StepOutcome.INVALID if solved.outcome is StepOutcome.OK
                                    else solved.outcome if solved.outcome is not StepOutcome.RAISED
                                    else StepOutcome.CRASHED, detail=f"solve(): {problem}")
                result = Replay(seed=seed, observation=observation, score=failed)
            else:
                result = replay(pool, source, trajectory, env)
            text = observation.value if isinstance(observation.value, str) else ""
            found.append((SeedResult(seed=seed, observation=text[:2000], calls=len(trajectory.calls) if trajectory
                                     else 0, outcome=result.score.outcome, score=result.score.score), result))
        return found


def _as_trajectory(seed: int, solved: StepResult) -> tuple[Trajectory | None, str]:
    if solved.outcome is not StepOutcome.OK:
        return None, f"{solved.outcome.value}: {solved.detail}"
    if not isinstance(solved.value, dict):
        return None, "must return a dict {'calls': [...], 'response': '...'}"
    try:
        return Trajectory.model_validate({**solved.value, "seed": seed}), ""
    except ValidationError as exc:
        return None, f"not a trajectory: {exc.errors()[0]['msg']}"


def _trajectory_problem(spec: EnvironmentSpec, interface: EnvInterface, max_calls: int) -> str | None:
    tools = {t.name: t for t in interface.tools}
    for label, trajectory in [("reference", spec.reference)] + [
            (f"failure_cases.{i}", f) for i, f in enumerate(spec.failure_cases)]:
        if len(trajectory.calls) > max_calls:
            return f"{label} makes {len(trajectory.calls)} calls; at most {max_calls}"
    for index, call in enumerate(spec.reference.calls):
        tool = tools.get(call.tool)
        if tool is None:
            return f"reference.calls.{index}: no tool named {call.tool!r} (tools: {', '.join(tools) or 'none'})"
        unknown = set(call.args) - {p.name for p in tool.params}
        missing = {p.name for p in tool.params if p.required} - set(call.args)
        if unknown or missing:
            return f"reference.calls.{index}: {call.tool} takes {tool.render()}"
    if spec.max_turns is not None and len(spec.reference.calls) > spec.max_turns:
        return f"the reference makes {len(spec.reference.calls)} calls; metadata.max_turns allows {spec.max_turns}"
    if spec.reference in spec.failure_cases:
        return "the reference is also listed as a failure case"
    return None


def _fail(name: str, reason: Reason, detail: str) -> CheckResult:
    return CheckResult(name=name, passed=False, reason=reason, detail=detail)
