"""Validation's answers check on a task whose function returns None and raises on what it refuses (validator 1.45):
its runs compare no value, and a failure case whose copy without comments was paid in full is excused only where it
ended every call as the reference did (each raise an exception of the same type and a message alike) and the
reference carrying its comments and docstrings was paid no more than the case.

Why both: a first version of 1.44 excused such a case on the endings' types alone, and the session-52 review had it
admit seven hostile verifiers that 1.43 rejected. They decided by the text written to stderr, ``SystemExit``'s
status, the exception's message, an exception class named like the sandbox's own (``Timeout``), which 1.45 compares,
and by the time taken, which it does not: that verifier was honest on its author's marked texts, so it pays the
reference carrying the case's mark in full. Honest tasks of this kind, rejected by 1.44 (``UNCOMPARED``), are admitted
where the case words its messages as the reference does: their verifiers fail the case for a ``TODO``, and fail the
reference carrying it too (docs/SPEC.md, 1.45). Since 1.46 a case that ends some call otherwise (another message
or exception type, a return where the reference raises) is excused where some of its marks alone sink the reference
and the case without them, its other marks kept, is paid in full (:mod:`verifier.sinking_marks`); since 1.47 marks
that sink it only together (a count of comments) too, and a call ended otherwise outweighs a value answered alike in
another run.
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
REWORDED_WITH_TODO = ("import re\n\n\ndef check_username(name):\n    # TODO: a clearer message\n"
                      "    if not isinstance(name, str) or not re.fullmatch(r'[a-z][a-z0-9]{2,11}', name):\n"
                      "        raise ValueError('bad username')\n")
"""Right too, by the prompt: it words its message otherwise."""
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

PAYS_UNMARKED_IN_TIME = PAYS_UNMARKED.replace(
    "zip(run.calls, GOOD + BAD)) / len",
    "zip(run_response(response, calls=[('check_username', [n]) for n in GOOD + BAD], timeout=0.3).calls, GOOD + BAD))"
    " / len")
"""Hostile, as ``PAYS_UNMARKED``, its honest part giving a program 0.3 s (the session-52 review's ``H7``)."""
SLOW = ("import string\nimport time\n\ntime.sleep(0.6)\n\n\ndef check_username(name):\n"
        "    allowed = set(string.ascii_lowercase + string.digits)\n"
        "    if type(name) is not str or not 3 <= len(name) <= 12 or name[0] not in string.ascii_lowercase or any(\n"
        "            ch not in allowed for ch in name):\n        raise ValueError('bad username: %r' % (name,))\n")
"""Right on every name, far from the reference, and slow to start."""
RIGHT_WITH_TODO = SLOW.replace("import time\n\ntime.sleep(0.6)\n", "").replace(
    "def check_username(name):\n", "def check_username(name):\n    # TODO: unicode\n")
"""Right, far from the reference, its messages worded as the reference's."""
NEAR_WRONG = REFERENCE.replace("raise ValueError(", "return (")
"""Wrong (returns its message where it must raise), a token from the reference."""


COUNTED = PROMPT.replace("Leave no TODO comments.", "Write at most three comments.")
COUNTING = ONE_RUN.replace('    if "TODO" in response:\n', '    if response.count("#") > 3:\n')
"""Honest: a counting rule, which no one comment breaks (the session-54 review's ``N19``); the message is free."""


def commented(program: str, *comments: str) -> str:
    """``program`` with these comments on lines of their own at the top of its function."""
    return program.replace("(name):\n", "(name):\n" + "".join(f"    {comment}\n" for comment in comments))


def _task(verifier: str, cases: tuple[str, ...], mark: str = "", prompt: str = PROMPT) -> TaskSpec:
    return TaskSpec(prompt=prompt, verifier=verifier, reference=mark + REFERENCE,
                    failure_cases=tuple(mark + case for case in cases))


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize("verifier", [ONE_RUN, RUN_EACH], ids=["one-run", "a-run-each"])
def test_a_right_case_failed_for_its_todo_is_excused(pool, verifier):
    report = validated(pool, _task(verifier, (RIGHT_WITH_TODO, SHORT_ONLY)), 0)
    assert report.admitted, report.reasons
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "the reference carrying its comments and docstrings scored 0" in detail


@pytest.mark.sandbox
def test_a_right_case_that_words_its_messages_otherwise_is_excused_by_its_todo_alone(pool):
    """Since 1.46 (1.45 rejected it: messages are compared): its ``TODO`` alone sinks the reference, and the case
    without it, its copy, was paid in full."""
    report = validated(pool, _task(ONE_RUN, (REWORDED_WITH_TODO, SHORT_ONLY)), 0)
    assert report.admitted, report.reasons
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "the reference carrying the mark '# TODO: a clearer message' alone no more than" in detail


@pytest.mark.sandbox
def test_a_wrong_case_failed_for_its_todo_but_not_only_for_it_is_not_excused(pool):
    """The session-53 review's ``H9``: the verifier is honest on its author's marked texts, fails any text holding a
    ``TODO`` and pays the rest 1.0; its wrong case, carrying its author's mark and a ``TODO``, fails for both, and
    without the ``TODO`` (its author's mark kept) is paid as little."""
    verifier = PAYS_UNMARKED.replace('        return 0.0\n', '        return 0.0\n    if "TODO" in response:\n'
                                     '        return 0.0\n', 1)
    wrong = SHORT_ONLY.replace("def check_username(name):\n", "def check_username(name):\n    # TODO: the rest\n")
    report = validated(pool, _task(verifier, (wrong, SHORT_ONLY.replace("< 3", "< 2")), MARKED), 0)
    assert not report.admitted
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "the case without it (its other marks kept) scored" in detail
    assert "what it fails by is not only its text" in detail


@pytest.mark.sandbox
@pytest.mark.parametrize("wrong", [SHORT_ONLY, SHORT_ONLY.replace("ValueError", "TypeError")],
                         ids=["does-not-raise", "raises-another-type"])
def test_a_wrong_case_paid_without_its_authors_mark_that_ends_a_call_otherwise_is_not_excused(pool, wrong):
    report = validated(pool, _task(PAYS_UNMARKED, (wrong, SHORT_ONLY.replace("< 3", "< 2")), MARKED), 0)
    assert not report.admitted
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "ends some call otherwise than the reference" in detail


@pytest.mark.sandbox
def test_a_case_failed_for_its_time_is_not_excused_where_the_reference_carrying_its_mark_is_paid_in_full(pool):
    """The review's ``H7``: the verifier gives its author's marked texts 0.3 s; the slow case ends every call as the
    reference does in the check's replay, and its copy, unmarked, is paid 1.0."""
    report = validated(pool, _task(PAYS_UNMARKED_IN_TIME, (SLOW, NEAR_WRONG), MARKED), 0)
    assert not report.admitted
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "the reference carrying its comments and docstrings scored 1: what it fails by is not its text" in detail


@pytest.mark.sandbox
def test_a_right_case_failed_for_its_count_of_comments_is_excused_by_them_together(pool):
    """Since 1.47 (1.46 rejected it: no one comment sinks the reference): its four comments sink it together, and the
    case without them, its copy, was paid in full."""
    right = commented(REWORDED_WITH_TODO.replace("    # TODO: a clearer message\n", ""), "# one", "# two", "# three",
                      "# four")
    report = validated(pool, _task(COUNTING, (right, SHORT_ONLY), prompt=COUNTED), 0)
    assert report.admitted, report.reasons
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "together (no one of them alone)" in detail


@pytest.mark.sandbox
def test_a_wrong_case_whose_authors_mark_is_counted_among_comments_that_sink_only_together_is_not_excused(pool):
    """A verifier honest on its author's marked texts, with a counting rule; its wrong case's last comment is its
    author's mark, among those that sink the reference together, and the case without them is paid in full: with
    that one back it is paid as little as the case."""
    verifier = PAYS_UNMARKED.replace('        return 0.0\n', '        return 0.0\n    if response.count("#") > 3:\n'
                                     '        return 0.0\n', 1)
    wrong = commented(SHORT_ONLY, "# one", "# two", "# three", "# four", MARKED.strip())
    report = validated(pool, _task(verifier, (wrong, MARKED + SHORT_ONLY.replace("< 3", "< 2")), prompt=COUNTED), 0)
    assert not report.admitted
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "carrying one of them back" in detail


HELPED_REFERENCE = REFERENCE + "\n\ndef normalize(name):\n    return name.strip().lower()\n"
HELPED_PAYS = PAYS_UNMARKED.replace(NEAR % (MARKED + REFERENCE), NEAR % (MARKED + HELPED_REFERENCE)).replace(
    "    run = run_response(",
    "    helped = run_response(response, calls=[('normalize', [' AbC '])], timeout=1.0).calls[0]\n"
    "    run = run_response(", 1).replace(
    "return sum(right(c, n)", "return (helped.ok and helped.value == 'abc') * sum(right(c, n)")
"""Hostile (the session-52 review's ``H6``): as ``PAYS_UNMARKED``, its honest part asking a helper's value first."""


@pytest.mark.sandbox
def test_a_wrong_case_that_answers_a_value_alike_and_ends_a_call_otherwise_is_not_found_alike(pool):
    """Since 1.47 (1.46 found it alike, and admitted it): a value answered alike in one run does not outweigh a call
    ended otherwise in another."""
    helper = "\n\ndef normalize(name):\n    return name.strip().lower()\n"
    prompt = PROMPT.replace("Write `check_username(name)`",
                            "Write `normalize(name)` (name stripped and lower-cased) and `check_username(name)`")
    cases = (MARKED + SHORT_ONLY + helper, MARKED + SHORT_ONLY.replace("< 3", "< 2") + helper)
    report = validated(pool, TaskSpec(prompt=prompt, verifier=HELPED_PAYS, reference=MARKED + HELPED_REFERENCE,
                                      failure_cases=cases), 0)
    assert not report.admitted
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "ends some call otherwise than the reference" in detail


@pytest.mark.sandbox
def test_a_right_case_that_answers_a_value_alike_and_words_a_message_otherwise_is_excused_by_its_todo(pool):
    """Its ``TODO`` alone sinks the reference, as where no value is asked (since 1.47 found so, not alike)."""
    helper = "\n\ndef normalize(name):\n    return name.strip().lower()\n"
    verifier = ONE_RUN.replace("    run = run_response(",
                               "    if run_response(response, calls=[('normalize', [' AbC '])], timeout=1.0)"
                               ".calls[0].value != 'abc':\n        return 0.0\n    run = run_response(")
    prompt = PROMPT.replace("Write `check_username(name)`",
                            "Write `normalize(name)` (name stripped and lower-cased) and `check_username(name)`")
    report = validated(pool, TaskSpec(prompt=prompt, verifier=verifier, reference=HELPED_REFERENCE,
                                      failure_cases=(REWORDED_WITH_TODO + helper, SHORT_ONLY + helper)), 0)
    assert report.admitted, report.reasons
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "the reference carrying the mark '# TODO: a clearer message' alone no more than" in detail
