"""The local executor keeps order and raises the first error; the budget tracker names the limit reached."""

from __future__ import annotations

import time

import pytest

from synth.budget import Budget, BudgetTracker
from synth.band import BandConfig
from synth.band import pass_at_k
from synth.executor import LocalExecutor
from task_bank.errors import BackendError, ConfigError


@pytest.mark.parametrize("workers", [1, 3])
def test_map_keeps_input_order(workers: int) -> None:
    def slow_square(x: int) -> int:
        time.sleep(0.01 * (5 - x))
        return x * x
    with LocalExecutor(workers) as ex:
        assert ex.map(slow_square, [1, 2, 3, 4]) == [1, 4, 9, 16]


def test_map_raises_the_first_error_by_item_order() -> None:
    def fail(x: int) -> int:
        raise BackendError(f"item {x}")
    with LocalExecutor(2) as ex, pytest.raises(BackendError, match="item 0"):
        ex.map(fail, [0, 1])


def test_zero_workers_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="workers"):
        LocalExecutor(0)


def test_budget_names_the_first_limit_reached() -> None:
    tracker = BudgetTracker(Budget(max_drafts=3, max_tokens=100))
    assert tracker.exhausted() is None and tracker.drafts_left() == 3
    tracker.spend(2, 100)
    assert tracker.exhausted() == "max_tokens" and tracker.drafts_left() == 1
    assert BudgetTracker(Budget(max_wall_s=1e-9)).exhausted() == "max_wall_s"
    assert Budget(max_drafts=3).limits() == {"max_drafts": 3.0}


def test_band_reasons() -> None:
    band = BandConfig(low=0.2, high=0.8)
    assert [band.reason(r) for r in (0.0, 0.2, 0.5, 0.8, 1.0)] == ["too_hard", None, None, None, "too_easy"]
    with pytest.raises(ValueError):
        BandConfig(low=0.9, high=0.1)


def test_pass_at_k_is_the_unbiased_estimator() -> None:
    assert pass_at_k(4, 0, 1) == 0.0
    assert pass_at_k(4, 4, 1) == 1.0
    assert pass_at_k(4, 1, 1) == pytest.approx(0.25)
    assert pass_at_k(4, 1, 2) == pytest.approx(0.5)
