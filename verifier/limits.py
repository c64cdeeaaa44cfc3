"""Resource limits for one verify run, and the run environment that pins (or varies) its nondeterminism.

Both are frozen records passed explicitly to :func:`verifier.open_pool` and :meth:`Pool.score`; the sandbox
backends translate them into rlimits, cgroup settings and harness options. Keeping them in one small module lets
the validator and the trainer build them without importing any backend.
"""

from __future__ import annotations

import random
import secrets

from pydantic import BaseModel, ConfigDict, Field, field_validator

from verifier.libraries import DEFAULT_LIBRARIES, check_library_name

HASH_SEED_MAX = 4_294_967_295
"""The largest ``PYTHONHASHSEED`` Python accepts."""


class Limits(BaseModel):
    """What one sandboxed run may use. Every limit is enforced from outside the untrusted process.

    The defaults are *the* limits: ``verifier validate``, ``verifier score``, ``synth.probe`` and the trainer's
    reward all use them, so a verifier sees the same environment in validation as in training."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    wall_s: float = Field(default=5.0, gt=0.0, le=600.0)
    """Wall time for loading the verifier, and again for each ``verify`` call; past it the run is killed."""
    cpu_s: float = Field(default=5.0, gt=0.0, le=600.0)
    """CPU seconds each ``verify`` call is guaranteed. The verifier process's RLIMIT_CPU is a constant cap of
    ``2 * cpu_s + 1`` s, whatever the group size (a limit that grew with the group told a verifier whether it was in
    validation); a process that could not fit another call under it hands the rest of the group to a fresh one."""
    memory_mb: int = Field(default=512, ge=64, le=65536)
    """Address space of the process running the verifier (RLIMIT_AS); the worker's cgroup caps the sum."""
    max_processes: int = Field(default=64, ge=4, le=4096)
    """Processes plus threads alive at once in one worker sandbox (cgroup ``pids.max`` and RLIMIT_NPROC)."""
    file_size_mb: int = Field(default=16, ge=1, le=4096)
    """Largest file the verifier may write (RLIMIT_FSIZE)."""
    scratch_mb: int = Field(default=64, ge=1, le=16384)
    """Size of the private tmpfs scratch space (the only writable place)."""
    output_kb: int = Field(default=1024, ge=1, le=1048576)
    """stdout plus stderr bytes a verifier process may write while loading or scoring one response before it is killed
    (the budget starts afresh with each response); only the first KiB is kept."""
    isolate_responses: bool = False
    """Run each ``verify`` call of a group in its own fork of the loaded verifier, so that one response cannot
    change what later responses of the same group see. Off by default: one process per group is the measured
    fast path (a fork per call cost about 8x in throughput here); turn it on where responses are executed as code and
    must not influence each other."""
    libraries: tuple[str, ...] = DEFAULT_LIBRARIES
    """Installed packages the verifier may import, mounted read-only (``verifier/libraries.py``); () for the standard
    library only. Default: IFEval's checkers (``if_verifiable.ifeval``) and what they import."""

    @field_validator("libraries")
    @classmethod
    def _import_names(cls, names: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_library_name(name) for name in names)


class RunEnv(BaseModel):
    """The interpreter environment a run sees. The defaults are the training environment.

    Training pins nothing a verifier could recognise: each warm worker's interpreter starts with a hash seed drawn
    from the operating system (:func:`worker_hash_seed`), and each verifier process seeds the global ``random``
    from the operating system. Why not fixed values: a value training always shows is a constant a verifier can
    test for (``hash('a')`` under ``PYTHONHASHSEED=0``; the MIME boundary ``email`` draws from the global
    ``random`` seeded 0, which no static rule flags), and a verifier that recognises training can behave in
    validation and pay in training. An admitted verifier scores alike under any hash and RNG seed (validation's
    varied runs draw others), so the scores training replays do not move.

    A ``hash_seed`` given (or ``fresh=True``) runs the group in a brand-new sandboxed interpreter started with
    ``PYTHONHASHSEED=hash_seed``: children forked from a warm worker share its hash seed, so only a fresh
    interpreter exposes hash-order nondeterminism. ``clock_offset_s`` shifts the clocks a verifier can read
    (``verifier/sandbox/zygote/environment.py``) before the verifier loads; ``rng_seed`` seeds the global ``random``
    (tests pin it); ``pid_offset`` shifts process ids.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    hash_seed: int | None = Field(default=None, ge=0, le=HASH_SEED_MAX)
    """``PYTHONHASHSEED`` of a fresh interpreter; None: the warm worker's own, drawn when it started."""
    clock_offset_s: float = 0.0
    """Seconds added to every clock the harness shifts."""
    rng_seed: int | None = None
    """Seed of the global ``random`` before the verifier loads; None: seeded from the operating system."""
    pid_offset: int = Field(default=0, ge=0, le=1 << 30)
    """Added to every process id ``os.getpid/getppid/getpgrp/getpgid/getsid`` report (0: functions untouched), so
    that validation can show a verifier the pids of a worker that has run for days."""
    fresh: bool = False
    """Run in a new interpreter (a new sandbox) instead of a fork of a warm worker."""
    record_requests: bool = False
    """Return, with each result, the requests the verifier's runs of the response were made with
    (``ScoreResult.run_requests``). Not part of what a run sees: the verifier process is never told."""

    @property
    def needs_fresh(self) -> bool:
        """True when a warm worker (whose hash seed is its own) cannot provide this environment."""
        return self.fresh or self.hash_seed is not None


def worker_hash_seed(hash_seed: int | None) -> int:
    """The ``PYTHONHASHSEED`` a worker's interpreter starts with: ``hash_seed``, or, for None, one drawn from the
    operating system, never 0 (0 turns hash randomisation off, which ``sys.flags`` shows)."""
    return secrets.randbelow(HASH_SEED_MAX) + 1 if hash_seed is None else hash_seed


def draw_hash_seeds(rng: random.Random, count: int) -> tuple[int, ...]:
    """``count`` distinct hash seeds from ``rng`` (none 0): the varied runs' interpreters, one per run."""
    seeds: list[int] = []
    while len(seeds) < count:
        seed = rng.randint(1, HASH_SEED_MAX)
        if seed not in seeds:
            seeds.append(seed)
    return tuple(seeds)
