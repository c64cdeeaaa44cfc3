"""Reflective reach for a code runner: names computed at run time that the taint reading of
:mod:`task_bank.response_exec` cannot follow. Read from the source (parsed, never executed).

``getattr(builtins, 'ex' + 'ec')(response)`` reaches ``exec`` through a string no reader can resolve in general.
So the *reach* is what counts, whatever is later done with it:

- ``getattr`` / ``operator.attrgetter`` / ``operator.methodcaller`` with a computed name, on a module (any imported
  name), on ``__builtins__``, or on a namespace (below); with a constant name, when that name runs code (a name
  bound only by loops over literals of strings counts as those constants: :func:`loop_constants`)
- a subscript of a namespace with a computed key, or with a key that names a runner (``vars(builtins)['exec']``,
  ``globals()['__builtins__']['eval']``), and ``.get``/``.items``/``.values``/``.pop`` on a namespace (a scan for
  ``exec`` by a computed test); namespaces are ``vars()``, ``globals()``, ``locals()``, ``dir()``, ``__builtins__``,
  ``sys.modules``, and any ``__dict__``, ``__globals__`` or ``__builtins__`` attribute
- a code object rebuilt: ``__code__`` assigned, ``.replace(co_code=...)``

Not covered, and cannot be from the source alone: a runner reached through a C extension's own reflection, or
through objects that an allowed library hands out (the sandbox's response primitive, not this reading, is the
boundary; ``docs/SPEC.md`` lists it).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from task_bank.code_sinks import BUILTIN_SINKS, SINK_PREFIXES, SINKS, collect_aliases, qualname

RUNNER_NAMES = frozenset({*BUILTIN_SINKS, "__builtins__", "__loader__", "__code__", "system", "popen", "run_path",
                          "run_module", "import_module"})
"""Constant names that reach a runner through reflection (a computed name may be any of them)."""
NAMESPACE_CALLS = frozenset({"vars", "globals", "locals", "dir"})
NAMESPACE_ATTRS = frozenset({"__dict__", "__globals__", "__builtins__"})
SCANS = frozenset({"get", "items", "values", "keys", "pop", "setdefault"})
NAMESPACE_NAME = "<namespace>"
"""What a local name bound to a namespace resolves to (it then counts as one)."""
GETTERS = frozenset({"getattr", "builtins.getattr", "operator.attrgetter", "operator.methodcaller"})


def reflective_access(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """``(node, what)`` for every reflective reach of a runner in ``tree``, in walk order."""
    aliases = collect_aliases(tree)
    modules = set(aliases)
    constants = {} if rebinds_indirectly(tree, aliases) else loop_constants(tree)
    for node in ast.walk(tree):  # a name bound to a namespace is one (flow-insensitive)
        if isinstance(node, ast.Assign) and _namespace(node.value, aliases):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    aliases[target.id] = NAMESPACE_NAME
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            yield from _call(node, aliases, modules, constants)
        elif isinstance(node, ast.Subscript) and _namespace(node.value, aliases):
            key = node.slice
            if not _constant_str(key):
                yield node, "a namespace indexed by a computed name (it can be a code runner such as exec)"
            elif key.value in RUNNER_NAMES:
                yield node, f"a namespace indexed by {key.value!r}, a code runner"
        elif isinstance(node, ast.Attribute) and node.attr == "__code__" and isinstance(node.ctx, ast.Store):
            yield node, "a function's code object replaced"


def loop_constants(tree: ast.AST) -> dict[str, frozenset[str]]:
    """Names whose every binding in the module is a loop over a literal of strings (``for n in ("mean",
    "median")``, a comprehension alike) -> those strings: ``getattr(statistics, n)`` then reaches one of them and
    nothing else (QA round 21: such a verifier was rejected as ``executes_response``). A name bound any other way
    anywhere (assigned, a parameter, imported, caught, matched, declared global) is not one."""
    loops: dict[str, set[str]] = {}
    other: set[str] = set()
    targets: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(node.target, ast.Name):
            values = node.iter.elts if isinstance(node.iter, (ast.Tuple, ast.List, ast.Set)) else None
            if values is not None and values and all(_constant_str(v) for v in values):
                loops.setdefault(node.target.id, set()).update(v.value for v in values)
                targets.add(id(node.target))
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load) and id(node) not in targets:
            other.add(node.id)
        elif isinstance(node, ast.arg):
            other.add(node.arg)
        elif isinstance(node, ast.alias):
            other.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            other.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            other.update(node.names)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            other.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            other.add(node.rest)
    return {name: frozenset(values) for name, values in loops.items() if name not in other}


INDIRECT_ATTRS = frozenset({"__dict__", "__globals__", "__builtins__", "__closure__", "cell_contents", "__code__",
                            "__defaults__", "__kwdefaults__", "f_globals", "f_locals", "f_builtins"})
INDIRECT_CALLS = frozenset({"setattr", "delattr", "globals", "vars", "locals", "builtins.setattr", "builtins.delattr"})


def rebinds_indirectly(tree: ast.AST, aliases: dict[str, str]) -> bool:
    """Whether the module could rebind a name without a binding :func:`loop_constants` sees: a namespace written
    (``globals()['n'] = ...``, ``.update(...)``), ``setattr``, an attribute stored on a module or on anything but a
    plain name, a closure cell or a function's globals reached, ``from m import *``. Then no loop name counts as
    constant (red-team round 21: each of these turned ``for n in ('mean', 'median')`` into ``getattr(builtins, n)``
    of ``exec``)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in INDIRECT_ATTRS:
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, (ast.Name, ast.Attribute)) and (
                qualname(node.func, aliases) in INDIRECT_CALLS
                or (isinstance(node.func, ast.Name) and node.func.id in INDIRECT_CALLS)):
            return True
        if isinstance(node, ast.Attribute) and not isinstance(node.ctx, ast.Load) and (
                not isinstance(node.value, ast.Name) or node.value.id in aliases):
            return True
        if isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load) and _namespace(node.value, aliases):
            return True
        if isinstance(node, ast.ImportFrom) and any(alias.name == "*" for alias in node.names):
            return True
    return False


