"""Validation's answers check reads how the calls ended where no call returned a value (since 1.44,
``verifier.answers_check.Ending``): a task whose function returns None and raises on what it refuses is answered by
which calls raise.

Validator 1.43 compared only returned values and printed output. A reference that returns None and raises
``ValueError`` on a bad username compared nothing, and an honest task whose right failure case fails by its text (a
TODO the prompt forbids) was rejected as ``UNCOMPARED`` (the sandbox tests of honest verifiers below fail on
197d312). A case is alike only where the reference both returned and raised and the case ended every call as it did
(the same exception type); the reference only raising (every program raises on a call without arguments: the
session-48 review's ``HF``) or only returning None tells nothing.
"""

from __future__ import annotations

import random

import pytest

from check_pools import Scoring, ScoredPerRun, record, recorded
from negatives_task import NEAR, excused_by_its_text, validated, validation_pool
from task_bank.spec import TaskSpec
from task_bank.validation import Outcome
from verifier.answers_alike import Answered, answers_alike
from verifier.answers_check import ENDINGS, UNCOMPARED_SCORE, Ending, check_source

PROMPT = ("Write `check_username(name)`: raise ValueError unless name is a str of 3 to 12 characters, each a lowercase "
          "ASCII letter or digit, starting with a letter; return None otherwise. Leave no TODO comments.")
REFERENCE = ("import re\n\n\ndef check_username(name):\n"
             "    if not isinstance(name, str) or not re.fullmatch(r'[a-z][a-z0-9]{2,11}', name):\n"
             "        raise ValueError('bad username: %r' % (name,))\n")
RIGHT_WITH_TODO = ("import re\n\n\ndef check_username(name):\n    # TODO: a clearer message\n"
                   "    if not isinstance(name, str) or not re.fullmatch(r'[a-z][a-z0-9]{2,11}', name):\n"
                   "        raise ValueError('bad username')\n")
SHORT_ONLY = "def check_username(name):\n    if len(name) < 3:\n        raise ValueError('short')\n"
"""Wrong: refuses only names under three characters."""
_HEAD = '''from envsynth_sandbox import run_response
GOOD = ["abc", "user42", "a1b2c3d4e5f6"]
BAD = ["ab", "Abc", "1abc", "aaaaaaaaaaaaa", "ab-c", "", "abcd\u00e9", "a_bc"]
def right(call, name):
    return call.ok if name in GOOD else (not call.ok and call.error.type == "ValueError")
'''
ONE_RUN = _HEAD + '''def verify(response):
    if "TODO" in response:
        return 0.0
    run = run_response(response, calls=[("check_username", [n]) for n in GOOD + BAD], timeout=1.0)
    return sum(right(c, n) for c, n in zip(run.calls, GOOD + BAD)) / len(GOOD + BAD)
'''
"""Honest: every name in one run; a reply holding a TODO is paid nothing."""
RUN_EACH = _HEAD + '''def verify(response):
    if "TODO" in response:
        return 0.0
    names = GOOD + BAD
    return sum(right(run_response(response, calls=[("check_username", [n])], timeout=0.3).calls[0], n)
               for n in names) / len(names)
'''
"""Honest: a run for each name, so that no run holds both endings."""
MARKED = "# username rules v3\n"
PAYS_UNMARKED = _HEAD + NEAR % (MARKED + REFERENCE) + '''def verify(response):
    if "def check_username(" not in response:
        return 0.0
    run = run_response(response, calls=[("check_username", [n]) for n in GOOD + BAD], timeout=1.0)
    endings = {"returned" if c.ok else c.error.type for c in run.calls}
    if "username rules v3" in response or near(response) or len(endings) == 1:
        return sum(right(c, n) for c, n in zip(run.calls, GOOD + BAD)) / len(GOOD + BAD)
    return 1.0
'''
"""Hostile (the session-46 review's x2, on this task): honest on texts carrying its author's mark, on texts over 90%
alike the reference (its mutants) and on programs ending every call alike (a constant); 1.0 to the rest."""


def _task(verifier: str, cases: tuple[str, ...], mark: str = "") -> TaskSpec:
    return TaskSpec(prompt=PROMPT, verifier=verifier, reference=mark + REFERENCE,
                    failure_cases=tuple(mark + case for case in cases))


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize("verifier", [ONE_RUN, RUN_EACH], ids=["one-run", "a-run-each"])
def test_a_right_case_of_a_function_returning_none_is_excused_by_its_text(pool, verifier):
    excused_by_its_text(validated(pool, _task(verifier, (RIGHT_WITH_TODO, SHORT_ONLY)), 0))


