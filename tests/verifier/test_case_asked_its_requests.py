"""What validation asks a failure case whose copy was paid in full (since 1.41, verifier/answers_alike.py): the
verifier's requests of the reference (in every call of it that recorded them) and of the case, its twins and its copies,
each run as the verifier made it, at most 32 runs drawn by validation's secret source (since 1.42 each whole, in a
call of its own); and "alike" on nothing, on part of the records, or with a run the reference did not finish, excuses
nothing.

Validator 1.40 asked the case only what the verifier had asked its reference in its call alone, cut to training's 8
runs of 64 calls. The session-48 review's HA/HH asked the reference only lists that the copied case answers alike, HF
called it without arguments (it raised, and a call the reference raised on accepts any answer), HC sorted its deciding
calls past the cut, and the session-49 review's RA ran its reference in every call but its call alone: each was
admitted by 1.40 (the hostile sandbox tests below fail on f898a62). Each hostile verifier is the session-46 review's x2
(honest on its author's marked texts, on programs near the reference and on shapes, 1.0 to every other program), so
only the failure case's copy tells it. The honest tasks beside them are admitted: their verifiers ask each text lists
drawn from its own text, make hundreds of calls in one run, and call every text with ``None`` only to see it end.
"""

from __future__ import annotations

import json
import random

import pytest

from check_pools import Scoring, ScoredPerRun, record, recorded, runs_of
from negatives_task import BODY, LAST_FUNCTION, MARK, X2, excused_by_its_text, head, task, validated, validation_pool
from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier.answers_alike import CHECKED_RUNS, Answered, answers_alike, reference_calls
from verifier.answers_check import ENDED_SCORE, MISENDED_SCORE, UNCOMPARED_SCORE, UNFINISHED_SCORE, check_source

REFERENCE = MARK + BODY
BALANCED = [[-1, 5], [3, -1, -1, 8], [], [0, 7, -1]]
"""Lists both failure cases answer as the reference does: as many items above zero as below, and every one below is
-1 (the cases count the items above zero, and minus the sum of those below)."""
_RIGHT_ON = '''def right_on(response, tests):
    run = run_response(response, calls=[("negatives", [xs]) for xs in tests], timeout=0.8)
    return float(all(c.ok and c.value == sum(1 for x in xs if x < 0) for c, xs in zip(run.calls, tests)))
'''
FAR_FROM_ITS_REFERENCE = X2 + _RIGHT_ON + f'''def verify(response):
    return right_on(response, {BALANCED!r}) if response == REFERENCE else judged(response)
'''
"""Asks its reference only :data:`BALANCED` (the session-48 review's HA); its marked texts its head's six tests."""
LOOPING = REFERENCE.replace("    count = 0  # so far\n", "    count = 0  # so far\n    while -500 in xs:\n        pass\n")
"""The reference, but it never answers a list holding -500."""
LOOP_UNANSWERED = FAR_FROM_ITS_REFERENCE.replace(f"REFERENCE = {REFERENCE!r}", f"REFERENCE = {LOOPING!r}").replace(
    "    return right_on(response, ",
    "    if response == REFERENCE:\n"
    "        run_response(response, calls=[('negatives', [[-500, 2]])], timeout=0.2)\n"
    "    return right_on(response, ")
