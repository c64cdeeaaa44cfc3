"""Export to a Hugging Face ``datasets`` Dataset (saved with ``save_to_disk``) or Parquet, shaped for TRL.

TRL's ``GRPOTrainer`` reads the ``prompt`` column in conversational form (a list of ``{role, content}``) and passes
every other column to the reward functions as keyword arguments, so ``task_id`` (and the verifier source) reach
the reward function without a second lookup. Being a training set, it holds the training split only unless asked:
a held-out replay task in it would leak the evaluation into training.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from datasets import Dataset, Features, List, Value

from task_bank.errors import InputError
from task_bank.query import StatusFilter
from task_bank.records import TaskSplit, TaskStatus
from task_bank.store import Bank

FEATURES = Features({
    "task_id": Value("string"),
    "prompt": List({"role": Value("string"), "content": Value("string")}),
    "verifier": Value("string"),
    "reference": Value("string"),
    "skill": Value("string"),
    "metadata": Value("string"),
})
"""Columns of the exported dataset; ``metadata`` is the task's metadata as a JSON string."""


def _rows(bank: Bank, status: StatusFilter, skill: str | None,
          split: TaskSplit | None) -> Iterator[dict[str, object]]:
    for record in bank.iter_tasks(status=status, skill=skill, split=split):
        spec = record.spec
        yield {"task_id": spec.id, "prompt": spec.chat_prompt(), "verifier": spec.verifier,
               "reference": spec.reference, "skill": spec.skill,
               "metadata": json.dumps(spec.metadata, sort_keys=True, default=str)}


def to_dataset(bank: Bank, *, status: StatusFilter = TaskStatus.ADMITTED, skill: str | None = None,
               split: TaskSplit | None = TaskSplit.TRAIN) -> Dataset:
    """The matching tasks as an in-memory Dataset with :data:`FEATURES` (admitted training tasks by default;
    ``split=None`` for every split)."""
    columns: dict[str, list[object]] = {name: [] for name in FEATURES}
    for row in _rows(bank, status, skill, split):
        for name, value in row.items():
            columns[name].append(value)
    return Dataset.from_dict(columns, features=FEATURES)


def export_parquet(bank: Bank, path: str | Path, *, status: StatusFilter = TaskStatus.ADMITTED,
                   skill: str | None = None, split: TaskSplit | None = TaskSplit.TRAIN) -> int:
    """Write the matching tasks to one Parquet file; returns how many."""
    dataset = to_dataset(bank, status=status, skill=skill, split=split)
    try:
        dataset.to_parquet(str(path))
    except OSError as exc:
        raise InputError(f"cannot write the file ({exc.strerror or exc})", path=str(path)) from exc
    return len(dataset)


def export_hf(bank: Bank, path: str | Path, *, status: StatusFilter = TaskStatus.ADMITTED,
              skill: str | None = None, split: TaskSplit | None = TaskSplit.TRAIN) -> int:
    """Save the matching tasks with ``Dataset.save_to_disk`` (reload with ``datasets.load_from_disk``)."""
    dataset = to_dataset(bank, status=status, skill=skill, split=split)
    try:
        dataset.save_to_disk(str(path))
    except OSError as exc:
        raise InputError(f"cannot write the dataset ({exc.strerror or exc})", path=str(path)) from exc
    return len(dataset)
