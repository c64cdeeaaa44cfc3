"""Which expressions of a verifier surely evaluate to a value of a built-in type, never ``None``: what the static
pass asks of a time handed to a function that reads the clock when it is given none.

Why: ``time.localtime(t)``, ``time.strftime(fmt, t)``, ``email.utils.formatdate(t)`` and ``gzip.compress(data,
mtime=m)`` read the clock when the time is ``None``. The pass once counted any argument but a literal ``None`` as a
time given, so ``t = None; time.localtime(t)``, ``time.strftime('%s', *())`` and ``time.gmtime(**{})`` read the
clock past it; each carried a time bomb that paid only within a window of a minute (red-team round 40: admitted 4
of 4 times, 4 of 4 wrong answers paid in the window). An argument now counts only when it cannot be ``None``:

- a literal other than ``None`` (numbers, text, tuples, lists, dicts, sets, f-strings, comprehensions);
- ``int(...)``, ``float(...)``, ``str(...)``, ``len(...)`` and the other built-in constructors of :data:`SAFE_CALLS`
  (each returns its own type or raises, whatever it is given), unless the source rebinds the name;
- ``time.gmtime``/``localtime``/``mktime``/``struct_time`` and ``calendar.timegm`` of anything (never ``None``;
  one of them given no time is flagged where it is called);
- ``not x``, and arithmetic, comparisons, ``and``/``or`` and ``a if c else b`` of such values (built-in types'
  operators return no ``None``; a class of the verifier's own could, so its objects do not count);
- a name that every assignment in the source binds to such a value, and that nothing else binds (a parameter, a
  loop, an import, ``with ... as``, ``except ... as``, ``global``).

Anything else (a parameter, ``d.get(k)``, a call of the verifier's own, an attribute, an item) may be ``None``; the
repair is to say what the time is, e.g. ``time.gmtime(int(ts))``.
"""

from __future__ import annotations

import ast

from task_bank.response_exec import qualname

SAFE_CALLS = frozenset({"int", "float", "str", "bytes", "bool", "len", "tuple", "list", "dict", "set", "frozenset",
                        "complex", "bytearray", "repr", "ascii", "format", "chr", "ord", "hex", "oct", "bin"})
"""Built-ins that return a value of their own type or raise, whatever they are given (``__int__``, ``__str__`` and
``__len__`` must return the built-in type, or the call raises ``TypeError``)."""
NEVER_NONE = frozenset({"time.gmtime", "time.localtime", "time.mktime", "time.struct_time", "calendar.timegm"})
"""Standard functions that return a time or a time tuple, never ``None``."""
MAX_DEPTH = 16
"""Names followed through names before giving up (a long chain counts as possibly ``None``)."""


class PlainValues:
    """``plain(expr)``: whether ``expr`` surely evaluates to a built-in, non-``None`` value, in one source."""

    def __init__(self, tree: ast.AST, aliases: dict[str, str]) -> None:
        self._aliases = aliases
        self._values: dict[str, list[ast.expr] | None] = {}  # None: bound some other way too
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    self._bind(target, node.value)
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                self._bind(node.target, node.value)
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                self._values[node.name] = None
            elif isinstance(node, ast.arg):
                self._values[node.arg] = None
            elif isinstance(node, ast.alias):
                self._values[(node.asname or node.name).split(".")[0]] = None
            elif isinstance(node, (ast.Global, ast.Nonlocal)):
                self._values.update(dict.fromkeys(node.names))
            elif isinstance(node, ast.ExceptHandler) and node.name:
                self._values[node.name] = None
            elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
                self._values[node.name] = None
            elif isinstance(node, ast.MatchMapping) and node.rest:
                self._values[node.rest] = None
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension, ast.AugAssign, ast.Delete, ast.withitem)):
                targets = node.targets if isinstance(node, ast.Delete) else [
                    node.optional_vars if isinstance(node, ast.withitem) else node.target]
                for target in targets:
                    if target is not None:
                        self._values.update(dict.fromkeys(
                            (n.id for n in ast.walk(target) if isinstance(n, ast.Name)), None))

    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            known = self._values.get(target.id, [])
            if known is not None:
                self._values[target.id] = [*known, value]
        else:  # unpacking, items, attributes: the names in it are bound to parts nobody checked
            self._values.update(dict.fromkeys((n.id for n in ast.walk(target) if isinstance(n, ast.Name)), None))

    def __call__(self, expr: ast.expr | None) -> bool:
        return expr is not None and self._plain(expr, 0, frozenset())

    def _plain(self, expr: ast.expr, depth: int, seen: frozenset[str]) -> bool:
        if depth > MAX_DEPTH:
            return False
        each = lambda *parts: all(self._plain(p, depth + 1, seen) for p in parts)  # noqa: E731
        if isinstance(expr, ast.Constant):
            return expr.value is not None
        if isinstance(expr, (ast.JoinedStr, ast.Tuple, ast.List, ast.Set, ast.Dict, ast.ListComp, ast.SetComp,
                             ast.DictComp, ast.GeneratorExp, ast.Lambda)):
            return True
        if isinstance(expr, ast.UnaryOp):
            return isinstance(expr.op, ast.Not) or each(expr.operand)
        if isinstance(expr, ast.BinOp):
            return each(expr.left, expr.right)
        if isinstance(expr, ast.BoolOp):
            return each(*expr.values)
        if isinstance(expr, ast.Compare):
            return each(expr.left, *expr.comparators)
        if isinstance(expr, ast.IfExp):
            return each(expr.body, expr.orelse)
        if isinstance(expr, ast.NamedExpr):
            return each(expr.value)
        if isinstance(expr, ast.Call):
            func = expr.func
            if isinstance(func, ast.Name) and func.id in SAFE_CALLS and func.id not in self._values:
                return True
            return qualname(func, self._aliases) in NEVER_NONE
        if isinstance(expr, ast.Name):
            values = self._values.get(expr.id)
            if not values or expr.id in seen:
                return False
            inner = seen | {expr.id}
            return all(self._plain(value, depth + 1, inner) for value in values)
        return False

    def text(self, expr: ast.expr, depth: int = 0) -> str | None:
        """The text ``expr`` surely is when it is built of string constants only (``'no' + 'w'``, an f-string of
        them, a name bound once to such text), else None. Why: a clock asked for in text (SQL's ``'now'``) was built
        from pieces no rule read whole (red-team round 40)."""
        if depth > MAX_DEPTH:
            return None
        if isinstance(expr, ast.Constant):
            return expr.value if isinstance(expr.value, str) else None
        if isinstance(expr, ast.BinOp) and isinstance(expr.op, ast.Add):
            left, right = self.text(expr.left, depth + 1), self.text(expr.right, depth + 1)
            return None if left is None or right is None else left + right
        if isinstance(expr, ast.JoinedStr):
            parts = []
            for value in expr.values:
                inner = value if isinstance(value, ast.Constant) else value.value if (
                    isinstance(value, ast.FormattedValue) and value.conversion == -1 and value.format_spec is None) else None
                piece = None if inner is None else self.text(inner, depth + 1)
                if piece is None:
                    return None
                parts.append(piece)
            return "".join(parts)
        if isinstance(expr, ast.Name):
            values = self._values.get(expr.id)
            return self.text(values[0], depth + 1) if values and len(values) == 1 else None
        return None

