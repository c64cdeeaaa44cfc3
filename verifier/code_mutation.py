"""The same program with one operator or number changed: a copy that computes something else (a *mutant*).

Why: a verifier that runs every program it is shown and then pays it by how it looks, ignoring what the run
returned, leaves nothing for the other rules to see: the sandbox records a run, and no canary's look is one it pays.
Red-team round 46 (e2) had one pay 109 of 109 wrong programs over 30 groups, no flag. Mutation testing asks the
question that verifier cannot answer: change one token of a program it ran and paid (``<`` to ``<=``, ``+=`` to
``-=``, ``0`` to ``1``, ``and`` to ``or``) and score the copy. A verifier that judges what a program computes fails
most such copies (the standard measure of a test suite's strength: it "kills the mutant"); one that judges the look
pays nearly all of them, as the copy looks like the program it already paid. A call of ``min``, ``max``, ``any``,
``all``, ``sum`` or ``len`` may become another of them (``sum(xs)`` is a whole answer with no operator in it). The
copy is made from a policy's own answer, never from the task's reference, so no verifier can tell it by its distance
from a text it knows.

Some mutants compute the same as their program on every input a verifier tries (an equivalent mutant: a bound
no test reaches), so one paid mutant is no evidence; the monitor's rule (:mod:`trainer.monitor_evidence`) needs
many, and most of those scored. To keep equivalent mutants rare, only code inside a function's body changes where
the program defines functions (a default value, an annotation or an ``if __name__ == "__main__":`` demo are not what
a caller tests), and a number changes only where it is computed with (an operand, a bound, an index, an initial
value, a ``range`` argument, a returned value), never an item of a literal list or dict (data a lax but honest check
may not read) or a call's argument. The result must parse and have another syntax tree than the original, or the
next site is tried; layout, comments and prose around fenced code are kept.
"""

from __future__ import annotations

import ast
import io
import random
import re
import tokenize
from collections.abc import Iterator

__all__ = ["CALLS", "SWAPS", "mutated", "stated_answer_changed", "stated_numbers"]

SWAPS = {"<": "<=", "<=": "<", ">": ">=", ">=": ">", "==": "!=", "!=": "==", "+": "-", "-": "+", "*": "+",
         "/": "*", "//": "%", "%": "//", "+=": "-=", "-=": "+=", "*=": "+=", "and": "or", "or": "and",
         "True": "False", "False": "True"}
"""Each token a mutant may change, and what it becomes (a number ``n`` becomes ``n + 1``)."""
CALLS = {"min": "max", "max": "min", "any": "all", "all": "any", "sum": "len", "len": "sum"}
"""Builtins a mutant may call instead, where the program calls one by name and binds neither name itself."""

_FENCE = re.compile(r"```[^\n`]*\n(.*?)```", re.DOTALL)
_MAX_CHARS = 20_000  # an answer, not a code base: parsing stays cheap on the trainer's thread
_MAX_TRIES = 16
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)")
_COMPUTED = (ast.BinOp, ast.Compare, ast.AugAssign, ast.Assign, ast.AnnAssign, ast.Subscript, ast.Slice,
             ast.UnaryOp, ast.Return)
"""Parents under which a number is computed with (see the module docstring)."""

Site = tuple[int, int, int, str]
"""(code block, line, column in characters, the token as written)."""


def mutated(text: str, rng: random.Random) -> str | None:
    """``text`` (a whole program, or a reply whose fenced blocks hold code) with one token of its code changed,
    the site drawn from ``rng``; None when no site gives a program with another syntax tree. Never raises."""
    if len(text) > _MAX_CHARS:
        return None
    try:
        return _mutated(text, rng)
    except (RecursionError, MemoryError):  # a deeply nested program: the parser and the walk recurse
        return None


def _mutated(text: str, rng: random.Random) -> str | None:
    blocks = _blocks(text)
    sites = [(b, line, col, token) for b, (_, _, code, tree) in enumerate(blocks)
             for line, col, token in _sites(code, tree)]
    rng.shuffle(sites)
    for b, line, col, token in sites[:_MAX_TRIES]:
        start, end, code, tree = blocks[b]
        lines = code.splitlines(keepends=True)
        new = str(int(token) + 1) if token[0].isdigit() else SWAPS.get(token) or CALLS[token]
        lines[line - 1] = lines[line - 1][:col] + new + lines[line - 1][col + len(token):]
        changed = "".join(lines)
        try:
            if ast.dump(ast.parse(changed)) == ast.dump(tree):
                continue
        except (SyntaxError, ValueError):
            continue
        return text[:start] + changed + text[end:]
    return None


def _blocks(text: str) -> list[tuple[int, int, str, ast.Module]]:
    """The code of ``text`` as (start, end, code, tree): the whole text where it parses, else each fenced block
    that parses."""
    try:
        return [(0, len(text), text, ast.parse(text))]
    except (SyntaxError, ValueError):
        pass
    found = []
    for match in _FENCE.finditer(text):
        try:
            found.append((match.start(1), match.end(1), match.group(1), ast.parse(match.group(1))))
        except (SyntaxError, ValueError):
            continue
    return found


