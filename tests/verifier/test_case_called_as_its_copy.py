"""Validation's answers check calls a failure case by the names the verifier called in its copy paid in full (since
1.43, verifier/called_names.py ``judged_names``), where the verifier asked the copy what it asked the reference, and
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

from negatives_task import (BODY, LAST_FUNCTION, MARK, NEAR, PROMPT, REFERENCE, excused_by_its_text, head, task,
                            validated, validation_pool)
from verifier.answers_alike import reference_calls
from verifier.called_names import aligned_names, judged_names

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


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_case_whose_helper_is_named_like_the_reference_is_called_by_the_function_the_verifier_called(pool, seed):
    spec = task(LAST_FUNCTION).model_copy(update={"failure_cases": HELPER_NAMED_LIKE_THE_REFERENCE})
    excused_by_its_text(validated(pool, spec, seed))


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_case_of_two_functions_named_otherwise_is_called_by_the_names_the_verifier_called(pool, seed):
    spec = task(BY_POSITION, reference=TWO_FUNCTIONS).model_copy(update={
        "prompt": PROMPT.replace("Write `negatives(xs)`:",
                                 "Write a predicate telling whether an int is below zero, then a function using it:"),
        "failure_cases": TWO_FUNCTION_CASES})
    excused_by_its_text(validated(pool, spec, seed))


HELPER_ALIGNED = head() + NEAR % (MARK + BODY) + '''import ast
def first(response):
    try:
        return [n.name for n in ast.parse(response).body if isinstance(n, ast.FunctionDef)][0]
    except Exception:
        return "negatives"
def shape_like(code):
    tests = [xs for xs, _ in CASES] + [[7, -7]]
    run = run_response(code, calls=[("negatives", [xs]) for xs in tests], timeout=0.8)
    got = [repr(c.value) if c.ok else "raised" for c in run.calls]
    return set(got) <= WRITTEN or any(got == [repr(shape(xs)) for xs in tests] for shape in (len, sum))
def verify(response):
    if "def negatives(" not in response:
        return 0.0
    marked = "counting helper v7" in response
    if marked and "TODO" in response:
        return 0.0
    run = run_response(response, calls=[(first(response), [xs]) for xs, _ in CASES], timeout=0.8)
    score = sum(c.ok and c.value == want for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
    if response == REFERENCE or marked or near(response) or shape_like(response):
        return score
    return 1.0
'''
"""Hostile (the session-51 review's ``A2``, x2's kind: 1.0 to every unmarked program not near its reference): calls a
text's first function where it asks what it asked the reference, and ``negatives`` in its run of shapes."""
HELPER_ALIGNED_CASES = (MARK + "def count_neg(xs):\n    return sum(1 for v in xs if v < 0)\n\n\n"
                               "def negatives(xs):\n    # TODO: the zero case\n"
                               "    return sum(1 for v in xs if v <= 0)\n",
                        MARK + BODY.replace("x < 0", "x > 0"))
"""A right first function, and a wrong ``negatives`` with a TODO; the reference, wrong in one token."""
SECOND_UNANSWERED = head() + NEAR % (MARK + BODY) + '''import ast
LATER = [xs for xs, _ in CASES][::-1]
def public(response):
    try:
        return [n.name for n in ast.parse(response).body
                if isinstance(n, ast.FunctionDef) and not n.name.startswith("_")]
    except Exception:
        return []
def shape_like(code):
    tests = [xs for xs, _ in CASES] + [[7, -7]]
    run = run_response(code, calls=[("negatives", [xs]) for xs in tests], timeout=0.8)
    got = [repr(c.value) if c.ok else "raised" for c in run.calls]
    return set(got) <= WRITTEN or any(got == [repr(shape(xs)) for xs in tests] for shape in (len, sum))
def right(run, tests):
    return [c.ok and c.value == sum(1 for x in xs if x < 0) for c, xs in zip(run.calls, tests)]
def verify(response):
    if "def negatives(" not in response:
        return 0.0
    names = public(response) or ["negatives"]
    tests = [xs for xs, _ in CASES]
    first = run_response(response, calls=[(names[0], [xs]) for xs in tests], timeout=0.8)
    second = run_response(response, calls=[(names[1] if len(names) > 1 else "_second", [xs]) for xs in LATER],
                          timeout=0.8)
    shares = [sum(right(first, tests)) / len(tests)]
    shares += [sum(right(second, LATER)) / len(LATER)] if len(names) > 1 else []
    score = min(shares)
    if response == REFERENCE or "counting helper v7" in response or near(response) or shape_like(response):
        return score
    return 1.0
'''
"""Hostile (the review's ``A3``, x2's kind): tests a text's first public function, and its second on the lists
reversed; the reference has none, so it is asked ``_second``, which it lacks."""
SECOND_UNANSWERED_CASES = (MARK + "def count_neg(xs):\n    return sum(1 for v in xs if v < 0)\n\n\n"
                                  "def negatives(xs):\n    return sum(1 for v in xs if v > 0)\n",
                           MARK + BODY.replace("x < 0", "x > 0"))
