"""Fixtures of the trainer tests: a sandbox backend that fails like broken infrastructure, behind the real pool; the
real bubblewrap scoring pool, and a few batches of training through it with the reward-hacking monitor."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest

from task_bank import TaskSpec
from task_bank.errors import SandboxError
from task_bank.validation import ScoreResult
from trainer.ledger import ScoreLedger
from trainer.monitor import RewardHackMonitor
from trainer.monitor_config import MonitorConfig
from trainer.reward import VerifierReward
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


class OneTask:
    """A bank of one task, as the reward function looks tasks up (``TaskLookup``); the record is itself."""

    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec

    def find(self, task_id: str) -> OneTask | None:
        return self if task_id == self.spec.id else None


def train_monitored(pool, task: TaskSpec, responses: Sequence[str], batches: int,
                    config: MonitorConfig | None = None) -> RewardHackMonitor:
    """``batches`` GRPO batches of one group each (``responses``) scored through ``pool`` by the reward function,
    with the reward-hacking monitor (``config``, default: the default) judging after each and once more when its
    background checks are in."""
    monitor = RewardHackMonitor(1.0, config or MonitorConfig())
    reward = VerifierReward(pool, OneTask(task), ScoreLedger(1.0), group_size=len(responses), monitor=monitor,
                            rng=random.Random(1), canary_rng=random.Random(2))
    for _ in range(batches):
        reward([None] * len(responses), list(responses), task_id=[task.id] * len(responses))
        monitor.close_window(lambda _: None)
    reward.close()
    monitor.close_window(lambda _: None)
    return monitor


@pytest.fixture()
def monitored_training():
    """:func:`train_monitored`."""
    return train_monitored


@pytest.fixture(scope="module")
def bwrap_scoring_pool():
    """The scoring pool training uses, on the real bubblewrap sandbox, one worker."""
    from verifier.routing import open_scoring_pool

    with open_scoring_pool(backend="bwrap", workers=1, limits=Limits()) as opened:
        yield opened
