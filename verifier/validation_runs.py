"""Where validation scores its probes: the reference alone in the caller's pool, under the pool's limits (the
configuration tasks will be scored in), and every determinism run in warm interpreters of validation's own.

Why interpreters of its own: one per hash seed and concurrent task, with the pool's backend and limits except that
the calls of a group share one process, so that state leaking from one call into the next is seen even where the
pool isolates responses. A verifier that runs the response as code (admitted only with ``allow_response_exec``) is
scored in every run exactly as training scores it (``verifier.routing``): ``isolate_responses=True``, one response
per group, so nothing it can observe (its pid in the fork that calls ``verify`` above all) tells validation from
training. The order of the calls, and what they are judged by, is the validator's (:mod:`verifier.validate`).
"""

from __future__ import annotations

import random
import weakref
from collections.abc import Sequence

from task_bank.errors import SandboxError
from task_bank.validation import Outcome, Phase, ScoreResult
from verifier.checks_interpreters import SeededInterpreters
from verifier.checks_probes import Probe
from verifier.limits import RunEnv
from verifier.pool import Pool
from verifier.sandbox.registry import BackendRegistry

__all__ = ["ValidationRuns", "load_error_of"]


class ValidationRuns:
    """The processes one validator scores in: the caller's ``pool`` (which it does not own), and its interpreters,
    ``concurrency`` for each hash seed, started lazily. ``close()`` ends the interpreters, and so does garbage
    collection."""

    def __init__(self, pool: Pool, registry: BackendRegistry, concurrency: int) -> None:
        self._pool = pool
        backend = registry.create(pool.backend_name)
        shared = pool.limits.model_copy(update={"isolate_responses": False})
        self._interpreters = SeededInterpreters(backend, shared, per_seed=concurrency)
        isolated = pool.limits.model_copy(update={"isolate_responses": True})
        self._isolated = SeededInterpreters(backend, isolated, per_seed=concurrency)
        self._finalizer = weakref.finalize(self, _close_all, (self._interpreters, self._isolated))

    def close(self) -> None:
        """Stop the interpreters; the pool stays open (it belongs to the caller)."""
        self._finalizer()

    def open(self, source: str, probes: Sequence[Probe], env: RunEnv, twin: list[int], mutants: Sequence[int],
             rng: random.Random, isolated: bool) -> tuple[list[tuple[Probe, ScoreResult]],
                                                         list[tuple[Probe, ScoreResult]]]:
        """Run 0's first calls, before anything else of the task: the reference's mutants, in a drawn order, where it
        has some (the first alone, then the others in a process of their own), else ``twin`` (the probe that opens
        the rest of run 0) alone. Returns (the other calls, the one call to judge the load by): a verifier that fails
        or hangs while loading costs one call.

        Why the mutants: they are wrong programs no one could predict, as a policy's answers are, and the rest of
        run 0 scores each again at another call of another process, among its twins and failure cases, so a
        verifier whose pay for a wrong program depends on where it stands scores one of them twice apart
        (``nondeterministic``). Until validator 1.20 the opener was a twin, which behaves as a failure case, and no
        call 1 of validation was ever a novel wrong program: a verifier that paid every such program at its first
        call was admitted 3 of 3 times, training's spot checks (scored alone) agreeing with it; one that paid them
        after meeting a failure case as written among programs (training's canaries) likewise (red-team round 58).
        A mutant that loops is its own doing, not the verifier's (``checks.check_budget``): where the first one's
        call hit the limit, the twin is scored alone to judge the load by, and the other mutants wait for the rest
        of run 0 (scored in one process with the first, a verifier that hangs on every call cost a call for each)."""
        if not mutants:
            return [], self.run(source, probes, env, twin, isolated=isolated)
        drawn = list(mutants)
        rng.shuffle(drawn)
        first = self.run(source, probes, env, drawn[:1], isolated=isolated)
        if load_error_of([r for _, r in first]) is not None or any(r.outcome is Outcome.ERROR for _, r in first):
            return [], first
        if any(r.outcome is Outcome.TIMEOUT for _, r in first):
            return first, self.run(source, probes, env, twin, isolated=isolated)
        return (self.run(source, probes, env, drawn[1:], isolated=isolated) if drawn[1:] else []), first

    def run(self, source: str, probes: Sequence[Probe], env: RunEnv, order: Sequence[int],
            in_pool: bool = False, isolated: bool = False) -> list[tuple[Probe, ScoreResult]]:
        """The probes at ``order`` scored in one group: in the pool (``in_pool``), one a group in the isolated
        interpreters (``isolated``, as training's isolated pool scores them), else in the shared interpreters. A
        sandbox failure is every probe's ``error`` result, never the task's fault."""
        responses = [probes[i].response for i in order]
        try:
            if isolated:  # as training's isolated pool: a group of one, each response in a fork of its own
                results = [r for response in responses for r in self._isolated.score(source, [response], env)]
            elif in_pool:
                results = self._pool.score(source, responses, env)
            else:
                results = self._interpreters.score(source, responses, env)
        except SandboxError as exc:  # infrastructure: recorded as sandbox_error, never the task's fault
            results = [ScoreResult(outcome=Outcome.ERROR, detail=str(exc)[:500]) for _ in order]
        return [(probes[i], r) for i, r in zip(order, results, strict=True)]


def _close_all(interpreters: Sequence[SeededInterpreters]) -> None:
    for each in interpreters:
        each.close()


def load_error_of(results: Sequence[ScoreResult]) -> str | None:
    """The sandbox's load failure message when the module did not load (crashed or hung while importing) or
    defines no callable ``verify`` (the sandbox marks such results with phase ``load``)."""
    if results and all(r.outcome in (Outcome.CRASHED, Outcome.TIMEOUT) and r.phase is Phase.LOAD for r in results):
        first = results[0]
        if first.outcome is Outcome.TIMEOUT:
            return f"the module did not finish loading: {first.detail}"
        return first.detail
    return None
