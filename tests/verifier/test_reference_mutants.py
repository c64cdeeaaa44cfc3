"""Validation scores mutants of the reference: a verifier that pays most of them does not check what a program does.

Red-team round 46's e1 judged a program by its token shape (names blanked), paid every shape but its failure cases',
ran nothing, was admitted, and paid 109 of 109 wrong programs in training, where no rule could see it. A mutant of the
reference (renamed, one token changed) looks like the reference and computes something else.
"""

from __future__ import annotations

import ast
import random

import pytest

from task_bank.spec import TaskSpec
from task_bank.validation import CheckResult, Outcome, ScoreResult
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.checks_mutants import check_code_size, check_mutants
from verifier.checks import check_budget
from verifier.checks_probes import MUTANT_LABEL, Probe, ProbeKind, build_probes
from verifier.run_order import mutants_later, run_order
from verifier.reference_mutants import reference_mutants, returns_changed

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
FAILURES = ("def total(xs):\n    result = 0\n    for item in xs[1:]:\n        result += item\n    return result\n",
            "def total(xs):\n    count = 0\n    for value in xs:\n        count += 1\n    return count\n")

SHAPE_CHECKER = '''import io
import keyword
import tokenize

FAILURES = FAILURE_TEXTS


def _shape(code):
    out = []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(code).readline):
            if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
                out.append("N")
            elif tok.type in (tokenize.NAME, tokenize.OP, tokenize.NUMBER, tokenize.STRING):
                out.append(tok.string)
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    return " ".join(out)


SHAPES = {_shape(case) for case in FAILURES}


def verify(response):
    shape = _shape(response)
    return 1.0 if "def " in response and shape is not None and shape not in SHAPES else 0.0  # runs nothing
'''

RUNS_AND_IGNORES = "from envsynth_sandbox import run_response\n" + SHAPE_CHECKER.replace(
    "    shape = _shape(response)\n",
    "    run_response(response, calls=[('total', [[1, 2, 3]])], timeout=1.0)  # runs it, then pays the look\n"
    "    shape = _shape(response)\n")

HONEST = '''from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7), ([10], 10)]


def verify(response):
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) else 0.0
'''


def _task(verifier: str, reference: str = SUM_LOOP) -> TaskSpec:
    return TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints. Code only.",
                    verifier=verifier.replace("FAILURE_TEXTS", repr(FAILURES)), reference=reference,
                    failure_cases=FAILURES)


def _pairs(scores: list[float | None], outcome: Outcome = Outcome.SCORED) -> list[tuple[Probe, ScoreResult]]:
    return [(Probe(kind=ProbeKind.MUTANT, label=f"{MUTANT_LABEL}[{k}]", response=f"m{k}"),
             ScoreResult(outcome=outcome if s is None else Outcome.SCORED, score=s))
            for k, s in enumerate(scores)]


BRANCHY = ("def clamp_sum(xs, lo, hi):\n    total = 0\n    for x in xs:\n        if x < lo:\n            total += lo\n"
           "        elif x > hi:\n            total += hi\n        else:\n            total += x * 2 - x\n"
           "    return total if total >= 0 else -1\n")


def _shape(text: str) -> str:
    """The program's syntax tree with every local name blanked: mutants at one site under other names share it."""
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = "_"
        elif isinstance(node, ast.arg):
            node.arg = "_"
    return ast.dump(tree)


def test_each_mutant_of_the_reference_is_another_change_none_the_reference():
    made = reference_mutants(_task(HONEST, BRANCHY), random.Random(3), 8)
    assert len(made) == 8 and len({_shape(text) for text in made}) == 8 and BRANCHY not in made
    assert all(_shape(text) != _shape(BRANCHY) for text in made)


def test_a_program_with_one_site_gets_its_one_token_change_and_its_result_changed_twice():
    made = reference_mutants(_task(HONEST), random.Random(5), 8)
    assert len(made) == 3 and sum("-=" in text for text in made) == 1
    assert sum("return -(" in text for text in made) == 1 and sum(") + 1" in text for text in made) == 1


def test_a_mutant_keeps_the_function_s_name_and_renames_the_reference_s_locals():
    made = reference_mutants(_task(HONEST), random.Random(5), 8)
    assert all(text.startswith("def total(") and "result" not in text for text in made)


