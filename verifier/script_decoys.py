"""Decoys of a program that reads its standard input, and standard inputs near the recorded ones.

Why: red-team round 61 (A2) had a verifier of a script task (read a line of numbers, print their sum) whose one test
was the input ``7``. Its runs called no function, so :mod:`verifier.decoys` made no decoy and no near run of it:
validation admitted it 2 of 2 times, training excused its reference's replayed digest, and 119 to 123 of 144 wrong
scripts were paid a run (the largest number, the first, the last, the count ...), unflagged.

So a script's decoys are scripts too: each reads the standard input as whitespace-separated tokens, takes the
numbers among them, commas and semicolons taken as whitespace (as ``int``, else ``float``), and prints one shape of
them (:data:`SCRIPT_SHAPES`: the first
number, the largest, the sum, the sum after the first, the count of tokens, the input sorted ...) or a constant
(:data:`SCRIPT_CONSTANTS`), a list as its items on one line. A decoy's output is worked out from the input alone
(:func:`script_answers_source`), as a function decoy's answers are. The near runs (:func:`near_stdin`) change every
number of an input a little and keep its layout: the line breaks and spaces, the words, and a first number that
counts the tokens or lines after it (``3`` before ``1 2 3``); numbers never negative stay so, and a line of numbers
in order in every recorded input stays in order.
"""

from __future__ import annotations

import math
import random
import re

__all__ = ["SCRIPT_CONSTANTS", "SCRIPT_SHAPES", "TEXT_SHAPES", "holds_number", "near_stdin", "script_answers_source",
           "script_label"]

SCRIPT_SHAPES = ("n[0]", "n[-1]", "max(n)", "min(n)", "sum(n)", "len(t)", "len(n)", "sum(n[1:])", "max(n[1:])",
                 "min(n[1:])", "sorted(n)", "sorted(n, reverse=True)", "n[::-1]", "t[0]", "t[-1]", "s.strip()")
"""What a script decoy prints, of its input's text ``s``, its tokens ``t`` and the numbers among them ``n``."""
SCRIPT_CONSTANTS = ("0", "1", "-1", "True", "False", "'YES'", "'NO'", "''")
"""What a script decoy may print whatever its input."""
TEXT_SHAPES = frozenset(shape for shape in SCRIPT_SHAPES if not re.search(r"\bn\b", shape))
"""The shapes of the input's tokens or text rather than its numbers (the count of tokens, the first ...): on a drawn
input (:func:`verifier.near_runs._drawn_input`, numbers where the recorded inputs held words) such a shape answers
of another kind of input than the task's, and is not compared there (:data:`verifier.decoy_check.DECOY_CHECK`)."""
_WORDS = {"n": "numbers", "t": "tokens", "s": "input"}
_NAME = re.compile(r"\b[nts]\b")
_NUMBER = re.compile(r"[-+]?(?:\d+(?:_\d+)*(?:[.]\d*)?|[.]\d+)(?:[eE][-+]?\d+)?")
"""A token the decoys read as a number and a near input moves: what ``int`` or ``float`` reads of digits (any
script's: ``int`` reads ``７``), a sign, a point, an exponent and underscores between digits (round 72: ``.5``). Why
wider than ``-?[0-9]+(?:[.][0-9]+)?``: red-team round 71 (B-plus) tested ``+7`` alone beside words, which the decoys
read as 7 and no near input moved."""
_PIECES = re.compile(r"([\s,;]+)")  # what separates the tokens of an input: whitespace, commas and semicolons


def script_label(shape: str) -> str:
    """A script decoy's shape as a person reads it: ``max(numbers)``, ``sorted(numbers)``."""
    return _NAME.sub(lambda found: _WORDS[found.group()], shape)


def script_answers_source() -> str:
    """Python source (standard library only) that defines ``script_answer(shape, stdin)``: ``(True, what the decoy
    prints)`` for an input, or ``(False, None)`` where its shape raises (the largest of no numbers): there the decoy
    prints what the reference does."""
    rows = [f"    {shape!r}: lambda s, t, n: {shape}," for shape in (*SCRIPT_SHAPES, *SCRIPT_CONSTANTS)]
    return "\n".join(["SCRIPT = {", *rows, "}", "", "", SCRIPT_ANSWER])


SCRIPT_ANSWER = '''def script_answer(shape, stdin):
    try:
        tokens = stdin.split()
        found = []
        for token in stdin.replace(",", " ").replace(";", " ").split():
            for kind in (int, float):
                try:
                    found.append(kind(token))
                    break
                except ValueError:
                    pass
        value = SCRIPT[shape](stdin, tokens, found)
        return True, " ".join(map(str, value)) if isinstance(value, list) else str(value)
    except Exception:
        return False, None
'''
"""The function :func:`script_answers_source` ends with (``SCRIPT``: its table of shapes)."""


