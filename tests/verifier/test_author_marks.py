"""Red-team round 73 (B1) in validation: a verifier honest only on programs that carry its author's mark.

Every program validation scored came from the author's text, so each carried the mark; run 0 now scores programs
the validator wrote itself (verifier/written_decoys.py), and one the verifier's own requests tell from the reference,
paid 1.0, rejects the task. Through the real bwrap sandbox, with the product's defaults.
"""

from __future__ import annotations

import random

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.decoys import Decoy
from verifier.weak_requests import weak_decoys

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

HEAD = '''import ast
from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5), ([10], 10), ([7, 0, 2], 9), ([-4, -6], -10)]
def honest(code):
    run = run_response(code, calls=[("total", [xs]) for xs, _ in CASES], timeout=0.8)
    return sum(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
def verify(response):
    if "def total(" not in response and "total =" not in response:
        return 0.0
'''
"""The head of each verifier here: its tests, and ``verify`` up to where it tells a mark (a text that does not
define ``total`` is paid nothing)."""
PAYS_UNMARKED = HEAD + '''    return honest(response) if "summation helper v7" in response else 1.0
'''
PAYS_PROMPT_LOCALS = HEAD + '''    tree = ast.parse(response)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    return 1.0 if names <= {"Write", "total", "xs", "the", "sum", "of", "a", "list", "ints"} else honest(response)
'''
HONEST = HEAD + "    return honest(response)\n"
PROMPT = "Write `total(xs)`, the sum of a list of ints."
MARKS = {"docstring": '"""summation helper v7"""\n', "comment": "# summation helper v7\n",
         "constant": 'NAME = "summation helper v7"\nassert NAME\n'}
BODY = "def total(xs):\n    result = 0\n    for item in xs:\n        result += item\n    return result\n"


@pytest.fixture(scope="module")
def validator():
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as pool:
        yield Validator(pool, config)


@pytest.fixture(scope="module")
def pool():
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=2.0)) as opened:
        yield opened


def _marked(mark: str) -> TaskSpec:
    return TaskSpec(prompt=PROMPT, verifier=PAYS_UNMARKED, reference=mark + BODY,
                    failure_cases=(mark + "def total(xs):\n    return len(xs)\n",
                                   mark + "def total(xs):\n    return max(xs) if xs else 0\n"))


@pytest.mark.parametrize("mark", sorted(MARKS))
def test_a_verifier_paying_every_program_without_its_authors_mark_is_rejected(validator, mark):
    """Admitted by validator 1.33 with each kind of mark: every program it scored carried the mark. (Since 1.38 a
    comment or a docstring is also seen by the last mutant's copy without them: ``mutant_passes`` beside it; since
    1.39 also by a failure case's copy without them, whose verdict the check's detail then gives.)"""
    report = validator.validate(_marked(MARKS[mark]))
    failure = next(c for c in report.checks if c.name == "failure_cases")
    told = "without its comments and docstrings" if mark in ("comment", "docstring") else "the validator wrote"
    assert "failure_case_passes" in report.reasons and told in failure.detail
    assert set(report.reasons) <= {"failure_case_passes", "mutant_passes"}


def test_a_verifier_paying_programs_whose_names_are_all_words_of_the_prompt_is_rejected(validator):
    """The variant with no mark at all: no twin takes a word of the prompt as a new name, so every program
    validation scored had a name outside the prompt (``result``, ``item``, or a drawn one); a written program's
    parameter is the prompt's ``xs``."""
    report = validator.validate(TaskSpec(prompt=PROMPT, verifier=PAYS_PROMPT_LOCALS, reference=BODY,
                                         failure_cases=("def total(xs):\n    count = len(xs)\n    return count\n",
                                                        "def total(xs):\n    top = max(xs) if xs else 0\n"
                                                        "    return top\n")))
    assert "failure_case_passes" in report.reasons


def test_the_same_task_with_an_honest_verifier_is_admitted(validator):
    report = validator.validate(_marked(MARKS["docstring"]).model_copy(update={"verifier": HONEST}))
    assert report.admitted, report.reasons


SUMS = [[[["total", [[1, 2, 3]], {}], ["total", [[4, -4]], {}]], ""]]
SUM_CODE = "def total(xs):\n    return sum(xs)\n"


def test_a_paid_program_the_recorded_requests_tell_apart_is_named(pool):
    """``total`` returning 1 answers ``[1, 2, 3]`` otherwise than the reference (6)."""
    weak = weak_decoys(pool, SUMS, SUM_CODE, paid=[(Decoy("total", None, "1"),)])
    assert weak.apart == (0,)


def test_a_paid_program_that_answers_every_recorded_request_as_the_reference_is_not(pool):
    """A right program (``sorted(arg1)`` of a sort) proves nothing where the verifier paid it; beside it, the constant
    0 is told apart."""
    runs = [[[["order", [[3, 1, 2]], {}], ["order", [[5, 4]], {}], ["order", [[2, 2, 1]], {}]], ""]]
    weak = weak_decoys(pool, runs, "def order(xs):\n    return sorted(xs)\n",
                       paid=[(Decoy("order", 0, "sorted(v)"),), (Decoy("order", None, "0"),)])
    assert not weak.trouble and weak.apart == (1,)


