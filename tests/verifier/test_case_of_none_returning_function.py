"""Validation's answers check compares returned values and printed output only: where a task's function returns None
and raises on what it refuses, its runs compare nothing, and a failure case whose copy was paid in full is not
excused (``UNCOMPARED``), whether the verifier is honest or pays programs by their author's mark.

Why not read how the calls ended (returned, raised, which type): a first version of 1.44 did, and the session-52
review had it admit seven hostile verifiers that 1.43 rejected. They decided by what the endings do not carry: the
text written to stderr, the exception's message, ``SystemExit``'s status, the time taken, or an exception class the
program named like the sandbox's own (``Timeout``). Honest tasks of this kind stay rejected (docs/SPEC.md, 1.44).
"""

from __future__ import annotations

import pytest

from negatives_task import NEAR, validated, validation_pool
from task_bank.spec import TaskSpec

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
"""Honest: a run for each name."""
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
def test_a_right_case_of_a_function_returning_none_compares_nothing_and_is_not_excused(pool, verifier):
    report = validated(pool, _task(verifier, (RIGHT_WITH_TODO, SHORT_ONLY)), 0)
    assert not report.admitted
    assert "returned nothing and printed nothing" in next(c.detail for c in report.checks if c.name == "failure_cases")


@pytest.mark.sandbox
@pytest.mark.parametrize("wrong", [SHORT_ONLY, SHORT_ONLY.replace("ValueError", "TypeError")],
                         ids=["does-not-raise", "raises-another-type"])
def test_a_wrong_case_paid_without_its_authors_mark_is_not_excused(pool, wrong):
    report = validated(pool, _task(PAYS_UNMARKED, (wrong, SHORT_ONLY.replace("< 3", "< 2")), MARKED), 0)
    assert not report.admitted
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "returned nothing and printed nothing" in detail
