"""Warm sandboxed interpreters started with chosen ``PYTHONHASHSEED``\\s: where the determinism runs execute.

Why not the pool's fresh runs: children forked from one zygote share its hash seed, so hash-order nondeterminism
(``list(set(words))[0]``) only shows across interpreters *exec'd* with different seeds. The pool starts a brand-new
sandbox for every such run (about 90 ms here), which alone would break the 100 ms budget for validating a cheap
task. One zygote per seed, started once through the same backend and limits as the pool and kept warm, exposes the
same things (each run still loads the verifier in a pristine fork of an interpreter exec'd with that seed, with its
own address-space layout) for the price of a fork (about 5 ms). The sandbox properties are the backend's: these are
ordinary workers of the pool's backend, under the pool's limits.

Workers are started from long-lived threads owned by this object, never from the caller's thread: bwrap's
``--die-with-parent`` (``PR_SET_PDEATHSIG``) fires when the *thread* that started it exits, so a worker started
from a short-lived worker thread was SIGKILLed as soon as that thread finished.

Failures are classified as the pool classifies them: a worker that cannot start yields ``error`` results
(infrastructure); a run that takes its worker down yields ``crashed`` results, and the worker is replaced on next use.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from task_bank.errors import SandboxError
from task_bank.validation import Outcome, ScoreResult
from verifier.limits import Limits, RunEnv
from verifier.sandbox.base import Backend, Worker


class SeededInterpreters:
    """Up to ``per_seed`` warm workers for each hash seed asked for, started lazily; thread-safe; close() ends all."""

    def __init__(self, backend: Backend, limits: Limits, per_seed: int = 1) -> None:
        self._backend = backend
        self._limits = limits
        self._per_seed = max(1, per_seed)
        self._lock = threading.Lock()
        self._slots: dict[int, queue.Queue[Worker | None]] = {}
        self._live: set[Worker] = set()
        self._closed = False
        self._starter = ThreadPoolExecutor(max_workers=4, thread_name_prefix="envsynth-interpreter-start")

    def score(self, source: str, responses: Sequence[str], run_env: RunEnv) -> list[ScoreResult]:
        """Score ``responses`` in one group, in order, in a worker whose interpreter runs with ``run_env.hash_seed``."""
        try:
            slots = self._slots_for(run_env.hash_seed)
        except SandboxError as exc:
            return [_error(exc) for _ in responses]
        worker = slots.get()
        try:
            if worker is not None and not worker.alive():
                self._retire(worker)
                worker = None
            if worker is None:
                worker = self._start(run_env.hash_seed)
            try:
                return worker.score_group(source, list(responses), run_env)
            except SandboxError as exc:
                self._retire(worker)
                worker = None
                return [ScoreResult(outcome=Outcome.CRASHED, detail=f"the run took its sandbox down: {exc}"[:1000])
                        for _ in responses]
        except SandboxError as exc:
            return [_error(exc) for _ in responses]
        finally:
            slots.put(worker)

    def close(self) -> None:
        """Kill every worker started here; idempotent, safe to call from a finalizer."""
        with self._lock:
            self._closed = True
            live, self._live = list(self._live), set()
        for worker in live:
            worker.close()
        self._starter.shutdown(wait=False, cancel_futures=True)

    def _slots_for(self, seed: int) -> queue.Queue[Worker | None]:
        with self._lock:
            if self._closed:
                raise SandboxError("these determinism interpreters are closed")
            slots = self._slots.get(seed)
            if slots is None:
                slots = self._slots[seed] = queue.Queue()
                for _ in range(self._per_seed):
                    slots.put(None)
            return slots

    def _start(self, seed: int) -> Worker:
        worker = self._starter.submit(self._backend.start_worker, self._limits, seed).result()
        with self._lock:
            closed = self._closed
            if not closed:
                self._live.add(worker)
        if closed:
            worker.close()
            raise SandboxError("these determinism interpreters are closed")
        return worker

    def _retire(self, worker: Worker) -> None:
        with self._lock:
            self._live.discard(worker)
        worker.close()


def _error(exc: BaseException) -> ScoreResult:
    return ScoreResult(outcome=Outcome.ERROR, detail=f"sandbox failure: {exc}"[:1000])
