"""The same program with one token changed: a copy that computes something else (a *mutant*).

Why: a verifier that runs every program it is shown and then pays it by how it looks, ignoring what the run
returned, leaves nothing for the other rules to see: the sandbox records a run, and no canary's look is one it pays.
Red-team round 46 (e2) had one pay 109 of 109 wrong programs over 30 groups, no flag. Mutation testing asks the
question that verifier cannot answer: change one token of a program it ran and paid and score the copy. A verifier
that judges what a program computes fails most such copies (the standard measure of a test suite's strength: it
"kills the mutant"); one that judges the look pays nearly all of them, as the copy looks like the program it already
paid. The copy is made from a policy's own answer, never from the task's reference, so no verifier can tell it by
its distance from a text it knows.

The changes (:data:`SWAPS`, :data:`CALLS`, :data:`ATTRIBUTES`): a comparison negated (``<`` to ``>=``, ``==`` to
``!=``), an arithmetic operator swapped (``+=`` to ``-=``), ``and`` to ``or``, ``True`` to ``False``, a number ``n``
to ``n - 1`` (``0`` to ``1``: a bound one too small drops an item, where one too big is often slack), a builtin
named for another (``sum`` to ``len``, ``max`` to ``min``), a method or function reached as an attribute for its
opposite (``.upper`` to ``.swapcase``, ``math.prod`` to ``math.fsum``). Never a square's ``*`` (``i * i`` to ``i +
i`` only checks more) or a flag that leaves the result alone (:data:`QUIET_FLAGS`).

Some mutants compute the same as their program on every input a verifier tries (an *equivalent* mutant), so one paid
mutant is no evidence; the monitor's rule (:mod:`trainer.monitor_evidence`) needs many, and most of those scored. To
keep them rare: comparisons are negated, never moved by one (``x < lo`` to ``x <= lo`` returns ``lo`` where it
returned ``x == lo``: the same; red-team round 48 had strict honest ``clamp`` and ``largest`` tasks flagged, their
every mutant of that kind equivalent); a number changes only where it is computed with (an operand, an increment, a
returned value, an index or condition a ``return`` computes with), never an index, a bound, an initial value or a
count of iterations elsewhere (``range(1, n)`` to ``range(2, n)`` in a product, 100 Newton steps to 101: the same);
and only code a caller's tests reach changes (:mod:`verifier.reached_code`): where the program defines functions,
their bodies, its lambdas and its top-level assignments, never a default value, an annotation or an ``if __name__ ==
"__main__":`` demo, nor a setting (a recursion limit, ``MOD = 10**9 + 7``: :func:`verifier.inert_code.inert`); and
nothing in a ``while`` loop (its condition or its body) or a ``for`` loop over an endless iterator
(``itertools.count()``): a mutant there often loops until ``run_response``'s timeout, a second of a training group's
call or of a validation for each (red-team round 51 measured 7-19 s validations of honest such tasks, 0.2 s
without). The result must parse and have another syntax tree than the original, or the next site is tried; layout,
comments and prose around the code are kept (:mod:`verifier.response_code` finds the code).
"""

from __future__ import annotations

import ast
import bisect
import random
import re
import tokenize
from collections.abc import Collection, Iterator

from verifier.inert_code import inert
from verifier.reached_code import reached_nodes
from verifier.response_code import char_column, code_spans, parser_lines

__all__ = ["ATTRIBUTES", "CALLS", "SWAPS", "MUTATE_CHARS", "mutants", "mutated"]

SWAPS = {"<": ">=", "<=": ">", ">": "<=", ">=": "<", "==": "!=", "!=": "==", "+": "-", "-": "+", "*": "+",
         "/": "*", "//": "%", "%": "//", "+=": "-=", "-=": "+=", "*=": "+=", "and": "or", "or": "and",
         "True": "False", "False": "True"}
"""Each operator or keyword a mutant may change, and what it becomes (a number ``n`` becomes ``n - 1``, 0 becomes 1)."""
CALLS = {"min": "max", "max": "min", "any": "all", "all": "any", "sum": "len", "len": "sum"}
"""Builtins a mutant may name instead, where the program names one and binds neither name itself."""
ATTRIBUTES = {"upper": "swapcase", "lower": "swapcase", "startswith": "endswith", "endswith": "startswith",
              "keys": "values", "values": "keys", "lstrip": "rstrip", "rstrip": "lstrip", "floor": "ceil",
              "ceil": "floor", "prod": "fsum", "fsum": "prod", "mean": "median", "median": "mean",
              "isdigit": "isalpha", "isalpha": "isdigit", "min": "max", "max": "min", "pop": "copy"}
