"""Which regular-expression calls of a verifier run no code of its own and, in a test run once per member of a set,
cannot fail or backtrack for one member and not another (the regex part of :mod:`verifier.pure_reads`, whose
docstring says why: red-team round 58 had ``re.findall`` and ``re.search(r"\\b" + word + r"\\b", text)`` rejected).

A call counts when ``re`` is bound only by ``import re`` (or the callee is a method of a module name bound once to
``re.compile(<constant>)``) and its arguments are pure (the caller's own reading, passed in as ``pure``: an
argument is read by the same rules as the rest of the expression). In a test the pattern must also be *fixed*
(:data:`FIXED`), and counts and flags constant; ``re.sub`` is no test.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from verifier.pure_reads import ModuleFacts

__all__ = ["FIXED", "REGEX_FLAGS", "REGEX_FUNCTIONS", "compiled_pattern", "pure_regex", "regex_callee", "regex_flags"]

REGEX_FUNCTIONS = frozenset({"search", "match", "fullmatch", "findall", "split", "sub", "escape"})
"""Functions of ``re`` (and, but ``escape``, methods of a compiled pattern) that run no code of the verifier's."""
REGEX_FLAGS = frozenset({"I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "A", "ASCII"})
"""Flags that change no pattern's syntax (``VERBOSE`` does; ``LOCALE`` raises with a str pattern)."""
FIXED = re.compile(r"(?:[^\\*+?{}\[\]|()]|\\[bBAZdDsSwWnt]|\\[^0-9A-Za-z])*")
"""Regex text without quantifiers, groups, classes or alternation (escapes only complete ones)."""

Pure = Callable[[ast.expr, "Mapping[str, tuple[object, ...] | None] | None"], bool]
"""The caller's reading of an argument: whether it is pure, computed once (None) or in a test of those members."""


def compiled_pattern(value: ast.expr, regex: frozenset[str]) -> bool:
    """``re.compile(<str constant>)``, with at most flags besides."""
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "compile"
            and isinstance(value.func.value, ast.Name) and value.func.value.id in regex and not value.keywords
            and 1 <= len(value.args) <= 2 and isinstance(value.args[0], ast.Constant)
            and isinstance(value.args[0].value, str) and all(regex_flags(a, regex) for a in value.args[1:]))


def regex_flags(node: ast.expr, regex: frozenset[str]) -> bool:
    """``re.I``, ``re.I | re.M``: flags of :data:`REGEX_FLAGS` only."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return regex_flags(node.left, regex) and regex_flags(node.right, regex)
    return (isinstance(node, ast.Attribute) and node.attr in REGEX_FLAGS and isinstance(node.value, ast.Name)
            and node.value.id in regex)


def regex_callee(func: ast.expr, facts: ModuleFacts) -> tuple[str, str | None] | None:
    """``(function, None)`` for ``re.<function>``, ``(method, pattern)`` for a method of a compiled pattern."""
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    if func.value.id in facts.regex and func.attr in REGEX_FUNCTIONS:
        return func.attr, None
    if func.value.id in facts.patterns and func.attr in REGEX_FUNCTIONS - {"escape"}:
        return func.attr, facts.patterns[func.value.id]
    return None


def pure_regex(call: ast.Call, facts: ModuleFacts, members: Mapping[str, tuple[object, ...] | None] | None,
               pure: Pure) -> bool:
    """A regex call with pure arguments; in a test, one that cannot fail or backtrack for one member and not
    another: a fixed pattern, positional arguments only, counts and flags constant (module docstring)."""
    callee = regex_callee(call.func, facts)
    if callee is None or any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return False
    name, compiled = callee
    if members is None:
        return all(regex_flags(v, facts.regex) or pure(v, None)
                   for v in [*call.args, *(k.value for k in call.keywords)])
    args = call.args
    if name == "sub" or any(k.arg != "flags" or not regex_flags(k.value, facts.regex) for k in call.keywords):
        return False  # (``flags=re.I`` as a keyword: red-team round 59, D; any other keyword is refused)
    if call.keywords:
        if compiled is not None or name == "escape":
            return False
        args = [*args, *(k.value for k in call.keywords)]  # (the flags, in their place after the counts)
        if name == "split" and len(args) == 3:
            return False  # ``re.split(p, s, flags=...)``: the flags would be read as maxsplit below
    if name == "escape":
        return len(args) == 1 and pure(args[0], members)
    if compiled is None:  # re.search(pattern, string[, flags]), re.split(pattern, string[, maxsplit[, flags]])
        if not 2 <= len(args) <= (4 if name == "split" else 3):
            return False
        if not _fixed(args[0], facts, members, pure):
            return False
        subject, counts, flags = args[1], args[2:3], args[3:]
        if name != "split":
            counts, flags = [], args[2:]
    else:  # pattern.search(string[, pos[, endpos]]), pattern.split(string[, maxsplit])
        if not 1 <= len(args) <= (2 if name == "split" else 3) or not FIXED.fullmatch(compiled):
            return False
        subject, counts, flags = args[0], args[1:], []
    return (all(isinstance(c, ast.Constant) and type(c.value) is int for c in counts)
            and all(regex_flags(f, facts.regex) for f in flags) and pure(subject, members))


def _fixed(pattern: ast.expr, facts: ModuleFacts, members: Mapping[str, tuple[object, ...] | None], pure: Pure) -> bool:
    """A fixed pattern (module docstring): constants of fixed text, members that all are, ``re.escape(...)``,
    joined with ``+`` or an f-string."""
    if isinstance(pattern, ast.Constant):
        return isinstance(pattern.value, str) and FIXED.fullmatch(pattern.value) is not None
    if isinstance(pattern, ast.BinOp) and isinstance(pattern.op, ast.Add):
        return all(_fixed(side, facts, members, pure) for side in (pattern.left, pattern.right))
    if isinstance(pattern, ast.JoinedStr):
        return all(_fixed(v, facts, members, pure) if isinstance(v, ast.Constant) else
                   isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None
                   and _fixed(v.value, facts, members, pure) for v in pattern.values)
    if isinstance(pattern, ast.Name) and pattern.id in members:
        values = members[pattern.id]
        return values is not None and all(isinstance(v, str) and FIXED.fullmatch(v) for v in values)
    if isinstance(pattern, ast.Name):  # a module constant
        constant = facts.constants.get(pattern.id)
        return isinstance(constant, ast.Constant) and _fixed(constant, facts, members, pure)
    return (isinstance(pattern, ast.Call) and regex_callee(pattern.func, facts) == ("escape", None)
            and pure_regex(pattern, facts, members, pure))
