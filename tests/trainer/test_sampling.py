"""Sampling weights favour tasks the policy sometimes solves, and draws replay for a seed."""

from __future__ import annotations

from collections import Counter

from trainer.config import SamplingSection
from trainer.dataset import TaskSampler, task_weight, task_weights

SAMPLING = SamplingSection()


def test_mid_pass_rate_outweighs_always_and_never_solved():
    assert task_weight(0.5, SAMPLING) > task_weight(0.2, SAMPLING) > task_weight(0.0, SAMPLING)
    assert task_weight(0.5, SAMPLING) > task_weight(0.8, SAMPLING) > task_weight(1.0, SAMPLING)


def test_always_and_never_solved_tasks_keep_the_floor_weight():
    assert task_weight(0.0, SAMPLING) == task_weight(1.0, SAMPLING) == SAMPLING.floor


def test_task_without_a_pass_rate_gets_the_unknown_weight():
    assert task_weights(["new"], {}, SamplingSection(unknown_weight=0.7)) == {"new": 0.7}


def test_draws_favour_mid_pass_rate_tasks():
    rates = {"never": 0.0, "half": 0.5, "always": 1.0}
    counts = Counter(TaskSampler(SAMPLING, seed=0).draw(list(rates), rates, k=2000))
    assert counts["half"] > 10 * counts["never"]
    assert counts["half"] > 10 * counts["always"]


def test_draws_replay_for_a_seed_whatever_order_the_store_returned():
    rates = {"a": 0.3, "b": 0.6, "c": 0.9}
    first = TaskSampler(SAMPLING, seed=7).draw(["a", "b", "c"], rates, k=50)
    assert TaskSampler(SAMPLING, seed=7).draw(["c", "a", "b"], rates, k=50) == first
    assert TaskSampler(SAMPLING, seed=8).draw(["a", "b", "c"], rates, k=50) != first


def test_sharpness_concentrates_on_the_middle():
    sharp = SamplingSection(sharpness=4.0)
    assert task_weight(0.2, sharp) < task_weight(0.2, SAMPLING)
    assert task_weight(0.5, sharp) == task_weight(0.5, SAMPLING) == 1.0
