"""Why a reference a ``run_response`` verifier failed may have failed, read from the reference's code alone.

Why a module of its own: the validation checks (:mod:`verifier.checks`) judge scores observed in the sandbox; this
reads the reference's source, and only to word the ``unsolvable`` verdict's detail so that the generator's repair round
can act on it (red-team round 45, F1: such a task was rejected ``unsolvable`` with no word of the cause, and the repair
round guessed).
"""

from __future__ import annotations

import ast

from verifier.code_renaming import program_tree

__all__ = ["plain_value_hint"]


def plain_value_hint(source: str, reference: str) -> str:
    """Why a reference a ``run_response`` verifier failed may have failed, read from the reference alone: a function
    of it that is a generator, or a class, returns what ``run_response`` cannot hand back (its call fails with
    ``UnserializableResult``, which only the verifier sees). "" when neither, or when the verifier runs no response.
    Why: such a task was rejected ``unsolvable`` with no word of the cause, and the repair round guessed (red-team
    round 45, F1)."""
    tree = program_tree(reference) if "run_response" in source else None
    for node in tree.body if tree is not None else ():
        if isinstance(node, ast.ClassDef):
            return (f"the reference defines the class `{node.name}`, and run_response hands back only plain JSON "
                    "values (an object's result fails its call with UnserializableResult): ask for functions "
                    "that return plain values")
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _yields(node):
            return (f"the reference's `{node.name}` is a generator, and run_response hands back only plain JSON values "
                    "(a generator's result fails its call with UnserializableResult): ask for a function that "
                    "returns a list")
    return ""


def _yields(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    """Whether ``function`` itself yields (a nested function's or lambda's ``yield`` is not its own)."""
    todo = list(function.body)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            todo.extend(ast.iter_child_nodes(node))
    return False
