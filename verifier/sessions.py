"""Sandboxed environment sessions: one ``Env`` instance lives in one sandboxed process for a whole rollout.

``SessionPool`` keeps warm session workers (:mod:`verifier.session_launch`: the verifier sandbox's bwrap launch,
seccomp filter and cgroups around the session supervisor of :mod:`verifier.session_program`). ``pool.open(source,
seed)`` forks a session in a worker and resets the environment; the :class:`Session` it returns proxies ``call``,
``score`` and ``solve`` to that process and ``close`` kills it. Many sessions share a worker, each in its own forked
process, process session and scratch directory: an instance's state (class attributes included) never reaches
another session. Under root each session is also pid 1 of namespaces of its own, with no ``/proc`` and a scratch
tmpfs of its own (:func:`verifier.session_child.spawner_main`): sessions of other tasks on the same worker are out
of its sight and reach. Limits (:class:`SessionLimits`): ``reset_s`` for the reset, ``call_s`` per tool call or score,
``rollout_s`` for the session's own steps together (not the time between them, spent on generation and on other
sessions); past one the session's process is killed and the step is ``timeout``.

Concurrency: a worker serves one request at a time (a lock on the host side, :mod:`verifier.session_worker`), so a
tool that hangs delays the other sessions of its worker until its limit; more workers give more parallel sessions.

Failures are classified here, once: what the environment does wrong is a :class:`StepResult` outcome; a worker that
dies or stops answering is closed, and every step of its sessions is ``error`` (infrastructure, never blamed on
the environment or the policy); the next ``open`` starts a replacement.

Each session's process runs at nice 19 under RLIMIT_AS, RLIMIT_CPU (``rollout_s``), RLIMIT_FSIZE and RLIMIT_NOFILE,
in its own process group and session and, under root, as pid 1 of pid, mount and IPC namespaces of its own. The
supervisor (nice 0, so it wins the worker's one-core CPU quota) kills such a session through the pidfd its clone
made, and the kernel ends every process of the namespace with it, daemons that left the group and the session
included; a session forked without namespaces is killed by its group at once and then by sweeps of its session
until no member is left, so a fork loop ends with its session (``tests/environments/test_session_containment.py``:
a session cannot signal its supervisor, memory and fork bombs end only their own session;
``test_session_kill.py``: a close never reaches a process that took a dead session's number).

Sessions are forked by a spawner process that the supervisor forks before it reads any request, and each reads its
own request only after the fork: ``fork()`` copies freed heap, and a session forked from the supervisor itself
could read earlier sessions' sources and tool arguments out of its own memory (the test of that name found them).

Not covered beyond the verifier sandbox's own list: sessions of one worker share its pids and memory cgroup budget,
so a fork or memory bomb slows or starves its neighbours until its limit kills it; without namespaces (no root), a
process that leaves both its process group and its session (``setsid`` in a grandchild) lives until the worker
closes, and the spawner shares the sessions' uid, so a session can kill it, which ends the worker (its sessions'
steps are ``error``, and the pool starts a new one); environment code runs in the process that reports its
results (it decides its own score anyway: the supervisor only checks the shape).
"""

from __future__ import annotations

import itertools
import json
import threading
from types import TracebackType
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from task_bank.environment_results import ENDS_SESSION, StepOutcome, StepResult
from task_bank.errors import ConfigError, SandboxError
from verifier.limits import Limits, RunEnv
from verifier.session_launch import start_session_worker
from verifier.session_worker import NoProcess, SessionWorker

TRAINING_ENV = RunEnv()


