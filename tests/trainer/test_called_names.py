"""A text whose one function has a name of its own is replayed and checked by that function.

Red-team round 60's honest corpus: a verifier that calls whatever function a reply defines (the prompt names
none) was flagged in 3 of 3 runs, as the replay called the reference's name and every right program named
otherwise failed that call, sharing one replayed digest with the wrong ones the verifier failed.
"""

from __future__ import annotations

import pytest

from task_bank import TaskSpec
from trainer.answer_check import AnswerCheck
from verifier.called_names import (MAX_CANDIDATES, called_name, candidates, own_function, renamed, renamings,
                                   with_name)

RUNS = [[[["count_vowels", ["hello"], {}], ["count_vowels", ["AEIOU"], {}]], ""]]


def test_the_reference_calls_one_name_or_none_is_named():
    assert called_name(RUNS) == "count_vowels"
    assert called_name([[[["f", [], {}], ["g", [], {}]], ""]]) is None and called_name([[[], "in"]]) is None


def test_a_text_with_one_function_of_another_name_is_called_by_that_name():
    assert renamed(RUNS, "import re\n\ndef num_vowels(text):\n    return 0\n") == "num_vowels"
    assert with_name(RUNS, "num_vowels") == [[[["num_vowels", ["hello"], {}], ["num_vowels", ["AEIOU"], {}]], ""]]


def test_helpers_named_with_a_leading_underscore_leave_the_one_other_function_to_call():
    assert renamed(RUNS, "def _is_vowel(c):\n    return c in 'aeiou'\n\ndef vowels(s):\n    return 0\n") == "vowels"


@pytest.mark.parametrize("code", [
    "def count_vowels(s):\n    return 0\n",  # the reference's own name
    "def _a(c):\n    return c\n\ndef _b(s):\n    return 0\n",  # helpers only: which one is no guess of ours
    "def _a(c):\n    return c\n\ndef b(s):\n    return 0\n\ndef count_vowels(s):\n    return 0\n",
    "def helper(c):\n    return c\n\ndef vowels(s):\n    return 0\n",  # several: which one is no guess of ours
    "x = 1\n",  # none
    "def vowels(s):\n    return 0\n\ncount_vowels = vowels\n",  # an alias answers to the name already
    "from collections import Counter as count_vowels\n\ndef vowels(s):\n    return 0\n",
    "class count_vowels:\n    pass\n\ndef vowels(s):\n    return 0\n",
    "try:\n    def count_vowels(s):\n        return 0\nexcept ImportError:\n    pass\n\ndef helper(c):\n    return c\n",
    "def vowels(s) return 0\n",  # no parse
    "(" * 10_000 + ")" * 10_000,  # past the parser's limits
])
def test_a_text_that_answers_to_the_name_defines_several_or_none_or_cannot_be_parsed_keeps_it(code):
    assert renamed(RUNS, code) is None


SEVERAL = "def is_vowel(c):\n    return c in 'aeiou'\n\ndef vowels(s):\n    return 0\n"


def test_of_several_functions_the_one_the_verifier_called_in_the_text_is_called():
    assert own_function("count_vowels", SEVERAL, "vowels") == "vowels"
    assert own_function("count_vowels", SEVERAL) is None


@pytest.mark.parametrize(("code", "called"), [
    (SEVERAL, "helper"),  # a name the text does not define
    (SEVERAL, "count_vowels"),  # the reference's own name
    (SEVERAL + "\ncount_vowels = vowels\n", "vowels"),  # the text answers to the reference's name already
    (SEVERAL + "\ndef count_vowels(s):\n    return 0\n", "vowels"),
], ids=["undefined", "the-references-name", "bound-otherwise", "defined"])
def test_the_name_the_verifier_called_does_not_replace_the_references_where_the_text_answers_to_it(code, called):
    assert own_function("count_vowels", code, called) is None


def test_runs_that_call_several_names_are_never_renamed():
    runs = [[[["encode", ["a"], {}], ["decode", ["b"], {}]], ""]]
    assert renamed(runs, "def codec(s):\n    return s\n") is None and with_name(runs, None) == runs


ANY_NAME = '''import ast
from envsynth_sandbox import run_response
CASES = [("hello", 2), ("HELLO World", 3), ("", 0), ("rhythm", 0), ("AEIOUaeiou", 10), ("Apple", 2)]

def verify(response):
    try:
        names = [n.name for n in ast.parse(response).body if isinstance(n, ast.FunctionDef)]
    except SyntaxError:
        return 0.0
    if not names:
        return 0.0
    run = run_response(response, calls=[(names[-1], [s]) for s, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == want for c, (_, want) in zip(run.calls, CASES)) else 0.0
'''
RIGHT = ["def num_vowels(text):\n    return sum(ch in 'aeiouAEIOU' for ch in text)\n",
         "def vowel_count(s):\n    count = 0\n    for ch in s.lower():\n        if ch in 'aeiou':\n            count += 1\n"
         "    return count\n",
         "import re\n\ndef count_vowels(s):\n    return len(re.findall('[aeiou]', s, re.I))\n",
         "def countVowels(word):\n    return len([c for c in word if c.lower() in 'aeiou'])\n"]
