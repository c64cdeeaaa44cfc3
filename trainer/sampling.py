"""Task sampling weights: spend rollouts where GRPO can learn.

A GRPO group teaches something only when its completions score differently. A task the policy always solves
(pass rate 1) or never solves (pass rate 0) yields groups of equal scores, zero advantage and no gradient, so those
tasks are sampled at a small ``floor`` weight, and a task solved about half the time weighs the most::

    weight(p) = floor + (1 - floor) * (4 p (1 - p)) ** sharpness        weight(unknown) = unknown_weight

The pass rates come from the bank (``bank.latest_pass_rates()``): both those the trainer wrote and those
``synth.probe`` recorded, so a task probed before training starts already has a weight. Draws are deterministic for
a given seed and pool of tasks (tasks are ordered by id before drawing, whatever order the store returned).
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence

from trainer.config import SamplingSection


def task_weight(pass_rate: float | None, sampling: SamplingSection) -> float:
    """The sampling weight of one task with the given latest pass rate (None when never measured)."""
    if pass_rate is None:
        return sampling.unknown_weight
    p = min(1.0, max(0.0, pass_rate))
    return sampling.floor + (1.0 - sampling.floor) * (4.0 * p * (1.0 - p)) ** sampling.sharpness


def task_weights(task_ids: Sequence[str], pass_rates: Mapping[str, float],
                 sampling: SamplingSection) -> dict[str, float]:
    """Weight of every task in ``task_ids``; a task missing from ``pass_rates`` has an unknown pass rate."""
    return {task_id: task_weight(pass_rates.get(task_id), sampling) for task_id in sorted(set(task_ids))}


class TaskSampler:
    """Draws task ids in proportion to their weights, from a seeded generator of its own."""

    def __init__(self, sampling: SamplingSection, seed: int) -> None:
        self._sampling = sampling
        self._rng = random.Random(seed)

    def draw(self, task_ids: Sequence[str], pass_rates: Mapping[str, float], k: int = 1) -> list[str]:
        """``k`` task ids drawn with replacement from ``task_ids``, weighted by their pass rates."""
        if not task_ids:
            raise ValueError("cannot draw from an empty set of tasks")
        weights = task_weights(task_ids, pass_rates, self._sampling)
        ids = list(weights)
        return self._rng.choices(ids, weights=[weights[i] for i in ids], k=k)
