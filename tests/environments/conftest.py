"""Fixtures for environment tests: the shipped examples, and broken variants of a small cart environment."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from task_bank.environment import EnvironmentSpec
from verifier.env_validate import EnvValidator
from verifier.sessions import SessionLimits, SessionPool

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples" / "environments" / "environments.jsonl"

CART = '''
import random


class Env:
    """A cart."""

    def reset(self, seed: int) -> str:
        self.items = {}
        self.price = random.Random(seed).randrange(1, 9)
        return f"apples cost {self.price}"

    def add(self, name: str, qty: int) -> dict:
        """Add units of an item.

        Args:
            name: item name
            qty: units
        """
        if name != "apple":
            raise ValueError(f"no item {name}")
        self.items[name] = self.items.get(name, 0) + qty
        return dict(self.items)

    def score(self, response: str) -> float:
        return 1.0 if self.items == {"apple": 2} and response == str(2 * self.price) else 0.0
'''


def cart_spec(source: str = CART, *, reference_calls=None, response=None, failure_calls=None,
              failure_response: str = "0") -> EnvironmentSpec:
    """A cart environment spec; the keyword arguments replace its reference or its one failure case."""
    price = __import__("random").Random(0).randrange(1, 9)
    calls = reference_calls if reference_calls is not None else [{"tool": "add", "args": {"name": "apple", "qty": 2}}]
    return EnvironmentSpec.model_validate({
        "kind": "environment", "prompt": "Buy two apples; answer with what they cost.", "environment": source,
        "reference": {"seed": 0, "calls": calls, "response": response if response is not None else str(2 * price)},
        "failure_cases": [{"seed": 0, "calls": failure_calls if failure_calls is not None else
                           [{"tool": "add", "args": {"name": "apple", "qty": 1}}], "response": failure_response}]})


def example_specs() -> list[EnvironmentSpec]:
    return [EnvironmentSpec.model_validate(json.loads(line)) for line in EXAMPLES.read_text().splitlines()]


@pytest.fixture(scope="module")
def validator():
    with EnvValidator("bwrap") as v:
        yield v


@pytest.fixture(scope="module")
def sessions():
    with SessionPool("bwrap", workers=1, limits=SessionLimits(call_s=1.0, rollout_s=20.0)) as pool:
        yield pool