WRONG = ["def num_vowels(text):\n    return sum(ch in 'aeiou' for ch in text)\n",
         "def vowel_count(s):\n    return sum(ch.lower() in 'aeiouy' for ch in s)\n",
         "def count_vowels(s):\n    return len(set(c for c in s.lower() if c in 'aeiou'))\n",
         "def vowels(s):\n    return len(s)\n"]


@pytest.mark.sandbox  # needs bubblewrap and root
def test_an_honest_verifier_that_calls_whatever_function_a_text_defines_is_not_flagged(monitored_training,
                                                                                       bwrap_scoring_pool):
    task = TaskSpec(prompt="Write a Python function that counts the vowels (a, e, i, o, u, either case) in a string.",
                    reference="def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')\n",
                    failure_cases=("def count_vowels(s):\n    return sum(1 for c in s if c in 'aeiou')\n",),
                    verifier=ANY_NAME)
    monitor = monitored_training(bwrap_scoring_pool, task, [*RIGHT, *RIGHT, *WRONG], 4)
    assert monitor.flagged == {}


@pytest.mark.sandbox  # needs bubblewrap and root
def test_the_answers_check_calls_a_texts_own_function(bwrap_scoring_pool):
    reference = "def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')\n"
    check = AnswerCheck(bwrap_scoring_pool)
    assert check.alike([("t", RUNS, reference, RIGHT[0]), ("t", RUNS, reference, WRONG[0])]) == [True, False]


HELPED_RIGHT = ["def is_vowel(c):\n    return c.lower() in 'aeiou'\n\n\ndef num_vowels(text):\n"
                "    return sum(is_vowel(ch) for ch in text)\n",
                "def vowel_set():\n    return set('aeiouAEIOU')\n\n\ndef vowel_count(s):\n"
                "    return sum(ch in vowel_set() for ch in s)\n"]
HELPED_WRONG = ["def is_vowel(c):\n    return c in 'aeiou'\n\n\ndef num_vowels(text):\n"
                "    return sum(is_vowel(ch) for ch in text)\n",
                "def vowel_set():\n    return set('aeiouy')\n\n\ndef vowel_count(s):\n"
                "    return sum(ch.lower() in vowel_set() for ch in s)\n"]
"""Texts whose last function answers beside a public helper (the session-50 note's open item): right, and wrong."""


@pytest.mark.sandbox  # needs bubblewrap and root
def test_texts_with_public_helpers_an_honest_verifier_paid_and_failed_do_not_flag_it(monitored_training,
                                                                                     bwrap_scoring_pool):
    """Training has no records of which function the verifier called in a text; it replays and checks each public
    function of a text that defines several and not the reference's name (at most four). Before (validator 1.42),
    it called them all by the reference's name, which they lack: every such text replayed to one result, the right
    ones paid and the wrong ones failed, and the task was flagged (``results``)."""
    task = TaskSpec(prompt="Write a Python function that counts the vowels (a, e, i, o, u, either case) in a string.",
                    reference="def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')\n",
                    failure_cases=("def count_vowels(s):\n    return sum(1 for c in s if c in 'aeiou')\n",),
                    verifier=ANY_NAME)
    monitor = monitored_training(bwrap_scoring_pool, task, [*HELPED_RIGHT, *HELPED_RIGHT, *HELPED_WRONG, *RIGHT], 4)
    assert monitor.flagged == {}


def test_a_text_of_several_public_functions_none_the_references_is_tried_under_each():
    assert renamings(RUNS, SEVERAL) == ("is_vowel", "vowels")
    assert renamings(RUNS, "def _a(c):\n    return c\n\ndef vowels(s):\n    return 0\n") == ("vowels",)


@pytest.mark.parametrize("code", [
    SEVERAL + "\ndef count_vowels(s):\n    return 0\n",  # the reference's own name
    SEVERAL + "\ncount_vowels = vowels\n",  # bound otherwise
    "".join(f"def f{at}(s):\n    return {at}\n\n" for at in range(MAX_CANDIDATES + 1)),  # past the bound
    "def vowels(s) return 0\n",  # no parse
])
def test_a_text_that_answers_to_the_name_or_has_too_many_functions_has_no_candidates(code):
    assert candidates("count_vowels", code) == ()


@pytest.mark.sandbox  # needs bubblewrap and root
def test_the_answers_check_finds_a_text_alike_where_one_of_its_functions_is(bwrap_scoring_pool):
    reference = "def count_vowels(s):\n    return sum(1 for c in s.lower() if c in 'aeiou')\n"
    runs = [[[["count_vowels", ["rhythm"], {}], ["count_vowels", ["Apple"], {}]], ""]]
    check = AnswerCheck(bwrap_scoring_pool)
    assert check.alike([("t", runs, reference, text) for text in (*HELPED_RIGHT, *HELPED_WRONG)]) == [
        True, True, False, False]
