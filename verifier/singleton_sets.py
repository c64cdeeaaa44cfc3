"""Reads of a set that an early exit has left holding one member at most, which no visit order can change.

Why: the static pass (:mod:`verifier.static_determinism`) flags reading a set's members in its iteration order
(``next(iter(S))``, ``S.pop()``, ``(x,) = S``, ``list(S)[0]``), because that order follows ``PYTHONHASHSEED``.
Red-team round 59 (D) had honest verifiers rejected as ``nondeterministic`` for the common shape that checks all the
lines end alike and then reads the one ending::

    endings = {line[-1] for line in lines}
    if len(endings) != 1:
        return 0.0
    mark = next(iter(endings))

A set of one member (or none) has one order. So a read of a local set ``S`` is order-free where it comes after a
*guard* in the same block (``if len(S) != 1:``, ``> 1``, ``>= 2``, ``not len(S) == 1``, or an ``or`` holding one,
whose body ends by leaving: ``return``, ``raise``, ``continue``, ``break``; no ``else``), or inside the body of
``if len(S) == 1:`` (or an ``and`` holding it). The reads recognised: ``iter(S)``, ``list(S)``, ``tuple(S)``,
``S.pop()``, unpacking ``S`` into names, a ``for`` loop over ``S`` and a comprehension whose one loop is over ``S``.

Narrowly, so that nothing can put a second member into ``S`` between the guard and the read: ``S`` is a name
assigned in the function itself (not ``global``/``nonlocal``, not a parameter), and everywhere in the function it
is only measured (``len(S)``), tested (``x in S``), changed by its own methods before the guard, or read by one of
the shapes above after it; any other use (an argument of a call, the value of an assignment, a return value, a
closure, a method after the guard) could make an alias that adds a member, and leaves every read of it flagged.
The dynamic runs still vary the hash seed: what this reading misjudges, they see.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from verifier.pure_reads import COMPREHENSIONS
from verifier.static_scope import walk_scope

__all__ = ["singleton_reads"]

_READERS = frozenset({"iter", "list", "tuple"})
_CHANGES = frozenset({"add", "update", "discard", "remove", "pop"})
_LEAVING = (ast.Return, ast.Raise, ast.Continue, ast.Break)
_BLOCKS = ("body", "orelse", "finalbody")
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)


def singleton_reads(function: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda,
                    is_set: Callable[[ast.expr], bool]) -> set[int]:
    """The ids of the nodes the static pass may leave unflagged: reads of a set the function guarded to hold one
    member at most (module docstring). The ids are those its set-order findings are keyed by: the ``iter``/``list``/
    ``tuple`` call, the ``pop`` call, the assignment, the ``for`` loop, the comprehension."""
    if isinstance(function, ast.Lambda):
        return set()
    found: set[int] = set()
    for name in _candidates(function, is_set):
        reads = _guarded_reads(function.body, name, guarded=False)
        if reads is not None and _only_safe_uses(function, name, reads):
            found |= set(reads)
    return found


def _candidates(function: ast.FunctionDef | ast.AsyncFunctionDef, is_set: Callable[[ast.expr], bool]) -> set[str]:
    """Local names the function binds to a set and never declares global or nonlocal."""
    declared = {name for node in walk_scope(function.body) if isinstance(node, (ast.Global, ast.Nonlocal))
                for name in node.names}
    parameters = {arg.arg for arg in ast.walk(function.args) if isinstance(arg, ast.arg)}
    return {target.id for node in walk_scope(function.body) if isinstance(node, ast.Assign) and is_set(node.value)
            for target in node.targets if isinstance(target, ast.Name)} - declared - parameters


def _guarded_reads(block: list[ast.stmt], name: str, guarded: bool) -> dict[int, int] | None:
    """The reads of ``name`` in ``block`` that a guard covers (``guarded``: the block starts covered), as
    :func:`_reads` gives them; None when ``name`` is bound again or changed after its guard (then nothing is
    trusted)."""
    found: dict[int, int] = {}
    for statement in block:
        if guarded:
            if _binds(statement, name) or _mutates(statement, name):
                return None
            found |= _reads(statement, name)
            continue
        if isinstance(statement, ast.If) and _exits(statement) and _test(statement.test, name, ast.Or, ast.NotEq):
            guarded = True
            continue
        if isinstance(statement, ast.If) and _test(statement.test, name, ast.And, ast.Eq):
            inner = _guarded_reads(statement.body, name, guarded=True)
            if inner is None:
                return None
            found |= inner
        for field in _BLOCKS:
            for child in _child_blocks(statement, field):
                inner = _guarded_reads(child, name, guarded=False)
                if inner is None:
                    return None
                found |= inner
    return found


def _child_blocks(statement: ast.stmt, field: str) -> Iterator[list[ast.stmt]]:
    if isinstance(statement, _SCOPES):
        return
    block = getattr(statement, field, None)
    if isinstance(block, list) and block and isinstance(block[0], ast.stmt):
        yield block
    if field == "body" and isinstance(statement, ast.Try):
        for handler in statement.handlers:
            yield handler.body


def _exits(statement: ast.If) -> bool:
    return not statement.orelse and isinstance(statement.body[-1], _LEAVING)


def _test(test: ast.expr, name: str, join: type[ast.boolop], kind: type[ast.cmpop]) -> bool:
    """Whether ``test`` (or an operand of a ``join`` of it) says ``len(name)`` is not one (``kind`` NotEq: ``!= 1``,
    ``> 1``, ``>= 2``, ``not ... == 1``) or is one (``kind`` Eq: ``== 1``)."""
    if isinstance(test, ast.BoolOp) and isinstance(test.op, join):
        return any(_test(value, name, join, kind) for value in test.values)
    if kind is ast.NotEq and isinstance(test, ast.UnaryOp) and isinstance(test.op, ast.Not):
        return _test(test.operand, name, ast.And, ast.Eq)
    if not (isinstance(test, ast.Compare) and len(test.ops) == 1):
        return False
    left, op, right = test.left, test.ops[0], test.comparators[0]
    if _is_len(right, name):
        left, right = right, left
        op = {ast.Gt: ast.Lt(), ast.GtE: ast.LtE(), ast.Lt: ast.Gt(), ast.LtE: ast.GtE()}.get(type(op), op)
    if not (_is_len(left, name) and isinstance(right, ast.Constant) and type(right.value) is int):
        return False
    if kind is ast.Eq:
        return isinstance(op, ast.Eq) and right.value == 1
    return ((isinstance(op, ast.NotEq) and right.value == 1) or (isinstance(op, ast.Gt) and right.value == 1)
            or (isinstance(op, ast.GtE) and right.value == 2))


def _is_len(node: ast.expr, name: str) -> bool:
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "len"
            and len(node.args) == 1 and not node.keywords and _is(node.args[0], name))


def _is(node: ast.AST, name: str) -> bool:
    return isinstance(node, ast.Name) and node.id == name


def _binds(statement: ast.stmt, name: str) -> bool:
    return any(isinstance(node, ast.Name) and node.id == name and not isinstance(node.ctx, ast.Load)
               for node in ast.walk(statement))


def _reads(statement: ast.stmt, name: str) -> dict[int, int]:
    """The order-reading shapes over ``name`` in ``statement``: each one's id, to the id of its ``name`` node."""
    found = {}
    for node in ast.walk(statement):
        read: ast.AST | None = None
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _READERS:
            read = node.args[0] if len(node.args) == 1 and not node.keywords else None
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "pop":
            read = node.func.value if not node.args and not node.keywords else None
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], (ast.Tuple,
                                                                                                      ast.List)):
            read = node.value
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            read = node.iter
        elif isinstance(node, COMPREHENSIONS) and len(node.generators) == 1:
            read = node.generators[0].iter
        if read is not None and _is(read, name):
            found[id(node)] = id(read)
    return found