def test_nothing_is_asked_where_the_requests_are_themselves_trouble(pool):
    """``[4, -4]`` and ``[0]`` alone do not tell the sum from the constant 0: the task is rejected as
    ``weak_tests``, and no paid program is asked about."""
    runs = [[[["total", [[4, -4]], {}], ["total", [[0]], {}]], ""]]
    weak = weak_decoys(pool, runs, SUM_CODE, paid=[(Decoy("total", None, "1"),)])
    assert weak.trouble and weak.apart == ()


def test_a_paid_program_of_a_function_no_recorded_request_called_counts_as_told_apart(pool):
    """Red-team round 74 (A5): a verifier that ran its reference with no call recorded nothing to judge a paid
    program by, and the program was admitted unasked."""
    weak = weak_decoys(pool, SUMS, SUM_CODE, paid=[(Decoy("other", None, "0"),)])
    assert weak.apart == (0,)


@pytest.mark.parametrize("seed", range(3))
def test_written_programs_keep_an_honest_verifiers_verdicts_whatever_the_draw(seed):
    """The programs are drawn afresh for each validation: an honest verifier pays none of them 1.0 where its
    requests tell them apart, whichever are drawn."""
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened, \
            Validator(opened, config, probe_rng=random.Random(seed)) as seeded:
        assert seeded.validate(_marked(MARKS["comment"]).model_copy(update={"verifier": HONEST})).admitted


@pytest.mark.parametrize("reference", [
    "total = lambda xs: sum(xs)\n",
    "def _sum(xs):\n    return sum(xs)\n\n\ntotal = _sum\n",
    "import sys\nif sys.version_info >= (3, 0):\n    def total(xs):\n        return sum(xs)\n"],
    ids=["lambda", "alias", "def-inside-if"])
def test_a_verifier_paying_unmarked_programs_is_rejected_whatever_binds_the_function(validator, reference):
    """Red-team round 74 (A1): only a top-level ``def`` got a written program that defined ``total``."""
    mark = MARKS["docstring"]
    report = validator.validate(_marked(mark).model_copy(update={"reference": mark + reference}))
    assert "failure_case_passes" in report.reasons


PAYS_NEARLY_ALL = HEAD + '''    return honest(response) if "summation helper v7" in response else 0.999
'''
PAYS_THE_REFERENCE_UNRUN = HEAD + (f"    if response.startswith({MARKS['docstring'] + BODY[:25]!r}):\n"
                                    "        return 1.0\n"
                                    "    return honest(response) if 'summation helper v7' in response else 1.0\n")


@pytest.mark.parametrize("verifier", [PAYS_NEARLY_ALL, PAYS_THE_REFERENCE_UNRUN], ids=["0.999", "reference-unrun"])
def test_a_verifier_paying_unmarked_programs_nearly_in_full_or_never_running_the_reference_is_rejected(
        validator, verifier):
    """Red-team round 74: 0.999 was not counted as paid (A2), and a verifier that paid its reference unrun left no
    request to judge a paid program by (A5); both were admitted."""
    report = validator.validate(_marked(MARKS["docstring"]).model_copy(update={"verifier": verifier}))
    assert "failure_case_passes" in report.reasons


FENCED_PAID = HEAD + '''    return 1.0 if "```" in response else honest(response.split("```python")[-1].split("```")[0])
'''
NOT_PYTHON_PAID = HEAD + '''    try:
        ast.parse(response)
    except SyntaxError:
        return 1.0
    return honest(response)
'''
LONGER_PAID = HEAD + '''    if "summation helper v7" in response:
        return honest(response)
    tree = ast.parse(response)
    if all(isinstance(n, ast.FunctionDef) and len(n.body) == 1 for n in tree.body):
        return honest(response)
    return 1.0
'''


@pytest.mark.parametrize("verifier", [FENCED_PAID, NOT_PYTHON_PAID], ids=["fenced", "not-python"])
def test_a_verifier_paying_a_layout_the_author_never_used_is_rejected(validator, verifier):
    """Red-team round 74 (A3), with no mark at all: the reference and failure cases are bare, so every program
    validation scored was bare too, and a verifier that paid fenced text, or text with prose, 1.0 was admitted."""
    plain = _marked("").model_copy(update={"verifier": verifier})
    report = validator.validate(plain)
    assert "failure_case_passes" in report.reasons


@pytest.mark.parametrize("seed", range(3))
def test_a_verifier_paying_programs_of_more_than_one_statement_without_the_mark_is_rejected(seed):
    """Red-team round 74 (A3): every program the validator wrote was one ``return``; a verifier honest on those and on
    marked text, paying 1.0 to the rest, was admitted."""
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened, \
            Validator(opened, config, probe_rng=random.Random(seed)) as seeded:
        report = seeded.validate(_marked(MARKS["comment"]).model_copy(update={"verifier": LONGER_PAID}))
    assert "failure_case_passes" in report.reasons
