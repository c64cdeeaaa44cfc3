"""Loops and lists over a set whose outcome cannot depend on the order they visit it in.

Why: the static pass (:mod:`verifier.static_determinism`) flags iterating a set, because the order follows
``PYTHONHASHSEED`` and a score that follows it differs between runs, and a verifier that reads it tells
validation's varied runs from run 0 and training. But two honest shapes were rejected as ``nondeterministic`` with
them (helper review, round 28):

- a loop that only looks for a member: ``for word in BANNED: if word in text: return 0.0``; every visit order
  returns the same constant when some member matches and falls through when none does;
- a list of the members that pass a test, read only for whether it is empty or how long it is:
  ``missing = [w for w in REQUIRED if w not in text]`` then ``return 0.0 if missing else 1.0``.

Both are recognised here, narrowly, from the syntax alone; anything else over a set stays flagged. The set must be
a literal of constants (``{"a", "b"}``, ``frozenset(("a", "b"))``, or a module name bound once to one). A loop body
may only test, ``continue``, ``break``, ``pass``, return one and the same constant, set a name to one and the same
constant, or count with ``+= <constant>`` (not with ``break``, which would make the count depend on the order); the
loop's own variable must not be read after it (it ends on an element the order chose). A list may only be tested,
measured (``if xs``, ``len(xs)``, ``sorted(xs)``), and is bound once.

A test may only read values of built-in types, so that no code of the verifier's runs while the set is visited
(red-team round 28 recorded the order through a ``get`` method of its own class, and through the ``__eq__`` that
``w == spy`` falls back to): the loop variable, constants, module names bound once to constants, ``verify``'s own
response (never rebound), and locals bound once from such values; the only calls are :data:`PURE_BUILTINS` and
:data:`PURE_METHODS` of ``str``, and no subscript, arithmetic or conversion (``int(w)``, ``d[w]`` raise for some
members and not others, and the first member visited would decide between a score and a crash). A module that
reaches builtins or attributes by name (``builtins``, ``setattr``, ``globals``...) gets no exemption at all. The
dynamic runs still vary the hash seed: what this reading misjudges, they see.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

PURE_BUILTINS = frozenset({"len", "str", "bool", "any", "all", "repr"})
PURE_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "startswith", "endswith",
                          "count", "find", "rfind", "split", "isdigit", "isalpha", "isalnum", "isspace", "islower",
                          "isupper", "isnumeric", "replace"})
_PURE_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Tuple,
               ast.JoinedStr, ast.FormattedValue, ast.Call, ast.keyword, ast.expr_context, ast.cmpop, ast.boolop,
               ast.unaryop)
_USE_CONSUMERS = frozenset({"len", "bool", "sorted", "set", "frozenset", "any", "all"})
_REFLECTIVE = frozenset({"builtins", "__builtins__", "setattr", "globals", "vars", "locals", "exec", "eval",
                         "__class__", "__dict__", "__import__", "importlib"})
_CONSTANT_TYPES = (str, int, float, bool, type(None))


def module_constants(tree: ast.Module) -> frozenset[str] | None:
    """Module names bound exactly once in the whole module, at module level, to a constant or a literal container of
    constants; None when the module reaches builtins or attributes by name (no exemption then)."""
    if any(isinstance(n, ast.Name) and n.id in _REFLECTIVE or isinstance(n, ast.Attribute) and n.attr in _REFLECTIVE
           or isinstance(n, (ast.Import, ast.ImportFrom)) and any(a.name.split(".")[0] in _REFLECTIVE for a in n.names)
           for n in ast.walk(tree)):
        return None
    stores: dict[str, int] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores[node.id] = stores.get(node.id, 0) + 1
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            for name in node.names:
                stores[name] = stores.get(name, 0) + 2
    return frozenset(stmt.targets[0].id for stmt in tree.body
                     if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                     and stores.get(stmt.targets[0].id) == 1 and _literal(stmt.value, frozenset()))


def order_free_nodes(body: list[ast.stmt], is_set: Callable[[ast.expr], bool], constants: frozenset[str] | None,
                     response: str | None = None, shadowed: frozenset[str] = frozenset()) -> set[int]:
    """The ids of the ``for`` loops over a set and the list comprehensions over a set in one scope (``body``; not
    the functions nested in it) whose outcome does not depend on the set's order (module docstring).
    ``constants``: :func:`module_constants`; ``response``: the parameter holding the response, when the scope is
    ``verify``."""
    if constants is None:
        return set()
    nodes = list(_scope_nodes(body))
    loops = [node for node in nodes if isinstance(node, ast.For) and is_set(node.iter)
             and _literal(node.iter, constants)]
    lists = [node for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.ListComp)
             and len(node.value.generators) == 1 and is_set(node.value.generators[0].iter)
             and _literal(node.value.generators[0].iter, constants)]
    if not loops and not lists:  # the common case: nothing over a literal set, nothing more to read
        return set()
    everything = [node for stmt in body for node in ast.walk(stmt)]  # closures of nested functions read it too
    parents = {id(child): node for node in everything for child in ast.iter_child_nodes(node)}
    shadowed = shadowed | {n.id for n in everything if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    known = _known_names(everything, constants, response, shadowed)
    found = {id(loop) for loop in loops if _free_loop(loop, everything, known, shadowed)}
    found |= {id(assign.value) for assign in lists
              if _free_list(assign.targets[0].id, assign.value, everything, parents, known, shadowed)}
    return found


def pure(expr: ast.AST, known: frozenset[str], shadowed: frozenset[str] = frozenset()) -> bool:
    """Whether ``expr`` reads only values of built-in types (names in ``known``) through calls that run no code of
    the verifier's (module docstring)."""
    for node in ast.walk(expr):
        if not isinstance(node, _PURE_NODES):
            return False
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in known and not (
                node.id in PURE_BUILTINS and node.id not in shadowed):
            return False
        if isinstance(node, ast.Attribute) and node.attr not in PURE_METHODS:
            return False
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) or isinstance(node.func, ast.Attribute)):
            return False
    return True


