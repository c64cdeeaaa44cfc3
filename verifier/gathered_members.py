"""How a collection gathered from a set's members may be read without seeing the order they were gathered in.

Part of the order-free reading (:mod:`verifier.order_free`, whose module docstring says why): a list of the members
that pass a test (``missing = [w for w in REQUIRED if w not in text]``, or gathered by a loop, ``missing.append(w)``)
may only be tested, measured or sorted; a dict keyed by the members themselves may be read only whole, its views
consumed by an order-free builtin or a pure generator so consumed; and integers (:func:`integral`) are what may be
summed, or reduced by ``max``/``min``, in any order alike.
"""

from __future__ import annotations

import ast

from verifier.pure_reads import Reading, loop_names

__all__ = ["free_collection", "gathered", "integral", "integral_function", "order_free_use"]

_USE_CONSUMERS = frozenset({"len", "bool", "sorted", "set", "frozenset", "any", "all"})
_VIEWS = frozenset({"values", "keys", "items"})
_INTEGRAL_METHODS = frozenset({"count", "find", "rfind", "startswith", "endswith", "isdigit", "isalpha", "isalnum",
                               "isspace", "islower", "isupper", "isnumeric"})


def gathered(name: str, loop: ast.For, everything: list[ast.AST], parents: dict[int, ast.AST],
              reading: Reading) -> bool:
    """A list the loop appends members to, as a comprehension would gather them (red-team round 59, D:
    ``missing = []``, then ``missing.append(w)`` for each member missing, then ``return 0.0 if missing else 1.0``):
    bound once, to ``[]``, appended to only in this loop, and otherwise read only in ways that see no order."""
    uses = [node for node in everything if isinstance(node, ast.Name) and node.id == name]
    bound = [parents.get(id(node)) for node in uses if not isinstance(node.ctx, ast.Load)]
    if len(bound) != 1 or not (isinstance(bound[0], ast.Assign) and isinstance(bound[0].value, ast.List)
                               and not bound[0].value.elts):
        return False
    inside = {id(node) for node in ast.walk(loop)}
    for node in uses:
        if not isinstance(node.ctx, ast.Load):
            continue
        attribute = parents.get(id(node))
        if id(node) in inside and isinstance(attribute, ast.Attribute) and attribute.attr == "append":
            continue
        if not order_free_use(node, parents, reading):
            return False
    return True


def free_collection(name: str, comprehension: ast.ListComp | ast.DictComp, everything: list[ast.AST],
                     parents: dict[int, ast.AST], reading: Reading) -> bool:
    """A list of members that pass a test, or a dict keyed by the members themselves (so no two visits write one
    key), bound once and read only in ways that see no order."""
    generator = comprehension.generators[0]
    own = loop_names(generator.target)
    if own is None or generator.is_async:
        return False
    members = reading.members(generator.target, generator.iter, own)
    if isinstance(comprehension, ast.DictComp):
        keyed = isinstance(generator.target, ast.Name) and isinstance(comprehension.key, ast.Name) and (
            comprehension.key.id == generator.target.id)
        parts = [comprehension.value] if keyed else None
    else:
        parts = [comprehension.elt]
    if parts is None or not all(reading.pure(p, members, frozenset(own)) for p in [*parts, *generator.ifs]):
        return False
    uses = [node for node in everything if isinstance(node, ast.Name) and node.id == name]
    if sum(not isinstance(node.ctx, ast.Load) for node in uses) != 1:
        return False
    views = isinstance(comprehension, ast.DictComp)
    numbers = views and integral(comprehension.value, reading)
    return all(order_free_use(node, parents, reading, views, numbers) for node in uses
               if isinstance(node.ctx, ast.Load))