"""Attribute names a mutant may change (``.upper()``, ``math.prod``), and what they become. Case folds become
``swapcase``, never each other: a text folded only to compare or sort it (``key=str.lower``) is ordered the same by
``upper``, and 300 of 300 such mutants of an honest task's program were paid (red-team round 49, F1)."""
QUIET_FLAGS = frozenset({"ensure_ascii", "strict", "flush", "exist_ok", "check_circular", "allow_nan", "skipkeys"})
"""Keyword arguments whose ``True``/``False`` leaves a result unchanged on ordinary inputs: never swapped
(``json.dumps(d, ensure_ascii=False)`` on ASCII data; round 49, F2)."""
MUTATE_CHARS = 8_000
"""Longer texts get no mutant: a policy's answer is shorter, and parsing, walking and tokenizing a long one costs the
trainer's thread 50-250 ms (round 49, F6)."""

_MAX_TRIES = 16
_MAX_DIGITS = 18  # a longer literal stays (int -> str of 4,300 digits raises: red-team round 48, X2)
_DECIMAL = re.compile(r"(?:0|[1-9][0-9]*)")
_COMPUTED = (ast.BinOp, ast.AugAssign, ast.Return)
"""Parents under which a number is computed with (or under a unary minus directly under one of them)."""

Site = tuple[int, int, str, str]
"""(line, column in characters, the token as written, what it becomes)."""


def mutated(text: str, rng: random.Random, names: Collection[str] = ()) -> str | None:
    """``text`` (a program, or a reply holding one) with one token of its code changed, the site drawn from ``rng``;
    None when no site gives a program with another syntax tree. Never raises: a response is hostile, and a fault
    here must cost one probe, never the training run (round 48's X1 and X2 each aborted one). ``names``: the words
    of the task's prompt; where it names functions of the program, only they and what they call change
    (:func:`verifier.reached_code.named_functions`)."""
    made = mutants(text, rng, 1, names=names)
    return made[0] if made else None


def mutants(text: str, rng: random.Random, count: int, max_chars: int = MUTATE_CHARS,
            names: Collection[str] = ()) -> list[str]:
    """Up to ``count`` different mutants of ``text``, each one token changed at its own drawn site (``mutated``'s,
    for ``count`` 1). Why one call for several: finding the sites is most of the cost (a 7,400-character program:
    100 ms of 130), and validation wants 8 mutants of one reference. ``max_chars``: a longer text gets none (the
    trainer's thread keeps the default; validation, on its own thread, passes more: a reference padded past 8,000
    characters with a docstring got no mutant, red-team round 51). Never raises (see :func:`mutated`)."""
    if len(text) > max_chars or count <= 0:
        return []
    try:
        return _mutants(text, rng, count, max_chars, frozenset(names))
    except Exception:  # noqa: BLE001 - see mutated
        return []


def _mutants(text: str, rng: random.Random, count: int, max_chars: int, names: frozenset[str]) -> list[str]:
    blocks = []
    for start, end in code_spans(text, max_chars):
        code = text[start:end]
        tree = ast.parse(code)
        blocks += [(start, end, code, tree, site) for site in _sites(code, tree, names)]
    rng.shuffle(blocks)
    made: list[str] = []
    shapes: dict[int, str] = {}  # a block's start -> its tree's dump, made once
    for start, end, code, tree, (line, col, token, new) in blocks[:_MAX_TRIES + count - 1]:
        lines = parser_lines(code)
        if lines[line - 1][col:col + len(token)] != token:
            continue  # the positions disagree: no guess at what else sits there
        lines[line - 1] = lines[line - 1][:col] + new + lines[line - 1][col + len(token):]
        changed = "".join(lines)
        try:
            if start not in shapes:
                shapes[start] = ast.dump(tree)
            if ast.dump(ast.parse(changed)) == shapes[start]:
                continue
        except (SyntaxError, ValueError):
            continue
        mutant = text[:start] + changed + text[end:]
        if mutant not in made:
            made.append(mutant)
        if len(made) >= count:
            break
    return made