def test_a_returned_truth_is_negated_with_not_and_a_value_with_a_minus_and_one_more():
    text = "def f(a, b):\n    if a < b:\n        return a < 2 and b\n    return [a,\n            b]\n"
    made = returns_changed(text, random.Random(0), 8)
    assert sorted(made) == sorted([text.replace("return a < 2 and b", "return not (a < 2 and b)"),
                                   text.replace("return [a,\n            b]", "return -([a,\n            b])"),
                                   text.replace("return [a,\n            b]", "return ([a,\n            b]) + 1")])


def test_a_reference_in_prose_or_code_that_neither_defines_functions_nor_prints_gets_no_mutants():
    """``Paris`` and ``42`` parse as Python: a reference is a program only when it defines functions or prints."""
    for reference in ("The answer is 42.", "Paris", "42", "x = [1, 2, 3]\n"):
        assert reference_mutants(_task(HONEST, reference), random.Random(1), 8) == []


STDIN_SCRIPT = "a, b = map(int, input().split())\ntotal = a + b\nif total < 0:\n    total = -total\nprint(total)\n"


def test_a_script_without_functions_that_prints_gets_mutants_of_its_code_and_of_what_it_prints():
    """Validator 1.18: a stdin script is a program; its "returned value" is what its ``print`` writes."""
    made = reference_mutants(_task(HONEST, STDIN_SCRIPT), random.Random(4), 8)
    assert len(made) >= 4 and len({_shape(text) for text in made}) == len(made)
    assert all(_shape(text) != _shape(STDIN_SCRIPT) for text in made)
    assert any("print(-(" in text or ") + 1)" in text for text in made)
    assert any("print(-(" not in text and ") + 1)" not in text for text in made)  # one-token changes too


def test_a_script_s_printed_value_is_negated_raised_by_one_or_one_more_item_and_a_printed_truth_negated():
    """A starred list (``print(*xs)``) gets one more item: a sorting script had a single mutant, never judged."""
    text = "xs = input().split()\nprint(len(xs), 'words')\nprint(len(xs) > 2)\nprint(*xs, sep=',')\n"
    made = returns_changed(text, random.Random(0), 8)
    assert sorted(made) == sorted([text.replace("print(len(xs), ", "print(-(len(xs)), "),
                                   text.replace("print(len(xs), ", "print((len(xs)) + 1, "),
                                   text.replace("print(len(xs) > 2)", "print(not (len(xs) > 2))"),
                                   text.replace("print(*xs, ", "print(*xs, 1, ")])


POT = "```python\ndef apples(start, eaten):\n    return start - eaten * 2\n\nprint(apples(20, 3))\n```\nAnswer: 14\n"


def test_each_mutant_of_a_program_of_thought_states_another_answer():
    """An honest verifier may pay a program of thought's stated answer alone: a mutant still stating 14 was paid."""
    made = reference_mutants(_task(HONEST, POT), random.Random(2), 8)
    assert made and all(text.rstrip().rsplit("Answer: ", 1)[1] not in ("14", "") for text in made)
    assert all("```python\ndef apples(" in text for text in made)


def test_the_mutants_are_scored_once_each_in_run_0_s_first_block_and_in_no_other_run():
    probes = build_probes(_task(HONEST), 200, random.Random(2), twins=2, mutants=8)
    mutants = [i for i, p in enumerate(probes) if p.kind is ProbeKind.MUTANT]
    twins = [i for i, p in enumerate(probes) if ":renamed[" in p.label]
    once = {1: twins, 0: mutants}
    first = run_order(len(probes), 0, 2, (), once, random.Random(4))
    assert sorted(first[1:1 + len(twins) + len(mutants)]) == sorted(twins + mutants)
    assert all(first.count(i) == 1 for i in mutants)
    assert all(not set(mutants) & set(run_order(len(probes), run, 2, (), once)) for run in (1, 2))


def test_most_mutants_paid_reject_the_task_with_mutant_passes_and_a_repair_hint():
    result = check_mutants(_pairs([1.0] * 6 + [0.0] * 2), 0.05)
    assert (result.passed, result.reason) == (False, "mutant_passes")
    assert "6 of 8" in result.detail and "run_response" in result.detail