def order_free_use(node: ast.expr, parents: dict[int, ast.AST], reading: Reading, views: bool = False,
                    numbers: bool = False) -> bool:
    """``if xs``, ``x if xs else y``, ``not xs``, ``len(xs)``, ``if xs or y`` and the like: nothing that sees order.
    With ``views``, also ``d.values()`` (``keys``, ``items``) read that way or by a pure generator so consumed; with
    ``numbers`` (the values are surely integers), also ``max(d.values())``, ``min`` and ``sum`` of them (round 59,
    D: integers have no ties to break and add up alike in any order; floats may be NaN or -0.0)."""
    parent = parents.get(id(node))
    if isinstance(parent, (ast.If, ast.IfExp, ast.While, ast.Assert)):
        return parent.test is node
    if isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Not)
    if isinstance(parent, ast.BoolOp):  # ``if missing or n > 40``: a truth, where the ``or`` itself is only tested
        return order_free_use(parent, parents, reading)  # (``return missing or 0.0`` returns the list: red-team
        # round 59, D, found the tested form rejected)
    if isinstance(parent, ast.Call):
        return _consumer(parent, reading) and node in parent.args
    if views and isinstance(parent, ast.Attribute) and parent.attr in _VIEWS:
        call = parents.get(id(parent))
        if not isinstance(call, ast.Call) or call.func is not parent or call.args or call.keywords:
            return False
        return (order_free_use(call, parents, reading) or _consumed_by_generator(call, parents, reading)
                or numbers and parent.attr == "values" and _reduced(call, parents, reading))
    return False  # not even ``v in xs``: it compares ``v`` with each member in turn, and ``v`` may record them


def _reduced(view: ast.Call, parents: dict[int, ast.AST], reading: Reading) -> bool:
    """``max(view)``, ``min(view)``, ``sum(view)``: the builtin, given the view alone."""
    call = parents.get(id(view))
    return (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id in {"min", "max", "sum"}
            and call.func.id not in reading.shadowed | reading.known and call.args == [view] and not call.keywords)


def _consumed_by_generator(view: ast.Call, parents: dict[int, ast.AST], reading: Reading) -> bool:
    """``all(v == 1 for v in counts.values())``: the only generator of a comprehension with pure parts, handed
    whole to an order-free consumer."""
    generator = parents.get(id(view))
    comprehension = parents.get(id(generator))
    if not isinstance(generator, ast.comprehension) or generator.iter is not view or not isinstance(
            comprehension, (ast.GeneratorExp, ast.ListComp, ast.SetComp)) or len(comprehension.generators) != 1:
        return False
    own = loop_names(generator.target)
    if own is None or generator.is_async or not all(
            reading.pure(p, {n: None for n in own}, frozenset(own)) for p in [comprehension.elt, *generator.ifs]):
        return False
    consumer = parents.get(id(comprehension))
    return isinstance(consumer, ast.Call) and _consumer(consumer, reading) and comprehension in consumer.args


def _consumer(call: ast.Call, reading: Reading) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id in _USE_CONSUMERS and call.func.id not in (
        reading.shadowed | reading.known)


def integral(expr: ast.expr, reading: Reading) -> bool:
    """Surely an ``int`` or ``bool`` (of a pure expression): integers add up alike in any order."""
    if isinstance(expr, ast.Constant):
        return type(expr.value) in (int, bool)
    if isinstance(expr, ast.Compare) or isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        return True
    if isinstance(expr, ast.BoolOp):
        return all(integral(v, reading) for v in expr.values)
    if isinstance(expr, ast.IfExp):
        return integral(expr.body, reading) and integral(expr.orelse, reading)
    return isinstance(expr, ast.Call) and integral_function(expr.func, reading)


def integral_function(func: ast.expr, reading: Reading) -> bool:
    """``len``, ``bool``, ``any``, ``all`` (the builtins) and the counting and testing methods of ``str``."""
    if isinstance(func, ast.Name):
        return func.id in {"len", "bool", "any", "all"} and func.id not in reading.shadowed | reading.known
    return isinstance(func, ast.Attribute) and func.attr in _INTEGRAL_METHODS
