"""The same program under other local names: a failure case a verifier cannot recognise by its text.

Why: a verifier sees its own failure cases when its author writes them. One that scored exactly those texts (and
validation's fixed probes) 0 and paid every other answer 1.0 passed validation and paid every wrong training sample.
For a code answer there is a transformation that keeps it wrong for certain: rename the variables and parameters
of its functions. Python resolves a function's locals by position, not by name, so the renamed program computes the
same values, raises the same exceptions (bar a name in a message) and prints the same output; an honest verifier
that judges behaviour scores it as the original. The one difference a caller can see is a call that passes a
renamed parameter by keyword: it now fails, which can only keep a wrong program wrong. Validation draws the new
names afresh (``random.SystemRandom`` unless told otherwise), so no verifier can list them in advance.

Only names that nothing outside the function can reach by their text are renamed: a name also bound or read
outside function bodies, a keyword-only parameter, a function or class name, anything in a class body, an
attribute, a keyword argument, an import alias, an ``except ... as`` name, a name inside an f-string, and every
builtin are kept. A program that reaches names by their text (``locals``, ``vars``, ``globals``, ``eval``, ``exec``,
``getattr``, ``__dict__``, a star import, ``global``/``nonlocal``, ``match`` captures...) is not renamed at all. Only
lower-case and snake-case names change, each to a name programs commonly use (``total``, ``idx``, ``row_idx``...)
of the same shape and at least as long, so the twin reads like an answer (random letters would mark it as
validation's), keeps its naming style, and has no line shorter than the original's (a failure case that broke a
length rule stays broken); comments and layout are untouched. The result is parsed again and must have the
original's syntax tree up to the renaming, or no renamed program is offered.

A program inside a Markdown code fence is renamed inside the fence; the prose around it is kept.
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import random
import re
import tokenize
from collections.abc import Iterable, Mapping

_REFLECTIVE = frozenset({"locals", "vars", "globals", "eval", "exec", "compile", "getattr", "setattr", "delattr",
                         "hasattr", "__dict__", "__import__", "dir", "_getframe", "f_locals", "f_globals",
                         "__code__", "co_varnames", "inspect"})
_KEPT = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}
_FENCE = re.compile(r"(```[ \t]*(?:python|py|python3)?[ \t]*\n)(.*?)(\n[ \t]*```)", re.DOTALL | re.IGNORECASE)
_MAX_CHARS = 100_000


def renamed(text: str, rng: random.Random) -> str | None:
    """``text`` with the local names and parameters of its functions renamed, or None when it has none that can safely change.

    ``text`` is a whole program or prose with fenced programs in it; names are drawn from ``rng``."""
    if len(text) > _MAX_CHARS:
        return None
    whole = _rename_program(text, rng)
    if whole is not None:
        return whole
    changed = False

    def one_fence(match: re.Match[str]) -> str:
        nonlocal changed
        program = _rename_program(match.group(2), rng)
        if program is None:
            return match.group(0)
        changed = True
        return match.group(1) + program + match.group(3)

    result = _FENCE.sub(one_fence, text)
    return result if changed else None


def _rename_program(code: str, rng: random.Random) -> str | None:
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    names = _local_names(tree)
    if not names:
        return None
    mapping = _fresh_names(sorted(names), _all_identifiers(tree), rng)
    if not mapping:
        return None
    result = _substitute(code, mapping)
    if result is None or not _same_tree(tree, result, mapping):
        return None
    return result


def _local_names(tree: ast.Module) -> set[str]:
    """Names bound inside function bodies only, none of them reachable from outside the function."""
    if any(_mentions_reflection(node) for node in ast.walk(tree)):
        return set()
    inside: set[str] = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))):
        args = function.args
        inside.update(a.arg for a in (*args.posonlyargs, *args.args, args.vararg, args.kwarg) if a is not None)
        for node in ast.walk(function):
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                inside.add(node.id)
    return inside - _unsafe_names(tree) - _KEPT


def _mentions_reflection(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _REFLECTIVE
    if isinstance(node, ast.Attribute):
        return node.attr in _REFLECTIVE
    if isinstance(node, (ast.Import, ast.ImportFrom)):  # a star import binds names nobody can list
        return any(alias.name == "*" or alias.name.split(".")[0] in _REFLECTIVE for alias in node.names)
    return isinstance(node, (ast.Global, ast.Nonlocal, ast.MatchAs, ast.MatchStar, ast.MatchMapping))


def _unsafe_names(tree: ast.Module) -> set[str]:
    """Every name that code outside a function body, or another program, could reach by its text."""
    unsafe = {n.id for n in _outside_functions(tree) if isinstance(n, ast.Name)}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            unsafe.add(node.name)
        if isinstance(node, ast.ClassDef):  # a class body's names are attributes (dataclass fields, reprs)
            unsafe.update(n.id for n in _outside_functions(node) if isinstance(n, ast.Name))
        elif isinstance(node, ast.JoinedStr):  # the tokenizer of 3.11 sees an f-string as one token
            unsafe.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
        elif isinstance(node, ast.arguments):  # only a keyword can pass these
            unsafe.update(a.arg for a in node.kwonlyargs)
        elif isinstance(node, ast.Attribute):
            unsafe.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            unsafe.add(node.arg)
        elif isinstance(node, ast.alias):
            unsafe.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            unsafe.add(node.name)
    return unsafe


def _outside_functions(root: ast.AST) -> Iterable[ast.AST]:
    """``root`` and the nodes under it outside every function body (decorators, defaults, annotations included)."""
    stack: list[ast.AST] = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(node.decorator_list)
            stack.extend(node.args.defaults)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
            stack.extend(a.annotation for a in _arguments(node.args) if a.annotation is not None)
            if node.returns is not None:
                stack.append(node.returns)
        elif isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _arguments(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *extra]


def _all_identifiers(tree: ast.Module) -> set[str]:
    seen: set[str] = set()
    for node in ast.walk(tree):
        for field in ("id", "name", "arg", "attr", "asname"):
            value = getattr(node, field, None)
            if isinstance(value, str):
                seen.add(value)
    return seen


_PLAIN = re.compile(r"[a-z]+")
_SNAKE = re.compile(r"[a-z]+(?:_[a-z]+)+")
COMMON_NAMES = tuple("""
a b c d i j k m n p q r s t u v w x y z ch lo hi idx num val res ans out acc cur tmp key arr lst seq buf row col
pos cnt mid nxt prev item node word line part char text size step left right start end head tail pair seen memo
cache stack queue total count value index digit level depth first last best entry table score limit bound delta
found valid ready result values items nodes words lines parts chars digits number output answer current
visited length width height target source record scores offset factor matrix element elements numbers previous
candidate candidates
max_val min_val max_len cur_sum best_sum next_node prev_node left_sum right_sum num_items char_count word_count
row_idx col_idx start_idx end_idx new_list sorted_items is_valid total_sum running_total
""".split())
"""Names programs commonly use: a renamed program reads like one a person or a model wrote (random letters would
tell a verifier which answer is validation's)."""


def _fresh_names(names: list[str], taken: set[str], rng: random.Random) -> dict[str, str]:
    """A new name for each lower-case or snake-case name, drawn from :data:`COMMON_NAMES`: of the same shape, at least as
    long (a line can only grow, so a failure case that broke a length rule stays broken), clashing with nothing.
    Names that cannot get one (other shapes, nothing long enough left) keep theirs."""
    used = set(taken) | _KEPT | set(names)
    mapping: dict[str, str] = {}
    for name in names:
        shape = _SNAKE if _SNAKE.fullmatch(name) else _PLAIN if _PLAIN.fullmatch(name) else None
        if shape is None:
            continue
        pool = [w for w in COMMON_NAMES if shape.fullmatch(w) and len(name) <= len(w) <= len(name) + 4 and w not in used]
        if pool:
            mapping[name] = rng.choice(pool)
            used.add(mapping[name])
    return mapping


def _substitute(code: str, mapping: Mapping[str, str]) -> str | None:
    """Replace NAME tokens, right to left on each line, so the columns of the ones still to replace hold."""
    lines = code.splitlines(keepends=True)
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    for token in reversed(tokens):
        if token.type == tokenize.NAME and token.string in mapping:
            (row, col), (end_row, _) = token.start, token.end
            if row != end_row or row > len(lines):
                return None
            line = lines[row - 1]
            lines[row - 1] = line[:col] + mapping[token.string] + line[col + len(token.string):]
    return "".join(lines)


def _same_tree(original: ast.Module, result: str, mapping: Mapping[str, str]) -> bool:
    """True when ``result`` parses to ``original`` with exactly the mapped names changed."""
    try:
        again = ast.parse(result)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    _apply(original, mapping)
    try:
        return ast.dump(original) == ast.dump(again)
    finally:
        _apply(original, {new: old for old, new in mapping.items()})


def _apply(tree: ast.AST, mapping: Mapping[str, str]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        elif isinstance(node, ast.arg) and node.arg in mapping:
            node.arg = mapping[node.arg]
