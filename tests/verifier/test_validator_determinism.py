"""Nondeterministic verifiers are rejected and deterministic idioms admitted, through the real bwrap sandbox.

Each nondeterminism case is tested twice where it matters: the report says ``nondeterministic``, and for the cases a
static pass could miss (hash seed, clock hidden behind ``getattr``) the dynamic determinism check catches it by
itself, across fresh interpreters with different ``PYTHONHASHSEED``, clocks and RNG seeds.
"""

from __future__ import annotations

import random
import subprocess
import sys
import time

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.limits import draw_hash_seeds
from verifier.validation_config import DETERMINISM_RUNS_MAX

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

PROMPT = "List the words of 'zeta alpha mu' in any order, separated by spaces."
REFERENCE = "zeta alpha mu"


CONFIG = ValidationConfig(call_budget_s=2.0)


@pytest.fixture(scope="module")
def pool():
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=CONFIG.call_budget_s)) as opened:
        yield opened


@pytest.fixture(scope="module")
def validator(pool):
    with Validator(pool, CONFIG) as opened:
        yield opened


def task(body: str, imports: str = "") -> TaskSpec:
    """A verifier that pays the reference 1.0, and then some extra term that may or may not be deterministic."""
    source = (f"{imports}\ndef verify(response: str) -> float:\n"
              "    words = response.split()\n"
              "    if sorted(words) != ['alpha', 'mu', 'zeta']:\n"
              "        return 0.0\n"
              f"{body}")
    return TaskSpec(prompt=PROMPT, verifier=source, reference=REFERENCE, failure_cases=("alpha mu", "zeta"))


def check(report, name: str):
    return next(c for c in report.checks if c.name == name)


def test_unseeded_random_is_rejected(validator):
    report = validator.validate(task("    return 1.0 if random.random() < 0.5 else 0.5\n", "import random"))
    assert report.reasons[0] == "nondeterministic"


def test_clock_is_rejected(validator):
    report = validator.validate(task("    return 1.0 if int(time.time()) % 2 == 0 else 0.5\n", "import time"))
    assert report.reasons[0] == "nondeterministic"


def test_a_clock_read_by_a_computed_name_is_caught_by_the_shifted_clocks_too(validator):
    """The static pass flags the computed import (``reflective``, validator 1.12); the varied runs' shifted clocks
    catch the read on their own as well, as they do for a clock no list names."""
    in_five_years = time.time() + 5 * 365 * 86_400
    hidden = f"    return 1.0 if getattr(__import__('ti' + 'me'), 'ti' + 'me')() < {in_five_years} else 0.5\n"
    report = validator.validate(task(hidden))
    assert "reflective" in check(report, "static_determinism").detail
    assert check(report, "determinism").reason == "nondeterministic"


def test_hash_seed_dependence_is_rejected(validator):
    report = validator.validate(task("    return 1.0 if list(set(words))[0] == 'zeta' else 0.5\n"))
    assert report.reasons[0] == "nondeterministic"


def first_of_set(hash_seed: int) -> str:
    code = "print(list(set(['zeta', 'alpha', 'mu']))[0])"
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          env={"PYTHONHASHSEED": str(hash_seed)}).stdout.strip()


@pytest.fixture(scope="module")
def seeds_that_order_a_set_apart() -> random.Random:
    """A probe source whose varied runs' hash seeds (runs 1 and 2: the validator draws them from it first) order
    the set {zeta, alpha, mu} differently. Why: the seeds are drawn, and three interpreters put the same word first
    about one time in nine; the test then failed by chance (CI, session 15)."""
    for rng_seed in range(200):
        seeds = draw_hash_seeds(random.Random(rng_seed), DETERMINISM_RUNS_MAX)
        if first_of_set(seeds[1]) != first_of_set(seeds[2]):
            return random.Random(rng_seed)
    raise AssertionError("no seed in 200 orders the set apart")


def test_hash_seed_dependence_is_caught_by_fresh_interpreters(pool, seeds_that_order_a_set_apart):
    with Validator(pool, CONFIG, probe_rng=seeds_that_order_a_set_apart) as seeded:
        report = seeded.validate(task("    return 1.0 if list(set(words))[0] == 'zeta' else 0.5\n"))
    assert check(report, "determinism").reason == "nondeterministic"


def test_set_iteration_order_is_rejected(validator):
    body = ("    first = None\n    for w in set(words):\n        first = first or w\n"
            "    return 1.0 if first == 'zeta' else 0.5\n")
    assert validator.validate(task(body)).reasons[0] == "nondeterministic"


def test_id_is_rejected(validator):
    report = validator.validate(task("    return 1.0 if id(words) % 32 < 16 else 0.5\n"))
    assert report.reasons[0] == "nondeterministic"


def test_pid_is_rejected(validator):
    report = validator.validate(task("    return 1.0 if os.getpid() % 2 else 0.5\n", "import os"))
    assert report.reasons[0] == "nondeterministic"


def test_urandom_is_rejected(validator):
    report = validator.validate(task("    return 1.0 if os.urandom(1)[0] < 128 else 0.5\n", "import os"))
    assert report.reasons[0] == "nondeterministic"


def test_second_call_on_the_same_input_differing_is_caught_by_repeated_calls(validator):
    source = ("SEEN = []\n\ndef verify(response: str) -> float:\n"
              "    first = response not in SEEN\n    SEEN.append(response)\n"
              "    if sorted(response.split()) == ['alpha', 'mu', 'zeta']:\n        return 1.0\n"
              "    return 0.0 if first else 0.1\n")
    spec = TaskSpec(prompt=PROMPT, verifier=source, reference=REFERENCE, failure_cases=("alpha mu", "zeta"))
    report = validator.validate(spec)
    assert check(report, "static_determinism").passed is True
    assert report.reasons == ("nondeterministic",)


def test_seeded_random_instance_is_admitted(validator):
    body = "    rng = random.Random(42)\n    return 1.0 if rng.random() < 2 else 0.0\n"
    assert validator.validate(task(body, "import random")).admitted


def test_sorted_set_is_admitted(validator):
    assert validator.validate(task("    return 1.0 if sorted(set(words))[0] == 'alpha' else 0.0\n")).admitted


@pytest.mark.slow
def test_half_second_verifier_is_admitted(validator):
    source = ("import time\ndef verify(response: str) -> float:\n    time.sleep(0.5)\n"
              "    return 1.0 if sorted(response.split()) == ['alpha', 'mu', 'zeta'] else 0.0\n")
    spec = TaskSpec(prompt=PROMPT, verifier=source, reference=REFERENCE, failure_cases=("alpha mu",))
    report = validator.validate(spec)
    assert report.admitted, report.reasons
