"""Fixtures of the trainer tests: a sandbox backend that fails like broken infrastructure, behind the real pool."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from task_bank.errors import SandboxError
from task_bank.validation import ScoreResult
from verifier import Backend, BackendRegistry, Limits, RunEnv, Worker


class BrokenWorker(Worker):
    """A worker whose sandbox dies under every group."""

    def score_group(self, source: str, responses: Sequence[str], run_env: RunEnv) -> list[ScoreResult]:
        raise SandboxError("sandbox worker died")

    def alive(self) -> bool:
        return False

    def close(self) -> None:
        return None


class CollapsingBackend(Backend):
    """Starts the pool's first worker, then cannot start any more: the pool reports outcome 'error'."""

    name = "collapsing"

    def __init__(self) -> None:
        self.started = 0

    def unavailable_reason(self) -> str | None:
        return None

    def start_worker(self, limits: Limits, hash_seed: int = 0) -> Worker:
        self.started += 1
        if self.started > 1:
            raise SandboxError("cannot start a sandbox worker")
        return BrokenWorker()


@pytest.fixture()
def collapsing_registry() -> BackendRegistry:
    """A backend registry holding only the 'collapsing' backend (pool size 1)."""
    registry = BackendRegistry()
    registry.register(CollapsingBackend.name, CollapsingBackend)
    return registry
