"""The reward-hacking monitor in environment training (:func:`trainer.env_grpo.train_environments`).

A separate module because environments reach the monitor by another road than bank tasks: their reward is each
rollout's ``score`` (:class:`trainer.environments.EnvironmentReward`), not a verifier's, and they are trained from
the given specs, not from the bank, so a flagged environment cannot be quarantined there (the bank keeps no
status history for environments). The pieces that fit are reused as they are: the same
:class:`trainer.monitor.RewardHackMonitor` (an environment is a task: its id, its GRPO groups, the score as the
pass signal against ``reward.pass_threshold``, the final reply as the response, the reference trajectory's final
answer and the prompt as what the pattern rule compares with), and the same callback, which judges every logging
interval and puts the counts into TRL's logs (:mod:`trainer.monitor_callback`).

What differs is the quarantine: a flagged environment is *set aside* for the rest of the run. Its rollouts are
still scored (each session must be closed), but the reward function answers ``None`` for them, which TRL treats
as unscorable (no advantage, no learning signal from it), and the summary lists it with the quarantined. The
position and canary rules need verifier processes to re-score in, which environments do not have; the jump and
shared-pattern rules apply.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from task_bank.environment import EnvironmentSpec
from trainer.environments import final_answer
from trainer.monitor import Flag, RewardHackMonitor, TaskContext
from trainer.monitor_callback import MonitorCallback

logger = logging.getLogger(__name__)

RewardFunction = Callable[..., list[float | None]]


class MonitoredEnvironmentReward:
    """TRL reward function around an environment reward: records every GRPO group into the monitor, and answers
    ``None`` for the rollouts of environments set aside."""

    def __init__(self, reward: RewardFunction, monitor: RewardHackMonitor, group_size: int) -> None:
        self.__name__ = getattr(reward, "__name__", "environment")  # TRL's metric names stay the reward's own
        self._reward = reward
        self._monitor = monitor
        self._group_size = group_size
        self.set_aside: set[str] = set()
        """Environments flagged this run: no longer rewarded."""

    def __call__(self, completions: list[Any], environments: list[Any], **kwargs: Any) -> list[float | None]:
        """Rewards in order: the wrapped reward's, ``None`` for an environment set aside."""
        rewards = self._reward(completions=completions, environments=environments, **kwargs)
        ids = [environment_id(env, kwargs.get("environment"), i) for i, env in enumerate(environments)]
        texts = [final_answer(c) for c in completions]
        for start, end in groups(ids, self._group_size):
            if ids[start] not in self.set_aside:
                self._monitor.record_group(ids[start], rewards[start:end], texts[start:end])
        rewards = [None if env_id in self.set_aside else r for env_id, r in zip(ids, rewards, strict=True)]
        log_metric = kwargs.get("log_metric")
        if log_metric is not None:
            log_metric("monitor/set_aside_rollouts", float(sum(env_id in self.set_aside for env_id in ids)))
        return rewards


def environment_id(environment: Any, column: Sequence[str] | None, index: int) -> str:
    """The id of a rollout's environment: its adapter's spec, else the row's ``environment`` column."""
    spec = getattr(environment, "spec", None)
    if isinstance(spec, EnvironmentSpec):
        return spec.id
    return str(column[index]) if column is not None else ""


def groups(ids: Sequence[str], size: int) -> list[tuple[int, int]]:
    """The batch's GRPO groups, as (start, end): consecutive rows of one environment, at most ``size`` each."""
    found, start = [], 0
    while start < len(ids):
        end = start + 1
        while end < len(ids) and ids[end] == ids[start] and end - start < size:
            end += 1
        found.append((start, end))
        start = end
    return found


class EnvironmentMonitorCallback(MonitorCallback):
    """The monitor's callback for environment training: judges every logging interval, logs the counts into TRL's
    logs, and sets a flagged environment aside for the rest of the run (see the module docstring)."""

    QUARANTINE_WORDS = "set aside for the rest of this run (environments have no status in the bank)"

    def __init__(self, monitor: RewardHackMonitor, reward: MonitoredEnvironmentReward,
                 specs: Sequence[EnvironmentSpec]) -> None:
        super().__init__(None, monitor)
        self._reward = reward
        self._specs = {spec.id: spec for spec in specs}

    def quarantine(self, flag: Flag) -> bool:
        """Set the flagged environment aside: its rollouts earn ``None`` from now on."""
        if flag.task_id not in self._specs or flag.task_id in self._reward.set_aside:
            return False
        self._reward.set_aside.add(flag.task_id)
        return True

    def context(self, task_id: str) -> TaskContext | None:
        """The reference trajectory's final answer and the prompt."""
        spec = self._specs.get(task_id)
        if spec is None:
            return None
        return TaskContext(reference=spec.reference.response, prompt=spec.prompt_text)