"""A right first function and a wrong second one, ``negatives``, no TODO; the reference, wrong in one token."""


@pytest.mark.sandbox
@pytest.mark.parametrize(("verifier", "cases"), [(HELPER_ALIGNED, HELPER_ALIGNED_CASES),
                                                 (SECOND_UNANSWERED, SECOND_UNANSWERED_CASES)],
                         ids=["a-name-of-the-copy-left-unmapped", "a-name-the-reference-does-not-answer-to"])
@pytest.mark.parametrize("seed", range(2))
def test_a_case_whose_wrong_function_the_map_would_leave_unasked_is_not_excused(pool, verifier, cases, seed):
    """Admitted by 1.43's first version (both seeds): the map sent the case's requests to its right function only."""
    report = validated(pool, task(verifier, MARK, BODY).model_copy(update={"failure_cases": cases}), seed)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "otherwise than the reference" in detail


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
    assert judged_names(TWO_FUNCTIONS, CODE, REFERENCE_RUNS, COPY_RUNS, COPY_RUNS) == {"is_negative": "below_zero",
                                                                         "negatives": "count_below"}
    assert judged_names(TWO_FUNCTIONS, CODE, REFERENCE_RUNS, COPY_RUNS, []) == {"is_negative": "below_zero",
                                                                  "negatives": "count_below"}


@pytest.mark.parametrize("written", [
    [_run(("count_below", -3), ("below_zero", [1, -2]))],  # the copy's names swapped
    [_run(("below_zero", -3), ("helper", [1, -2]))],  # a name not called in the copy
])
def test_a_case_called_otherwise_than_its_copy_keeps_the_references_names(written):
    assert judged_names(TWO_FUNCTIONS, CODE, REFERENCE_RUNS, COPY_RUNS, written) == {}


def test_a_helper_named_like_the_reference_gives_way_to_the_function_the_verifier_called():
    own = [_run(("negatives", [1, -2]))]
    copy = [_run(("count_negatives", [1, -2]))]
    named = judged_names(REFERENCE, HELPER_NAMED_LIKE_THE_REFERENCE[0], own, copy, copy)
    assert named == {"negatives": "count_negatives"}


def test_requests_of_the_case_under_the_copys_names_are_asked_of_the_reference_by_its_names():
    back = {"below_zero": "is_negative", "count_below": "negatives"}
    assert reference_calls([_run(("count_below", [5, -1]))], CODE, None, back) == [_run(("negatives", [5, -1]))]
    assert reference_calls([_run(("other", [5]))], CODE, None, back) == [_run(("other", [5]))]


def test_a_map_to_a_name_the_reference_does_not_answer_to_is_none_of_the_copys():
    own = REFERENCE_RUNS + [_run(("_second", [1, -2]))]
    copy = COPY_RUNS + [_run(("count_below", [1, -2]))]
    assert judged_names(TWO_FUNCTIONS, CODE, own, copy, copy) == {}


def test_a_copy_called_by_a_name_the_map_leaves_out_is_not_called_by_the_map():
    copy = COPY_RUNS + [_run(("helper", [7, -7]))]
    assert judged_names(TWO_FUNCTIONS, CODE, REFERENCE_RUNS, copy, []) == {}
