"""Where the code in a response is: the part a verifier would run, found the way verifiers find it.

Why one finder: the training monitor asks whether a paid response is a program (its unrun rule) and makes mutants of
paid programs (its mutant rule), and both must see code wherever a verifier sees it. Each once knew only fenced
blocks or a whole text that parses; a reply of prose followed by unfenced code was neither, and a verifier that paid
such replies by their look, never running them, was paid 77 of 77 wrong programs with no flag (red-team round 48,
E4).

A response's code, in order of preference:

1. its fenced blocks (```` ``` ```` or ``~~~``, any info string) whose contents parse as Python; where it has
   fences but none holds Python (prose, an output), the first run of lines outside them as in 3 (red-team round 57,
   E19: unfenced code followed by a fenced block of prose held no code, and a verifier that paid such replies by
   their look, running them, was never compared);
2. else the whole text, when it parses (a program; ``Answer: 385`` parses too, as an annotation);
3. else the longest run of lines that parses, starting at one of the first lines (at most :data:`STARTS`) that begins
   at column 0 the way code does (``def``, ``class``, ``import``, ``from``, a decorator, or a name followed by ``=``
   or ``(``), and ending at the end of the text or before a blank line (prose after code is set off by one).

Lines are split as the parser splits them (``\\r\\n``, ``\\r``, ``\\n``), never by ``str.splitlines``, which also
breaks at a form feed and other separators the parser keeps inside a line (red-team round 48, X1). Never raises.
"""

from __future__ import annotations

import ast
import re

__all__ = ["MAX_CHARS", "char_column", "code_of", "code_spans", "parser_lines", "whole_code"]

MAX_CHARS = 20_000
"""Longer responses hold no code here: an answer, not a code base (parsing stays cheap on the trainer's thread)."""
STARTS = 3
"""Lines that look like the start of code tried, at most, in a text of prose and unfenced code."""
_ENDS = 12  # ends tried for each start
_PARSED_CHARS = 3  # times the text's length that trying starts and ends may parse, in all (red-team round 49, F5)
_FENCE_LINE = re.compile(r"[ \t]*(```+|~~~+)")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
_CODE_START = re.compile(r"(?:def |async def |class |import |from \S+ import |@|[A-Za-z_]\w*(?:\.\w+)*\s*(?:=[^=]|\())")


def parser_lines(text: str) -> list[str]:
    """``text``'s lines as the Python parser counts them, each with its line break."""
    return _LINE.findall(text)


def char_column(line: str, byte_col: int) -> int:
    """The character column of ``line`` that the parser's UTF-8 byte column ``byte_col`` names (the parser counts
    bytes, ``tokenize`` and ``str`` characters). Raises UnicodeDecodeError for a column inside a character, which no
    position the parser gives for this line is."""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8"))


def code_spans(text: str, max_chars: int = MAX_CHARS) -> list[tuple[int, int]]:
    """The (start, end) spans of ``text`` that hold its code (see the module docstring); [] when none parses, or
    when ``text`` is longer than ``max_chars`` (validation passes more for a reference, on its own thread)."""
    if len(text) > max_chars:
        return []
    try:
        return _code_spans(text)
    except (RecursionError, MemoryError, ValueError):  # a deeply nested program; a NUL byte
        return []


def code_of(text: str, max_chars: int = MAX_CHARS) -> str:
    """The code of ``text`` (:func:`code_spans`), its parts joined by line breaks; "" when it holds none."""
    return "\n".join(text[start:end] for start, end in code_spans(text, max_chars))


def whole_code(text: str) -> str:
    """The code of ``text`` however long it is: what the trusted side reads of a reference, or of a text it must judge
    (a cap let a reference padded past :data:`MAX_CHARS` go unchecked: red-team rounds 53 and 60)."""
    return code_of(text, max(MAX_CHARS, len(text)))


def _parses(code: str) -> bool:
    try:
        ast.parse(code)
    except (SyntaxError, ValueError):
        return False
    return True


