"""The taint reading of a verifier's source: which names hold values derived from the response, and which sinks
(callables that run code) they reach. :mod:`task_bank.response_exec` says what counts and why; this is how.

Why a module of its own: the reading is most of the code (an index of scopes, a fixpoint over assignments, calls,
loops and returns, then the sinks), and :mod:`task_bank.response_exec` is the rule that uses it. A code constant handed
to ``exec``/``eval``/``compile`` is judged by the caller (``nested``): the rule applied again, a bounded depth.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from task_bank.code_sinks import (ALWAYS, ATTRIBUTE_SINKS, BUILTIN_SINKS, CODE_RUNNERS, IMPORTERS, LOADS, SINK_METHODS,
                                  SINK_PREFIXES, SINKS, collect_aliases, constant_module, module_allowed, qualname)
from task_bank.file_writes import writes_files

__all__ = ["TaintReader", "taint_findings"]

_FILE_LOADERS = ("importlib.", "runpy.", "subprocess.", "builtins.__import__", "os.")
_FIXPOINT_ROUNDS = 12
_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef


def taint_findings(tree: ast.Module, libraries: tuple[str, ...],
                   nested: Callable[[str], bool]) -> list[tuple[ast.AST, str]]:
    """Where ``tree`` runs response-derived code (or code it cannot read), each as (node, what runs it), once the
    taint has grown to its fixpoint (at most 12 passes). ``nested``: whether a code constant runs code itself."""
    reader = TaintReader(tree, libraries, nested)
    for _ in range(_FIXPOINT_ROUNDS):
        if not reader.propagate():
            break
    return list(reader.findings())


def _child_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of one scope, not descending into nested functions, lambdas or classes."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(child))


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    a = node.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    return names


class TaintReader:
    """Names (per scope) that hold response-derived values, grown to a fixpoint; then the sinks they reach."""

    def __init__(self, tree: ast.Module, libraries: tuple[str, ...], nested: Callable[[str], bool]) -> None:
        self.tree = tree
        self.libraries = libraries
        self.nested = nested
        self.aliases = collect_aliases(tree)
        self.parent: dict[ast.AST, _Scope] = {}
        self.locals: dict[ast.AST, set[str]] = {}
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._index(tree)
        self.tainted: set[tuple[int, str]] = set()
        self.returning: set[str] = set()
        """Helper functions whose result is response-derived."""
        self.sink_names: set[tuple[int, str]] = set()
        """Names bound to a sink (``run = exec``, ``shell = code.InteractiveConsole()``)."""
        self.writes_response = False
        """Something (the response or anything else) is written to a file: a later loader may run it."""
        self._parts: dict[int, tuple[ast.AST, ...]] = {}
        self._nodes = list(ast.walk(tree))
        self.writes_response = writes_files(tree, self.aliases)
        self.attributes: set[str] = set()
        """Attribute names assigned response-derived values (``self.code = response``), in any object."""
        for funcs in self.functions.values():
            for func in funcs:
                if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and func.name == "verify":
                    self._taint_params(func)

    def _index(self, tree: ast.Module) -> None:
        scopes: list[_Scope] = [tree]
        while scopes:
            scope = scopes.pop()
            is_function = isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            names = set(_params(scope)) if is_function else set()
            declared_global: set[str] = set()
            for node in _child_nodes(scope):
                self.parent[node] = scope
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
                elif isinstance(node, ast.Global):
                    declared_global.update(node.names)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                    scopes.append(node)
                    if isinstance(node, ast.ClassDef):
                        self.classes[node.name] = node
                    elif not isinstance(node, ast.Lambda):
                        self.functions.setdefault(node.name, []).append(node)
            self.locals[scope] = names - declared_global

    def _key(self, name: str, node: ast.AST) -> tuple[int, str]:
        scope = self.parent.get(node, self.tree)
        while not isinstance(scope, ast.Module):
            if name in self.locals.get(scope, set()):
                return id(scope), name
            scope = self.parent.get(scope, self.tree)
        return id(self.tree), name

    def _taint_params(self, func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> bool:
        new = {(id(func), name) for name in _params(func) if name not in ("self", "cls")} - self.tainted
        self.tainted |= new
        return bool(new)

    def _taint_target(self, target: ast.AST) -> bool:
        changed = False
        if isinstance(target, ast.Attribute) and target.attr not in self.attributes:
            self.attributes.add(target.attr)
            changed = True
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                key = self._key(node.id, node)
                if key not in self.tainted:
                    self.tainted.add(key)
                    changed = True
        return changed

    def derived(self, expr: ast.AST | None) -> bool:
        """True when ``expr`` reads a response-derived name or calls a helper that returns one."""
        if expr is None:
            return False
        parts = self._parts.get(id(expr))
        if parts is None:
            parts = self._parts[id(expr)] = tuple(n for n in ast.walk(expr)
                                                  if isinstance(n, (ast.Name, ast.Call, ast.Attribute)))
        for node in parts:
            if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                    and self._key(node.id, node) in self.tainted):
                return True
            if isinstance(node, ast.Call) and _callee_name(node.func) in self.returning:
                return True
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr in self.attributes:
                return True
        return False

    def propagate(self) -> bool:
        """One pass over the module; True when anything new was learnt."""
        changed = False
        for node in self._nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if self.derived(node.value):
                    changed |= any([self._taint_target(t) for t in targets])
                if node.value is not None and self._is_sink_ref(node.value):
                    for target in targets:
                        if isinstance(target, ast.Name) and self._key(target.id, target) not in self.sink_names:
                            self.sink_names.add(self._key(target.id, target))
                            changed = True
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and self.derived(node.iter):
                changed |= self._taint_target(node.target)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None and self.derived(node.context_expr):
                changed |= self._taint_target(node.optional_vars)
            elif isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and self.derived(node.value):
                scope = self.parent.get(node)
                name = getattr(scope, "name", None)
                if name is not None and name not in self.returning:
                    self.returning.add(name)
                    changed = True
            elif isinstance(node, ast.Call):
                changed |= self._propagate_call(node)
        return changed

    def _propagate_call(self, node: ast.Call) -> bool:
        values = [*node.args, *(k.value for k in node.keywords)]
        if not any(self.derived(v) for v in values):
            return False
        changed = False
        callee = _callee_name(node.func) or ""
        methods = [n for n in self.classes[callee].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                   ] if callee in self.classes else []
        for func in [*self.functions.get(callee, []), *methods]:
            changed |= self._taint_params(func)
        if isinstance(node.func, ast.Attribute):
            base = node.func.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):  # ``lines.append(response)``, ``buf.write(code)``: the receiver holds it
                changed |= self._taint_target(base)
        return changed

    def _sink(self, node: ast.expr) -> str | None:
        """The sink ``node`` names (a callable that runs code), or None."""
        if isinstance(node, ast.Name) and self._key(node.id, node) in self.sink_names:
            return node.id
        if isinstance(node, ast.Name) and node.id in BUILTIN_SINKS and not self._bound(node.id, node):
            return node.id
        if isinstance(node, ast.Call) and (self._sink(node.func) or _getattr_sink(node)):
            return self._sink(node.func) or _getattr_sink(node)
        if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                and node.slice.value in BUILTIN_SINKS):
            return str(node.slice.value)
        if isinstance(node, ast.Attribute) and node.attr in ATTRIBUTE_SINKS:  # ``globals()['__builtins__'].exec``
            return node.attr
        qual = self._imported(node)
        if qual is not None and (qual in SINKS or qual.startswith(SINK_PREFIXES)):
            return qual
        return None

    def _bound(self, name: str, node: ast.AST) -> bool:
        """True when ``name`` is bound by this module (assigned, defined, imported) where ``node`` reads it."""
        return name in self.aliases or name in self.locals.get(self.tree, set()) or (
            self._key(name, node)[0] != id(self.tree))

    def _imported(self, node: ast.expr) -> str | None:
        """The qualified name of ``a.b.c`` when ``a`` is an imported module (or ``builtins``), else None: a local
        variable that happens to be called ``code`` is not the ``code`` module."""
        base = node
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name) or not (base.id in self.aliases or base.id == "builtins"):
            return None
        return qualname(node, self.aliases)

    def _is_sink_ref(self, node: ast.expr) -> bool:
        return self._sink(node) is not None

    def findings(self) -> Iterator[tuple[ast.AST, str]]:
        callees = {id(n.func) for n in self._nodes if isinstance(n, ast.Call)}
        for node in self._nodes:
            if not isinstance(node, ast.Call):
                if isinstance(node, ast.expr) and id(node) not in callees:
                    yield from self._value_use(node)
                continue
            values = [*node.args, *(k.value for k in node.keywords)]
            derived = any(self.derived(v) for v in values)
            sink = self._sink(node.func)
            if sink in IMPORTERS:
                name = constant_module(node)
                if name is None or not module_allowed(name, self.libraries) or self.writes_response:
                    yield node, (f"{sink}() of {name or 'a computed name'!r}: only the standard library and "
                                 "allow-listed libraries are shipped; anything else is code written at run time")
            elif sink is not None and (sink.startswith(ALWAYS) or sink.startswith(LOADS)):
                yield node, f"{sink}() runs or loads code"
            elif sink is not None and derived:
                yield node, f"{sink}() runs response-derived code"
            elif sink is not None and self.writes_response and sink.startswith(_FILE_LOADERS):
                yield node, f"{sink}() after a file was written: it can run response code"
            elif sink in CODE_RUNNERS and self._runs_unknown_code(node):
                yield node, (f"{sink}() of code that is not a constant the verifier ships (or a constant that "
                             "imports or runs code)")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in SINK_METHODS and derived:
                yield node, f".{node.func.attr}() runs response-derived code"
            elif derived and any(self._sink(v) for v in values):
                name = next(s for s in map(self._sink, values) if s)
                yield node, f"{name} is handed response-derived values to run"

    def _value_use(self, node: ast.expr) -> Iterator[tuple[ast.AST, str]]:
        """A builtin code runner (or an importer, ``runpy``, a pickle loader) named as a value, not called:
        ``runners = [exec]`` hides the call from the taint reading, so the name alone counts."""
        if not isinstance(node, (ast.Name, ast.Attribute, ast.Subscript, ast.Call)):
            return
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            return
        sink = self._sink(node)
        if sink is None or isinstance(node, ast.Name) and self._key(node.id, node) in self.sink_names:
            return  # an alias (``run``) is judged where it is called; the builtin it names is flagged here
        if sink.removeprefix("builtins.") in BUILTIN_SINKS or sink in IMPORTERS or sink.startswith(
                ALWAYS) or sink.startswith(LOADS):
            yield node, f"{sink} used as a value: whatever calls it runs code"

    def _runs_unknown_code(self, node: ast.Call) -> bool:
        """True unless the code handed to exec/eval/compile is a string constant that parses and is clean itself
        (imports only shipped modules, runs nothing): code assembled at run time is not read."""
        if not node.args:
            return False
        code = node.args[0]
        if not isinstance(code, ast.Constant) or not isinstance(code.value, str):
            return True
        return self.nested(code.value)


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _getattr_sink(node: ast.Call) -> str | None:
    """``getattr(builtins, 'exec')`` and the like: a builtin sink looked up by a constant name."""
    if isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) >= 2:
        name = node.args[1]
        if isinstance(name, ast.Constant) and name.value in BUILTIN_SINKS:
            return str(name.value)
    return None