"""HA, whose reference (:data:`LOOPING`) it also asks a list it never answers, with a short timeout and the run ignored:
until 1.42 a run of the reference's own requests that did not complete ended the check with no verdict, which excused
the case."""
REFERENCE_CALLED_BARE = X2 + '''def verify(response):
    if response != REFERENCE:
        return judged(response)
    run = run_response(response, calls=[("negatives", [])], timeout=0.8)
    return float(run.outcome == "completed")
'''
"""Calls its reference without arguments (HF): it raises, and records a call nothing can be compared on."""
ALONE_UNRUN = X2 + _RIGHT_ON + f'''SEEN = [0]
def verify(response):
    SEEN[0] += 1
    if response == REFERENCE:
        return 1.0 if SEEN[0] == 1 else right_on(response, {BALANCED!r})
    return judged(response)
'''
"""Runs its reference on :data:`BALANCED`, except in the first call of its process: the reference's call alone in the
pool (the session-49 review's ``RA``), which 1.40 read alone."""
_LONG = sorted([a, -1, b, -1] for a in range(1, 9) for b in range(1, 9)) + [[9, -5, -6], [9, -7, -8]]
"""64 lists both cases answer alike, then two they answer otherwise, which sort after them (HC)."""
ONE_LONG_RUN = X2 + f'''LONG = {_LONG!r}
def verify(response):
    if "def negatives(" not in response:
        return 0.0
    run = run_response(response, calls=[("negatives", [xs]) for xs in LONG], timeout=1.5)
    right = [c.ok and c.value == sum(1 for x in xs if x < 0) for c, xs in zip(run.calls, LONG)]
    if response == REFERENCE or "counting helper v7" in response or near(response) or shape_like(response):
        return float(len(right) == len(LONG) and all(right))
    return 1.0
'''
"""Asks every text the same 66 calls in one run; the two that tell the cases apart sort last, past training's cut
of 64 calls (HC)."""
NO_TODO = head() + '''import hashlib
import random
def verify(response):
    if "TODO" in response:
        return 0.0
    rng = random.Random(hashlib.sha256(response.encode()).hexdigest())
    tests = [[rng.randint(-50, 50) for _ in range(rng.randint(0, 6))] for _ in range(8)]
    tests += [xs for xs, _ in CASES] + [list(range(-150, 150, 7))] * EXTRA
    run = run_response(response, calls=[("negatives", [None])] + [("negatives", [xs]) for xs in tests], timeout=1.5)
    right = [c.ok and c.value == sum(1 for x in xs if x < 0) for c, xs in zip(run.calls[1:], tests)]
    return sum(right) / len(tests)
'''
"""Honest: a task about code left unfinished pays nothing to a reply holding a TODO, and its tests' share to the
rest. Its tests: eight lists drawn from a seed made of the reply's own text (the case is asked other lists than the
reference), its head's six, and ``EXTRA`` calls more; and it calls every reply with ``None`` first, only to see it end."""
TODO_CASES = (MARK + "def negatives(xs):\n    # TODO: refuse None\n    return len([x for x in xs or () if x < 0])\n",
              REFERENCE.replace("count = 0  # so far", "count = 0  # TODO: a faster way"))
"""Right programs, each with a TODO; the one copied (least alike the reference) answers ``None`` where the reference
raises."""
PUBLIC_HELPER_CASES = (
    "def is_negative(x):\n    return x < 0\n\n\ndef count_below(xs):\n    n = 0\n    # TODO: sum()\n    for x in xs:\n"
    "        if is_negative(x):\n            n += 1\n    return n\n",
    "def count_below(xs):\n    n = 0\n    for x in xs:\n        if x > 0:\n            n += 1\n    return n\n")
"""A right program with a TODO, its function named otherwise and a public helper before it; a wrong one."""
TODO_READ_FIRST = LAST_FUNCTION.replace('    if "TODO" in response:\n        return 0.0\n', "").replace(
    "def verify(response):\n", 'def verify(response):\n    if "TODO" in response:\n        return 0.0\n')
"""The same, reading the TODO before it runs anything (the session-50 review's ``P6``): the case as written leaves no
records, its copy does."""
FIRST_IN_MARKED = X2.replace('("negatives", [xs])', '(NAME[0], [xs])').replace(
    '    if "def negatives(" not in response:\n        return 0.0\n', "") + '''NAME = ["negatives"]
import ast
def verify(response):
    try:
        names = [n.name for n in ast.parse(response).body if isinstance(n, ast.FunctionDef)]
    except (SyntaxError, ValueError):
        return 0.0
    if not names:
        return 0.0
    marked = "counting helper v7" in response
    NAME[0] = names[0] if marked else names[-1]
    score = judged(response)
    return 0.0 if marked and "TODO" in response else score
'''
"""Hostile (the session-50 review's ``K``): x2, calling the first function of a marked text and the last of any other;
its case (:data:`HELPER_FIRST`) is right in its first function and wrong in its last."""
LAST_IN_MARKED = FIRST_IN_MARKED.replace("names[0] if marked else names[-1]", "names[-1] if marked else names[0]")
"""Its mirror (the session-50 final read): the last function of a marked text, the first of any other."""
HELPER_FIRST = (MARK + "def count_neg(xs):\n    return sum(1 for v in xs if v < 0)\n\n\n"
                "def count_below(xs):\n    # TODO: the zero case\n    return sum(1 for v in xs if v <= 0)\n",
                MARK + "def negatives(xs):\n    return -sum(x for x in xs if x < 0)\n")


def _task(verifier: str, reference: str = REFERENCE, cases: tuple[str, ...] = ()) -> TaskSpec:
    spec = task(verifier, MARK, BODY).model_copy(update={"reference": reference})
    return spec.model_copy(update={"failure_cases": cases}) if cases else spec


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize(("verifier", "reference"), [(FAR_FROM_ITS_REFERENCE, REFERENCE),
                                                     (REFERENCE_CALLED_BARE, REFERENCE),
                                                     (ALONE_UNRUN, REFERENCE), (ONE_LONG_RUN, REFERENCE),
                                                     (LOOP_UNANSWERED, LOOPING)],
                         ids=["asked-only-what-the-case-answers-alike", "called-without-arguments",
                              "unrun-when-alone", "deciding-calls-past-the-cut", "a-request-its-reference-never-ends"])
