"""Scoring that keeps old-style verifiers apart: one process per response for a verifier that runs the response.

A verifier admitted under ``--allow-response-exec`` runs response code in its own process (the HumanEval style).
In a shared group, one response's code could then change what the verifier does for the responses after it
(clear its test cases through ``sys._getframe(1).f_globals``, patch a builtin, leave a thread behind). So every
scorer (training reward, ``verifier score``, ``synth.probe``) goes through :class:`ScoringPool`: pairs whose
verifier runs the response (:func:`task_bank.response_exec.executes_response`, read from the source, so neither a
forged nor a lost mark changes it) are scored by a second pool with ``isolate_responses=True`` and groups of one
response, a fresh fork of the loaded verifier for each; everything else takes the fast shared path unchanged.
The isolated pool starts on first use, so a bank without such tasks pays nothing.

What this does not do: stop a response from forging its *own* score from inside the verifier's process. Only the
sandbox's response primitive (``envsynth_sandbox.run_response``) does that; the training monitor watches for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache
from types import TracebackType

from task_bank.response_exec import executes_response
from task_bank.validation import ScoreResult
from verifier.libraries import DEFAULT_LIBRARIES
from verifier.limits import Limits, RunEnv
from verifier.pool import Pool, open_pool
from verifier.sandbox.registry import BackendRegistry


@lru_cache(maxsize=8192)
def needs_isolation(source: str, libraries: tuple[str, ...] = DEFAULT_LIBRARIES) -> bool:
    """True when the verifier runs the response as code, so each response must get a process of its own
    (``libraries``: the pool's allow-listed verifier libraries, which a verifier may import)."""
    return executes_response(source, libraries)


class ScoringPool:
    """A :class:`~verifier.pool.Pool` (same ``score``/``score_batch``) that isolates old-style verifiers."""

    def __init__(self, shared: Pool, backend: str, registry: BackendRegistry | None = None) -> None:
        self._shared = shared
        self._backend = backend
        self._registry = registry
        self._isolated: Pool | None = None
        self._lock = threading.Lock()
        self._side = ThreadPoolExecutor(max_workers=1, thread_name_prefix="envsynth-isolated")

    @property
    def workers(self) -> int:
        """Workers of the shared pool."""
        return self._shared.workers

    @property
    def limits(self) -> Limits:
        """Limits of the shared pool (the isolated one differs only in ``isolate_responses``)."""
        return self._shared.limits

    @property
    def group_size(self) -> int:
        """Responses per group on the shared path."""
        return self._shared.group_size

    def group_size_for(self, verifier_source: str) -> int:
        """Responses per process for this verifier (1 where each response gets a process of its own)."""
        if needs_isolation(verifier_source, self._shared.limits.libraries):
            return 1
        return self._shared.group_size_for(verifier_source)

    @property
    def backend_name(self) -> str:
        """The sandbox backend both pools run under."""
        return self._shared.backend_name

    def score(self, verifier_source: str, responses: Sequence[str],
              run_env: RunEnv | None = None) -> list[ScoreResult]:
        """Score responses against one verifier, results in input order (see :meth:`Pool.score`)."""
        return self.score_batch([(verifier_source, r) for r in responses], run_env)

    def score_batch(self, pairs: Iterable[tuple[str, str]], run_env: RunEnv | None = None) -> list[ScoreResult]:
        """Score mixed pairs in input order; pairs of old-style verifiers run one response per process, beside
        (concurrently with) the shared groups."""
        pairs = list(pairs)
        libraries = self._shared.limits.libraries
        apart = [i for i, (source, _) in enumerate(pairs) if needs_isolation(source, libraries)]
        if not apart:
            return self._shared.score_batch(pairs, run_env)
        chosen = set(apart)
        together = [i for i in range(len(pairs)) if i not in chosen]
        isolated = self._side.submit(lambda: self._isolated_pool().score_batch([pairs[i] for i in apart], run_env))
        results: list[ScoreResult | None] = [None] * len(pairs)
        if together:
            for i, result in zip(together, self._shared.score_batch([pairs[i] for i in together], run_env),
                                 strict=True):
                results[i] = result
        for i, result in zip(apart, isolated.result(), strict=True):
            results[i] = result
        return [r for r in results if r is not None]

    def _isolated_pool(self) -> Pool:
        with self._lock:
            if self._isolated is None:
                limits = self._shared.limits.model_copy(update={"isolate_responses": True})
                self._isolated = open_pool(self._backend, workers=self._shared.workers, limits=limits, group_size=1,
                                           registry=self._registry)
            return self._isolated

    def close(self) -> None:
        """Close both pools; idempotent."""
        self._side.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            isolated, self._isolated = self._isolated, None
        if isolated is not None:
            isolated.close()
        self._shared.close()

    def __enter__(self) -> ScoringPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def open_scoring_pool(backend: str = "bwrap", workers: int = 2, limits: Limits | None = None, *,
                      group_size: int = 16, registry: BackendRegistry | None = None) -> ScoringPool:
    """:func:`verifier.pool.open_pool` for scorers: the same warm shared pool, plus isolation where it is needed."""
    shared = open_pool(backend, workers=workers, limits=limits, group_size=group_size, registry=registry)
    return ScoringPool(shared, backend, registry)
