"""The same program in another shape: a failure case a verifier cannot recognise by its tokens either.

Why: a renamed twin (:mod:`verifier.code_renaming`) keeps its failure case's structure, the tokens with the names
blanked out. A verifier with no state at all that paid every program whose structure was not one of its failure
cases' was admitted (validation's twins and failure cases all have those structures, and no other probe is a
program) and, in training, paid 109 of 109 wrong programs over 30 groups while every canary kept a known structure
and failed (red-team round 45). A reshaped twin adds one statement that does nothing at the end of one of the
program's functions (``pass``, ``...`` or ``None``, after whatever the body did last, so after a ``return`` it is never
reached): the program computes, returns, raises and prints exactly what it did, and an honest verifier that judges
behaviour scores it as the original, while its structure is one no failure case has.

Training's canaries use it (:mod:`trainer.reward`); validation does not, so it concedes this verifier
(docs/SPEC.md) and training catches it.
"""

from __future__ import annotations

import ast
import random
import re

NO_OPS = ("pass", "...", "None")
"""Statements that do nothing, whatever precedes them in a function body."""

_FENCE = re.compile(r"(```[^\n]*\n)(.*?)(\n?```)", re.S)


def reshaped(text: str, rng: random.Random) -> str | None:
    """``text`` (a program, or a reply holding one fenced block of code) with a no-op statement added at the end of
    one of its functions that spans several lines, drawn with ``rng``; None when it defines none or does not parse."""
    fenced = _FENCE.search(text)
    if fenced is not None:
        inner = _reshaped_code(fenced.group(2), rng)
        return None if inner is None else text[:fenced.start(2)] + inner + text[fenced.end(2):]
    return _reshaped_code(text, rng)


def _reshaped_code(code: str, rng: random.Random) -> str | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    ends = sorted({(node.body[-1].end_lineno, node.body[-1].col_offset) for node in ast.walk(tree)
                   if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                   and node.body[0].lineno > node.lineno and node.body[-1].end_lineno is not None})
    if not ends:
        return None
    line, column = rng.choice(ends)
    lines = code.splitlines(keepends=True)
    if not lines[line - 1].endswith("\n"):
        lines[line - 1] += "\n"
    indent = lines[line - 1][:column] if lines[line - 1][:column].isspace() else " " * column
    lines.insert(line, f"{indent}{rng.choice(NO_OPS)}\n")
    result = "".join(lines)
    try:
        ast.parse(result)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return result
