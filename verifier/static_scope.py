"""Per-scope facts the static nondeterminism pass reads before it judges a call: which names hold sets, which
random modules a function seeded, which names the module binds itself.

Why apart from the visitor (``static_determinism``): these are plain questions about bindings, answered once per
scope, and the rules of the visitor read better without them.
"""

from __future__ import annotations

import ast

from task_bank.response_exec import qualname
from verifier.nondeterminism_names import RANDOM_MODULES, SET_CTORS, SET_METHODS


class Scope:
    """Per-function facts: which names are sets, and which random modules were seeded here."""

    def __init__(self, body: list[ast.stmt], aliases: dict[str, str]) -> None:
        self.set_names: set[str] = set()
        self.seeded: set[str] = set()
        assigned: dict[str, list[ast.expr | None]] = {}
        for node in walk_scope(body):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
                    else:
                        for name in ast.walk(target):
                            if isinstance(name, ast.Name):
                                assigned.setdefault(name.id, []).append(None)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                assigned.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, (ast.For, ast.comprehension)):
                for name in ast.walk(node.target):
                    if isinstance(name, ast.Name):
                        assigned.setdefault(name.id, []).append(None)
            elif isinstance(node, ast.Call) and node.args and not seeds_from_os(node):
                qual = qualname(node.func, aliases)
                if qual in {f"{m}.seed" for m in RANDOM_MODULES}:
                    self.seeded.add(qual.rsplit(".", 1)[0])
        for _ in range(3):  # a set built from another set name: resolve a few levels
            for name, values in assigned.items():
                if values and all(v is not None and is_set(v, self.set_names, aliases) for v in values):
                    self.set_names.add(name)


def seeds_from_os(call: ast.Call) -> bool:
    """``seed()``, ``seed(None)``, ``Random(a=None)``: no seed, or ``None``, which seeds from the OS."""
    values = [*call.args, *(k.value for k in call.keywords)]
    return not values or all(isinstance(v, ast.Constant) and v.value is None for v in values)


def bound_names(tree: ast.AST) -> set[str]:
    """Names the module binds to something of its own (a def, a parameter, an import, a computed value): those
    shadow a builtin. ``f = id`` does not count: it is an alias, and the reference ``id`` is flagged where named."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias) and not (node.name in {"id", "hash"} and node.asname is None):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = node.value
            if value is not None and not isinstance(value, (ast.Name, ast.Attribute)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.For, ast.comprehension, ast.withitem)):
            target = node.optional_vars if isinstance(node, ast.withitem) else node.target
            if target is not None:
                bound.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return bound


def walk_scope(body: list[ast.stmt]):
    """Nodes of one scope, not descending into nested functions, lambdas or classes."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    stack: list[ast.AST] = [n for n in reversed(body) if not isinstance(n, nested)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))


def is_set(node: ast.expr, set_names: set[str], aliases: dict[str, str]) -> bool:
    """Whether ``node`` is a set: a literal or comprehension, a name of ``set_names``, ``set()``/``frozenset()``,
    a set method's result or set arithmetic on one."""
    if isinstance(node, (ast.Set, ast.SetComp)):
        return True
    if isinstance(node, ast.Name):
        return node.id in set_names
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)):
        return is_set(node.left, set_names, aliases) or is_set(node.right, set_names, aliases)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in SET_CTORS and node.func.id not in aliases:
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr in SET_METHODS:
            return is_set(node.func.value, set_names, aliases)
    return False