def _holds_code(block: str) -> bool:
    """Whether a fenced block is code: it parses, and does more than name values (an output such as ``6`` or
    ``[1, 2, 3]``, a word, an empty block parse too, and a reply of code followed by its fenced output held only the
    output here: a reviewer's finding on E19's mend)."""
    try:
        tree = ast.parse(block)
    except (SyntaxError, ValueError):
        return False
    return any(not isinstance(statement, ast.Expr) or any(isinstance(node, ast.Call) for node in ast.walk(statement))
               for statement in tree.body)


def _fenced(text: str, lines: list[str], offsets: list[int]) -> list[tuple[int, int]] | None:
    """The contents of ``text``'s fenced blocks as spans (an opening fence line, then up to a line of the same fence
    alone); None when it has no fence line. One pass over the lines: a regular expression that searched for each
    opening fence's close took 600 ms on 4,000 unclosed fences (red-team round 49, F4); a fence line ends in any line
    break the parser knows, ``\r\n`` included (F3)."""
    found, opened = [], None
    any_fence = False
    for i, line in enumerate(lines):
        match = _FENCE_LINE.match(line)
        if match is None:
            continue
        any_fence = True
        if opened is None:
            opened = (i, match.group(1))
        elif match.group(1) == opened[1] and not line[match.end():].strip():
            found.append((offsets[opened[0] + 1], offsets[i]))
            opened = None
    return found if any_fence else None


def _code_spans(text: str) -> list[tuple[int, int]]:
    lines = parser_lines(text)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))
    fenced = _fenced(text, lines, offsets)
    if fenced is None:
        return _unfenced(text, lines, offsets, 0, len(lines))
    code = [(start, end) for start, end in fenced if _holds_code(text[start:end])]
    if code:
        return code
    # Fences, none of them code (prose, an output): the code, if any, is outside them, where a lenient verifier
    # runs it (red-team round 57, E19: unfenced code, then a fenced block of prose, held no code here, and a
    # verifier that paid such replies by their look was never compared)
    budget = [_PARSED_CHARS * len(text), STARTS]
    for first, last in _outside(lines, offsets, fenced):
        found = _unfenced(text, lines, offsets, first, last, budget, whole_counts=False)
        if found:
            return found
    return []


def _outside(lines: list[str], offsets: list[int], fenced: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The stretches of lines (first, past the last) outside ``fenced``'s blocks and their fence lines."""
    starts = {offset: i for i, offset in enumerate(offsets)}
    stretches, first = [], 0
    for start, end in fenced:
        opening, closing = starts[start] - 1, starts[end]  # the fence lines around the block
        stretches.append((first, opening))
        first = closing + 1
    stretches.append((first, len(lines)))
    return [(a, b) for a, b in stretches if b > a]


def _unfenced(text: str, lines: list[str], offsets: list[int], first_line: int, past_line: int,
              budget: list[int] | None = None, whole_counts: bool = True) -> list[tuple[int, int]]:
    """Code in ``lines[first_line:past_line]``, a stretch with no fence: all of it when it parses (and
    ``whole_counts``), else the longest run of lines from one that starts like code (one of the first
    :data:`STARTS`) to the end or a blank line. ``budget``: [characters left to parse, starts left to try], shared
    between stretches (spent here). Beside fences, a stretch counts only from a line that starts like code: a word
    of prose before a fenced block parses too (a name)."""
    if budget is None:
        budget = [_PARSED_CHARS * len(text), STARTS]
    whole = text[offsets[first_line]:offsets[past_line]]
    if not whole.strip():
        return []
    if whole_counts:
        budget[0] -= len(whole)
        if _parses(whole):
            return [(offsets[first_line], offsets[past_line])]
    starts = [i for i in range(first_line, past_line) if _CODE_START.match(lines[i])][:budget[1]]
    budget[1] -= len(starts)
    for first in starts:
        ends = [past_line] + [j for j in range(past_line - 1, first, -1) if not lines[j].strip()]
        for last in ends[:_ENDS]:
            budget[0] -= offsets[last] - offsets[first]
            if budget[0] < 0:
                return []
            if _parses("".join(lines[first:last])):
                return [(offsets[first], offsets[last])]
    return []
