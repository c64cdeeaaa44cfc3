"""A program the validator wrote, paid more than its answers earn (verifier/written_verdicts.py, ``paid_beyond``).

Red-team round 74 (A2): a verifier honest on programs carrying its author's mark paid every other program 0.9, under
the 0.95 that counts as paid as the reference is; no written program was judged, and validation admitted it. A
written program is a failure case whose share of right answers the decoys' check knows: paid more than the failure
cases' threshold above that share, it rejects the task. Through the real bwrap sandbox, with the product's defaults.
"""

from __future__ import annotations

import random

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.decoy_check import SHARE
from verifier.decoys import Decoy
from verifier.weak_requests import weak_decoys
from verifier.written_verdicts import paid_beyond

MARK = "# summation helper v7\n"
SUM_HEAD = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5), ([10], 10), ([7, 0, 2], 9), ([-4, -6], -10)]
def honest(code):
    run = run_response(code, calls=[("total", [xs]) for xs, _ in CASES], timeout=0.8)
    return sum(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
'''
NEGATIVES = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 0), ([], 0), ([5, 0, 5], 0), ([10], 0), ([-1, 2], 1), ([-4, -6], 2)]
def verify(response):
    run = run_response(response, calls=[("negatives", [xs]) for xs, _ in CASES], timeout=0.8)
    return sum(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
'''
"""An honest verifier paying the share of its tests a program passes; a constant 0 passes four of six."""


def _pays_unmarked(pay: float) -> str:
    return SUM_HEAD + f'''def verify(response):
    if "def total(" not in response:
        return 0.0
    return honest(response) if "summation helper v7" in response else {pay!r}
'''


def _sum_task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.", verifier=verifier,
                    reference=MARK + "def total(xs):\n    result = 0\n    for item in xs:\n        result += item\n"
                                     "    return result\n",
                    failure_cases=(MARK + "def total(xs):\n    return len(xs)\n",
                                   MARK + "def total(xs):\n    return max(xs) if xs else 0\n"))


NEGATIVES_TASK = TaskSpec(
    prompt="Write `negatives(xs)`: how many items of the list of ints xs are below zero.", verifier=NEGATIVES,
    reference="def negatives(xs):\n    count = 0\n    for x in xs:\n        if x < 0:\n            count += 1\n"
              "    return count\n",
    failure_cases=("def negatives(xs):\n    return len(xs)\n",
                   "def negatives(xs):\n    return sum(1 for x in xs if x > 0)\n"))


@pytest.fixture(scope="module")
def pool():
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened:
        yield opened


def test_no_program_paid_beyond_its_answers_gives_no_verdict():
    assert paid_beyond([], 0.5) is None


def test_the_verdict_names_each_program_its_pay_and_its_share():
    verdict = paid_beyond([("decoy:total returning 0", 0.9, 1 / 6)], 0.5)
    assert verdict.reason == "failure_case_passes" and "total returning 0 paid 0.90, answering 17% alike" in \
        verdict.detail


@pytest.mark.sandbox
def test_the_check_gives_the_share_of_recorded_calls_a_constant_answers_as_the_reference(pool):
    runs = [[[["negatives", [xs], {}] for xs in ([1, 2, 3], [], [5, 0, 5], [10], [-1, 2], [-4, -6])], ""]]
    weak = weak_decoys(pool, runs, NEGATIVES_TASK.reference, overpaid=[(Decoy("negatives", None, "0"),),
                                                                        (Decoy("negatives", None, "-1"),)])
    assert weak.shares == (pytest.approx(4 / 6), 0.0)


@pytest.mark.sandbox
def test_a_constant_none_is_right_where_the_reference_answered_none_without_fault(pool):
    """Review of session 44: calls the reference answered None were left out of the share, so a constant None, right
    on five tests of eight, answered none alike, and an honest verifier paying it 5/8 was rejected."""
    reference = ("def first_dup(xs):\n    seen = set()\n    for x in xs:\n        if x in seen:\n            return x\n"
                 "        seen.add(x)\n    return None\n")
    lists = ([1, 2, 3], [], [4, 5], [7], [9, 8, 6, 5], [1, 2, 1], [5, 2, 2], [3, 1, 3, 1])
    runs = [[[["first_dup", [xs], {}] for xs in lists], ""]]
    weak = weak_decoys(pool, runs, reference, overpaid=[(Decoy("first_dup", None, "None"),)])
    assert weak.shares == (pytest.approx(5 / 8),)


@pytest.mark.sandbox
@pytest.mark.parametrize("pay", [0.9, 0.7])
def test_a_verifier_paying_unmarked_programs_most_of_full_credit_is_rejected(pool, pay):
    """0.7 to a constant right on one test in six is more than 0.5 above its share."""
    report = Validator(pool, ValidationConfig()).validate(_sum_task(_pays_unmarked(pay)))
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and f"paid {pay:.2f}, answering" in detail


@pytest.mark.sandbox
def test_an_honest_verifier_paying_a_constant_its_share_of_right_answers_is_admitted(pool, seeing_pool):
    """Wherever a constant 0 (or False) is drawn, the verifier pays it 4/6, more than a failure case may be, and the
    check finds it answers 4/6 of the requests alike. Over eight draws, at least one asks."""
    asked = 0
    for seed in range(8):
        seeing = seeing_pool(pool)
        with Validator(seeing, ValidationConfig(), probe_rng=random.Random(seed)) as seeded:
            report = seeded.validate(NEGATIVES_TASK)
        assert report.admitted, (seed, report.reasons, [c.detail for c in report.checks if c.passed is False])
        asked += any(text.startswith(SHARE) for text in seeing.asked)
    assert asked >= 1