def _sites(code: str, tree: ast.Module) -> Iterator[tuple[int, int, str]]:
    """(line, column in characters, token) of every token of ``code`` a mutant may change."""
    lines = code.splitlines(keepends=True)

    def position(lineno: int, byte_col: int) -> tuple[int, int]:  # the parser counts UTF-8 bytes, tokenize characters
        return lineno, len(lines[lineno - 1].encode("utf-8")[:byte_col].decode("utf-8", "replace"))

    bodies = [(position(node.body[0].lineno, node.body[0].col_offset),
               position(node.body[-1].end_lineno or node.body[-1].lineno, node.body[-1].end_col_offset or 0))
              for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))]
    numbers = {position(child.lineno, child.col_offset) for parent in ast.walk(tree) if _computes(parent)
               for child in ast.iter_child_nodes(parent)
               if isinstance(child, ast.Constant) and type(child.value) is int}
    bound = {name for node in ast.walk(tree) for name in _binds(node)}
    calls = {position(node.func.lineno, node.func.col_offset) for node in ast.walk(tree)
             if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in CALLS
             and node.func.id not in bound and CALLS[node.func.id] not in bound}
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError):
        return
    for token in tokens:
        where = token.start
        if bodies and not any(first <= where < last for first, last in bodies):
            continue
        if token.type == tokenize.NUMBER and _DECIMAL.fullmatch(token.string) and where in numbers:
            yield where[0], where[1], token.string
        elif token.type in (tokenize.OP, tokenize.NAME) and token.string in SWAPS:
            yield where[0], where[1], token.string
        elif token.type == tokenize.NAME and where in calls:
            yield where[0], where[1], token.string


def _binds(node: ast.AST) -> Iterator[str]:
    """The names ``node`` binds (a builtin it shadows is no longer the builtin)."""
    if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
        yield node.id
    elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        yield node.name
    elif isinstance(node, ast.arg):
        yield node.arg
    elif isinstance(node, ast.alias):
        yield (node.asname or node.name).split(".")[0]


def _computes(node: ast.AST) -> bool:
    """Whether a number directly under ``node`` is computed with (``range``'s arguments included)."""
    if isinstance(node, _COMPUTED):
        return True
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "range"


_NUMBER = re.compile(r"(?<![\w.])\d+(?!\.\d|\w)")


def stated_numbers(text: str) -> list[tuple[int, int]]:
    """Where ``text`` states numbers beside its code, as (start, end) spans: every whole number outside its fenced
    blocks; in a text without fences, the number of a last statement that does nothing, ``Answer: 385`` (which
    parses as Python: a program-of-thought answer written without fences is one program with its answer last) or a
    bare ``385``."""
    if len(text) > _MAX_CHARS:
        return []
    fences = list(_FENCE.finditer(text))
    if not fences:
        return _last_statement_number(text)
    outside, last = [], 0
    for fence in fences:
        outside.append((last, fence.start()))
        last = fence.end()
    outside.append((last, len(text)))
    return [(start + m.start(), start + m.end()) for start, end in outside for m in _NUMBER.finditer(text[start:end])]


def _last_statement_number(text: str) -> list[tuple[int, int]]:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return []
    last = tree.body[-1] if tree.body else None
    value = (last.annotation if isinstance(last, ast.AnnAssign) and last.value is None and last.simple
             else last.value if isinstance(last, ast.Expr) else None)
    if isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        value = value.operand
    if not (isinstance(value, ast.Constant) and type(value.value) is int and value.end_col_offset is not None):
        return []
    line_start = sum(len(line) for line in text.splitlines(keepends=True)[:value.lineno - 1])
    line = text.splitlines(keepends=True)[value.lineno - 1]
    start = line_start + len(line.encode("utf-8")[:value.col_offset].decode("utf-8", "replace"))
    end = line_start + len(line.encode("utf-8")[:value.end_col_offset].decode("utf-8", "replace"))
    return [(start, end)] if _NUMBER.fullmatch(text[start:end]) else []


def stated_answer_changed(text: str, rng: random.Random) -> str | None:
    """``text`` with every number it states beside its code (:func:`stated_numbers`) raised by 1 to 9, drawn from
    ``rng``; None when it states none.

    Why: an honest program-of-thought verifier pays a stated answer (``Answer: 385``) without running the program,
    and the unrun rule took it for one paying programs by their look (red-team round 46, h4). Such a verifier fails
    the text with its stated numbers changed; one that pays by the program's look pays it still."""
    spans = stated_numbers(text)
    if not spans:
        return None
    pieces, last = [], 0
    for start, end in spans:
        pieces += [text[last:start], str(int(text[start:end]) + rng.randint(1, 9))]
        last = end
    return "".join(pieces) + text[last:]
