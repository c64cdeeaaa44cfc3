"""Fixtures for the task bank tests: a fresh bank file per test and a factory of distinct, realistic specs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from task_bank.spec import TaskSpec
from task_bank.store import Bank

_TOPICS = ["glacier", "compiler", "harbour", "violin", "orbit", "lattice", "meadow", "cipher", "turbine", "atlas",
           "quartz", "falcon", "nebula", "saddle", "ember", "prism", "canyon", "walnut", "ferry", "lantern"]


def spec_for(n: int, **overrides: object) -> TaskSpec:
    """A distinct task: its prompt words, verifier constant and structure all depend on ``n``."""
    words = " ".join(_TOPICS[(n * 7 + i * 3) % len(_TOPICS)] + str((n * 31 + i) % 97) for i in range(14))
    fields: dict[str, object] = {
        "prompt": f"Task {n}: list the words {words} and then answer with the number {n * 13 + 7}.",
        "verifier": (f"def verify(response: str) -> float:\n"
                     f"    parts = response.split()\n"
                     f"    return 1.0 if parts and parts[-1] == '{n * 13 + 7}' else {n % 5} / 10\n"),
        "reference": f"{words} {n * 13 + 7}",
        "failure_cases": (f"{words} {n * 13 + 8}",),
        "metadata": {"skill": f"skill{n % 3}"},
    }
    fields.update(overrides)
    return TaskSpec.model_validate(fields)


@pytest.fixture
def bank_path(tmp_path: Path) -> Path:
    """Where this test's bank file lives."""
    return tmp_path / "bank.db"


@pytest.fixture
def bank(bank_path: Path) -> Iterator[Bank]:
    """A fresh, open bank; closed after the test."""
    with Bank.open(bank_path) as opened:
        yield opened


@pytest.fixture
def make_spec() -> Callable[..., TaskSpec]:
    """The :func:`spec_for` factory."""
    return spec_for
