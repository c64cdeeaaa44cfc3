"""Shared by the tests of ``bench/``: its scripts are files, not a package the tests import."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="session")
def load_bench() -> Callable[[str], ModuleType]:
    """``load_bench("bench_select")``: that script of ``bench/`` loaded as a module of its own."""
    def load(name: str) -> ModuleType:
        spec = importlib.util.spec_from_file_location(f"envsynth_{name}", BENCH / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module
    return load