class SessionLimits(BaseModel):
    """Time and resource limits of one session. Every limit is enforced from outside the environment's process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    reset_s: float = Field(default=5.0, gt=0.0, le=600.0)
    """Wall time for loading the source, building ``Env()`` and ``reset(seed)``."""
    call_s: float = Field(default=2.0, gt=0.0, le=600.0)
    """Wall time of one tool call, ``score`` or ``solve``."""
    rollout_s: float = Field(default=60.0, gt=0.0, le=3600.0)
    """Wall time the session's own steps (reset, calls, score) may take together; the time between them is not
    counted (TRL runs every rollout's tools in one thread: counted from open, other tasks' slow tools ran out a
    correct rollout's clock). Also the session's CPU-seconds budget."""
    memory_mb: int = Field(default=512, ge=64, le=65536)
    """Address space of one session's process (RLIMIT_AS)."""
    max_processes: int = Field(default=64, ge=4, le=4096)
    """Processes plus threads alive at once in one worker (cgroup ``pids.max`` and RLIMIT_NPROC)."""
    file_size_mb: int = Field(default=16, ge=1, le=4096)
    """Largest file a session may write."""
    scratch_mb: int = Field(default=64, ge=1, le=16384)
    """Size of each session's own tmpfs scratch (under root; elsewhere the worker's, each session a directory in it)."""
    value_kb: int = Field(default=256, ge=1, le=65536)
    """Largest observation or tool return one step may send."""

    @classmethod
    def for_rewards(cls) -> SessionLimits:
        """The limits environments are trained and validated under: a verify call's wall time and memory
        (``verifier.Limits()``) for each call, the defaults otherwise. One definition for both: validation once
        used shorter ones, which an environment read (``RLIMIT_CPU``, or the request through its frames) and so
        stayed honest only in validation (red-team round 28)."""
        defaults = Limits()
        return cls(call_s=defaults.wall_s, memory_mb=defaults.memory_mb)

    def sandbox_limits(self) -> Limits:
        """The verifier sandbox's limits for the worker process tree."""
        return Limits(wall_s=min(600.0, self.rollout_s), memory_mb=self.memory_mb, max_processes=self.max_processes,
                      file_size_mb=self.file_size_mb, scratch_mb=self.scratch_mb)


class Session:
    """One live environment instance. Build it with :meth:`SessionPool.open`; close it (or use ``with``)."""

    def __init__(self, worker: SessionWorker, sid: int, limits: SessionLimits, observation: StepResult) -> None:
        self._worker = worker
        self.sid = sid
        self.limits = limits
        self.observation = observation
        """What ``reset`` returned (``ok`` with the observation string), or why the session never started."""
        self._ended: StepResult | None = observation if observation.outcome in ENDS_SESSION else None
        self._closed = False

    @property
    def alive(self) -> bool:
        """False once a step ended the session (crash, timeout, invalid, infrastructure) or it was closed."""
        return self._ended is None and not self._closed

    def call(self, tool: str, args: dict[str, JsonValue]) -> StepResult:
        """Call one tool with keyword ``args``; a raising tool is ``raised`` and the session goes on. Arguments JSON
        cannot carry (``NaN``, ``Infinity``: what ``json.loads`` makes of them in a policy's tool call) are
        ``raised`` too, the policy's error, without reaching the sandbox (its supervisor refuses them: red-team
        round 28 took a worker down with one)."""
        try:
            json.dumps(args, allow_nan=False)
        except (TypeError, ValueError, RecursionError) as exc:
            return StepResult(outcome=StepOutcome.RAISED, detail=f"the arguments are not JSON: {exc}"[:1000])
        return self._step({"op": "call", "tool": tool, "args": args}, self.limits.call_s)

    def score(self, response: str) -> StepResult:
        """``Env.score(response)``: ``scored`` with a float in [0, 1], or why not."""
        return self._step({"op": "score", "response": response}, self.limits.call_s)

    def solve(self) -> StepResult:
        """``Env.solve()`` for the current state (seeded families): ``ok`` with ``{"calls", "response"}``."""
        return self._step({"op": "solve"}, self.limits.call_s)

    def reset(self, seed: int, fresh: bool) -> StepResult:
        """``reset(seed)`` again in this process, on a new ``Env()`` when ``fresh``: the observation, or why not.

        Only the validator uses this, to see whether a second instance in one interpreter (TRL pools and reuses
        instances) starts from the same state as the first."""
        return self._step({"op": "reset", "seed": seed, "fresh": fresh}, self.limits.reset_s)

    def close(self) -> None:
        """Kill the session's process and wipe its scratch directory; idempotent, never raises."""
        if self._closed:
            return
        self._closed = True
        self._worker.open_sessions -= 1
        if self._worker.process.alive():
            try:
                self._worker.request({"op": "close", "sid": self.sid}, self.limits.call_s)
            except SandboxError:
                return

    def __enter__(self) -> Session:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _step(self, message: dict[str, Any], budget_s: float) -> StepResult:
        if self._closed:
            return StepResult(outcome=StepOutcome.DEAD, detail="the session was closed")
        if self._ended is not None:
            return StepResult(outcome=StepOutcome.DEAD, detail=f"the session ended earlier: {self._ended.detail}")
        try:
            result = self._worker.request({**message, "sid": self.sid}, budget_s)
        except SandboxError as exc:
            result = StepResult(outcome=StepOutcome.ERROR, detail=f"sandbox failure: {exc}"[:1000])
        if result.outcome in ENDS_SESSION:
            self._ended = result
        return result


class SessionPool:
    """Warm session workers under one backend; thread-safe; ``close()`` ends all.

    ``hash_seed``: the ``PYTHONHASHSEED`` of every worker; None (training's way) draws one for each worker as it
    starts, so no session can test for a seed training always uses (:class:`verifier.limits.RunEnv`)."""

    def __init__(self, backend: str = "bwrap", workers: int = 1, limits: SessionLimits | None = None,
                 hash_seed: int | None = None) -> None:
        if workers < 1:
            raise ConfigError("a session pool needs at least one worker", field="workers")
        self.backend = backend
        self.limits = limits or SessionLimits()
        self.hash_seed = hash_seed
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._workers: list[SessionWorker | None] = [None] * workers
        self._closed = False
        for index in range(workers):
            self._workers[index] = self._start()

    def open(self, source: str, seed: int, run_env: RunEnv | None = None) -> Session:
        """Fork a session for ``source`` and ``reset(seed)`` it; the result's ``observation`` says how it went."""
        env = run_env or TRAINING_ENV
        with self._lock:
            if self._closed:
                raise SandboxError("this session pool is closed")
            index = min(range(len(self._workers)), key=lambda i: self._load(i))
            worker = self._workers[index]
            sid = next(self._ids)
        if worker is None or not worker.process.alive():
            try:
                worker = self._start()
            except SandboxError as exc:
                failed = StepResult(outcome=StepOutcome.ERROR, detail=f"sandbox failure: {exc}"[:1000])
                return Session(SessionWorker(NoProcess()), sid, self.limits, failed)
            with self._lock:
                self._workers[index] = worker
        worker.open_sessions += 1
        request = {"op": "open", "sid": sid, "source": source, "seed": seed,
                   "limits": self.limits.model_dump(),
                   "env": {"clock_offset_s": env.clock_offset_s, "rng_seed": env.rng_seed,
                           "pid_offset": env.pid_offset}}
        try:
            observation = worker.request(request, self.limits.reset_s)
        except SandboxError as exc:
            observation = StepResult(outcome=StepOutcome.ERROR, detail=f"sandbox failure: {exc}"[:1000])
        return Session(worker, sid, self.limits, observation)

    def close(self) -> None:
        """Kill every worker and every session in it; idempotent."""
        with self._lock:
            self._closed = True
            workers, self._workers = self._workers, []
        for worker in workers:
            if worker is not None:
                worker.process.close()

    def __enter__(self) -> SessionPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def _load(self, index: int) -> int:
        worker = self._workers[index]
        return -1 if worker is None or not worker.process.alive() else worker.open_sessions

    def _start(self) -> SessionWorker:
        return SessionWorker(start_session_worker(self.backend, self.limits.sandbox_limits(), self.hash_seed))