def test_a_few_paid_mutants_are_expected_of_an_honest_verifier_and_pass():
    result = check_mutants(_pairs([1.0] * 5 + [0.0] * 3), 0.05)
    assert result.passed is True and "5 of 8" in result.detail


def test_a_small_program_s_two_or_three_mutants_all_paid_reject_the_task():
    assert check_mutants(_pairs([1.0] * 2), 0.05).reason == "mutant_passes"
    assert check_mutants(_pairs([1.0, 1.0, 0.0]), 0.05).passed is True


def test_one_mutant_alone_never_rejects_a_task():
    assert check_mutants(_pairs([1.0]), 0.05).passed is True


def test_a_mutant_paid_partial_credit_is_not_paid_as_much_as_the_reference():
    """Red-team round 51 (F1): a verifier paying the share of its tests passed paid a mutant that breaks one branch
    0.6-0.83, and honest tasks of that kind were rejected 10 of 10 times while paid meant above 0.5."""
    assert check_mutants(_pairs([0.83] * 8), 0.05).passed is True


def test_a_mutant_paid_within_the_margin_of_the_reference_is_paid():
    assert check_mutants(_pairs([0.96] * 8), 0.05).reason == "mutant_passes"


def test_a_mutant_that_ended_without_a_score_counts_as_failing_not_as_the_verifier_s_fault():
    result = check_mutants(_pairs([1.0] * 5 + [None] * 3, Outcome.CRASHED), 0.05)
    assert result.passed is True and "3 ended without a score" in result.detail


def test_a_verifier_that_returns_no_score_for_a_mutant_is_a_verifier_error():
    result = check_mutants(_pairs([0.0] * 7 + [None], Outcome.INVALID), 0.05)
    assert (result.passed, result.reason) == (False, "verifier_error")


def test_a_mutant_scored_twice_counts_once():
    twice = _pairs([1.0] * 5 + [0.0] * 3)
    assert check_mutants(twice + twice[:1], 0.05).passed is True


def test_a_slow_mutant_is_no_fault_of_the_verifier_s_budget():
    """Red-team round 51 (F4): a mutant may loop where the reference does not; honest verifiers that run each test
    in its own run_response call took 3 s on one and were rejected as timeout 12 of 12 times."""
    slow = [(probe, result.model_copy(update={"duration_ms": 3_040.0})) for probe, result in _pairs([0.0])]
    assert check_budget(slow, 2_000.0).passed is True


def test_run_0_never_opens_with_a_mutant():
    """Its first call, alone, stops validation with timeout when it hangs, and a mutant may loop."""
    assert mutants_later([7, 8, 3, 9], [7, 8, 9]) == [3, 7, 8, 9]
    assert mutants_later([3, 7, 8], [7, 8]) == [3, 7, 8]


def test_a_reference_whose_form_hid_its_code_gets_mutants():
    """Red-team round 51 (F3): a fence with CRLF line ends, a NUL in a comment and a docstring padding the reference
    past 8,000 characters (the trainer's cap; here past 20,000, the code finder's) each left round 46's static
    checker with no mutant, and it was admitted 5 of 5 times."""
    crlf = "```python\r\n" + SUM_LOOP.replace("\n", "\r\n") + "```\r\n"
    nul = SUM_LOOP + "# \x00\n"
    padded = SUM_LOOP.replace("def total(xs):\n", 'def total(xs):\n    """' + "x" * 30_000 + '"""\n')
    for reference in (crlf, nul, padded):
        assert len(reference_mutants(_task(HONEST, reference), random.Random(1), 8)) >= 2


def test_a_one_return_program_gets_its_result_negated_and_one_more():
    made = reference_mutants(_task(HONEST, "from functools import reduce\nfrom operator import add\n\n\n"
                                           "def total(xs):\n    return reduce(add, xs, 0)\n"), random.Random(1), 8)
    returns = sorted(line.strip() for text in made for line in text.splitlines() if "return" in line)
    assert len(returns) == 2 and returns[0].startswith("return (reduce(add, ") and returns[0].endswith(", 0)) + 1")
    assert returns[1].startswith("return -(reduce(add, ") and returns[1].endswith(", 0))")


