"""The reward-hacking monitor in environment training: every GRPO group of environment rollouts reaches it (the
score as the pass signal, the final reply as the response); a flagged environment is set aside for the rest of
the run (its rollouts earn None: no learning signal), and the counts go into TRL's logs."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from transformers import TrainerControl, TrainerState, TrainingArguments

from task_bank.environment import EnvironmentSpec
from trainer.env_grpo import read_environments
from trainer.monitor import FlagRule, RewardHackMonitor
from trainer.monitor_callback import FLAGGED_GROUPS, QUARANTINED
from trainer.monitor_env import EnvironmentMonitorCallback, MonitoredEnvironmentReward

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "environments" / "environments.jsonl"
GROUP = 8


class Rollout:
    """What TRL hands a reward function for a rollout: an instance of the environment's adapter class."""

    def __init__(self, spec: EnvironmentSpec) -> None:
        self.spec = spec


class Scores:
    """An environment reward that gives each rollout the score it is told to (and records what it was asked)."""

    __name__ = "environment"

    def __init__(self) -> None:
        self.next: list[float | None] = []

    def __call__(self, completions: list[Any], environments: list[Any], **kwargs: Any) -> list[float | None]:
        return list(self.next)


@pytest.fixture(scope="module")
def specs() -> list[EnvironmentSpec]:
    return read_environments(EXAMPLES)


def batch(reward: MonitoredEnvironmentReward, scores: Scores, spec: EnvironmentSpec, replies: list[str],
          passed: list[float | None]) -> list[float | None]:
    """One GRPO group of ``spec``'s rollouts, each ending in a tool call and then its final reply."""
    scores.next = passed
    completions = [[{"role": "assistant", "content": "", "tool_calls": []}, {"role": "tool", "content": "ok"},
                    {"role": "assistant", "content": reply}] for reply in replies]
    return reward(prompts=[spec.chat_prompt()] * len(replies), completions=completions,
                  environments=[Rollout(spec)] * len(replies), environment=[spec.id] * len(replies))


def score_replies(rng: random.Random) -> list[str]:
    return [f"{rng.randrange(100)}.{rng.randrange(100)} SCORE: 1.0" for _ in range(GROUP)]


def test_each_group_reaches_the_monitor_with_its_scores_and_final_replies(specs):
    monitor, scores = RewardHackMonitor(1.0), Scores()
    reward = MonitoredEnvironmentReward(scores, monitor, group_size=GROUP)
    batch(reward, scores, specs[0], score_replies(random.Random(0)), [1.0] * GROUP)
    watch = EnvironmentMonitorCallback(monitor, reward, specs)
    (flag,) = watch.check()
    assert (flag.task_id, flag.rule) == (specs[0].id, FlagRule.SHARED_PATTERN) and "SCORE: 1.0" in flag.detail


def test_a_flagged_environment_is_set_aside_and_its_rollouts_earn_none_from_then_on(specs):
    monitor, scores = RewardHackMonitor(1.0), Scores()
    reward = MonitoredEnvironmentReward(scores, monitor, group_size=GROUP)
    rng = random.Random(0)
    assert batch(reward, scores, specs[0], score_replies(rng), [1.0] * GROUP) == [1.0] * GROUP
    watch = EnvironmentMonitorCallback(monitor, reward, specs)
    watch.check()
    assert watch.quarantined == [specs[0].id] and watch.flagged_groups == 1
    assert batch(reward, scores, specs[0], score_replies(rng), [1.0] * GROUP) == [None] * GROUP
    assert batch(reward, scores, specs[1], ["9"] * GROUP, [1.0] * GROUP) == [1.0] * GROUP


def test_the_environment_callback_puts_the_counts_into_trl_logs(specs, tmp_path):
    monitor, scores = RewardHackMonitor(1.0), Scores()
    reward = MonitoredEnvironmentReward(scores, monitor, group_size=GROUP)
    batch(reward, scores, specs[0], score_replies(random.Random(0)), [1.0] * GROUP)
    logs: dict[str, float] = {"reward": 1.0}
    EnvironmentMonitorCallback(monitor, reward, specs).on_log(TrainingArguments(output_dir=str(tmp_path)),
                                                              TrainerState(), TrainerControl(), logs=logs)
    assert logs[FLAGGED_GROUPS] == 1.0 and logs[QUARANTINED] == 1.0


def test_the_pattern_rule_compares_with_the_reference_answer_and_the_prompt(specs):
    spec = next(s for s in specs if s.reference.response == "59-63-15")
    monitor, scores = RewardHackMonitor(1.0), Scores()
    reward = MonitoredEnvironmentReward(scores, monitor, group_size=GROUP)
    rng = random.Random(0)
    replies = [f"The code is: 59-63-15 (checked {rng.randrange(10**6)})" for _ in range(GROUP)]
    batch(reward, scores, spec, replies, [1.0] * GROUP)
    assert EnvironmentMonitorCallback(monitor, reward, specs).check() == []