def _literal(node: ast.expr, constants: frozenset[str]) -> bool:
    """A constant, a literal container of constants, ``set``/``frozenset``/``tuple``/``list`` of one, or a name
    in ``constants``."""
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.Constant):
        return isinstance(node.value, _CONSTANT_TYPES)
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return all(isinstance(e, ast.Constant) and isinstance(e.value, _CONSTANT_TYPES) for e in node.elts)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in {"set", "frozenset", "tuple", "list"} and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], (ast.Set, ast.List, ast.Tuple)) and _literal(node.args[0], constants))


def _known_names(everything: list[ast.AST], constants: frozenset[str], response: str | None,
                 shadowed: frozenset[str]) -> frozenset[str]:
    """Names whose value is of a built-in type: the module's constants, the response (if never rebound) and locals
    bound once from a pure expression of known names (``words = response.lower().split()``)."""
    stores: dict[str, list[ast.AST]] = {}
    for node in everything:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores.setdefault(node.id, []).append(node)
    known = set(constants)
    if response is not None and response not in stores:
        known.add(response)
    assigned = {stmt.targets[0].id: stmt.value for stmt in everything
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and len(stores.get(stmt.targets[0].id, ())) == 1}
    changed = True
    while changed:
        changed = False
        for name, value in assigned.items():
            if name not in known and name not in constants and pure(value, frozenset(known), shadowed):
                known.add(name)
                changed = True
    return frozenset(known)


def _scope_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a scope, without descending into the functions, lambdas and classes defined in it."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _loop_names(target: ast.expr) -> set[str] | None:
    if not all(isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.expr_context)) for t in ast.walk(target)):
        return None
    return {t.id for t in ast.walk(target) if isinstance(t, ast.Name)}


def _free_loop(loop: ast.For, everything: list[ast.AST], known: frozenset[str], shadowed: frozenset[str]) -> bool:
    own = _loop_names(loop.target)
    if loop.orelse or own is None:
        return False
    readable = known | own
    returned, constants, counted, breaks = set(), {}, set(), False
    pending = list(loop.body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, ast.If):
            if not pure(stmt.test, readable, shadowed):
                return False
            pending += stmt.body + stmt.orelse
        elif isinstance(stmt, ast.Break):
            breaks = True
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None and not _literal(stmt.value, frozenset()):
                return False
            returned.add(ast.dump(stmt.value) if stmt.value is not None else "None")
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
    if breaks and counted or (own & (set(constants) | counted)):
        return False
    inside = {id(node) for node in ast.walk(loop)}
    return not any(isinstance(node, ast.Name) and node.id in own and id(node) not in inside for node in everything)


def _free_list(name: str, comprehension: ast.ListComp, everything: list[ast.AST], parents: dict[int, ast.AST],
               known: frozenset[str], shadowed: frozenset[str]) -> bool:
    generator = comprehension.generators[0]
    own = _loop_names(generator.target)
    if own is None or generator.is_async:
        return False
    readable = known | own
    if not pure(comprehension.elt, readable, shadowed) or not all(pure(t, readable, shadowed) for t in generator.ifs):
        return False
    uses = [node for node in everything if isinstance(node, ast.Name) and node.id == name]
    if sum(not isinstance(node.ctx, ast.Load) for node in uses) != 1:
        return False
    return all(_order_free_use(node, parents) for node in uses if isinstance(node.ctx, ast.Load))


def _order_free_use(node: ast.Name, parents: dict[int, ast.AST]) -> bool:
    """``if xs``, ``x if xs else y``, ``not xs``, ``len(xs)`` and the like: nothing that sees order."""
    parent = parents.get(id(node))
    if isinstance(parent, (ast.If, ast.IfExp, ast.While, ast.Assert)):
        return parent.test is node
    if isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Not)
    if isinstance(parent, ast.Call):
        return isinstance(parent.func, ast.Name) and parent.func.id in _USE_CONSUMERS and node in parent.args
    return False  # not even ``v in xs``: it compares ``v`` with each member in turn, and ``v`` may record them
