"""A run whose results are altered on purpose, through the real default backend (bwrap) (issue 16).

Red-team round 46 (e2): a verifier that ran every program and paid by its look whatever the run returned was paid
109 of 109 wrong programs; it ran them, so the monitor's ``unrun`` rule had nothing to see. Training now scores a
program the verifier paid again, alone, with its runs' results altered (``verifier.pool.Perturbed``,
``sandbox/zygote/perturb.py``): an honest verifier fails it, and one that ignores results pays it again.
"""

from __future__ import annotations

import pytest

from verifier import Limits, open_pool
from verifier.pool import Perturbed
from verifier.sandbox.zygote.perturb import perturbed

RIGHT = "def total(xs):\n    return sum(xs)\n"

HONEST = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 6), ([], 0)]
def verify(response):
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) else 0.0
'''

IGNORES = '''from envsynth_sandbox import run_response
def verify(response):
    run_response(response, calls=[("total", [[1, 2]])], timeout=1.0)
    return 1.0
'''

SCRIPT = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, timeout=1.0)
    return 1.0 if run.outcome == "completed" and run.stdout.strip() == "6" else 0.0
'''

SEES_TEXT = '''def verify(response):
    return 1.0 if response == %r else 0.0
''' % RIGHT


@pytest.mark.parametrize("value", [None, True, False, 0, 7, -3, 2.5, 0.0, 1e9, "", "abc", [], [1, 2], {}, {"a": 1},
                                   {"$set": [1, 2]}, [[1], "x"]])
def test_an_altered_value_equals_no_value_it_came_from(value):
    assert perturbed(value) != value


def test_an_altered_float_is_beyond_any_tolerance():
    assert abs(perturbed(1e9) - 1e9) > 0.4 * 1e9


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0)) as opened:
        yield opened


pytestmark = pytest.mark.sandbox  # needs bubblewrap and root


def test_an_honest_verifier_fails_a_right_program_whose_results_are_altered(pool):
    [plain_run] = pool.score_batch([(HONEST, RIGHT)])
    [altered] = pool.score_batch([(HONEST, Perturbed(RIGHT))])
    assert (plain_run.score, altered.score, altered.ran_response) == (1.0, 0.0, True)


def test_a_verifier_that_ignores_results_pays_the_altered_run(pool):
    [altered] = pool.score_batch([(IGNORES, Perturbed(RIGHT))])
    assert (altered.score, altered.ran_response) == (1.0, True)


def test_a_script_whose_run_is_altered_fails_its_check(pool):
    [plain_run] = pool.score_batch([(SCRIPT, "print(6)\n")])
    [altered] = pool.score_batch([(SCRIPT, Perturbed("print(6)\n"))])
    assert (plain_run.score, altered.score) == (1.0, 0.0)


def test_the_verifier_is_handed_the_text_alone(pool):
    """The alteration is the sandbox's: the verifier scores the very text it paid."""
    [altered] = pool.score_batch([(SEES_TEXT, Perturbed(RIGHT))])
    assert (altered.score, altered.ran_response) == (1.0, False)
