"""What the validator's writing of wrong programs (:mod:`verifier.written_decoys`) reads of a reference: the functions
to write, whether it runs code at its top level, and how.

Why a module of its own: two writers read the same (the programs returning constants, and the one returning a shape
of its argument: :func:`verifier.written_decoys.shaped_decoy`), and what a reference binds is a question of its own
(red-team round 74, A1: a function bound by a lambda, another name, a ``def`` inside an ``if``).
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from verifier.checks_probes import prompt_words
from verifier.response_code import whole_code
from verifier.written_runs import ENTRY_NAMES, Entry, calls, entry

__all__ = ["Reading", "bound_functions", "reading"]


@dataclass(frozen=True)
class Reading:
    """What the writing reads of a reference: its code's tree, the prompt's words, the functions to write (by name,
    each with its parameters), whether it runs code at its top level and its entry calls there, and its fence."""

    tree: ast.Module
    words: frozenset[str]
    bound: dict[str, ast.arguments | None]
    runs: bool
    run: Entry | None
    fenced: bool


def reading(reference: str, prompt: str) -> Reading | None:
    """The reading of ``reference`` for ``prompt``; None where its code does not parse."""
    code = whole_code(reference)  # (a padded reference is no way out: round 53)
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    defined, words = bound_functions(tree.body, set(re.findall(r"\b([A-Za-z_]\w*)\(", prompt))), prompt_words(prompt)
    spelled = [name for name in defined if name in words]
    bound = {name: defined[name] for name in spelled} if spelled else dict(defined)
    runs = any(not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                                     ast.ImportFrom)) and calls(node) for node in tree.body)
    run = entry(tree, code, defined, words) if runs else None
    bound.update({name: arguments for name, arguments in defined.items()  # (a verifier may call a `solve` it sees:
                  if name in ENTRY_NAMES or run and name in run.names})  # review of session 44)
    fenced = code.strip() != reference.strip() and "```" in reference
    return Reading(tree, words, bound, runs, run, fenced)


def bound_functions(body: list[ast.stmt], called: set[str]) -> dict[str, ast.arguments | None]:
    """The names ``body`` (a module's statements) binds to functions, in order, each with its parameters (None:
    unknown): a ``def``, one inside an ``if``, ``try``, ``with`` or ``match`` at the top level, a lambda, another
    name for one of these, or a name the prompt writes as a call (``called``) bound to what a call made (``total =
    functools.cache(_sum)``). Red-team round 74 (A1): ``total = lambda xs: sum(xs)`` got no program defining
    ``total``. A loop over the statements, not recursion: a reference of a thousand ``elif`` parses."""
    found: dict[str, ast.arguments | None] = {}
    pending = [iter(body)]
    while pending:
        node = next(pending[-1], None)
        if node is None:
            pending.pop()
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = node.args
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            name = targets[0].id if len(targets) == 1 and isinstance(targets[0], ast.Name) else None
            if name is not None and isinstance(node.value, ast.Lambda):
                found[name] = node.value.args
            elif name is not None and isinstance(node.value, ast.Name) and node.value.id in found:
                found[name] = found[node.value.id]
            elif name is not None and name in called and isinstance(node.value, ast.Call):
                found[name] = None
        elif isinstance(node, (ast.If, ast.Try, ast.TryStar, ast.With)):
            inner = [*node.body, *getattr(node, "orelse", []), *getattr(node, "finalbody", [])]
            inner += [statement for handler in getattr(node, "handlers", []) for statement in handler.body]
            pending.append(iter(inner))
        elif isinstance(node, ast.Match):
            pending.append(iter([statement for case in node.cases for statement in case.body]))
    return found
