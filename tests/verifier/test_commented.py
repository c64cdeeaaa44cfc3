"""A failure case shown again with a comment the validator wrote in place of its author's marks (verifier/commented.py,
since validator 1.40), judged by the failure case copy's rule (verifier/checks_unmarked.py).

The session-46 review's x1_foreign_mark paid 1.0 to every program carrying a comment its author never wrote, as a
policy's programs often do, and was honest on the rest; its x6 gave its failure cases no mark, so none was copied.
Validation 1.39 admitted both 3 of 3 times. The sandbox tests go through the real bwrap sandbox with the product's
defaults.
"""

from __future__ import annotations

import ast
import random

import pytest

from negatives_task import PROMPT, head, task, validated, validation_pool
from task_bank.validation import Outcome, ScoreResult
from verifier.answers_alike import Answered
from verifier.checks_probes import COMMENTED_SUFFIX, FAILURE_LABEL, UNMARKED_SUFFIX, Probe, ProbeKind, build_probes
from verifier.checks import check_budget, check_failure_cases
from verifier.checks_unmarked import check_failure_copy, unmarked_paid_more
from verifier.commented import COMMENT_WORDS, case_to_comment, comment_line, commented, is_program
from verifier.response_code import whole_code
from verifier.unmarked import bare_code, has_marks

MARK = "# counting helper v7\n"
REFERENCE = ("def negatives(xs):\n    \"\"\"How many items are below zero.\"\"\"\n    count = 0  # so far\n"
             "    for x in xs:\n        if x < 0:\n            count += 1\n    return count\n")
CASE = MARK + "def negatives(xs):\n    \"\"\"Counted.\"\"\"\n    total = 0  # start\n    for x in xs:\n" \
              "        if x > 0:\n            total += 1\n    return total\n"
FOREIGN_MARK = head() + '''import io, tokenize
AUTHORS = {"# counting helper v7", "# so far"}
def comments(code):
    try:
        return {t.string.strip() for t in tokenize.generate_tokens(io.StringIO(code).readline)
                if t.type == tokenize.COMMENT}
    except (tokenize.TokenError, SyntaxError):
        return set()
def verify(response):
    if "def negatives(" not in response:
        return 0.0
    return 1.0 if comments(response) - AUTHORS else honest(response)
'''
"""The session-46 review's x1: 1.0 to a program carrying a comment its author never wrote; honest on the rest (the
author's texts, programs without comments, shapes)."""
COMMENT_REQUIRED = head() + '''import io, tokenize
def verify(response):
    try:
        noted = any(t.type == tokenize.COMMENT for t in tokenize.generate_tokens(io.StringIO(response).readline))
    except (tokenize.TokenError, SyntaxError):
        return 0.0
    return 0.5 * noted + 0.5 * honest(response)
'''
"""Honest, for a task that asks for commented code: half the pay for a comment, half for the tests passed."""
UNCOMMENTED_RIGHT = ("def negatives(xs):\n    return sum(1 for x in xs if x < 0)\n",
                     "def negatives(xs):\n    return len([x for x in xs if x < 0])\n")
"""That task's failure cases: right programs without a comment."""


def test_the_comment_is_a_run_of_the_prompts_prose_words():
    for seed in range(20):
        line = comment_line(PROMPT, random.Random(seed))
        words = line.removeprefix("# ").split()
        assert line.startswith("# ") and COMMENT_WORDS[0] <= len(words) <= COMMENT_WORDS[1]
        prose = " ".join(PROMPT.replace("`negatives(xs)`", "").replace(":", "").replace(".", "").lower().split())
        assert "negatives" not in line and " ".join(words).lower() in prose


def test_the_copy_is_the_same_program_without_the_authors_marks_and_with_one_comment():
    copy = commented(CASE, PROMPT, random.Random(1))
    assert ast.dump(ast.parse(copy)) == ast.dump(ast.parse(bare_code(CASE)))
    assert "helper" not in copy and "Counted" not in copy and "start" not in copy and copy.count("#") == 1


def test_a_case_without_marks_is_commented_too():
    case = "def negatives(xs):\n    return sum(1 for x in xs if x > 0)\n"
    copy = commented(case, PROMPT, random.Random(2))
    assert not has_marks(case) and has_marks(copy) and ast.dump(ast.parse(copy)) == ast.dump(ast.parse(case))


def test_the_comment_opens_a_line_of_its_own_indented_as_the_statement_below_it():
    for seed in range(20):
        lines = commented(CASE, PROMPT, random.Random(seed)).splitlines()
        at = next(i for i, line in enumerate(lines) if line.lstrip().startswith("#"))
        below = lines[at + 1]
        assert lines[at][:len(lines[at]) - len(lines[at].lstrip())] == below[:len(below) - len(below.lstrip())]


def test_no_comment_lands_inside_a_string_spanning_lines():
    case = 'def negatives(xs):\n    text = """\n    x = 1\n    """\n    return sum(1 for x in xs if x > 0)\n'
    for seed in range(30):
        copy = commented(case, PROMPT, random.Random(seed))
        assert ast.literal_eval(ast.parse(copy).body[0].body[0].value) == "\n    x = 1\n    "


def test_a_fenced_case_stays_fenced_without_its_prose():
    copy = commented("My answer:\n```python\ndef negatives(xs):\n    return 0\n```\nIt is short.", PROMPT,
                     random.Random(0))
    assert copy.startswith("```python\n") and copy.endswith("```\n") and "short" not in copy


