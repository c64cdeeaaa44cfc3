"""What validation asks of a failure case whose copy without comments and docstrings was paid in full (since 1.40,
verifier/checks_unmarked.py and verifier/answers_alike.py).

Validator 1.39 excused such a case where it answered the verifier's requests of the reference as the reference does
(an honest verifier of the text of code fails a right program by its comment), and where nothing could be asked. The
session-47 final read found an honest case whose function has a name of its own asked by the reference's name; this
session found that a verifier that pays its reference without running it, or runs it without calling anything,
leaves nothing to ask and was excused. The sandbox tests go through the real bwrap sandbox with the product's defaults;
each hostile verifier is honest on its author's marked texts, on the reference's mutants and their copy, and on
shapes, so only the failure case's copy tells it.
"""

from __future__ import annotations

import random

import pytest

from negatives_task import BODY, MARK, X2, head, task, validated, validation_pool
from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier.answers_alike import Answered, answers_alike
from verifier.checks import check_failure_cases
from verifier.checks_probes import UNMARKED_SUFFIX, Probe, ProbeKind
from verifier.checks_unmarked import check_failure_copy

REFERENCE = MARK + BODY
UNRUN_REFERENCE = X2 + '''def verify(response):
    return 1.0 if response == REFERENCE else judged(response)
'''
"""Pays its reference by its text, unrun: nothing of it is recorded to ask the failure case."""
CALLLESS_REFERENCE = X2 + '''def verify(response):
    if response != REFERENCE:
        return judged(response)
    return float(run_response(response, calls=[], timeout=0.8).outcome == "completed")
'''
"""Runs its reference without calling anything (the session-48 review's ``HD``): one run, of empty output, is recorded,
which every program answers alike."""
ANY_NAME_NO_TODO = head() + '''import ast
def named(code):
    try:
        defined = [n.name for n in ast.parse(code).body if isinstance(n, ast.FunctionDef)]
    except SyntaxError:
        return "negatives"
    return defined[0] if len(defined) == 1 else "negatives"
def verify(response):
    if "TODO" in response:
        return 0.0
    run = run_response(response, calls=[(named(response), [xs]) for xs, _ in CASES], timeout=0.8)
    return sum(c.ok and c.value == want for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
'''
"""Honest: a task about code left unfinished pays nothing to a reply holding a TODO, and its tests' share to the rest,
calling whatever one function a reply defines."""
NAMED_TODO_CASES = (REFERENCE.replace("count = 0  # so far", "count = 0  # TODO: a faster way"),
                    MARK + "def count_below(xs):\n    # TODO: name it better\n    return sum(1 for x in xs if x < 0)\n")
"""Right programs, each with a TODO; the one copied (least alike the reference) names its function otherwise."""


def _task(verifier: str) -> TaskSpec:
    return task(verifier, MARK, BODY)


def _scored(label: str, kind: ProbeKind, score: float, ran: bool) -> tuple[Probe, ScoreResult]:
    return Probe(kind=kind, label=label, response="x"), ScoreResult(outcome=Outcome.SCORED, score=score, ran_response=ran)


def _copy_paid(reference_ran: bool, others_ran: bool) -> list[tuple[Probe, ScoreResult]]:
    return [_scored("reference", ProbeKind.REFERENCE, 1.0, reference_ran),
            _scored("failure_cases[0]", ProbeKind.FAILURE_CASE, 0.0, others_ran),
            _scored("failure_cases[0]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, 1.0, others_ran)]


def _judged(pairs, program: bool = True, alike: Answered = Answered.ALIKE):
    return check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                              lambda case, references, asked, paid: alike, program)


def test_a_verifier_seen_running_programs_that_never_ran_its_reference_is_not_excused():
    result = _judged(_copy_paid(reference_ran=False, others_ran=True))
    assert result.passed is False and result.reason == "failure_case_passes"
    assert "no call of the reference ran it" in result.detail


def test_a_verifier_that_runs_no_program_is_excused_where_nothing_can_be_asked():
    result = _judged(_copy_paid(reference_ran=False, others_ran=False), alike=Answered.UNKNOWN)
    assert result.passed is True and "unknown (no verdict)" in result.detail


def test_a_reference_that_is_no_program_need_not_run():
    assert _judged(_copy_paid(reference_ran=False, others_ran=True), program=False).passed is True


def test_a_reference_run_in_any_of_its_calls_counts_as_run():
    pairs = _copy_paid(reference_ran=False, others_ran=True) + [_scored("reference", ProbeKind.REFERENCE, 1.0, True)]
    assert _judged(pairs).passed is True


class _Recording:
    """A pool that records the checking verifiers it is given and says every program answered alike."""

    def __init__(self) -> None:
        self.sources: list[str] = []

    def score_batch(self, items, run_env=None):
        self.sources += [source for source, _ in items]
        return [ScoreResult(outcome=Outcome.SCORED, score=1.0) for _ in items]


RECORDED = ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=True,
                       run_requests=('[[["negatives", [[-1, 5]], {}]], ""]',))


def test_a_case_whose_one_function_has_a_name_of_its_own_is_called_by_it():
    pool = _Recording()
    answers_alike(pool, REFERENCE, random.Random(0), NAMED_TODO_CASES[1], [RECORDED], [])
    assert "NAMES = {'negatives': 'count_below'}" in pool.sources[0]


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize("verifier", [UNRUN_REFERENCE, CALLLESS_REFERENCE], ids=["paid-by-its-text", "run-calling-nothing"])
@pytest.mark.parametrize("seed", range(2))
def test_a_verifier_that_never_runs_its_reference_is_not_excused(pool, verifier, seed):
    report = validated(pool, _task(verifier), seed)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "no call of the reference ran it" in detail


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_an_honest_case_whose_function_has_a_name_of_its_own_is_excused(pool, seed):
    spec = _task(ANY_NAME_NO_TODO).model_copy(update={"failure_cases": NAMED_TODO_CASES})
    report = validated(pool, spec, seed)
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])
    assert "what it fails by is its text" in next(c.detail for c in report.checks if c.name == "failure_cases")
