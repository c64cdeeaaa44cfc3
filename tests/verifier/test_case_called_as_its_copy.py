"""Validation's answers check calls a failure case by the names the verifier called in its copy paid in full (since
1.43, verifier/answers_alike.py ``judged_names``), where the verifier asked the copy what it asked the reference, and
called the case as written by those names or by none.

Validator 1.42 called a case by the reference's name wherever the case defined it, and by the reference's names
wherever the reference was called by several. The session-50 review's honest ``P2`` (its case's helper named like the
reference's function, the verifier calling the last function a reply defines) and ``P3`` (two functions of any
names, called by position) were rejected by 1.42 (the sandbox tests below fail on d34494b). A verifier that called the
case as written otherwise than its copy (the session-50 review's ``K`` and its mirror, in
``test_case_asked_its_requests.py``) keeps 1.42's names.
"""

from __future__ import annotations

import pytest

from negatives_task import PROMPT, head, task, validated, validation_pool
from verifier.answers_alike import judged_names, reference_calls
from verifier.called_names import aligned_names

LAST_FUNCTION = head() + '''import ast
def verify(response):
    try:
        tree = ast.parse(response)
    except SyntaxError:
        return 0.0
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    if not names:
        return 0.0
    run = run_response(response, calls=[(names[-1], [xs]) for xs, _ in CASES], timeout=1.5)
    if "TODO" in response:
        return 0.0
    return sum(c.ok and c.value == want for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
'''
"""Honest: the prompt names no function, and the verifier calls the last public one a reply defines; a reply holding a
TODO is paid nothing."""
HELPER_NAMED_LIKE_THE_REFERENCE = (
    "def negatives(xs):\n    \"\"\"The items below zero.\"\"\"\n    return [x for x in xs if x < 0]\n\n\n"
    "def count_negatives(xs):\n    # TODO: count without the list\n    return len(negatives(xs))\n",
    "def count_below(xs):\n    n = 0\n    for x in xs:\n        if x > 0:\n            n += 1\n    return n\n")
"""``P2``'s cases: a right program with a TODO whose helper (a list) is named like the reference's function; a wrong
one."""
BY_POSITION = head() + '''import ast
ITEMS = [-3, 0, 4, -1]
def verify(response):
    try:
        tree = ast.parse(response)
    except SyntaxError:
        return 0.0
    names = [n.name for n in tree.body if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    if len(names) < 2:
        return 0.0
    run = run_response(response, calls=[(names[0], [x]) for x in ITEMS] + [(names[-1], [xs]) for xs, _ in CASES],
                       timeout=1.5)
    if "TODO" in response:
        return 0.0
    calls = list(run.calls)
    good = sum(c.ok and c.value == (x < 0) for c, x in zip(calls, ITEMS))
    good += sum(c.ok and c.value == want for c, (_, want) in zip(calls[len(ITEMS):], CASES))
    return good / (len(ITEMS) + len(CASES))
'''
"""Honest (``P3``): two functions of any names, a predicate first and the count last, called by position."""
TWO_FUNCTIONS = ("def is_negative(x):\n    return x < 0\n\n\n"
                 "def negatives(xs):\n    return sum(1 for x in xs if is_negative(x))\n")
TWO_FUNCTION_CASES = (
    "def below_zero(value):\n    return value < 0\n\n\ndef count_below(values):\n    # TODO: sum() would do\n"
    "    n = 0\n    for v in values:\n        if below_zero(v):\n            n += 1\n    return n\n",
    "def is_negative(x):\n    return x > 0\n\n\ndef negatives(xs):\n    return sum(1 for x in xs if is_negative(x))\n")
"""``P3``'s cases: a right pair named otherwise, with a TODO; a wrong pair."""


def _excused_by_its_text(report) -> None:
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])
    assert "what it fails by is its text" in next(c.detail for c in report.checks if c.name == "failure_cases")


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_case_whose_helper_is_named_like_the_reference_is_called_by_the_function_the_verifier_called(pool, seed):
    spec = task(LAST_FUNCTION).model_copy(update={"failure_cases": HELPER_NAMED_LIKE_THE_REFERENCE})
    _excused_by_its_text(validated(pool, spec, seed))


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_case_of_two_functions_named_otherwise_is_called_by_the_names_the_verifier_called(pool, seed):
    spec = task(BY_POSITION, reference=TWO_FUNCTIONS).model_copy(update={
        "prompt": PROMPT.replace("Write `negatives(xs)`:", "Write a predicate telling whether an int is below zero, then "
                                 "a function using it:"),
        "failure_cases": TWO_FUNCTION_CASES})
    _excused_by_its_text(validated(pool, spec, seed))


def _run(*calls: tuple[str, object], stdin: str = "") -> list:
    return [[[name, [arg], {}] for name, arg in calls], stdin]


REFERENCE_RUNS = [_run(("is_negative", -3), ("negatives", [1, -2]))]
COPY_RUNS = [_run(("below_zero", -3), ("count_below", [1, -2]))]
CODE = TWO_FUNCTION_CASES[0]


def test_runs_asking_the_same_requests_map_their_names():
    assert aligned_names(REFERENCE_RUNS, COPY_RUNS) == {"is_negative": "below_zero", "negatives": "count_below"}


def test_runs_asking_other_requests_map_nothing():
    assert aligned_names(REFERENCE_RUNS, [_run(("below_zero", -4), ("count_below", [1, -2]))]) == {}
    assert aligned_names(REFERENCE_RUNS, [_run(("below_zero", -3), ("count_below", [1, -2]), stdin="x")]) == {}


@pytest.mark.parametrize("others", [
    [_run(("f", -3), ("f", [1, -2]))],  # two names to one
    COPY_RUNS + [_run(("count_below", -3), ("below_zero", [1, -2]))],  # one name two ways
])
def test_runs_that_map_a_name_two_ways_or_two_names_to_one_map_none(others):
    assert aligned_names(REFERENCE_RUNS, others) is None


def test_a_case_called_as_its_copy_or_not_at_all_is_called_by_the_copys_names():
    assert judged_names(CODE, REFERENCE_RUNS, COPY_RUNS, COPY_RUNS) == {"is_negative": "below_zero",
                                                                         "negatives": "count_below"}
    assert judged_names(CODE, REFERENCE_RUNS, COPY_RUNS, []) == {"is_negative": "below_zero",
                                                                  "negatives": "count_below"}


@pytest.mark.parametrize("written", [
    [_run(("count_below", -3), ("below_zero", [1, -2]))],  # the copy's names swapped
    [_run(("below_zero", -3), ("helper", [1, -2]))],  # a name not called in the copy
])
def test_a_case_called_otherwise_than_its_copy_keeps_the_references_names(written):
    assert judged_names(CODE, REFERENCE_RUNS, COPY_RUNS, written) == {}


def test_a_helper_named_like_the_reference_gives_way_to_the_function_the_verifier_called():
    own = [_run(("negatives", [1, -2]))]
    copy = [_run(("count_negatives", [1, -2]))]
    assert judged_names(HELPER_NAMED_LIKE_THE_REFERENCE[0], own, copy, copy) == {"negatives": "count_negatives"}


def test_requests_of_the_case_under_the_copys_names_are_asked_of_the_reference_by_its_names():
    back = {"below_zero": "is_negative", "count_below": "negatives"}
    assert reference_calls([_run(("count_below", [5, -1]))], CODE, None, back) == [_run(("negatives", [5, -1]))]
    assert reference_calls([_run(("other", [5]))], CODE, None, back) == [_run(("other", [5]))]
