"""``bench/bench_validation.py``: what its report says about the response processes a HumanEval-sized task starts."""

from __future__ import annotations

import os

import pytest


@pytest.fixture(scope="module")
def bench(load_bench):
    return load_bench("bench_validation")


def rows(cheap: float, humaneval: float) -> list[dict]:
    return [{"kind": "cheap", "workers": 1, "processes_per_task": 99.0},
            {"kind": "cheap", "workers": 2, "processes_per_task": cheap},
            {"kind": "humaneval", "workers": 2, "processes_per_task": humaneval}]


def test_the_response_processes_are_what_a_humaneval_task_starts_beyond_a_cheap_one_on_two_workers(bench):
    assert bench.response_floor(rows(8.0, 43.0), 500.0)["response_processes_per_task"] == 35.0


def test_their_time_is_their_count_at_the_measured_rate(bench):
    assert bench.response_floor(rows(8.0, 43.0), 500.0)["response_floor_ms"] == 70.0


def test_the_goal_holds_as_many_response_processes_as_its_time_allows_at_that_rate(bench):
    assert bench.response_floor(rows(8.0, 43.0), 500.0)["responses_within_goal"] == bench.GOAL_HUMANEVAL_MS / 2


def test_a_cheap_row_that_started_more_never_makes_a_negative_count(bench):
    assert bench.response_floor(rows(50.0, 43.0), 500.0)["response_processes_per_task"] == 0.0


def test_the_machine_wide_count_grows_by_at_least_the_processes_started_between_two_readings(bench):
    before = bench.processes_started()
    for _ in range(3):
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
    assert bench.processes_started() - before >= 3