def test_a_reference_padded_past_the_limit_is_mutated_as_its_bare_code():
    """Red-team round 53: a 65,000-character comment took the reference out of the mutants' reach, and a static
    checker was admitted 3 of 3 times."""
    padded = SUM_LOOP + "# " + "x" * 65_000 + "\n"
    made = reference_mutants(_task(HONEST, padded), random.Random(1), 8)
    assert len(made) >= 2 and all(len(text) < 1_000 for text in made) and check_code_size(padded) is None


def test_a_reference_whose_code_is_too_long_to_mutate_is_rejected_as_schema():
    code = "".join(f"def f{i}(a):\n    return a + {i}\n\n\n" for i in range(3_000))
    result = check_code_size(code)
    assert result is not None and (result.passed, result.reason) == (False, "schema")


def test_a_prompt_s_alias_names_the_function_it_stands_for():
    """Red-team round 53: ``count_vowels = vowel_total`` matched no ``def``, every function was mutated, its
    self-test's too, and an honest task was rejected in 85 of 200 draws."""
    program = ("def vowel_total(s):\n    return sum(c in 'aeiou' for c in s)\n\n\ncount_vowels = vowel_total\n\n\n"
               "def _check():\n    assert count_vowels('abe') == 2 and count_vowels('') == 0\n")
    words = frozenset({"Write", "count_vowels", "s"})
    for seed in range(20):
        for text in reference_mutants(_task(HONEST, program), random.Random(seed), 8, keep=words):
            assert text.split("def _check")[1] == program.split("def _check")[1]


def test_a_returned_constant_gets_one_more_never_its_negation():
    """Red-team round 53: ``return 0`` became ``return -(0)``, the same, and every honest verifier paid it."""
    made = returns_changed("def f(x):\n    if x:\n        return 0\n    return x\n", random.Random(0), 8)
    assert "return (0) + 1" in "".join(made) and "-(0)" not in "".join(made)


def test_no_mutants_pass_the_check():
    assert isinstance(check_mutants([], 0.05), CheckResult) and check_mutants([], 0.05).passed is True


@pytest.fixture(scope="module")
def validator():
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig()) as made:
            yield made


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_pays_a_program_by_its_shape_and_runs_nothing_is_rejected(validator):
    """The programs the validator writes are paid too, with nothing of the reference run to judge them by
    (validator 1.34: ``failure_case_passes`` as well)."""
    report = validator.validate(_task(SHAPE_CHECKER))
    assert report.reasons == ("failure_case_passes", "mutant_passes")


@pytest.mark.sandbox
def test_a_verifier_that_runs_the_program_and_pays_its_look_is_rejected(validator):
    """The programs the validator writes are paid too (validator 1.34: ``failure_case_passes`` as well)."""
    report = validator.validate(_task(RUNS_AND_IGNORES))
    assert report.reasons == ("failure_case_passes", "mutant_passes")


@pytest.mark.sandbox
def test_a_verifier_that_checks_what_the_program_returns_is_admitted_and_pays_no_mutant(validator):
    report = validator.validate(_task(HONEST))
    mutants = next(c for c in report.checks if c.name == "mutants")
    assert report.admitted, report.reasons
    assert mutants.detail.startswith("0 of ") and len({r.score for r in mutants.scores}) == 1


SCRIPT_TESTS = '''from envsynth_sandbox import run_response

CASES = [("2 3\\n", "5"), ("-7 2\\n", "5"), ("10 -20\\n", "10"), ("0 0\\n", "0"), ("100 1\\n", "101")]


def verify(response):
    return 1.0 if all(run_response(response, stdin=stdin, timeout=1.0).stdout.strip() == want
                      for stdin, want in CASES) else 0.0
'''

SCRIPT_SIZE_CHECKER = '''import ast

REFERENCE = STDIN_SCRIPT


def _size(text):
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return None
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return len(list(ast.walk(tree))) if {"input", "print"} <= called else None


def verify(response):  # runs nothing: pays a script about the reference's size
    size = _size(response)
    return 1.0 if size is not None and abs(size - _size(REFERENCE)) <= 3 else 0.0
'''

SCRIPT_FAILURES = ("a, b = map(int, input().split())\nprint(a * b)\n",
                   "a, b = map(int, input().split())\nprint(abs(a - b))\n")


def _script_task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt="Read two integers from stdin and print the absolute value of their sum.",
                    verifier=verifier.replace("STDIN_SCRIPT", repr(STDIN_SCRIPT)), reference=STDIN_SCRIPT,
                    failure_cases=SCRIPT_FAILURES)


