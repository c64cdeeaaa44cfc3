"""The training data: an endless stream of prompts drawn from the bank's admitted tasks.

The bank grows while the policy trains (``synth.grow`` admits tasks, the trainer retires mastered ones), so the
stream re-queries the store every ``sampling.refresh_every`` prompts: a task admitted mid-run is drawn from the next
refresh on, a retired one stops being drawn. Each refresh also re-reads every recorded pass rate, so the weights
follow the policy.

Sampling weights spend rollouts where GRPO can learn. A GRPO group teaches something only when its completions score
differently. A task the policy always solves (pass rate 1) or never solves (pass rate 0) yields groups of equal
scores, zero advantage and no gradient, so those tasks are sampled at a small ``floor`` weight, and a task solved
about half the time weighs the most::

    weight(p) = floor + (1 - floor) * (4 p (1 - p)) ** sharpness        weight(unknown) = unknown_weight

The pass rates come from the bank (``bank.latest_pass_rates()``): both those the trainer wrote and those
``synth.probe`` recorded, so a task probed before training starts already has a weight. Draws are deterministic for
a given seed and pool of tasks (tasks are ordered by id before drawing, whatever order the store returned).

This only works with ``GRPOConfig(shuffle_dataset=False)``: TRL's shuffle buffer for iterable datasets would
pre-read a buffer of rows and never see later ones (read in the installed TRL). ``trainer.grpo`` sets it.

The generator receives the bank path, not an open ``Bank``: ``datasets`` fingerprints its arguments, and it opens
its own SQLite connection (WAL lets it read while the statistics callback writes through another).
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from datasets import IterableDataset

from task_bank import BankError, TaskRecord
from task_bank.store import Bank
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


def practice_tasks(bank: Bank, skill: str | None = None) -> Iterator[TaskRecord]:
    """Every task a trainer may learn from (admitted; optionally of one skill), in storage order.

    The one query of the practice set, shared by GRPO's stream and OPSD's rows: whatever is kept out of training
    is kept out here, once, for both trainers: the held-out split (failure replays) is never returned."""
    return bank.training_tasks(skill=skill)


def admitted_prompts(bank: Bank, skill: str | None = None) -> dict[str, list[dict[str, str]]]:
    """Chat prompt of every practice task (optionally of one skill), by task id, in storage order."""
    return {record.id: record.spec.chat_prompt() for record in practice_tasks(bank, skill)}


def bank_rows(bank_path: str, sampling: dict[str, object], seed: int) -> Iterator[dict[str, object]]:
    """Yield ``{"prompt": chat messages, "task_id": id}`` forever, re-querying the bank between draws."""
    config = SamplingSection.model_validate(sampling)
    sampler = TaskSampler(config, seed)
    with Bank.open(Path(bank_path)) as bank:
        while True:
            prompts = admitted_prompts(bank, config.skill)
            if not prompts:
                raise BankError(no_tasks_message(bank_path, config.skill))
            rates = bank.latest_pass_rates(policy=config.policy)
            for task_id in sampler.draw(list(prompts), rates, k=config.refresh_every):
                yield {"prompt": prompts[task_id], "task_id": task_id}


def no_tasks_message(bank_path: str | Path, skill: str | None) -> str:
    """Why training cannot start or go on: nothing to sample."""
    which = f"admitted tasks with skill '{skill}'" if skill else "admitted tasks"
    return (f"{bank_path}: the bank has no {which} to train on; admit some with `python -m synth.generate` or "
            f"`python -m task_bank import FILE`, or change sampling.skill")


def bank_dataset(bank_path: Path, sampling: SamplingSection, seed: int) -> IterableDataset:
    """The endless, bank-following ``IterableDataset`` that GRPOTrainer trains on."""
    return IterableDataset.from_generator(
        bank_rows, gen_kwargs={"bank_path": str(bank_path), "sampling": sampling.model_dump(), "seed": seed})