def _plain_module(node: ast.expr | None, aliases: dict[str, str], modules: set[str]) -> bool:
    """An imported module named plainly (``statistics``, ``np.linalg``): not ``builtins`` nor a namespace, nor
    anything computed (a call, a subscript)."""
    if not isinstance(node, (ast.Name, ast.Attribute)) or _namespace(node, aliases):
        return False
    base = node
    while isinstance(base, ast.Attribute):
        base = base.value
    return (isinstance(base, ast.Name) and base.id in modules
            and (qualname(node, aliases) or "").split(".")[0] not in {"builtins", "__builtins__", "sys", "importlib"})


def _call(node: ast.Call, aliases: dict[str, str], modules: set[str],
          constants: dict[str, frozenset[str]]) -> Iterator[tuple[ast.AST, str]]:
    func = node.func
    name = qualname(func, aliases) if isinstance(func, (ast.Name, ast.Attribute)) else None
    if name in GETTERS:
        attr_index = 1 if name.endswith("getattr") else 0
        target = node.args[0] if attr_index == 1 and node.args else None
        attr = node.args[attr_index] if len(node.args) > attr_index else None
        looped = (isinstance(attr, ast.Name) and attr.id in constants and _plain_module(target, aliases, modules)
                  and not any(value.startswith("_") for value in constants[attr.id]))
        known = ((attr.value,) if attr is not None and _constant_str(attr) else
                 sorted(constants[attr.id]) if looped else None)
        if known is not None:
            base = qualname(target, aliases) if isinstance(target, (ast.Name, ast.Attribute)) else None
            for value in known:
                reached = f"{base}.{value}" if base else ""
                if value.split(".")[-1] in RUNNER_NAMES or reached in SINKS or reached.startswith(SINK_PREFIXES):
                    yield node, f"{name}() of {value!r}, a code runner"
        elif attr is not None and (target is None or _module_like(target, aliases, modules)):
            yield node, f"{name}() with a computed name on a module or namespace (it can reach a code runner)"
    if isinstance(func, ast.Attribute) and func.attr in SCANS and _namespace(func.value, aliases):
        yield node, f"a namespace scanned with .{func.attr}() (it can pick a code runner by a computed test)"
    if isinstance(func, ast.Attribute) and func.attr == "replace" and any(k.arg == "co_code" for k in node.keywords):
        yield node, "a code object rebuilt from bytes (.replace(co_code=...))"


def _constant_str(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _namespace(node: ast.expr, aliases: dict[str, str]) -> bool:
    """A mapping of names to live objects: ``vars()``/``globals()``/``__dict__``/``sys.modules``/... or an entry
    of one (``globals()['__builtins__']``)."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in NAMESPACE_CALLS:
        return True
    if isinstance(node, ast.Attribute) and node.attr in NAMESPACE_ATTRS:
        return True
    if isinstance(node, ast.Name) and node.id == "__builtins__":
        return True
    if isinstance(node, (ast.Attribute, ast.Name)) and \
            qualname(node, aliases) in ("sys.modules", "builtins.__dict__", NAMESPACE_NAME):
        return True
    return isinstance(node, ast.Subscript) and _namespace(node.value, aliases)


def _module_like(node: ast.expr, aliases: dict[str, str], modules: set[str]) -> bool:
    """An imported name (a module, or something of one), ``__builtins__``, or a namespace or entry of one."""
    if isinstance(node, ast.Name) and (node.id in modules or node.id in ("__builtins__", "builtins")):
        return True
    if isinstance(node, ast.Attribute):
        base = node.value
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name) and base.id in modules:
            return True
    return _namespace(node, aliases)
