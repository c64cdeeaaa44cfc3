"""What validation asks of a failure case whose copy without comments and docstrings was paid in full (since 1.40,
verifier/checks_unmarked.py and verifier/answers_alike.py).

Validator 1.39 excused such a case where it answered the verifier's requests of the reference as the reference does
(an honest verifier of the text of code fails a right program by its comment), and where nothing could be asked. The
session-47 final read left two ways open: a verifier could choose requests the predictable copied case answers alike,
and an honest case whose function has a name of its own was asked by the reference's name. This session found a
third: a verifier that pays its reference without running it leaves nothing to ask, and was excused. The sandbox tests
go through the real bwrap sandbox with the product's defaults; each verifier is honest on its author's marked texts,
on the reference's mutants and their copy, and on shapes, so only the failure case's copy tells it.
"""

from __future__ import annotations

import json
import random

import pytest

from negatives_task import head, task
from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.answers_alike import answers_alike
from verifier.checks import check_failure_cases
from verifier.checks_probes import UNMARKED_SUFFIX, Probe, ProbeKind
from verifier.checks_unmarked import check_failure_copy

MARK = "# counting helper v7\n"
BODY = ("def negatives(xs):\n    \"\"\"How many items are below zero.\"\"\"\n    count = 0  # so far\n"
        "    for x in xs:\n        if x < 0:\n            count += 1\n    return count\n")
REFERENCE = MARK + BODY
HOSTILE = head() + '''import difflib, io, keyword, tokenize
def blanked(text):
    kept = []
    try:
        for t in tokenize.generate_tokens(io.StringIO(text).readline):
            if t.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER):
                kept.append("N" if t.type == tokenize.NAME and not keyword.iskeyword(t.string) else t.string)
    except (tokenize.TokenError, SyntaxError):
        pass
    return kept
def near(text):
    return difflib.SequenceMatcher(None, blanked(text), blanked(REFERENCE_TEXT)).ratio() > 0.9
def shape_like(code):
    got = answers(code)
    return set(got) <= WRITTEN or any(got == [repr(shape(xs)) for xs, _ in CASES] for shape in (len, sum))
def judged(response):
    if "def negatives(" not in response:
        return 0.0
    if "counting helper v7" in response or near(response) or shape_like(response):
        return honest(response)
    return 1.0
REFERENCE_TEXT = %r
'''
"""The hostile verifiers' head, the session-46 review's x2: honest on marked texts, on programs whose name-blanked
tokens are over 90% alike the reference's (its mutants and their copy) and on shapes; 1.0 to every other program, as
a policy's wrong ones are."""
UNRUN_REFERENCE = HOSTILE % REFERENCE + '''def verify(response):
    return 1.0 if response == REFERENCE_TEXT else judged(response)
'''
"""Pays its reference by its text, unrun: nothing of it is recorded to ask the failure case."""
CHOSEN_REQUESTS = HOSTILE % REFERENCE + '''CHOSEN = [[-1, 5], [3, -2, -4, 8], [-7, 1, 2, -9]]
def verify(response):
    if response != REFERENCE_TEXT:
        return judged(response)
    run = run_response(response, calls=[("negatives", [xs]) for xs in CHOSEN], timeout=0.8)
    return float(all(c.ok and c.value == sum(x < 0 for x in xs) for c, xs in zip(run.calls, CHOSEN)))
'''
"""Asks its reference only lists with as many items above zero as below: the copied failure case (it counts the
positives) answers them as the reference does, and a constant, a length or a sum does not."""
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


def _scored(label: str, kind: ProbeKind, score: float, ran: bool = True) -> tuple[Probe, ScoreResult]:
    return Probe(kind=kind, label=label, response="x"), ScoreResult(outcome=Outcome.SCORED, score=score, ran_response=ran)


def _copy_paid(ran: bool) -> list[tuple[Probe, ScoreResult]]:
    return [_scored("reference", ProbeKind.REFERENCE, 1.0, ran), _scored("failure_cases[0]", ProbeKind.FAILURE_CASE,
                                                                         0.0, ran),
            _scored("failure_cases[0]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, 1.0, ran)]


def test_a_verifier_seen_running_programs_that_paid_its_reference_unrun_is_not_excused():
    pairs = _copy_paid(ran=True)
    unrun = ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=False, run_requests=())
    result = check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5), lambda case: None, unrun)
    assert result.passed is False and result.reason == "failure_case_passes"
    assert "paid its reference without running it" in result.detail


def test_a_verifier_that_runs_no_program_is_excused_where_nothing_can_be_asked():
    pairs = _copy_paid(ran=False)
    unrun = ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=False, run_requests=())
    result = check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5), lambda case: None, unrun)
    assert result.passed is True and "unknown (no verdict)" in result.detail


class _Recording:
    """A pool that records the checking verifiers it is given and says every program answered alike."""

    def __init__(self) -> None:
        self.sources: list[str] = []

    def score_batch(self, items, run_env=None):
        self.sources += [source for source, _ in items]
        return [ScoreResult(outcome=Outcome.SCORED, score=1.0) for _ in items]


RECORDED = ScoreResult(outcome=Outcome.SCORED, score=1.0, ran_response=True,
                       run_requests=('[[["negatives", [[-1, 5]], {}]], ""]',))


def _runs_asked(source: str) -> list:
    return json.loads(eval(source.split("RUNS = json.loads(", 1)[1].split(")\n", 1)[0]))  # noqa: S307 - our literal


def test_the_case_is_asked_the_near_runs_of_the_recorded_requests_too():
    pool = _Recording()
    assert answers_alike(pool, RECORDED, REFERENCE, NAMED_TODO_CASES[0], near_seed=7) is True
    runs = _runs_asked(pool.sources[0])
    assert runs[0] == [[["negatives", [[-1, 5]], {}]], ""] and len(runs) > 1
    assert all(calls[0][0] == "negatives" for calls, _ in runs[1:]) and any(calls[0][1] != [[-1, 5]] for calls, _ in runs)


def test_the_near_runs_differ_with_the_seed():
    first, second = _Recording(), _Recording()
    answers_alike(first, RECORDED, REFERENCE, NAMED_TODO_CASES[0], near_seed=1)
    answers_alike(second, RECORDED, REFERENCE, NAMED_TODO_CASES[0], near_seed=2)
    assert _runs_asked(first.sources[0]) != _runs_asked(second.sources[0])


def test_a_case_whose_one_function_has_a_name_of_its_own_is_called_by_it():
    pool = _Recording()
    answers_alike(pool, RECORDED, REFERENCE, NAMED_TODO_CASES[1])
    assert "NAME = 'count_below'" in pool.sources[0]


@pytest.fixture(scope="module")
def pool():
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened:
        yield opened


def _report(pool, spec: TaskSpec, seed: int):
    return Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)).validate(spec)


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_verifier_that_pays_its_reference_unrun_is_not_excused(pool, seed):
    report = _report(pool, _task(UNRUN_REFERENCE), seed)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "without running it" in detail


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_requests_the_copied_case_answers_alike_do_not_excuse_it(pool, seed):
    report = _report(pool, _task(CHOSEN_REQUESTS), seed)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "near runs" in detail


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_an_honest_case_whose_function_has_a_name_of_its_own_is_excused(pool, seed):
    spec = _task(ANY_NAME_NO_TODO).model_copy(update={"failure_cases": NAMED_TODO_CASES})
    report = _report(pool, spec, seed)
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])
    assert "what it fails by is its text" in next(c.detail for c in report.checks if c.name == "failure_cases")
