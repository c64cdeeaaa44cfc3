"""A response's code is found where a verifier finds it: fenced blocks, the whole text, or code after prose."""

from __future__ import annotations

import pytest

from verifier.response_code import code_spans, parser_lines

PROGRAM = "def total(xs):\n    return sum(xs)\n"


def code_of(text: str) -> list[str]:
    return [text[start:end] for start, end in code_spans(text)]


def test_a_whole_program_is_its_own_code():
    assert code_of(PROGRAM) == [PROGRAM]


@pytest.mark.parametrize("fence", ["```", "```python", "~~~", "~~~py", "````"])
def test_each_fenced_block_that_parses_is_code(fence):
    closing = fence.rstrip("abcdefghijklmnopqrstuvwxyz")
    text = f"Here:\n{fence}\n{PROGRAM}{closing}\nand a demo:\n{fence}\nprint(total([1]))\n{closing}\n"
    assert code_of(text) == [PROGRAM, "print(total([1]))\n"]


def test_a_fenced_block_that_is_no_python_is_not_code():
    assert code_of("```text\nthe total is six\n```\n") == []


def test_prose_then_unfenced_code_is_the_code_after_the_prose():
    """Red-team round 48 (E4): no rule saw such a reply as a program."""
    assert code_of(f"Here is the code:\n\n{PROGRAM}") == [PROGRAM]


def test_prose_after_unfenced_code_is_left_out_at_a_blank_line():
    assert code_of(f"Sure! Try this:\n{PROGRAM}\nIt sums the list, one item at a time.\n") == [PROGRAM]


@pytest.mark.parametrize("text", ["The answer is 42.", "", "Use sum. It adds them up.", "x" * 30_000,
                                  "```python\ndef broken(:\n```", "a\x00b = 1\n"])
def test_no_code_where_none_parses(text):
    assert code_spans(text) == []


def test_lines_are_split_as_the_parser_splits_them():
    """``str.splitlines`` also breaks at a form feed, which the parser keeps inside a line (red-team round 48, X1)."""
    assert parser_lines("a\x0cb\r\nc\rd\ne") == ["a\x0cb\r\n", "c\r", "d\n", "e"]


def test_thousands_of_unclosed_fences_hold_no_code():
    """Round 49 (F4): a pattern that searched for each opening fence's close was quadratic (600 ms here)."""
    assert code_spans("```x\n" * 3999) == []


def test_a_fence_closes_only_on_a_line_of_the_same_fence():
    text = "````python\ns = \'\'\'\n```\n\'\'\'\n````\n"
    assert code_of(text) == ["s = \'\'\'\n```\n\'\'\'\n"]


def test_code_before_a_fenced_block_of_prose_is_the_code():
    """Red-team round 57 (E19): such a reply held no code, and a verifier that paid it by its look was never
    compared with the other texts of its task."""
    assert code_of(f"{PROGRAM}\n```\nIt adds the items up.\n```\n") == [PROGRAM + "\n"]


def test_beside_fenced_prose_only_lines_that_start_like_code_are_code():
    assert code_of("Intro\n```\nIt adds the items up.\n```\nThen:\n\n" + PROGRAM) == [PROGRAM]
    assert code_of("Total\n```\nIt adds the items up.\n```\n") == []


def test_fenced_python_is_preferred_to_code_outside_the_fences():
    assert code_of(f"x = 1\n```python\n{PROGRAM}```\n") == [PROGRAM]


@pytest.mark.parametrize("block", ["6", "[1, 2, 3]", "six", ""])
def test_a_fenced_output_is_not_code_and_the_code_before_it_is(block):
    """A reviewer's finding on E19's mend: such blocks parse, and a reply of code and its fenced output held only
    the output."""
    assert code_of(f"{PROGRAM}\nOutput:\n```\n{block}\n```\n") == [PROGRAM]


def test_code_in_a_fence_left_open_is_code():
    """A reply cut at its token limit never closes its fence; a verifier that runs what follows the fence runs it."""
    assert code_of(f"Here:\n```python\n{PROGRAM}") == [PROGRAM]
