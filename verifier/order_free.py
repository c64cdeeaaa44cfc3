"""Loops and lists over a set whose outcome cannot depend on the order they visit it in.

Why: the static pass (:mod:`verifier.static_determinism`) flags iterating a set, because the order follows
``PYTHONHASHSEED`` and a score that follows it differs between runs (and once told validation's varied runs from
training). But two honest shapes were rejected as ``nondeterministic`` with them (helper review, round 28):

- a loop that only looks for a member: ``for word in BANNED: if word in text: return 0.0``; every visit order
  returns the same constant when some member matches and falls through when none does;
- a list of the members that pass a test, read only for whether it is empty or how long it is:
  ``missing = [w for w in REQUIRED if w not in text]`` then ``return 0.0 if missing else 1.0``.

Both are recognised here, narrowly, from the syntax alone, and anything else over a set stays flagged. A loop body
may only test (with :func:`pure` expressions), ``continue``, ``break``, ``pass``, return one and the same constant,
set a name to one and the same constant, or count with ``+= <constant>`` (not with ``break``, which would make the
count depend on the order); the loop's own variable must not be read after it (it ends on an element the order
chose). A list may only be tested, measured or searched (``if xs``, ``len(xs)``, ``sorted(xs)``, ``v in xs``), and
is bound once. A pure expression calls only builtins and methods that read (``len``, ``str.startswith``,
``re.search``...), so no helper can record the order on the way. The dynamic runs still vary the hash seed: what
this reading misjudges, they see.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

PURE_BUILTINS = frozenset({"len", "str", "bool", "isinstance", "any", "all", "repr"})
PURE_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "startswith", "endswith",
                          "count", "find", "rfind", "split", "isdigit", "isalpha", "isalnum", "isspace", "islower",
                          "isupper", "isnumeric", "replace", "get", "search", "match", "fullmatch", "findall"})
_PURE_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Tuple,
               ast.JoinedStr, ast.FormattedValue, ast.Call, ast.keyword, ast.expr_context, ast.cmpop, ast.boolop,
               ast.unaryop)
"""No subscript, arithmetic or conversion: each can raise for some members and not others (``int(w)``,
``d[w]``), and which member comes first would then decide between a score and a crash."""
_USE_CONSUMERS = frozenset({"len", "bool", "sorted", "set", "frozenset", "any", "all"})


def pure(expr: ast.AST, shadowed: frozenset[str] = frozenset()) -> bool:
    """Whether ``expr`` only reads, and reads nothing that raises for ordinary text: no assignment expression,
    lambda, comprehension, subscript or arithmetic, and calls only to :data:`PURE_BUILTINS` (not rebound by the
    module) or to :data:`PURE_METHODS` of anything."""
    for node in ast.walk(expr):
        if not isinstance(node, _PURE_NODES):
            return False
        if isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Name):
                if func.id not in PURE_BUILTINS or func.id in shadowed:
                    return False
            elif not (isinstance(func, ast.Attribute) and func.attr in PURE_METHODS):
                return False
    return True


def order_free_nodes(body: list[ast.stmt], is_set: Callable[[ast.expr], bool],
                     shadowed: frozenset[str] = frozenset()) -> set[int]:
    """The ids of the ``for`` loops over a set and the list comprehensions over a set in one scope (``body``; not
    the functions nested in it) whose outcome does not depend on the set's order (module docstring)."""
    nodes = list(_scope_nodes(body))
    everything = [node for stmt in body for node in ast.walk(stmt)]  # closures of nested functions read it too
    parents = {id(child): node for node in everything for child in ast.iter_child_nodes(node)}
    found: set[int] = set()
    for node in nodes:
        if isinstance(node, ast.For) and is_set(node.iter) and _free_loop(node, everything, shadowed):
            found.add(id(node))
        elif (isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name)
              and isinstance(node.value, ast.ListComp) and any(is_set(g.iter) for g in node.value.generators)
              and _free_list(node.targets[0].id, node.value, everything, parents, shadowed)):
            found.add(id(node.value))
    return found


def _scope_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a scope, without descending into the functions, lambdas and classes defined in it."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _free_loop(loop: ast.For, scope: list[ast.AST], shadowed: frozenset[str]) -> bool:
    if loop.orelse or not all(isinstance(t, ast.Name) for t in ast.walk(loop.target)
                              if not isinstance(t, (ast.Tuple, ast.List, ast.expr_context))):
        return False
    returned, constants, counted, breaks = set(), {}, set(), False
    pending = list(loop.body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, ast.If):
            if not pure(stmt.test, shadowed):
                return False
            pending += stmt.body + stmt.orelse
        elif isinstance(stmt, ast.Break):
            breaks = True
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None and not isinstance(stmt.value, ast.Constant):
                return False
            returned.add(repr(None if stmt.value is None else stmt.value.value))
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Constant):
            constants.setdefault(stmt.targets[0].id, set()).add(repr(stmt.value.value))
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and isinstance(stmt.op, ast.Add) \
                and isinstance(stmt.value, ast.Constant) and type(stmt.value.value) in (int, float):
            counted.add(stmt.target.id)
        elif not isinstance(stmt, (ast.Continue, ast.Pass)):
            return False
    if len(returned) > 1 or any(len(values) > 1 for values in constants.values()) or counted & set(constants):
        return False
    if breaks and counted:
        return False
    inside = {id(node) for node in ast.walk(loop)}
    own = {t.id for t in ast.walk(loop.target) if isinstance(t, ast.Name)}
    return not any(isinstance(node, ast.Name) and node.id in own and id(node) not in inside for node in scope)


def _free_list(name: str, comprehension: ast.ListComp, scope: list[ast.AST], parents: dict[int, ast.AST],
               shadowed: frozenset[str]) -> bool:
    if not pure(comprehension.elt, shadowed) or not all(pure(test, shadowed)
                                                       for g in comprehension.generators for test in g.ifs):
        return False
    uses = [node for node in scope if isinstance(node, ast.Name) and node.id == name]
    if sum(isinstance(node.ctx, ast.Store) for node in uses) != 1:
        return False
    return all(_order_free_use(node, parents) for node in uses if isinstance(node.ctx, ast.Load))


def _order_free_use(node: ast.Name, parents: dict[int, ast.AST]) -> bool:
    """``if xs``, ``x if xs else y``, ``not xs``, ``len(xs)`` and the like, ``v in xs``: nothing that sees order."""
    parent = parents.get(id(node))
    if isinstance(parent, (ast.If, ast.IfExp, ast.While, ast.Assert)):
        return parent.test is node
    if isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Not)
    if isinstance(parent, ast.Call):
        return isinstance(parent.func, ast.Name) and parent.func.id in _USE_CONSUMERS and node in parent.args
    if isinstance(parent, ast.Compare):
        return any(isinstance(op, (ast.In, ast.NotIn)) and right is node
                   for op, right in zip(parent.ops, parent.comparators))
    return False
