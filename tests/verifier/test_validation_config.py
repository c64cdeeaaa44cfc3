"""ValidationConfig bounds, and validation that replays: the same task gives the same verdict and checks."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from task_bank.spec import TaskSpec
from task_bank.validation import LOW_SCORE_CEILING
from trainer.monitor import MonitorConfig
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.limits import draw_hash_seeds, worker_hash_seed
from verifier.validation_config import near_future_offset_s, run_env

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


def test_runs_differ_in_hash_seed_and_clock_and_every_run_seeds_random_from_the_os():
    envs = [run_env(r) for r in range(3)]
    assert envs[0].hash_seed is None  # run 0: the interpreter's own, drawn as training's are
    assert len({e.hash_seed for e in envs}) == len({e.clock_offset_s for e in envs}) == 3
    assert {e.rng_seed for e in envs} == {None}


def test_no_run_shows_a_seed_a_verifier_could_know():
    """Hash seed 0 and RNG seed 0 in training and run 0, and 7919 times the run index in the varied runs, were
    constants: a verifier that tested for them knew which run it was in (session 14)."""
    assert run_env(1).hash_seed != run_env(1).hash_seed
    first, second = draw_hash_seeds(random.Random(1), 16), draw_hash_seeds(random.Random(2), 16)
    assert first != second and len(set(first)) == 16 and 0 not in first
    assert worker_hash_seed(None) != worker_hash_seed(None) and worker_hash_seed(7) == 7


def test_run_environments_are_fixed_functions_of_the_run_index_its_seed_and_run_1s_clock_shift():
    seeds = draw_hash_seeds(random.Random(3), 5)
    assert [run_env(r, 600.0, seeds[r]) for r in range(5)] == [run_env(r, 600.0, seeds[r]) for r in range(5)]
    assert run_env(1, 600.0).clock_offset_s == 600.0


def test_run_1s_clock_shift_is_drawn_between_a_minute_and_ten_years_ahead():
    """Red-team round 20: a time bomb whose window opened hours after validation missed the fixed shifts."""
    rng = random.Random(5)
    drawn = [near_future_offset_s(rng) for _ in range(2000)]
    assert 60.0 <= min(drawn) and max(drawn) <= 315_576_000.0
    assert sum(3_600 <= d <= 3_600 + 604_800 for d in drawn) / len(drawn) > 0.25  # a week an hour away: a third


def test_no_varied_run_but_run_1_depends_on_the_draw():
    assert [run_env(r, 60.0, 11 + r) for r in (0, 2, 3, 4)] == [run_env(r, 9e6, 11 + r) for r in (0, 2, 3, 4)]


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


def test_validation_cannot_accept_a_wrong_answer_scoring_what_training_counts_as_a_paid_canary():
    """Training shows failure cases and the empty answer again as canaries and counts one scoring above
    ``LOW_SCORE_CEILING`` as paid: validation admitting such scores would quarantine honest tasks."""
    for field in ("fail_threshold", "trivial_threshold"):
        ValidationConfig(**{field: LOW_SCORE_CEILING})
        with pytest.raises(ValidationError):
            ValidationConfig(**{field: LOW_SCORE_CEILING + 0.01})


def test_the_monitor_cannot_count_a_canary_paid_at_a_score_validation_admitted():
    MonitorConfig(canary_threshold=LOW_SCORE_CEILING)
    with pytest.raises(ValidationError):
        MonitorConfig(canary_threshold=LOW_SCORE_CEILING - 0.01)
