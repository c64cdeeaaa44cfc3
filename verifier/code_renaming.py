"""The same program under other local names: a failure case a verifier cannot recognise by its text.

Why: a verifier sees its own failure cases when its author writes them. One that scored exactly those texts (and
validation's fixed probes) 0 and paid every other answer 1.0 passed validation and paid every wrong training sample.
For a code answer there is a transformation that keeps it wrong for certain: rename the variables and parameters
of its functions. Python resolves a function's locals by position, not by name, so the renamed program computes the
same values, raises the same exceptions (bar a name in a message) and prints the same output; an honest verifier
that judges behaviour scores it as the original. The one difference a caller can see is a call that passes a
renamed parameter by keyword: it now fails, which keeps a wrong program wrong (a task whose point is that such a
call must fail, positional-only parameters, is the exception). A task can be about a variable's name itself
(rename the ambiguous ``l``): such a prompt names it, and a local the prompt mentions keeps its name. Parameters
are renamed even when the prompt mentions them, as a coding prompt gives the signature (``Write total(xs)``) and
most failure cases would otherwise keep no name to change. Validation draws the new names afresh
(``random.SystemRandom`` unless told otherwise), so no verifier can list them in advance.

Only names that nothing outside the program, and no code that does not bind them, can reach by their text are
renamed: the program's own variables (in its functions, and at module level unless a function reads them), and its
functions' parameters. Kept: a function or class name, a keyword-only parameter, anything in a class body, an
attribute, a keyword argument, an import alias, an ``except ... as`` name, a ``global``/``nonlocal`` name, a
``match`` capture, a name an f-string spells before its value (``f"{x=}"``) or one spelled in any string
(``getattr(obj, "total")``), a local the prompt names, a name some function reads without binding it, and every
builtin. A name read inside an f-string is renamed there too (:func:`_fstring_names`). A program that reaches names by
their text in ways nobody can follow (``locals``, ``vars``, ``globals``, ``dir``, ``eval``, ``exec``, ``__dict__``,
frames, code objects, signatures, annotations, tracebacks, a star import...) is not renamed at all.

Only lower-case, snake-case and numbered (``s1``) names change, each to a name a person writes (``total``, ``idx``,
``row_idx``, ``word1``; :func:`_candidates`) of the same shape, the same length for short names and at least as long
for long ones, and never a word of the prompt: the twin reads like an answer (random letters, then glued words,
marked twins as validation's: red-team findings), keeps its naming style, has no line shorter than the original's,
and cannot take a name the task requires; comments and layout are untouched. The result is parsed again and must
have the original's syntax tree up to the renaming, or no renamed program is offered.

Prose around one Markdown code fence is kept and the program in the fence renamed (a text that parses as a
program is a program: a fence inside it is a string; several fences may be one program, so they are left alone).
"""

from __future__ import annotations

import ast
import io
import random
import re
import tokenize
from collections.abc import Iterable, Iterator, Mapping

from verifier.renamable_names import FUNCTIONS, KEPT, all_identifiers, parameters, renamable_names
from verifier.response_code import char_column, parser_lines
from verifier.twin_names import COMMON_NAMES, every_mapping, fresh_names

__all__ = ["COMMON_NAMES", "defines_function", "renamed"]

_FENCE = re.compile(r"(```[ \t]*(?:python|py|python3)?[ \t]*\n)(.*?)(\n[ \t]*```)", re.DOTALL | re.IGNORECASE)
_MAX_CHARS = 20_000  # a failure case is an answer, not a code base
_MAX_NODES = 5_000
_MISSES = 64  # mappings in a row that make no twin, after which a walk of every twin gives up


def renamed(text: str, rng: random.Random, keep: Iterable[str] = (), partial: bool = False,
            avoid: Iterable[str] = ()) -> str | None:
    """``text`` with the local names and parameters of its functions renamed, or None when none can safely change.

    ``text`` is a whole program, or prose around one fenced program; names are drawn from ``rng``; locals in
    ``keep`` (those the task's prompt names as code) keep their names, and no new name is one of them or of
    ``avoid`` (every word of the prompt). ``partial``: a partial twin, which keeps some names (parameters the prompt
    mentions always, others by chance) and changes at least one (:func:`verifier.twin_names.fresh_names`). Never
    raises."""
    if len(text) > _MAX_CHARS:
        return None
    try:
        return _renamed(text, rng, frozenset(keep), partial, frozenset(avoid))
    except (RecursionError, MemoryError):  # a deeply nested program: ``ast.dump`` and friends recurse
        return None


def defines_function(text: str) -> bool:
    """Whether ``text`` is a program (whole, or in one fence) that defines a function or lambda: a failure case
    validation expects twins of."""
    tree = program_tree(text)
    return tree is not None and any(isinstance(n, FUNCTIONS) for n in ast.walk(tree))


def program_tree(text: str) -> ast.Module | None:
    """The syntax tree of the program in ``text`` (whole, or in one fence), or None; never raises."""
    if len(text) > _MAX_CHARS:
        return None
    try:
        found = _program(text)
    except (RecursionError, MemoryError):
        return None
    return found[1] if found is not None else None