def _mutates(statement: ast.stmt, name: str) -> bool:
    """Whether ``statement`` calls a method of ``name`` other than ``pop()`` (which leaves it fewer members)."""
    return any(isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is(node.func.value, name)
               and node.func.attr != "pop" for node in ast.walk(statement))


def _only_safe_uses(function: ast.FunctionDef | ast.AsyncFunctionDef, name: str, reads: dict[int, int]) -> bool:
    """Whether every use of ``name`` in the function is one the module docstring allows."""
    allowed = set(reads.values())  # the name nodes of allowed uses
    for node in ast.walk(function):
        if isinstance(node, _SCOPES) and node is not function and any(_is(n, name) for n in ast.walk(node)):
            return False  # a closure over it
        if _is_len(node, name):
            allowed.add(id(node.args[0]))
        elif isinstance(node, ast.Compare):
            allowed.update(id(c) for c, op in zip(node.comparators, node.ops)
                           if isinstance(op, (ast.In, ast.NotIn)) and _is(c, name))
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and _is(node.func.value, name):
            if node.func.attr not in _CHANGES:
                return False
            allowed.add(id(node.func.value))  # (before the guard: after it, _guarded_reads trusts nothing)
    uses = {id(node) for node in ast.walk(function) if _is(node, name) and isinstance(node.ctx, ast.Load)}
    return uses <= allowed