def _sites(code: str, tree: ast.Module, names: frozenset[str]) -> Iterator[Site]:
    """Every token of ``code`` a mutant may change, with what it becomes."""
    lines = parser_lines(code)

    def position(lineno: int, byte_col: int) -> tuple[int, int]:
        return lineno, char_column(lines[lineno - 1], byte_col)

    def span(node: ast.AST) -> tuple[tuple[int, int], tuple[int, int]]:
        return (position(node.lineno, node.col_offset),
                position(node.end_lineno or node.lineno, node.end_col_offset or 0))

    regions = reached_nodes(tree, names)
    reached = _merged([span(node) for node in regions]) if regions is not None else None
    firsts = [first for first, _ in reached or ()]
    skipped = _merged([span(node) for node in ast.walk(tree) if isinstance(node, ast.While) or (
        isinstance(node, (ast.For, ast.AsyncFor)) and _unbounded(node.iter))]
        + [span(node) for node in inert(tree, names)])
    skipped_firsts = [first for first, _ in skipped]
    quiet = {position(node.value.lineno, node.value.col_offset) for node in ast.walk(tree)
             if isinstance(node, ast.keyword) and node.arg in QUIET_FLAGS and isinstance(node.value, ast.Constant)}
    squares = {_operator_after(lines, position, node.left) for node in ast.walk(tree)
               if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult)
               and ast.dump(node.left) == ast.dump(node.right)}
    numbers = {position(child.lineno, child.col_offset) for parent in ast.walk(tree)
               if isinstance(parent, _COMPUTED)
               for child in _operands(parent)
               if isinstance(child, ast.Constant) and type(child.value) is int}
    numbers |= {position(node.lineno, node.col_offset) for node in _returned(tree)}
    bound = {name for node in ast.walk(tree) for name in _binds(node)}
    names = {position(node.lineno, node.col_offset): CALLS[node.id] for node in ast.walk(tree)
             if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id in CALLS
             and node.id not in bound and CALLS[node.id] not in bound}
    attributes = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES and node.end_col_offset is not None:
            line, end = position(node.end_lineno or node.lineno, node.end_col_offset)
            attributes[(line, end - len(node.attr))] = ATTRIBUTES[node.attr]
    try:  # the parser's lines, then "" for the end (a bare \r ends a line for the parser, not for io.StringIO)
        tokens = list(tokenize.generate_tokens(iter([*lines, ""]).__next__))
    except (tokenize.TokenError, SyntaxError):
        return
    for token in tokens:
        where = token.start
        if reached is not None:
            k = bisect.bisect_right(firsts, where) - 1
            if k < 0 or not where < reached[k][1]:
                continue
        if where in quiet or (token.string == "*" and where in squares):
            continue
        k = bisect.bisect_right(skipped_firsts, where) - 1
        if k >= 0 and where < skipped[k][1]:
            continue  # in a ``while`` loop: a change there often never ends it, and each such run costs its timeout;
            # or in a program's settings (``inert_code``)
        if token.type == tokenize.NUMBER and where in numbers and _DECIMAL.fullmatch(token.string) and len(
                token.string) <= _MAX_DIGITS:
            yield where[0], where[1], token.string, str(int(token.string) - 1 if token.string != "0" else 1)
        elif token.type == tokenize.NAME and where in names:
            yield where[0], where[1], token.string, names[where]
        elif token.type == tokenize.NAME and where in attributes:
            yield where[0], where[1], token.string, attributes[where]
        elif token.type in (tokenize.OP, tokenize.NAME) and token.string in SWAPS:
            yield where[0], where[1], token.string, SWAPS[token.string]


def _unbounded(iterable: ast.expr) -> bool:
    """Whether a ``for`` loop over ``iterable`` may never end by itself: ``itertools.count()``, ``cycle``,
    ``repeat`` without a count, or ``iter(f, sentinel)`` (its exit is a ``break`` or ``return`` a mutant may
    change, as a ``while`` loop's condition)."""
    if not isinstance(iterable, ast.Call):
        return False
    name = iterable.func.attr if isinstance(iterable.func, ast.Attribute) else getattr(iterable.func, "id", "")
    return (name in ("count", "cycle") or (name == "repeat" and len(iterable.args) < 2 and not iterable.keywords)
            or (name == "iter" and len(iterable.args) == 2))


def _merged(spans: list[tuple[tuple[int, int], tuple[int, int]]]) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``spans`` sorted and merged where they overlap, so that a token's region is found by bisection (a check of every
    token against every region took a second on 1,900 top-level assignments: round 49, F6)."""
    merged: list[tuple[tuple[int, int], tuple[int, int]]] = []
    for first, last in sorted(spans):
        if merged and first <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _operator_after(lines: list[str], position, left: ast.expr) -> tuple[int, int] | None:
    """Where the operator after ``left`` starts (the first non-blank character after it, on its line), or None."""
    if left.end_lineno is None or left.end_col_offset is None:
        return None
    line, col = position(left.end_lineno, left.end_col_offset)
    text = lines[line - 1]
    while col < len(text) and text[col] in " \t)":
        col += 1
    return (line, col) if text[col:col + 1] == "*" else None


def _returned(tree: ast.Module) -> Iterator[ast.Constant]:
    """The whole numbers a ``return`` or a lambda computes its value from through indexing, conditions and
    arithmetic (``return xs[0]``, ``lambda xs: xs[0] if xs else 0``), never through a call or a literal."""
    todo = [node.value for node in ast.walk(tree) if isinstance(node, ast.Return) and node.value is not None]
    todo += [node.body for node in ast.walk(tree) if isinstance(node, ast.Lambda)]  # a lambda returns its body
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Constant) and type(node.value) is int:
            yield node
        elif isinstance(node, (ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Subscript, ast.Slice, ast.BoolOp, ast.Compare)):
            todo.extend(ast.iter_child_nodes(node))


def _operands(parent: ast.AST) -> Iterator[ast.AST]:
    for child in ast.iter_child_nodes(parent):
        yield child
        if isinstance(child, ast.UnaryOp) and isinstance(child.op, ast.USub):
            yield child.operand


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
