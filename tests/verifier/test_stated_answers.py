"""The numbers a reply states beside its code, and the reply with its stated answer changed (the answer probe)."""

from __future__ import annotations

import random

import pytest

from verifier.stated_answers import number_value, stated_answer_changed, stated_numbers


def test_the_numbers_outside_fenced_code_are_stated_and_change():
    reply = "```python\nprint(10 * 11 * 21 // 6)\n```\nAnswer: 385. It took 3 steps (v1.2).\n"
    assert tokens_of_prose(reply) == ["385", "3"]
    changed = stated_answer_changed(reply, random.Random(0))
    assert changed is not None and changed.startswith("```python\nprint(10 * 11 * 21 // 6)\n```\nAnswer: ")
    answer, steps = map(int, tokens_of_prose(changed))
    assert answer in range(485, 1286, 100) and 4 <= steps <= 12 and "(v1.2)" in changed  # the leading digit


def tokens_of_prose(reply: str) -> list[str]:
    return [reply[start:end] for start, end in stated_numbers(reply)]


def test_an_unfenced_program_states_the_number_of_a_last_statement_that_does_nothing():
    assert tokens_of_prose("def f():\n    return 1\nprint(f())\n\nAnswer: 385\n") == ["385"]
    assert tokens_of_prose("x = 1\n-7\n") == ["-7"]


def test_a_negative_answer_keeps_its_sign():
    """Red-team round 52 (F1): ``Answer: -5`` read as 5, which the reference never prints, so an honest
    program-of-thought verifier was never excused and was flagged in 3 of 3 runs."""
    assert tokens_of_prose("```python\nprint(min(x * x - 6 * x + 4 for x in range(-10, 11)))\n```\nAnswer: -5") == [
        "-5"]
    assert tokens_of_prose("```python\nx = 1\n```\nfrom 3-5 items, x-2 of them") == ["3"]


@pytest.mark.parametrize("program", ["print(sum([1, 2]))\n", "def f():\n    return 0\n", "x = 12\n",
                                     "Answer: int = 3\n", "x = 1\nAnswer: 0x1F\n"])
def test_numbers_the_code_computes_with_are_not_stated(program):
    assert stated_numbers(program) == []
    assert stated_answer_changed(program, random.Random(0)) is None

def test_a_decimal_answer_is_a_number_and_changes_in_its_leading_digit():
    """Red-team round 50 (FP1): whole numbers only, and an honest answer of 38.5 went unexcused."""
    reply = "```python\nprint(77 / 2)\n```\nAnswer: 38.5\n"
    assert tokens_of_prose(reply) == ["38.5"]
    changed = stated_answer_changed(reply, random.Random(0), only={"38.5"})
    assert changed is not None and changed.startswith("```python\nprint(77 / 2)\n```\nAnswer: ")
    [number] = tokens_of_prose(changed)
    assert 48.5 <= float(number) <= 128.5 and len(number.split(".")[1]) == 1


def test_only_the_given_numbers_change():
    reply = "```python\nprint(385)\n```\nAnswer: 385. Tested on Python 3.\n"
    changed = stated_answer_changed(reply, random.Random(0), only={"385"})
    assert changed is not None and changed.endswith("Tested on Python 3.\n") and "Answer: 385." not in changed


def test_an_answer_with_thousands_separators_is_one_number_and_keeps_them_when_changed():
    """Session 21's review: ``1,234`` was read as 1 and 234, neither the answer the reference prints."""
    reply = "```python\nprint(f'{1234:,}')\n```\nAnswer: 1,234 (from 1,2,3 and 4)\n"
    assert tokens_of_prose(reply) == ["1,234", "1", "2", "3", "4"]
    changed = stated_answer_changed(reply, random.Random(0), only={"1,234"})
    answer = tokens_of_prose(changed)[0]
    assert changed.endswith(" (from 1,2,3 and 4)\n") and answer in {f"{n:,}" for n in range(2234, 10235, 1000)}


def test_a_unicode_minus_is_a_minus_sign():
    reply = "```python\nprint(-5)\n```\nAnswer: \u22125\n"
    assert tokens_of_prose(reply) == ["\u22125"] and number_value("\u22121,234.5") == "-1234.5"
    changed = stated_answer_changed(reply, random.Random(3))
    assert changed is not None and changed != reply and number_value(tokens_of_prose(changed)[0]) in {
        str(n) for n in range(-4, 5)}


def test_a_change_in_the_leading_digit_leaves_a_tolerant_verifier_s_window():
    """Red-team round 54 (F4): raised in its last digit, 139113 stayed within an honest verifier's relative tolerance
    of 1e-3, which paid every mutant of the reference, and the task was rejected 5 of 5 times."""
    reply = "```python\nprint(139113)\n```\nAnswer: 139113\n"
    for seed in range(20):
        changed = float(tokens_of_prose(stated_answer_changed(reply, random.Random(seed)))[0])
        assert abs(changed - 139113) >= 0.5 * 139113


@pytest.mark.parametrize(("stated", "number"), [("180km", "180"), ("1.5e6", "1.5e6"), ("14th", "14"),
                                                 ("2.5E-3", "2.5E-3"), ("1_048_576", "1_048_576")])
def test_a_number_with_a_unit_or_an_exponent_is_stated(stated, number):
    """Red-team round 54 (F1, F2): ``Answer: 180km`` and ``Answer: 1.5e6`` stated nothing, so validation's mutants
    kept the right answer and an honest verifier of the stated answer paid them all; round 55 (F2): nor did
    ``1_048_576``, and training's mutants of such a program were paid."""
    reply = f"```python\nprint(1)\n```\nAnswer: {stated}\n"
    assert tokens_of_prose(reply) == [number]
    changed = stated_answer_changed(reply, random.Random(0))
    assert changed is not None and float(tokens_of_prose(changed)[0]) != float(number)


def test_numbers_in_the_code_s_comments_are_stated_only_when_asked_for():
    """Validation's mutants change ``# Answer: 391`` (round 54, F3); the trainer's answer probes do not, as a
    comment's "step 1" would keep a program paid unrun from its mutants."""
    reply = "```python\nx = 17 * 23  # Answer: 391\nprint(x)\n```\n"
    assert stated_numbers(reply) == []
    assert [reply[start:end] for start, end in stated_numbers(reply, comments=True)] == ["391"]
    changed = stated_answer_changed(reply, random.Random(0), comments=True)
    assert changed is not None and "x = 17 * 23  # Answer: " in changed and "391" not in changed


def test_the_numbers_of_an_output_block_are_stated():
    """Red-team round 55 (F1): "Output:" and a fence around ``385`` is code to the finder (``385`` parses), so the
    answer went unstated, and an honest verifier of it paid training's mutants of the program above it."""
    reply = "```python\nprint(10 * 11 * 21 // 6)\n```\nOutput:\n```\n385\n```\n"
    assert tokens_of_prose(reply) == ["385"]
    assert tokens_of_prose("```python\nprint(2)\n```\n```\nprint(3)\n```\n") == []  # a program, not output
    changed = stated_answer_changed(reply, random.Random(0))
    assert changed is not None and changed.startswith("```python\nprint(10 * 11 * 21 // 6)\n```\nOutput:\n```\n")
    assert "385" not in changed
