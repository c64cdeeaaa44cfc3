"""Resource limits for one verify run, and the run environment that pins (or varies) its nondeterminism.

Both are frozen records passed explicitly to :func:`verifier.open_pool` and :meth:`Pool.score`; the sandbox
backends translate them into rlimits, cgroup settings and harness options. Keeping them in one small module lets
the validator and the trainer build them without importing any backend.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator

from verifier.libraries import DEFAULT_LIBRARIES, check_library_name


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
    """The interpreter environment a run sees. Defaults pin everything so that training runs replay exactly.

    ``fresh=True`` (or any ``hash_seed`` other than the pool's pinned 0) runs the group in a brand-new sandboxed
    interpreter started with ``PYTHONHASHSEED=hash_seed``: children forked from a warm worker share its hash seed, so
    only a fresh interpreter exposes hash-order nondeterminism. ``clock_offset_s`` shifts ``time.time``,
    ``time.time_ns``, ``time.monotonic``, ``time.perf_counter``, ``time.localtime/gmtime/ctime`` and
    ``datetime.datetime.now/utcnow/today`` / ``datetime.date.today``, ``time.clock_gettime*``, ``time.strftime``
    and file times from ``os.stat``/``lstat``/``fstat`` before the verifier loads; ``rng_seed`` seeds the global
    ``random`` (``None`` leaves it seeded from the OS); ``pid_offset`` shifts process ids. With the defaults nothing
    is patched: the pinned environment is the one training uses, bit for bit.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    hash_seed: int = Field(default=0, ge=0, le=4294967295)
    """``PYTHONHASHSEED`` of the interpreter; warm workers use 0."""
    clock_offset_s: float = 0.0
    """Seconds added to every clock the harness patches."""
    rng_seed: int | None = 0
    """Seed for the global ``random`` module before the verifier loads; None for an OS-random seed."""
    pid_offset: int = Field(default=0, ge=0, le=1 << 30)
    """Added to every process id ``os.getpid/getppid/getpgrp/getpgid/getsid`` report (0: functions untouched), so
    that validation can show a verifier the pids of a worker that has run for days."""
    fresh: bool = False
    """Run in a new interpreter (a new sandbox) instead of a fork of a warm worker."""

    @property
    def needs_fresh(self) -> bool:
        """True when a warm worker (hash seed 0) cannot provide this environment."""
        return self.fresh or self.hash_seed != 0