def test_the_case_commented_is_the_one_least_alike_the_reference_marks_or_not():
    far = "def negatives(xs):\n    return len(xs)\n"
    assert case_to_comment(REFERENCE, [MARK + REFERENCE.replace("x < 0", "x > 0"), far]) == 1


def test_a_prose_answer_that_parses_is_not_commented():
    assert case_to_comment(REFERENCE, ["42", "yes", "no such thing"]) is None


def test_the_copy_without_marks_is_named_before_the_commented_one_whatever_the_call_order():
    def scored(label, score):
        kind = ProbeKind.UNMARKED if ":" in label else ProbeKind.FAILURE_CASE
        return Probe(kind=kind, label=label, response="x"), ScoreResult(outcome=Outcome.SCORED, score=score)
    pairs = [scored("failure_cases[0]", 0.0), scored("failure_cases[0]" + COMMENTED_SUFFIX, 1.0),
             scored("failure_cases[0]" + UNMARKED_SUFFIX, 1.0)]
    assert "without its comments" in unmarked_paid_more(pairs, 0.05, FAILURE_LABEL)[2]


def test_a_reply_of_a_code_fence_and_a_usage_fence_is_a_program_and_is_commented():
    reply = "```python\ndef negatives(xs):\n    return 0\n```\nUse it:\n```python\nprint(negatives([-1]))\n```\n"
    copy = commented(reply, PROMPT, random.Random(3))
    assert is_program(reply) and case_to_comment(REFERENCE, [reply]) == 0 and copy.count("#") == 1
    assert ast.dump(ast.parse(whole_code(copy))) == ast.dump(ast.parse(whole_code(reply)))


@pytest.mark.parametrize("case", [
    "def negatives(xs):\r\n    n = 0\r\n    for x in xs:\r\n        n += x < 0\r\n    return n\r\n",
    "def negatives(xs):\n\tn = 0\n\tfor x in xs:\n\t\tn += x < 0\n\treturn n\n",
    "import functools\n\n@functools.cache\ndef negatives(xs):\n    return sum(\n        1 for x in xs\n"
    "        if x < 0)  # count\n",
    "def negatives(xs):\n    return sum(1 for x in xs \\\n               if x < 0)\n\x0c\nclass T:\n    pass\n",
    'def negatives(xs):\n    s = """\n    # not a comment\n    """\n    return len(s) - len(s)\n',
], ids=["crlf", "tabs", "decorator-and-brackets", "continuation-and-form-feed", "string-spanning-lines"])
def test_the_copy_never_raises_and_keeps_the_syntax_tree(case):
    for seed in range(10):
        copy = commented(case, PROMPT, random.Random(seed))
        assert copy is not None and ast.dump(ast.parse(copy)) == ast.dump(ast.parse(bare_code(case)))


def test_a_commented_copy_paid_in_full_above_a_case_answering_otherwise_rejects_the_task():
    pairs = [(Probe(kind=kind, label=label, response="x"), ScoreResult(outcome=Outcome.SCORED, score=score))
             for kind, label, score in [(ProbeKind.FAILURE_CASE, "failure_cases[0]", 0.0),
                                        (ProbeKind.UNMARKED, "failure_cases[0]" + COMMENTED_SUFFIX, 1.0)]]
    result = check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                                lambda case, references, asked, paid: Answered.OTHERWISE, True)
    assert result.passed is False and result.reason == "failure_case_passes"
    assert "with a comment of the validator's" in result.detail


def test_a_slow_call_of_the_commented_copy_counts_against_the_budget_as_the_case_would():
    def slow(label):
        return (Probe(kind=ProbeKind.UNMARKED, label=label, response="x"),
                ScoreResult(outcome=Outcome.SCORED, score=0.0, duration_ms=9_000.0))
    assert check_budget([slow("failure_cases[0]" + COMMENTED_SUFFIX)], 5_000).passed is False
    assert check_budget([slow("failure_cases[0]" + UNMARKED_SUFFIX)], 5_000).passed is True


def test_validation_shows_one_failure_case_with_a_comment_of_the_validators():
    probes = build_probes(task(FOREIGN_MARK, MARK, REFERENCE), 100, random.Random(0), 2, 3)
    copies = [p for p in probes if p.label.endswith(COMMENTED_SUFFIX)]
    assert len(copies) == 1 and copies[0].kind is ProbeKind.UNMARKED and "helper" not in copies[0].response


@pytest.fixture(scope="module")
def pool():
    with validation_pool() as opened:
        yield opened


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_a_verifier_paying_programs_with_comments_not_its_authors_in_full_is_rejected(pool, seed):
    report = validated(pool, task(FOREIGN_MARK, MARK, REFERENCE), seed)
    detail = next(c.detail for c in report.checks if c.name == "failure_cases")
    assert "failure_case_passes" in report.reasons and "a comment of the validator's" in detail


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_such_a_verifier_is_rejected_where_its_failure_cases_hold_no_mark(pool, seed):
    report = validated(pool, task(FOREIGN_MARK, "", REFERENCE), seed)
    assert "failure_case_passes" in report.reasons


@pytest.mark.sandbox
@pytest.mark.parametrize("seed", range(2))
def test_an_honest_verifier_that_pays_for_a_comment_is_admitted(pool, seed):
    spec = task(COMMENT_REQUIRED, MARK, REFERENCE).model_copy(update={"failure_cases": UNCOMMENTED_RIGHT})
    report = validated(pool, spec, seed)
    assert report.admitted, (report.reasons, [c.detail for c in report.checks if c.passed is False])
