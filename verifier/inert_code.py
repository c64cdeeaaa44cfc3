"""Which parts of a program are *inert*: settings whose one-token change hardly ever shows in what a test sees.

Why a module of its own: the mutant rule (:mod:`verifier.code_mutation`) changes one operator, number or name of a
program a verifier paid, and expects an honest verifier to fail most such mutants. A change to a modulus nobody's
small test reaches, a debug flag, or a fast-input helper is no change a test can see, so an honest verifier paid
those mutants and was flagged (red-team rounds 54 and 55). :func:`inert` names the nodes mutation leaves alone, and
keeps every site of the arithmetic a program computes its output with.
"""

from __future__ import annotations

import ast
import math
from collections.abc import Iterator

from verifier.static_scope import walk_scope

__all__ = ["calls_print", "inert"]


def inert(tree: ast.Module, names: frozenset[str]) -> list[ast.AST]:
    """A program's settings, whose one-token change hardly ever shows: the argument of ``setrecursionlimit`` (without a
    name in it), a top-level rebinding of ``input`` (a fast-input helper, whose ``.rstrip`` to ``.lstrip`` was half the
    mutants of a template's script: round 55, F3), and top-level assignments of values without a name in them to names
    the program never reads (``DEBUG = False``) or to constants: a name in capitals, of a value at least
    :data:`_SETTING` (``MOD = 10**9 + 7``, ``INF = 10**18``) that the program never prints or returns as it is. Tests of
    small inputs never reach a modulus, a limit or a bound: a competitive-programming template carries several, and an
    honest verifier of a sorting script paid 6 to 8 of its 8 mutants, all of them there (red-team round 54, F5 and F6).
    Arithmetic a program computes its output with keeps its sites: ``print(10 * 11 * 21 // 6)``, ``x = 365 * 24``, and a
    program of thought's ``ANSWER = 10 * 11 * 21 // 3`` printed as it is (with every capital assignment inert, a
    verifier that paid that style by its look was never flagged: round 55, F4); so do ``total = max`` and a lambda (what
    a caller's tests call) and a name the prompt spells. Inside a function, an assignment to a local its function
    never reads is inert too (:func:`_dead_locals`)."""
    order = list(ast.walk(tree))
    found: list[ast.AST] = [argument for node in order if isinstance(node, ast.Call) and (
        getattr(node.func, "attr", None) or getattr(node.func, "id", None)) == "setrecursionlimit"
        for argument in node.args if not any(isinstance(each, ast.Name) for each in ast.walk(argument))]
    read = {node.id for node in order if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    shown = {value.id for value in _outputs(order) if isinstance(value, ast.Name)}
    for statement in tree.body:
        targets = (statement.targets if isinstance(statement, ast.Assign)
                   else [statement.target] if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) else [])
        written = [name for target in targets for name in ast.walk(target)]
        named = [name.id for name in written if isinstance(name, ast.Name)]
        value = getattr(statement, "value", None)
        if named == ["input"] and isinstance(statement, ast.Assign):
            found.append(statement)  # a fast-input helper (``lambda: sys.stdin.readline().rstrip()``): I/O, no logic
        elif (named and value is not None
                and all(isinstance(name, (ast.Name, ast.Tuple, ast.List, ast.Store)) for name in written)
                and not any(isinstance(node, (ast.Name, ast.Lambda)) for node in ast.walk(value))
                and all(name not in names and (name not in read or (
                    name.isupper() and name not in shown and _setting(value))) for name in named)):
            found.append(statement)
    return found + _dead_locals(order)


_ACTIVE = (ast.Call, ast.Await, ast.Yield, ast.YieldFrom, ast.NamedExpr)
"""What makes a right side do something besides computing the value it assigns (:func:`_dead_locals`)."""
_INTROSPECTION = frozenset({"locals", "vars", "eval", "exec"})
"""Names through which a function may read its locals without naming them (``f_locals`` too)."""


