"""Fixtures of the failure-replay tests: a fresh bank per test and distinct practice / replay task specs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from task_bank.spec import TaskSpec
from task_bank.store import Bank

_WORDS = ["glacier", "compiler", "harbour", "violin", "orbit", "lattice", "meadow", "cipher", "turbine", "atlas",
          "quartz", "falcon", "nebula", "saddle", "ember", "prism", "canyon", "walnut", "ferry", "lantern"]


def task(n: int, **overrides: object) -> TaskSpec:
    """A distinct task whose prompt, verifier and answer all depend on ``n``; the answer is ``str(n * 7 + 3)``."""
    words = " ".join(_WORDS[(n * 7 + i * 3) % len(_WORDS)] + str((n * 31 + i) % 97) for i in range(12))
    answer = str(n * 7 + 3)
    fields: dict[str, object] = {
        "prompt": f"Question {n}: after the words {words}, what is {n} times 7 plus 3? Answer with the number.",
        "verifier": (f"def verify(response: str) -> float:\n"
                     f"    return 1.0 if response.strip() == {answer!r} else 0.0\n"),
        "reference": answer,
        "failure_cases": (str(n * 7 + 4),),
        "metadata": {"skill": f"skill{n % 2}"},
    }
    fields.update(overrides)
    return TaskSpec.model_validate(fields)


@pytest.fixture
def make_task():
    """The :func:`task` factory."""
    return task


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Bank]:
    """A fresh, open bank; closed after the test."""
    with Bank.open(tmp_path / "bank.db") as opened:
        yield opened
