"""The one interface every sandbox backend implements: start a worker, score a group on it, close it.

Exceptions (all infrastructure; a misbehaving verifier or response is an Outcome, never an exception)::

    SandboxError                 (task_bank.errors)
    └── SandboxUnavailableError  the backend cannot run here (no bwrap binary, no Docker engine); says why
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import ClassVar

from task_bank.errors import SandboxError
from task_bank.validation import ScoreResult
from verifier.limits import Limits, RunEnv


class SandboxUnavailableError(SandboxError):
    """The backend cannot run on this machine; the message names what is missing and the alternative."""


class Worker(ABC):
    """One long-lived sandbox (a zygote) that scores groups of responses one group at a time."""

    @abstractmethod
    def score_group(self, source: str, responses: Sequence[str], run_env: RunEnv) -> list[ScoreResult]:
        """Score ``responses`` against ``source`` in order. Raises SandboxError when the worker itself fails."""

    @abstractmethod
    def alive(self) -> bool:
        """False once the worker died or was closed; the pool then replaces it."""

    @abstractmethod
    def close(self) -> None:
        """Kill everything the worker started and release its resources. Safe to call twice."""


class Backend(ABC):
    """A way to start workers: bwrap, docker, unsafe-local."""

    name: ClassVar[str]

    @abstractmethod
    def unavailable_reason(self) -> str | None:
        """None when workers can start here, else why not (and what to use instead)."""

    @abstractmethod
    def start_worker(self, limits: Limits, hash_seed: int | None = None) -> Worker:
        """Start one warm worker whose interpreter uses ``PYTHONHASHSEED=hash_seed`` (None: one drawn from the
        operating system, :func:`verifier.limits.worker_hash_seed`)."""
