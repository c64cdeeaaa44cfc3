"""A warm pool of sandboxed workers: the one entry point the validator, the CLI and the trainer score through.

``open_pool`` starts ``workers`` sandbox workers at once (each a zygote with nothing loaded), so the first score
pays no start-up. ``score`` splits one task's responses into groups of at most ``group_size`` (default 16, one GRPO
group; :data:`CODE_GROUP_SIZE` for a verifier that runs response code), which idle workers take in turn;
``score_batch`` groups mixed ``(source, response)`` pairs by verifier source first. Each group is one fork inside
one worker: the verifier is loaded once and scores every response of the group. Thread-safe: any
number of threads may call ``score``/``score_batch``; groups queue for the next idle worker.

Determinism runs (``RunEnv``)::

    pool.score(src, responses)                # training: the worker's own hash seed, clock as is, random from the OS
    pool.score(src, responses, RunEnv(hash_seed=3, clock_offset_s=86400.0, rng_seed=11, fresh=True))

Each warm worker starts with a hash seed drawn for it (``verifier.limits.worker_hash_seed``), never a constant a
verifier could test for. A ``fresh`` run (or a ``hash_seed`` given) starts a brand-new sandboxed interpreter with
``PYTHONHASHSEED=hash_seed`` for that call and closes it afterwards; clock offsets and RNG seeds apply to any run.

Failures: a worker that dies or stops answering is closed and replaced; the group it was scoring is re-run one
response at a time on fresh workers, and a response that takes a worker down again is ``crashed``. Only a worker
that cannot be started yields ``error`` results (infrastructure; the trainer's reward ``None``).
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Iterable, Sequence
from concurrent.futures import CancelledError, Future, ThreadPoolExecutor
from types import TracebackType

from task_bank.errors import ConfigError, SandboxError
from task_bank.validation import Outcome, ScoreResult
from verifier.limits import Limits, RunEnv
from verifier.sandbox.base import Backend, SandboxUnavailableError, Worker
from verifier.sandbox.local import UNSAFE_MESSAGE, UnsafeLocalBackend
from verifier.sandbox.registry import BackendRegistry, default_registry

logger = logging.getLogger(__name__)
TRAINING_ENV = RunEnv()
"""The environment training scores in (the defaults: seeds drawn, clocks and pids as they are)."""
CODE_GROUP_SIZE = 8
"""The most responses one process of a verifier that runs response code (``run_response``) scores. Why: a verifier
can count the programs it has been shown and pay only those after the first few; validation's run 0 shows it as
many known-wrong programs as this (:mod:`verifier.checks_probes`), each of which costs a process, so groups of such
verifiers are kept to what validation can afford to show (red-team finding)."""


def runs_response_code(source: str) -> bool:
    """Whether a verifier names ``run_response``: read from the text, so that training's group size and
    validation's count of programs follow the same answer, whatever the verifier does to hide or fake it."""
    return "run_response" in source