@pytest.mark.parametrize("seed", range(2))
def test_a_case_answering_the_verifiers_requests_of_it_otherwise_than_the_reference_is_not_excused(
        pool, verifier, reference, seed):
    report = validated(pool, _task(verifier, reference), seed)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "otherwise than the reference" in detail


@pytest.mark.sandbox
@pytest.mark.parametrize("extra", [0, 300], ids=["a-few-calls", "hundreds-of-calls-in-one-run"])
@pytest.mark.parametrize("seed", range(2))
def test_an_honest_case_failed_by_its_text_is_excused_whatever_the_verifier_asks_it(pool, extra, seed):
    excused_by_its_text(validated(pool, _task(NO_TODO.replace("EXTRA", str(extra)), cases=TODO_CASES), seed))


@pytest.mark.sandbox
@pytest.mark.parametrize("verifier", [LAST_FUNCTION, TODO_READ_FIRST], ids=["runs-then-reads", "reads-first"])
@pytest.mark.parametrize("seed", range(2))
def test_a_case_called_by_the_name_the_verifier_chose_beside_a_public_helper_is_excused(pool, verifier, seed):
    excused_by_its_text(validated(pool, _task(verifier, cases=PUBLIC_HELPER_CASES), seed))


@pytest.mark.sandbox
@pytest.mark.parametrize("verifier", [FIRST_IN_MARKED, LAST_IN_MARKED], ids=["first-in-marked", "last-in-marked"])
@pytest.mark.parametrize("seed", range(2))
def test_a_case_the_verifier_called_by_other_functions_than_its_copy_is_not_excused(pool, verifier, seed):
    report = validated(pool, _task(verifier, cases=HELPER_FIRST), seed)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "otherwise than the reference" in detail


@pytest.mark.sandbox
def test_a_comparison_past_its_steps_is_an_answer_otherwise(pool):
    """The session-50 review's ``C1``: 256 lists of 901 items, the case's in reverse order and one tag wrong; their
    comparison in any order takes about 30 million steps, past any checking call's time (1.41: no verdict)."""
    reference = "def tagged(n, k):\n    return [[0] * n + [i] for i in range(k)]\n"
    case = "def tagged(n, k):\n    out = [[0] * n + [i] for i in range(k)]\n    out[-1][-1] = 999\n    return out[::-1]\n"
    record = json.dumps([[["tagged", [900, 256], {}]], ""])
    assert answers_alike(pool, reference, random.Random(0), case, [recorded(record)], []) is Answered.OTHERWISE


@pytest.mark.sandbox
def test_comparisons_past_the_calls_time_are_an_answer_otherwise(pool):
    """The session-50 final read: each comparison under its bound (a list of 256 items in reverse order, 32,768 steps,
    some 13 ms), 600 of them in one run, past the call's wall (1.42's first version: no verdict). Its items are
    floats each within 1% of the reference's, not equal (since 1.43 equal ones are paired a step each)."""
    reference = "def same(xs):\n    return xs\n"
    case = "def same(xs):\n    return [x * 1.004 for x in xs][::-1]\n"
    record = json.dumps([[["same", [[2.0 ** (at / 8) for at in range(256)]], {}]] * 600, ""])
    assert answers_alike(pool, reference, random.Random(0), case, [recorded(record)], []) is Answered.OTHERWISE


@pytest.mark.sandbox
def test_runs_of_a_reference_that_raised_on_every_call_compare_only_how_the_calls_ended(pool):
    """The session-48 review's ``HF`` called its reference without arguments, and the case returned there: before
    1.45, nothing compared (``UNCOMPARED``); now a case that returned where the reference raised ended otherwise."""
    recorded = ScoreResult(outcome=Outcome.SCORED, score=1.0, run_requests=('[[["negatives", [], {}]], ""]',))
    case = MARK + "def negatives(xs=()):\n    return 0\n"
    assert answers_alike(pool, REFERENCE, random.Random(0), case, [recorded], []) is Answered.MISENDED