def _program(text: str) -> tuple[re.Match[str] | None, ast.Module] | None:
    """The program in ``text``: (None, its tree) for a whole program, (the fence, its tree) for prose around one
    fenced program, else None."""
    try:
        return None, ast.parse(text)
    except (SyntaxError, ValueError):
        fences = list(_FENCE.finditer(text)) if text.count("```") <= 4 else []
        if len(fences) != 1:  # several fences may be one program, renamed apart they would not be
            return None
        try:
            return fences[0], ast.parse(fences[0].group(2))
        except (SyntaxError, ValueError):
            return None


def every_twin(text: str, keep: Iterable[str] = (), avoid: Iterable[str] = ()) -> Iterator[str]:
    """Every twin :func:`renamed` can make of ``text``, each once, lazily, in a fixed order (the most common names
    first): where drawing found fewer than validation needs, the rest are taken from here (``few_twins`` then depends
    on how many twins there are, not on the draw). Yields nothing where :func:`renamed` gives None; never raises."""
    if len(text) > _MAX_CHARS:
        return
    try:
        plan = _plan(text, frozenset(keep), frozenset(avoid))
    except (RecursionError, MemoryError):
        return
    if plan is None:
        return
    misses = 0
    for mapping in every_mapping(*plan[2:]):
        try:
            twin = _twin(text, plan, mapping)
        except (RecursionError, MemoryError):
            return
        if twin is not None:
            misses = 0
            yield twin
        else:
            misses += 1
            if misses >= _MISSES:  # bounded work on the trusted side, whatever the program
                return


def _renamed(text: str, rng: random.Random, keep: frozenset[str], partial: bool,
             avoid: frozenset[str]) -> str | None:
    plan = _plan(text, keep, avoid)
    if plan is None:
        return None
    return _twin(text, plan, fresh_names(*plan[2:], rng, partial=partial, favoured=keep & frozenset(plan[2])))


_Plan = tuple[re.Match[str] | None, ast.Module, list[str], set[str]]


def _plan(text: str, keep: frozenset[str], avoid: frozenset[str] = frozenset()) -> _Plan | None:
    """What renaming ``text`` works on: the fence of its program (None for a whole program), the program's tree,
    the names that may change (sorted: not those in ``keep``, parameters aside) and the identifiers no new name may
    be (``avoid`` among them); None when nothing may change."""
    found = _program(text)
    if found is None:
        return None
    fence, tree = found
    if sum(1 for _ in ast.walk(tree)) > _MAX_NODES:
        return None
    names = renamable_names(tree) - (keep - parameters(tree))
    if not names:
        return None
    return fence, tree, sorted(names), all_identifiers(tree) | keep | avoid | KEPT


def _twin(text: str, plan: _Plan, mapping: Mapping[str, str]) -> str | None:
    """``text`` with ``mapping`` applied to its program (inside its fence, if it has one: a fence inside a program
    is a string, not code), or None when the result would not be the same program with those names changed."""
    fence, tree = plan[:2]
    code = text if fence is None else fence.group(2)
    if not mapping:
        return None
    result = _substitute(code, mapping, _fstring_names(tree))
    if result is None or not _same_tree(tree, result, mapping):
        return None
    return result if fence is None else text[:fence.start(2)] + result + text[fence.end(2):]



def _fstring_names(tree: ast.Module) -> list[ast.Name]:
    """Every name read inside an f-string. The tokenizer of 3.11 sees a whole f-string as one STRING token, so
    these are placed by their syntax-tree positions instead (a task such as ``return f"Hello {name}"`` had no other
    name to rename, got no twin, and was rejected as ``few_twins``: helper review, round 28)."""
    found: dict[int, ast.Name] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            found.update((id(inner), inner) for inner in ast.walk(node) if isinstance(inner, ast.Name))
    return list(found.values())


def _substitute(code: str, mapping: Mapping[str, str], in_fstrings: Iterable[ast.Name] = ()) -> str | None:
    """Replace NAME tokens, and the names ``in_fstrings`` at their tree positions (UTF-8 byte columns, each
    checked to hold the name), right to left on each line, so the columns of the ones still to replace hold. None
    when a position does not hold its name (the tree of 3.11 misplaces some nested f-strings): the caller's
    comparison of trees would refuse the result anyway."""
    lines = parser_lines(code)  # the tokenizer's lines: a form feed or U+2028 does not end one
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    edits = []
    for token in tokens:
        if token.type == tokenize.NAME and token.string in mapping:
            (row, col), (end_row, _) = token.start, token.end
            if row != end_row or row > len(lines):
                return None
            edits.append((row, col, token.string))
    for node in in_fstrings:
        if node.id not in mapping:
            continue
        if node.lineno != node.end_lineno or node.lineno > len(lines):
            return None
        line = lines[node.lineno - 1]
        try:
            col = char_column(line, node.col_offset)
        except UnicodeDecodeError:
            return None
        if line[col:col + len(node.id)] != node.id:
            return None
        edits.append((node.lineno, col, node.id))
    for row, col, name in sorted(set(edits), reverse=True):
        line = lines[row - 1]
        lines[row - 1] = line[:col] + mapping[name] + line[col + len(name):]
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
