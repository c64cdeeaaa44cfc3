"""ValidationConfig bounds, and validation that replays: the same task gives the same verdict and checks."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.validate import run_env

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root


def test_fewer_than_three_determinism_runs_is_refused():
    with pytest.raises(ValidationError):
        ValidationConfig(determinism_runs=2)


def test_a_single_call_per_probe_is_refused():
    with pytest.raises(ValidationError):
        ValidationConfig(repeat_calls=1)


def test_config_is_frozen():
    with pytest.raises(ValidationError):
        ValidationConfig().fail_threshold = 0.9  # type: ignore[misc]


def test_unknown_option_is_refused():
    with pytest.raises(ValidationError):
        ValidationConfig(fail_treshold=0.3)  # type: ignore[call-arg]


def test_runs_differ_in_hash_seed_clock_and_rng_seed():
    envs = [run_env(r) for r in range(3)]
    assert len({e.hash_seed for e in envs}) == len({e.clock_offset_s for e in envs}) == len(
        {e.rng_seed for e in envs}) == 3


def test_run_environments_are_fixed_functions_of_the_run_index():
    assert [run_env(r) for r in range(5)] == [run_env(r) for r in range(5)]


def test_validating_twice_gives_the_same_verdict_and_checks():
    source = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n"
    spec = TaskSpec(prompt="What is 6 times 7? Answer with the number only.", reference="42", verifier=source,
                    failure_cases=("41", "24"))
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=2.0)) as pool, Validator(pool) as validator:
        first, second = validator.validate(spec), validator.validate(spec)

    def essence(report):
        return (report.admitted, report.reasons, [(c.name, c.passed, c.reason, [(s.outcome, s.score) for s in c.scores])
                                                  for c in report.checks])

    assert essence(first) == essence(second)
