"""Validation's answers check sweeps the runs its draw leaves out (since 1.44, ``verifier.answers_alike.SWEPT_RUNS``):
several runs a checking call, as many as its time allows, and a case that answers one of them otherwise than the
reference is answered otherwise.

Validator 1.43 replayed 32 runs drawn from the verifier's runs of the reference and of the case, so a verifier that
asked its deciding requests in one run beside 120 filler runs (one list each, which the wrong case answers as the
reference does) had the case excused as often as the draw left that run out (the sandbox test below: admitted by
1.43 on its seeds). A sweep gives no run the 2 s a drawn run has, so what it does not finish says nothing, and only
what it finds answered otherwise counts.
"""

from __future__ import annotations

import random

import pytest

from check_pools import Scoring, ScoredPerRun, record, recorded, runs_of
from negatives_task import BODY, MARK, X2, task, validated, validation_pool
from verifier.answers_alike import CHECKED_RUNS, SWEEP_CHUNK, SWEPT_RUNS, Answered, answers_alike
from verifier.answers_check import UNCOMPARED_SCORE, UNFINISHED_SCORE

FILLERS = [[-n, n] for n in range(1, 121)]
"""Lists the wrong case (it counts the items above zero) answers as the reference does: one above zero, one below."""
BALANCED = [[-1, 5], [3, -1, -1, 8], [], [0, 7, -1]]
"""Lists of as many items above zero as below, of several counts: the wrong case answers them as the reference does."""
PADDED = X2 + f'''FILLERS = {FILLERS!r}
BALANCED = {BALANCED!r}
def verify(response):
    if response == REFERENCE:
        run = run_response(response, calls=[("negatives", [xs]) for xs in BALANCED], timeout=0.8)
        return float(all(c.ok and c.value == sum(x < 0 for x in xs) for c, xs in zip(run.calls, BALANCED)))
    if "counting helper v7" in response:
        for xs in FILLERS:
            run_response(response, calls=[("negatives", [xs])], timeout=0.5)
    return judged(response)
'''
"""Hostile (x2, padded): asks its reference :data:`BALANCED` only, every other marked text 120 filler runs before its
six tests (one run), and pays unmarked programs it does not recognise 1.0."""
CASE = MARK + "def negatives(xs):\n    return sum(1 for x in xs if x > 0)\n"


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", [0, 1])
def test_a_deciding_run_among_120_filler_runs_is_asked(pool, seed):
    report = validated(pool, task(PADDED, MARK, BODY), seed)
    assert not report.admitted
    assert "otherwise than the reference" in next(c.detail for c in report.checks if c.name == "failure_cases")


def _sources(count: int) -> list[str]:
    """The checking verifiers' sources for a case the verifier asked ``count`` runs, its reference one."""
    pool = Scoring(1.0)
    answers_alike(pool, MARK + BODY, random.Random(0), CASE, [recorded(record([1]))],
                  [(CASE, recorded(*(record([-n]) for n in range(1, count + 1))))])
    return pool.sources


def test_every_run_the_draw_leaves_out_is_swept_in_chunks():
    sources = _sources(200)
    swept = [source for source in sources if "SWEEP = True" in source]
    assert [len(runs_of(source)) for source in swept] == [SWEEP_CHUNK] * 5 + [200 + 1 - CHECKED_RUNS - 5 * SWEEP_CHUNK]
    assert len(sources) == CHECKED_RUNS + len(swept)


def test_the_sweep_has_a_bound_drawn_past_it():
    swept = [run for source in _sources(CHECKED_RUNS + SWEPT_RUNS + 100) if "SWEEP = True" in source
             for run in runs_of(source)]
    assert len(swept) == SWEPT_RUNS


def test_runs_that_fit_the_draw_are_not_swept():
    assert not any("SWEEP = True" in source for source in _sources(CHECKED_RUNS - 1))


@pytest.mark.parametrize(("swept", "answered"), [
    (0.0, Answered.OTHERWISE), (UNFINISHED_SCORE, Answered.ALIKE), (UNCOMPARED_SCORE, Answered.ALIKE),
    (None, Answered.ALIKE)], ids=["otherwise-counts", "unfinished-does-not", "uncompared-does-not", "no-score-does-not"])
def test_only_what_a_sweep_found_answered_otherwise_counts(swept, answered):
    pool = ScoredPerRun(*[1.0] * CHECKED_RUNS, swept)
    references = [recorded(record([1]))]
    asked = [(CASE, recorded(*(record([-n]) for n in range(1, CHECKED_RUNS + 1))))]
    assert answers_alike(pool, MARK + BODY, random.Random(0), CASE, references, asked) is answered
