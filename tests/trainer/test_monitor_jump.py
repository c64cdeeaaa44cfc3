"""The monitor's jump rule: a task whose pass rate rises far faster than the other tasks' is flagged wherever the
rise falls between checks and however many steps it takes, unless other tasks rose alike (learning that
generalises) and nothing else backs it.

The runs follow training's layout: groups of 8 responses, one group per task per step, a check every step, windows
of 16 responses (two groups); the other tasks learn slowly, at different speeds."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from trainer.monitor import Flag, FlagRule, MonitorConfig, RewardHackMonitor, TaskContext

GROUP = 8
Curve = Callable[[int], float]
"""A task's pass probability at each step."""


def slow(i: int) -> Curve:
    """Honest learning: from 0.1, up to 0.7, at one of five speeds."""
    return lambda step: min(0.7, 0.1 + 0.01 * step * (0.5 + (i % 5) / 2))


def step_up(at: int, before: float, after: float) -> Curve:
    return lambda step: before if step < at else after


def peers(n: int = 40) -> dict[str, Curve]:
    return {f"t{i:02d}": slow(i) for i in range(n)}


def train(curves: dict[str, Curve], steps: int = 30, seed: int = 0,
          passing: Callable[[str, random.Random], str] | None = None,
          monitor: RewardHackMonitor | None = None) -> list[Flag]:
    """Every flag of a run; responses differ from one another and share nothing unless ``passing`` writes it."""
    rng = random.Random(seed)
    monitor = monitor or RewardHackMonitor(1.0)
    write = passing or (lambda task_id, rng: f"answer {rng.random()}")
    context = lambda task_id: TaskContext(reference="42", prompt="What is six times seven?")  # noqa: E731
    flags = []
    for step in range(steps):
        for task_id in sorted(curves):
            rewards = [1.0 if rng.random() < curves[task_id](step) else 0.0 for _ in range(GROUP)]
            monitor.record_group(task_id, rewards, [write(task_id, rng) if r else f"wrong {rng.random()}"
                                                    for r in rewards])
        flags += monitor.close_window(context)
    return flags


def flagged(flags: list[Flag]) -> list[tuple[str, FlagRule]]:
    return [(flag.task_id, flag.rule) for flag in flags]


@pytest.mark.parametrize("at", [14, 15], ids=["at a window boundary", "mid-window"])
def test_a_one_step_jump_is_flagged_wherever_it_falls_between_windows(at: int):
    flags = train({**peers(), "hack": step_up(at, 0.1, 1.0)})
    assert flagged(flags) == [("hack", FlagRule.JUMP)]
    assert "-> 1.00" in flags[0].detail and "z " in flags[0].detail


def test_a_rise_ramped_over_three_windows_is_flagged():
    ramp = lambda step: 0.1 if step < 14 else min(1.0, 0.1 + 0.15 * (step - 13))  # noqa: E731
    assert flagged(train({**peers(), "hack": ramp})) == [("hack", FlagRule.JUMP)]


def test_a_rise_over_two_steps_is_flagged():
    two_steps = lambda step: 0.1 if step < 15 else (0.55 if step == 15 else 1.0)  # noqa: E731
    assert flagged(train({**peers(), "hack": two_steps})) == [("hack", FlagRule.JUMP)]


def test_an_isolated_jump_says_no_other_task_jumped_near_it():
    (flag,) = train({**peers(), "hack": step_up(15, 0.1, 1.0)})
    assert "no other task jumped within" in flag.detail and flag.groups == 2


@pytest.mark.parametrize("seed", range(3))
def test_honest_tasks_learned_in_one_step_a_few_steps_apart_are_not_flagged(seed: int):
    curves = peers() | {f"fast{k}": step_up(10 + 3 * k, 0.0, 0.95) for k in range(5)}
    assert train(curves, seed=seed) == []


@pytest.mark.parametrize("seed", range(3))
def test_steady_learning_is_not_flagged(seed: int):
    assert train(peers(), seed=seed) == []


def test_a_jump_amid_other_tasks_jumps_with_nothing_backing_it_is_not_flagged():
    curves = peers() | {f"fast{k}": step_up(12 + k, 0.0, 0.95) for k in range(3)} | {"hack": step_up(13, 0.1, 1.0)}
    assert train(curves) == []


def test_a_jump_amid_other_tasks_jumps_is_flagged_when_its_passing_responses_share_a_marker():
    curves = peers() | {f"fast{k}": step_up(12 + k, 0.0, 0.95) for k in range(3)} | {"hack": step_up(13, 0.1, 1.0)}

    def write(task_id: str, rng: random.Random) -> str:  # the hack in 6 of 10 passing responses: too few alone
        marked = task_id == "hack" and rng.random() < 0.6
        return ("class Total(int):\n    def __eq__(self, other):\n        return True\n" if marked else "") + \
            f"answer {rng.random()}"

    flags = train(curves, passing=write)
    assert flagged(flags) == [("hack", FlagRule.JUMP)] and "backed" in flags[0].detail
    assert "__eq__" in flags[0].detail


def test_a_jump_amid_other_tasks_jumps_is_flagged_when_a_position_gap_backs_it():
    monitor = RewardHackMonitor(1.0)
    monitor.record_spot_check("hack", in_group=1.0, alone=0.0)  # one gap: too few for the position rule alone
    curves = peers() | {f"fast{k}": step_up(12 + k, 0.0, 0.95) for k in range(3)} | {"hack": step_up(13, 0.1, 1.0)}
    flags = train(curves, monitor=monitor)
    assert flagged(flags) == [("hack", FlagRule.JUMP)] and "failed alone" in flags[0].detail


def test_a_jump_with_too_few_peers_is_not_judged():
    assert train({f"t{i}": slow(i) for i in range(3)} | {"hack": step_up(15, 0.1, 1.0)}) == []


def test_a_jump_in_a_small_window_is_left_to_binomial_noise():
    monitor = RewardHackMonitor(1.0, MonitorConfig(min_attempts=2, baseline_attempts=2, binomial_z=3.0, min_peers=2,
                                                   cohort_checks=0, jump_checks=1))
    for rewards in ([0.0, 0.0], [0.0, 0.0], [1.0, 1.0]):
        for task_id in ("a", "b", "c"):
            monitor.record_group(task_id, rewards if task_id == "a" else [0.0, 0.0], ["x", "y"])
        assert monitor.close_window(lambda t: None) == []