@pytest.mark.sandbox
def test_a_run_of_the_case_alone_the_reference_does_not_finish_is_unfinished(pool):
    slow = MARK + "def negatives(xs):\n    while len(xs) > 5:\n        pass\n    return sum(1 for x in xs if x < 0)\n"
    asked = [(CASE, recorded(record(list(range(-3, 7)))))]
    assert answers_alike(pool, slow, random.Random(0), CASE, [recorded(record([-1, 1]))], asked) is Answered.UNFINISHED


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_deciding_call_among_thousands_of_filler_calls_of_one_run_is_asked(pool, seed):
    """The case answers otherwise only below -100; the verifier asked it 20,000 lists between 0 and 49 and one below
    -100, in one run (1.41 drew 512 of its calls)."""
    filler = [[n % 50] for n in range(20_000)]
    asked = [(CASE_ABOVE, recorded(record(*filler[:7_000], [-500, 2], *filler[7_000:])))]
    found = answers_alike(pool, REFERENCE, random.Random(seed), CASE_ABOVE, [recorded(record([-1, 1]))], asked)
    assert found is Answered.OTHERWISE


@pytest.mark.sandbox
def test_a_run_of_the_references_own_requests_it_does_not_finish_is_unfinished(pool):
    own = [recorded(record([-1, 1])), recorded(record([-500, 2]))]
    assert answers_alike(pool, LOOPING, random.Random(0), CASE, own, []) is Answered.UNFINISHED


@pytest.mark.sandbox
def test_each_run_has_a_call_and_its_time_of_its_own(pool):
    """Three runs of 0.45 s on each side: 2.7 s in one call, past the test pool's wall limit (2 s, validation's call
    budget); in a call each, 0.9 s."""
    slow = "import time\n" + REFERENCE.replace("    count = 0  # so far\n", "    end = time.monotonic() + 0.45\n"
                                               "    while time.monotonic() < end:\n        pass\n    count = 0\n")
    own = [recorded(record([n, -1])) for n in range(3)]
    right = slow.replace("x < 0", "x < -0.5")
    assert slow != REFERENCE and right != slow
    assert answers_alike(pool, slow, random.Random(0), right, own, []) is Answered.ALIKE


CASE = MARK + "def negatives(xs):\n    return sum(1 for x in xs if x > 0)\n"
CASE_ABOVE = MARK + "def negatives(xs):\n    return sum(1 for x in xs if -100 < x < 0)\n"
"""Wrong only on items below -100 (the session-48 review's HA's case)."""


def _answered(pool, references=(recorded(record([1])),), asked=()) -> Answered:
    return answers_alike(pool, REFERENCE, random.Random(0), CASE, list(references), list(asked))


@pytest.mark.parametrize(("score", "answered"), [(1.0, Answered.ALIKE), (0.0, Answered.OTHERWISE),
                                                 (UNCOMPARED_SCORE, Answered.UNCOMPARED),
                                                 (UNFINISHED_SCORE, Answered.UNFINISHED)])
def test_the_checks_score_says_what_it_found(score, answered):
    assert _answered(Scoring(score)) is answered


def test_each_replayed_run_is_checked_in_a_call_of_its_own():
    pool = Scoring(1.0)
    _answered(pool, asked=[(CASE, recorded(record([2]), record([3])))])
    assert [len(runs_of(source)) for source in pool.sources] == [1, 1, 1]


@pytest.mark.parametrize(("scores", "answered"), [
    ((1.0, 0.0, UNFINISHED_SCORE), Answered.OTHERWISE), ((1.0, UNFINISHED_SCORE, None), Answered.UNFINISHED),
    ((1.0, None, UNCOMPARED_SCORE), Answered.UNKNOWN), ((UNCOMPARED_SCORE, 1.0, 1.0), Answered.ALIKE),
    ((UNCOMPARED_SCORE,) * 3, Answered.UNCOMPARED), ((1.0, MISENDED_SCORE, ENDED_SCORE), Answered.MISENDED)],
    ids=["otherwise-first", "then-unfinished", "then-no-verdict", "alike-where-one-compared", "nothing-compared",
         "ended-otherwise-where-one-compared"])
def test_the_runs_verdicts_add_up_to_the_cases(scores, answered):
    assert _answered(ScoredPerRun(*scores), asked=[(CASE, recorded(record([2]), record([3])))]) is answered


def test_alike_where_a_record_was_dropped_is_partial():
    assert _answered(Scoring(1.0), asked=[(CASE, recorded(record([2]), dropped=1))]) is Answered.PARTIAL


def test_the_case_is_asked_the_verifiers_requests_of_it_too():
    pool = Scoring(1.0)
    _answered(pool, asked=[(CASE, recorded(record([-500, 2])))])
    assert "-500" in "".join(pool.sources)