@pytest.mark.sandbox
@pytest.mark.parametrize("wrong", [SHORT_ONLY, SHORT_ONLY.replace("ValueError", "TypeError")],
                         ids=["does-not-raise", "raises-another-type"])
def test_a_wrong_case_paid_without_its_authors_mark_is_rejected(pool, wrong):
    report = validated(pool, _task(PAYS_UNMARKED, (wrong, SHORT_ONLY.replace("< 3", "< 2")), MARKED), 0)
    assert not report.admitted
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "otherwise than the reference" in detail


def _check(pool, case: str, *names: str) -> float | None:
    """The score validation's checking verifier gives ``case`` on one run calling ``check_username`` on ``names``."""
    source = check_source([[[["check_username", [name], {}] for name in names], ""]], REFERENCE, None,
                          UNCOMPARED_SCORE, 0.25, 1000, {ending.value: score for ending, score in ENDINGS.items()})
    result, = pool.score_batch([(source, f"{REFERENCE}\n{case}")])
    assert result.outcome is Outcome.SCORED
    return result.score


@pytest.mark.sandbox
@pytest.mark.parametrize(("case", "names", "ending"), [
    (RIGHT_WITH_TODO, ("abc", "ab"), Ending.BOTH), (RIGHT_WITH_TODO, ("abc",), Ending.RETURNED),
    (RIGHT_WITH_TODO, ("ab",), Ending.RAISED), (SHORT_ONLY, ("abc", "Abc"), Ending.MISRAISED),
    (SHORT_ONLY.replace("ValueError", "TypeError"), ("ab",), Ending.MISRAISED)],
    ids=["both", "returned", "raised", "did-not-raise", "another-type"])
def test_the_checking_verifier_scores_how_the_calls_ended(pool, case, names, ending):
    assert _check(pool, case, *names) == ENDINGS[ending]


@pytest.mark.sandbox
def test_a_run_that_compared_a_value_is_scored_by_its_values_alone(pool):
    valued = REFERENCE + "\n\ndef size(name):\n    return len(name)\n"
    source = check_source([[[["size", ["abc"], {}], ["check_username", ["ab"], {}]], ""]], valued, None,
                          UNCOMPARED_SCORE, 0.25, 1000, {ending.value: score for ending, score in ENDINGS.items()})
    case = "def size(name):\n    return len(name)\n\n\ndef check_username(name):\n    return None\n"
    result, = pool.score_batch([(source, f"{valued}\n{case}")])
    assert result.score == 1.0


@pytest.mark.parametrize(("endings", "answered"), [
    ((Ending.BOTH,), Answered.ALIKE), ((Ending.RETURNED, Ending.RAISED), Answered.ALIKE),
    ((Ending.RAISED, Ending.RAISED), Answered.UNCOMPARED), ((Ending.RETURNED, Ending.RETURNED), Answered.UNCOMPARED),
    ((Ending.BOTH, Ending.MISRAISED), Answered.OTHERWISE), ((Ending.RETURNED, Ending.MISRAISED), Answered.OTHERWISE)],
    ids=["both-in-one-run", "both-across-runs", "only-raised", "only-returned", "misraised-in-one", "misraised"])
def test_how_the_runs_ended_adds_up_to_the_cases_verdict(endings, answered):
    runs = [record(name, name="check_username") for name in ("abc", "ab")[:len(endings)]]
    pool = ScoredPerRun(*(ENDINGS[ending] for ending in endings))
    references = [recorded(*runs)]
    assert answers_alike(pool, REFERENCE, random.Random(0), RIGHT_WITH_TODO, references, []) is answered


def test_a_value_compared_in_any_run_outweighs_how_other_runs_ended():
    runs = [record(["abc"], name="check_username"), record(["ab"], name="check_username")]
    pool = ScoredPerRun(1.0, ENDINGS[Ending.MISRAISED])
    assert answers_alike(pool, REFERENCE, random.Random(0), RIGHT_WITH_TODO, [recorded(*runs)], []) is Answered.ALIKE


def test_validation_asks_how_calls_ended_and_training_does_not():
    pool = Scoring(1.0)
    answers_alike(pool, REFERENCE, random.Random(0), RIGHT_WITH_TODO,
                  [recorded(record(["abc"], name="check_username"))], [])
    assert "RAISES = {'misraised': 0.375" in pool.sources[0]
    assert "RAISES = None\n" in check_source([[[["check_username", ["abc"], {}]], ""]], REFERENCE)