def _dead_locals(order: list[ast.AST]) -> list[ast.AST]:
    """The assignments (``=``, ``+=``, an annotated one) inside a function of ``order`` (every node of a program) to
    plain names the function never reads, anywhere in it (a nested function or lambda reads its locals too), that it
    does not declare ``global`` or ``nonlocal``, whose right side calls nothing (nor awaits, yields or binds another
    name), in a function that does not read its locals otherwise (``locals()``, ``vars()``, ``eval``, ``exec``,
    ``f_locals``). Why: a change there is no change any run can show, and right answers padded with one such line of
    arithmetic (``check = (1 + 2) * (3 + 4) - ...`` inside the function, never read) had most of their mutants
    there: an honest verifier paid 6 of 7 and was flagged (red-team round 58). What it gives up: such a line whose
    right side raises as a guard (``check = 1 / n`` in a ``try``) is live, and its mutants are no longer made."""
    found: list[ast.AST] = []
    for function in order:
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        inside = list(ast.walk(function))
        read = {node.id for node in inside if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
        if read & _INTROSPECTION or any(isinstance(node, ast.Attribute) and node.attr == "f_locals" for node in inside):
            continue
        own = list(walk_scope(function.body))
        declared = {name for node in own if isinstance(node, (ast.Global, ast.Nonlocal)) for name in node.names}
        for statement in own:
            targets = (statement.targets if isinstance(statement, ast.Assign)
                       else [statement.target] if isinstance(statement, (ast.AnnAssign, ast.AugAssign)) else [])
            value = getattr(statement, "value", None)
            if (targets and value is not None
                    and all(isinstance(target, ast.Name) and target.id not in read and target.id not in declared
                            for target in targets)
                    and not any(isinstance(node, _ACTIVE) for node in ast.walk(value))):
                found.append(statement)
    return found


_SETTING = 100_000
"""The least value a constant in capitals must have to be a setting (:func:`inert`): a modulus, a limit, a bound."""


def _outputs(nodes: list[ast.AST]) -> Iterator[ast.AST]:
    """What a program prints or returns: ``print``'s arguments, returned values, f-string fields (:func:`inert`
    asks which are a name as it is)."""
    for node in nodes:
        if calls_print(node):
            yield from node.args
        elif isinstance(node, ast.Return) and node.value is not None:
            yield node.value
        elif isinstance(node, ast.FormattedValue):
            yield node.value


def calls_print(node: ast.AST) -> bool:
    """Whether ``node`` is a call of ``print``: what a script outputs (a reference that calls it is a program:
    :mod:`verifier.reference_mutants`)."""
    return isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"


def _setting(value: ast.AST) -> bool:
    """Whether ``value``, arithmetic of literals, is at least :data:`_SETTING` (a deep one, which recursion cannot
    measure, is none)."""
    try:
        return _magnitude(value) >= _SETTING
    except RecursionError:
        return False


def _magnitude(node: ast.AST) -> float:
    """The absolute value of arithmetic of literals (``10**9 + 7``, ``1 << 60``), never computed past a float's
    range (``10**10**10`` is infinite here, not a hang); 0.0 for anything else."""
    if isinstance(node, ast.Constant):
        return abs(float(node.value)) if type(node.value) in (int, float) and abs(node.value) < 1e300 else 0.0
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        return _magnitude(node.operand)
    if isinstance(node, ast.BinOp):
        left, right = _magnitude(node.left), _magnitude(node.right)
        try:
            if isinstance(node.op, ast.Pow):
                return math.inf if left > 1 and right > 1024 else float(left ** right)
            if isinstance(node.op, ast.LShift):
                return math.ldexp(left, int(min(right, 2048)))
            if isinstance(node.op, (ast.Add, ast.Sub)):
                return left + right  # (an upper bound for a difference: ``10**9 - 10**9`` is no setting anyway)
            if isinstance(node.op, ast.Mult):
                return left * right
        except (OverflowError, ValueError):
            return math.inf
    return 0.0
