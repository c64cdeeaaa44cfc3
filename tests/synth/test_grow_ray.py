"""The Ray executor: the executor contract, and a cycle under Ray giving the same bank as under the local one.

Runs a local Ray instance (2 CPUs). Skipped, with the reason, where Ray is not installed (``pip install ray``).
"""

from __future__ import annotations

import contextlib
import functools
from pathlib import Path

import pytest

from task_bank.errors import BackendError, ConfigError
from task_bank.records import TrainingStat

ray = pytest.importorskip("ray", reason="Ray is an optional extra: pip install ray")

pytestmark = pytest.mark.slow


class Scaler:
    """A stage object holding state a worker must rebuild rather than receive."""

    def __init__(self, factor: int) -> None:
        self.factor = factor

    def scale(self, x: int) -> int:
        if x < 0:
            raise BackendError(f"negative item {x}")
        return x * self.factor


def _open_scaler(factor: int) -> contextlib.AbstractContextManager[Scaler]:
    return contextlib.nullcontext(Scaler(factor))


@pytest.fixture(scope="module")
def executor():
    from synth.ray_executor import RayExecutor

    driver_side = Scaler(1)
    ex = RayExecutor(workers=2)
    ex.register(driver_side, functools.partial(_open_scaler, 10))
    ex.driver_side = driver_side
    yield ex
    ex.close()


def test_registered_methods_run_on_each_workers_own_object_in_input_order(executor):
    assert executor.map(executor.driver_side.scale, list(range(20))) == [10 * x for x in range(20)]


def test_plain_functions_are_shipped_to_the_workers(executor):
    assert executor.map(functools.partial(pow, 2), [1, 2, 3]) == [2, 4, 8]
    assert executor.map(executor.driver_side.scale, []) == []


def test_the_first_failing_item_raises_its_own_exception_type(executor):
    with pytest.raises(BackendError, match="negative item -1"):
        executor.map(executor.driver_side.scale, [1, -1, 2, -2])


def test_registering_after_the_actors_started_is_refused(executor):
    executor.map(executor.driver_side.scale, [1])
    with pytest.raises(ConfigError, match="before the first map"):
        executor.register(object(), functools.partial(_open_scaler, 1))


def _bank_state(setup) -> dict:
    with setup.open() as bank:
        tasks = {t.id: (t.status.value, t.reasons, t.provenance.parent_task_id) for t in bank.list(limit=10_000)}
        return {"tasks": tasks, "processed": bank.processed_failure_ids()}


def test_a_cycle_under_ray_gives_the_same_bank_as_under_the_local_executor(fx, tmp_path, executor):
    executor.close()
    reports, states = {}, {}
    for kind in ("local", "ray"):
        setup = fx.Setup(tmp_path / kind, evolve={"max_pass_rate": 0.3}, revalidate={"enabled": True})
        setup.arrive([fx.failure_row(i) for i in range(10)], bad=3)
        first = setup.cycle(executor=kind)
        with setup.open() as bank:
            parents = sorted(t.id for t in bank.list(status="admitted", limit=100))[:2]
            bank.add_stats([TrainingStat(task_id=p, policy="ckpt", attempts=4, mean_score=0.0, pass_rate=0.0)
                            for p in parents])
        fx.record_drafts(setup.drafts, fx.evolve_keys(parents, 2))
        second = setup.cycle(executor=kind)
        reports[kind] = (first.run.counts, second.run.counts)
        states[kind] = _bank_state(setup)
    assert reports["ray"] == reports["local"]
    assert states["ray"] == states["local"]
    local_first, local_second = reports["local"]
    assert local_first["generate:admitted"] > 0 and local_second["evolve:admitted"] > 0
    assert any(status == "rejected" for status, _, _ in states["local"]["tasks"].values())