class Pool:
    """Warm sandbox workers behind ``score`` and ``score_batch``. Build it with :func:`open_pool`."""

    def __init__(self, backend: Backend, workers: int, limits: Limits, group_size: int = 16) -> None:
        if workers < 1 or group_size < 1:
            raise ConfigError("workers and group_size must be at least 1", field="workers")
        self._backend = backend
        self.limits = limits
        self.workers = workers
        self.group_size = group_size
        self._slots: queue.Queue[Worker | None] = queue.Queue()
        self._live: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="envsynth-sandbox")
        starts = [self._executor.submit(self._start, None) for _ in range(workers)]
        try:
            for start in starts:
                self._slots.put(start.result())
        except SandboxError:
            self.close()
            raise

    @property
    def backend_name(self) -> str:
        """Name of the backend the workers run under (bwrap, docker, unsafe-local)."""
        return self._backend.name

    def group_size_for(self, verifier_source: str) -> int:
        """Responses per process for this verifier: ``group_size``, at most :data:`CODE_GROUP_SIZE` for a verifier
        that runs response code."""
        return min(self.group_size, CODE_GROUP_SIZE) if runs_response_code(verifier_source) else self.group_size

    def score(self, verifier_source: str, responses: Sequence[str],
              run_env: RunEnv | None = None) -> list[ScoreResult]:
        """Score every response against one verifier; results in input order.

        ``run_env`` (default: training's environment) with ``fresh=True`` or a ``hash_seed`` runs each group in a
        brand-new sandboxed interpreter with that ``PYTHONHASHSEED`` (for determinism checks).
        """
        return self.score_batch([(verifier_source, r) for r in responses], run_env)

    def score_batch(self, pairs: Iterable[tuple[str, str]], run_env: RunEnv | None = None) -> list[ScoreResult]:
        """Score mixed ``(verifier_source, response)`` pairs; groups share a fork per source; input order kept."""
        pairs = list(pairs)
        env = run_env or TRAINING_ENV
        by_source: dict[str, list[int]] = {}
        for index, (source, _) in enumerate(pairs):
            by_source.setdefault(source, []).append(index)
        jobs: list[tuple[list[int], Future[list[ScoreResult]]]] = []
        for source, indices in by_source.items():
            size = self.group_size_for(source)
            for at in range(0, len(indices), size):
                chunk = indices[at:at + size]
                responses = [pairs[i][1] for i in chunk]
                jobs.append((chunk, self._submit(source, responses, env)))
        results: list[ScoreResult | None] = [None] * len(pairs)
        for chunk, future in jobs:
            try:
                scored = future.result()
            except CancelledError as exc:
                raise SandboxError("the sandbox pool was closed while this call waited for a worker") from exc
            for index, result in zip(chunk, scored):
                results[index] = result
        return [r for r in results if r is not None]

    def close(self) -> None:
        """Kill every worker and everything it started; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._executor.shutdown(wait=True, cancel_futures=True)
        with self._lock:
            live, self._live = list(self._live), set()
        for worker in live:
            worker.close()

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _submit(self, source: str, responses: list[str], env: RunEnv) -> Future[list[ScoreResult]]:
        with self._lock:
            if self._closed:
                raise SandboxError("this sandbox pool is closed")
            return self._executor.submit(self._run_group, source, responses, env)

    def _start(self, hash_seed: int | None) -> Worker:
        worker = self._backend.start_worker(self.limits, hash_seed)
        with self._lock:
            self._live.add(worker)
            closed = self._closed
        if closed:
            self._retire(worker)
            raise SandboxError("this sandbox pool is closed")
        return worker

    def _retire(self, worker: Worker) -> None:
        worker.close()
        with self._lock:
            self._live.discard(worker)

    def _run_group(self, source: str, responses: list[str], env: RunEnv) -> list[ScoreResult]:
        if isinstance(self._backend, UnsafeLocalBackend):
            logger.warning(UNSAFE_MESSAGE)
        worker = self._slots.get()
        try:
            if env.needs_fresh:
                return self._run_fresh(source, responses, env)
            if worker is None or not worker.alive():
                if worker is not None:
                    self._retire(worker)
                worker = None
                worker = self._start(None)
            try:
                return worker.score_group(source, responses, env)
            except SandboxError as exc:
                self._retire(worker)
                worker = None
                logger.warning("sandbox worker failed (%s); re-scoring the group one response at a time", exc)
                return [self._run_alone(source, response, env) for response in responses]
        except SandboxError as exc:
            return [_error(exc) for _ in responses]
        finally:
            self._slots.put(worker)

    def _run_alone(self, source: str, response: str, env: RunEnv) -> ScoreResult:
        try:
            worker = self._start(None)
        except SandboxError as exc:  # no worker could start: infrastructure, not this response (and not the others)
            return _error(exc)
        try:
            return worker.score_group(source, [response], env)[0]
        except SandboxError as exc:
            return ScoreResult(outcome=Outcome.CRASHED, detail=f"the response took its sandbox worker down: {exc}")
        finally:
            self._retire(worker)

    def _run_fresh(self, source: str, responses: list[str], env: RunEnv) -> list[ScoreResult]:
        """One fresh interpreter for the group. A run that loses its sandbox is tried once more on another, so a
        passing infrastructure fault is never blamed on the verifier; losing it twice, the run is the cause."""
        for _attempt in (1, 2):
            worker = self._start(env.hash_seed)  # a start failure propagates: the group is an infrastructure error
            try:
                return worker.score_group(source, responses, env)
            except SandboxError as exc:
                failure = exc
            finally:
                self._retire(worker)
        return [ScoreResult(outcome=Outcome.CRASHED, detail=f"the run took its fresh sandbox down twice: {failure}")
                for _ in responses]


def _error(exc: BaseException) -> ScoreResult:
    return ScoreResult(outcome=Outcome.ERROR, detail=f"sandbox failure: {exc}"[:1000])


def open_pool(backend: str = "bwrap", workers: int = 2, limits: Limits | None = None, *, group_size: int = 16,
              registry: BackendRegistry | None = None) -> Pool:
    """Start a warm pool of ``workers`` sandbox workers on the named backend (see the module docstring).

    Raises ConfigError for an unknown backend name (with a suggestion) and SandboxUnavailableError when the backend
    cannot run here (the message says why and what to use instead).
    """
    chosen = (registry or default_registry()).create(backend)
    reason = chosen.unavailable_reason()
    if reason is not None:
        raise SandboxUnavailableError(f"sandbox backend {backend!r} is unavailable: {reason}")
    if isinstance(chosen, UnsafeLocalBackend):
        logger.warning(UNSAFE_MESSAGE)
    return Pool(chosen, workers, limits or Limits(), group_size)