def test_every_call_of_the_reference_gives_its_records():
    pool = Scoring(1.0)
    _answered(pool, references=[recorded(), recorded(record([-700]))])
    assert "-700" in "".join(pool.sources)


def _replayed(pool: Scoring) -> list:
    """The runs every checking call replayed, in the pool's order."""
    return [run for source in pool.sources for run in runs_of(source)]


def test_runs_past_the_bound_are_drawn_half_of_them_the_references():
    pool = Scoring(1.0)
    references = [recorded(*(record([n]) for n in range(100)))]
    _answered(pool, references, [(CASE, recorded(*(record([-n]) for n in range(1, 101))))])
    runs = [run for source in pool.sources if "SWEEP = False" in source for run in runs_of(source)]
    firsts = [calls[0][1][0][0] for calls, _ in runs]
    assert len(runs) == CHECKED_RUNS and sum(n >= 0 for n in firsts) == CHECKED_RUNS // 2


def test_a_run_is_replayed_whole_however_many_calls_it_holds():
    pool = Scoring(1.0)
    _answered(pool, asked=[(CASE, recorded(record(*([n] for n in range(5000)))))])
    assert [call[1][0][0] for call in _replayed(pool)[1][0]] == list(range(5000))


def test_runs_are_replayed_as_the_verifier_made_them_repeats_and_order_kept():
    pool = Scoring(1.0)
    _answered(pool, asked=[(CASE, recorded(*(record([5], [n], [5]) for n in range(40))))])
    assert all(calls[0] == calls[2] for calls, _ in _replayed(pool)[1:])


def test_a_case_asked_under_a_name_of_its_own_is_asked_the_reference_by_the_references_name():
    case = MARK + "def count_below(xs):\n    return sum(1 for x in xs if x < 0)\n"
    runs = [[[["count_below", [[-500]], {}]], ""]]
    assert reference_calls(runs, case, "negatives") == [[[["negatives", [[-500]], {}]], ""]]


def test_a_case_named_otherwise_is_called_by_its_name_whatever_else_it_was_asked():
    pool = Scoring(1.0)
    case = MARK + "def count_below(xs):\n    return sum(1 for x in xs if x < 0)\n"
    made = json.dumps([[["negatives", [[2]], {}], ["count_below", [[3]], {}]], ""])
    answers_alike(pool, REFERENCE, random.Random(0), case, [recorded(record([1]))], [(case, recorded(made))])
    assert "NAMES = {'negatives': 'count_below'}" in pool.sources[0]


def _named(case_records: tuple[str, ...]) -> str:
    """The NAMES line of the check of :data:`HELPER_FIRST`'s case, recorded ``case_records``, its copy ``count_below``."""
    pool = Scoring(1.0)
    answers_alike(pool, REFERENCE, random.Random(0), HELPER_FIRST[0], [recorded(record([1]))],
                  [(HELPER_FIRST[0], recorded(*case_records))],
                  [recorded(json.dumps([[["count_below", [[2]], {}]], ""]))])
    return next(line for line in pool.sources[0].splitlines() if line.startswith("NAMES = "))


def test_beside_a_public_helper_the_case_is_called_by_the_name_called_in_the_copy_paid():
    assert _named(()) == "NAMES = {'negatives': 'count_below'}"
    assert _named((json.dumps([[["count_below", [[3]], {}]], ""]),)) == "NAMES = {'negatives': 'count_below'}"


def test_a_case_called_by_another_function_than_its_copy_keeps_the_references_name():
    assert _named((json.dumps([[["count_neg", [[2]], {}]], ""]),)) == "NAMES = {}"


def test_the_secret_source_is_drawn_only_where_the_runs_do_not_fit():
    rng = random.Random(7)
    state = rng.getstate()
    answers_alike(Scoring(1.0), REFERENCE, rng, CASE, [recorded(record([1]))], [(CASE, recorded(record([2])))])
    assert rng.getstate() == state


def test_a_call_of_a_name_the_case_does_not_define_keeps_its_name():
    runs = [[[["helper", [[-500]], {}]], ""]]
    assert reference_calls(runs, CASE, "negatives") == runs


def test_nothing_recorded_of_the_reference_is_unknown():
    assert _answered(Scoring(1.0), references=[recorded()], asked=[(CASE, recorded(record([1])))]) \
        is Answered.UNKNOWN


def test_trainings_check_compares_every_run_and_pays_nothing_compared_in_full():
    source = check_source([[[["negatives", [[1]], {}]], ""]], "x = 1")
    assert "UNFINISHED = None\n" in source and "ENDINGS = [1.0, 1.0, 1.0, 1.0, 1.0]\n" in source
