"""``bench/machine_speed.py``: the two fixed workloads a benchmark records beside its figures."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _speed():
    spec = importlib.util.spec_from_file_location("envsynth_machine_speed", ROOT / "bench" / "machine_speed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_calibration_measures_both_workloads_as_positive_milliseconds():
    speed = _speed().calibrate()
    assert set(speed) == {"python_loop_ms", "fork_exit_ms"}
    assert all(isinstance(value, float) and value > 0 for value in speed.values())


def test_a_longer_loop_takes_longer():
    module = _speed()
    assert module.python_loop_ms(iterations=2_000_000, repeats=3) > module.python_loop_ms(iterations=20_000, repeats=3)


def test_the_report_line_names_both_figures_and_where_they_come_from():
    line = _speed().describe({"python_loop_ms": 61.5, "fork_exit_ms": 0.512})
    assert "61.5 ms per million-iteration Python loop" in line
    assert "0.512 ms per fork+exit" in line
    assert "bench/machine_speed.py" in line
