"""``bench/machine_speed.py``: the two fixed workloads a benchmark records beside its figures."""

from __future__ import annotations

import pytest


@pytest.fixture
def speed(load_bench):
    return load_bench("machine_speed")


def test_calibration_measures_both_workloads_as_positive_milliseconds(speed):
    figures = speed.calibrate()
    assert set(figures) == {"python_loop_ms", "fork_exit_ms"}
    assert all(isinstance(value, float) and value > 0 for value in figures.values())


def test_a_longer_loop_takes_longer(speed):
    assert speed.python_loop_ms(iterations=2_000_000, repeats=3) > speed.python_loop_ms(iterations=20_000, repeats=3)


def test_the_report_line_names_both_figures_and_where_they_come_from(speed):
    line = speed.describe({"python_loop_ms": 61.5, "fork_exit_ms": 0.512})
    assert "61.5 ms per million-iteration Python loop" in line
    assert "0.512 ms per fork+exit" in line
    assert "bench/machine_speed.py" in line