def near_stdin(stdin: str, recorded: list[str], rng: random.Random) -> str:
    """``stdin`` with every number moved a little (an integer by one or two, a decimal by a half) and one line of
    numbers made a number longer or shorter (:func:`_resized`), its layout kept: whitespace and words as they were,
    a leading count of the tokens after it set anew, one of the lines after it left as it was (and no line
    resized); where every recorded input's (``recorded``) numbers are never negative, none is made so, and where
    each of their lines of two numbers or more is in order, each line is put in order again. Where ``stdin`` holds
    no number, one word is changed instead (a letter added)."""
    natural = all(not number.startswith("-") for text in recorded for number in _NUMBER.findall(text))
    ordered = all(_in_order(line) for text in recorded for line in text.splitlines())
    head, _, rest = stdin.lstrip().partition("\n") if stdin.lstrip().split("\n", 1)[0].isdigit() else ("", "", "")
    counted = _counted(head, rest)
    body = rest if counted else stdin
    pieces = _PIECES.split(body)
    tokens = _tokens(pieces)
    if not tokens:
        return stdin
    moved = False
    for at in tokens:
        if _NUMBER.fullmatch(pieces[at]):
            pieces[at] = _moved(pieces[at], rng, natural)
            moved = True
    if not moved:
        at = rng.choice(tokens)
        pieces[at] = pieces[at] + rng.choice("aeiou")
    body = "".join(pieces) if counted == "lines" else _resized("".join(pieces), rng, natural)
    if ordered:
        body = "\n".join(_sorted_line(line) for line in body.split("\n"))
    if counted == "tokens":
        return f"{len(body.split())}\n{body}"
    return f"{head}\n{body}" if counted else body


def _counted(head: str, rest: str) -> str | None:
    """``tokens`` where ``head``, a first line of one whole number, counts the tokens of the ``rest``, ``lines``
    where it counts its non-empty lines, else None."""
    if not head.strip().isdigit() or len(head.strip()) > 18:
        return None
    count = int(head)
    if count == len(rest.split()):
        return "tokens"
    return "lines" if count == len([line for line in rest.splitlines() if line.strip()]) else None


def _resized(text: str, rng: random.Random, natural: bool) -> str:
    """``text`` with one of its lines of numbers given one number more (a copy of one of them, moved, after its last,
    with the line's first separator) or, of two or more, one fewer. Why: a wrong program that prints the largest
    number, or the first, answers every input of one number as the sum does; moving the numbers alone tells it
    nothing (red-team round 61, A2: the one test ``7``; session 35's, E6: ``7,``)."""
    lines = text.split("\n")
    rows = [index for index, line in enumerate(lines) if _numbers(line) is not None]
    if not rows:
        return text
    row = rng.choice(rows)
    pieces = _PIECES.split(lines[row])
    tokens = _tokens(pieces)
    if len(tokens) > 1 and rng.random() < 0.5:
        at = tokens[rng.randrange(len(tokens))]
        start = at if at != tokens[-1] else at - 1  # (with the separator after it, or the last one's before it)
        del pieces[start:start + 2]
    else:
        gaps = [piece for piece in pieces if piece and _PIECES.fullmatch(piece)]
        copy = _moved(pieces[rng.choice(tokens)], rng, natural)
        pieces[tokens[-1] + 1:tokens[-1] + 1] = [gaps[0] if gaps else " ", copy]
    lines[row] = "".join(pieces)
    return "\n".join(lines)


def holds_number(stdin: str) -> bool:
    """Whether a standard input holds a number among its tokens (one :func:`near_stdin` moves). Why tokens and not
    any digit: red-team round 70 (A2) had an ignored input ``x1`` beside a blank one, and no near input was drawn."""
    return any(_NUMBER.fullmatch(piece) for piece in _PIECES.split(stdin))


def _tokens(pieces: list[str]) -> list[int]:
    """The positions of the tokens among ``pieces`` (an input split by :data:`_PIECES`, separators kept)."""
    return [index for index, piece in enumerate(pieces) if piece and not _PIECES.fullmatch(piece)]


def _moved(token: str, rng: random.Random, natural: bool) -> str:
    """A number's token moved by one or two (a decimal by a half); one of 3,000 digits or more as it is (CPython
    converts 4,300 at most, and a standard input is any text)."""
    if len(token) >= 3000:
        return token
    if any(mark in token for mark in ".eE"):
        value: float | int = float(token) + rng.choice((-0.5, 0.5))
        if not math.isfinite(value):  # (``1e999`` reads as an infinity)
            return token
    else:
        value = int(token) + rng.choice((-2, -1, 1, 2))
    return str(abs(value) if natural else value)


def _numbers(line: str) -> list[float] | None:
    """The numbers of a line made only of numbers (None otherwise)."""
    words = [word for word in _PIECES.split(line) if word and not _PIECES.fullmatch(word)]
    return [float(word) for word in words] if words and all(_NUMBER.fullmatch(word) for word in words) else None


def _in_order(line: str) -> bool:
    numbers = _numbers(line)
    return numbers is None or len(numbers) < 2 or numbers == sorted(numbers)


def _sorted_line(line: str) -> str:
    """A line of two numbers or more, its numbers in order (its whitespace as it was); any other line as it is."""
    numbers = _numbers(line)
    if numbers is None or len(numbers) < 2:
        return line
    pieces = _PIECES.split(line)
    at = _tokens(pieces)
    for index, word in zip(at, sorted((pieces[index] for index in at), key=float)):
        pieces[index] = word
    return "".join(pieces)