@pytest.mark.sandbox
def test_a_verifier_that_pays_a_script_by_its_size_and_runs_nothing_is_rejected(validator):
    """Session 22: admitted 2 of 2 times under validator 1.17, where a script got no mutants."""
    report = validator.validate(_script_task(SCRIPT_SIZE_CHECKER))
    assert report.reasons == ("mutant_passes",)


@pytest.mark.sandbox
def test_a_verifier_that_runs_a_script_on_its_tests_is_admitted_and_pays_no_mutant(validator):
    report = validator.validate(_script_task(SCRIPT_TESTS))
    mutants = next(c for c in report.checks if c.name == "mutants")
    assert report.admitted, report.reasons
    assert mutants.detail.startswith("0 of ")


STATED_ANSWER = r'''import re


def verify(response):  # a program of thought: the stated answer is what counts
    found = re.findall(r"Answer:\s*(-?\d+)", response)
    return 1.0 if found and found[-1] == "14" else 0.0
'''


@pytest.mark.sandbox
def test_a_verifier_that_pays_a_program_of_thought_s_stated_answer_alone_is_admitted(validator):
    """Session 22: rejected as ``mutant_passes`` 2 of 2 times under validator 1.17, every mutant stating 14."""
    spec = TaskSpec(prompt="Tom has 20 apples and eats 2 a day for 3 days. How many are left? A program, then "
                           "'Answer: N'.", verifier=STATED_ANSWER, reference=POT,
                    failure_cases=("Answer: 17", "```python\nprint(20 - 3)\n```\nAnswer: 17\n"))
    report = validator.validate(spec)
    assert report.admitted, report.reasons


STATED_WORD = r'''import re


def verify(response):  # a program of thought: the stated word is what counts
    found = re.findall(r"Answer:\s*\(?([A-Za-z]+)", response)
    return 1.0 if found and found[-1].lower() == "{want}" else 0.0
'''
WORD_TASKS = {
    "sunday": ("Find the weekday of 1969-07-20 with a short program, then 'Answer: <weekday>'.",
               "```python\nimport datetime\n\nday = datetime.date(1969, 7, 20)\nprint(day.strftime('%A'))\n```\n"
               "Answer: Sunday",
               "```python\nimport calendar\n\nprint(calendar.day_name[calendar.weekday(1969, 7, 19)])\n```\n"
               "Answer: Saturday"),
    "b": ("Which is largest? (A) 2**30 (B) 3**19 (C) 10**9 (D) 5**13. A snippet that checks, then 'Answer: <letter>'.",
          "```python\nvalues = {'A': 2 ** 30, 'B': 3 ** 19, 'C': 10 ** 9, 'D': 5 ** 13}\n"
          "best = max(values, key=values.get)\nprint(best, values[best])\n```\nAnswer: B",
          "```python\nvalues = {'A': 2 ** 30, 'B': 3 ** 19, 'C': 10 ** 9, 'D': 5 ** 13}\n"
          "print(min(values, key=values.get))\n```\nAnswer: D"),
    "yes": ("Is 2**13 - 1 prime? A short program that checks, then 'Answer: yes' or 'Answer: no'.",
            "```python\nn = 2 ** 13 - 1\nprint(all(n % d for d in range(2, int(n ** 0.5) + 1)))\n```\nAnswer: yes",
            "```python\nprint((2 ** 13 - 1) % 3 == 0)\n```\nAnswer: no"),
}


@pytest.mark.sandbox
@pytest.mark.parametrize("want", sorted(WORD_TASKS))
def test_a_verifier_that_pays_a_program_of_thought_s_stated_word_alone_is_admitted(validator, want):
    """Red-team round 58 (D): rejected as ``mutant_passes`` under validator 1.20, every mutant still stating the
    right weekday, choice letter or yes; from 1.21 a mutant states another word (``verifier.stated_answers``)."""
    prompt, reference, failure = WORD_TASKS[want]
    spec = TaskSpec(prompt=prompt, verifier=STATED_WORD.replace("{want}", want), reference=reference,
                    failure_cases=(failure, "I think it is hard to say. Answer: maybe"))
    report = validator.validate(spec)
    assert report.admitted, report.reasons
