"""A module's members reached by reflection: the names the static nondeterminism pass must resolve to judge them.

Why: ``os.getpid()`` is flagged by name, and red-team round 31 read it instead as ``os.__dict__['getpid']()``, and
the clocks as ``time.__dict__['perf_counter']()``, past the static pass (validation's varied runs shift pids by at
least 1,398,101, so a pid read tells them from run 0 and training). The same member is reached through ``vars(os)``,
``getattr(os, 'getpid')``, ``os.__getattribute__('getpid')``, ``os.__dict__.get('getpid')``, ``from os import
__dict__``, ``sys.modules['os']``, ``globals()['os']``, a frame's ``f_globals['os']``, ``__import__('os')``,
``__builtins__['__import__']('os')``, ``importlib.import_module('os')``, ``operator.attrgetter('getpid')(os)``, a
module bound to another name (``m = os``, ``def f(m=os)``) and ``posix``, which is ``os`` under another name
(:func:`module_aliases`: round 32).

:func:`reflective_reads` yields each such read with the member it resolves to (``os.getpid``), which the pass then
judges as if it were named (:mod:`verifier.static_determinism`), or with None when the name is computed
(``getattr(os, name)``, ``vars(time)[key]``, ``sys.modules[name]``, ``__import__(name)``): then the read could be of
any member, and it is flagged where the module holds a clock, a pid, entropy or the global generator
(:func:`sensitive`), or is reached by a computed import. Read from the source, never executed; names are resolved
through the imports (``task_bank.response_exec.qualname``).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from task_bank.code_sinks import constant_module, qualname
from verifier.nondeterminism_names import CLOCKS, ENTROPY, PIDS, RANDOM_MODULES, RNG_STATE, TIME_ARGUMENT
from verifier.stdlib_names import canonical

NAMESPACE_ATTRS = frozenset({"__dict__"})
LOOKUPS = frozenset({"get", "pop", "setdefault", "__getitem__"})
"""Methods of a namespace that read one member by name."""
SCANS = frozenset({"items", "values", "copy"})
"""Methods of a namespace that hand out every member."""
OWN_NAMESPACES = frozenset({"globals", "vars", "locals"})
IMPORTERS = frozenset({"builtins.__import__", "__import__", "importlib.import_module", "importlib.__import__"})
INTROSPECTION = frozenset({"sys._getframe", "inspect.currentframe", "inspect.stack", "inspect.getouterframes"})
"""Frames hand out every global of the module (``f_globals``): a module reached so is any module."""
SENSITIVE = frozenset({qual.rpartition(".")[0] for qual in CLOCKS | PIDS | ENTROPY | RNG_STATE | set(TIME_ARGUMENT)}
                      | set(RANDOM_MODULES) | {"datetime", "datetime.datetime", "datetime.date", "secrets", "sys",
                                               "builtins", "uuid", "time"})
"""Modules (and classes) with a member that reads a clock, a pid, entropy or the global generator."""


FRAME_NAMESPACES = frozenset({"f_globals", "f_locals", "__globals__"})
SCANNERS = frozenset({"inspect.getmembers", "inspect.getmembers_static"})
GETTER_FACTORIES = frozenset({"operator.attrgetter", "operator.methodcaller"})


def module_aliases(tree: ast.AST, aliases: dict[str, str]) -> dict[str, str]:
    """``aliases`` (local name -> qualified import) with their names canonical (``posix.getpid`` -> ``os.getpid``),
    and with every name bound to a module by an assignment or a parameter default (``m = os``, ``def f(m=os)``),
    flow-insensitively: the name counts as that module wherever it is read."""
    found = {name: canonical(qual) for name, qual in aliases.items()}
    for _ in range(3):  # m = os; n = m
        for node in ast.walk(tree):
            pairs: list[tuple[ast.expr, ast.expr]] = []
            if isinstance(node, ast.Assign):
                pairs = [(target, node.value) for target in node.targets]
            elif isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None:
                pairs = [(node.target, node.value)]
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                positional = node.args.posonlyargs + node.args.args
                pairs = [(ast.Name(id=arg.arg), default) for arg, default in
                         zip(positional[len(positional) - len(node.args.defaults):], node.args.defaults)]
                pairs += [(ast.Name(id=arg.arg), default) for arg, default in
                          zip(node.args.kwonlyargs, node.args.kw_defaults) if default is not None]
            for target, value in pairs:  # (a chain, ``now = time.time``, is judged where it is named)
                module = None if isinstance(value, ast.Attribute) else module_of(value, found)
                if isinstance(target, ast.Name) and module is not None and target.id not in found:
                    found[target.id] = module
    return found


def reflective_reads(tree: ast.AST, aliases: dict[str, str]) -> Iterator[tuple[ast.AST, str | None]]:
    """``(node, member)`` for every member of a module read by reflection in ``tree``; ``member`` is the qualified
    name read (``os.getpid``; ``*.getpid`` when the module is not known here: ``operator.attrgetter``), or None when
    it is computed and may be any member of a module that holds a nondeterministic one (module docstring).
    ``aliases``: :func:`module_aliases`."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript):
            module = _namespace_of(node.value, aliases)
            if module is not None:
                yield from _member(node, module, node.slice)
            elif _is_sys_modules(node.value, aliases) and not _constant(node.slice):
                yield node, None  # sys.modules[name]: any module
        elif isinstance(node, ast.Call):
            yield from _call(node, aliases)
        elif isinstance(node, ast.Attribute) and node.attr not in NAMESPACE_ATTRS | {"__getattribute__"}:
            base: ast.expr = node
            while isinstance(base, ast.Attribute):
                base = base.value
            if isinstance(base, (ast.Call, ast.Subscript)):  # __import__('os').getpid, sys.modules['os'].getpid
                module = module_of(base, aliases)
                if module is not None:
                    yield node, f"{module}.{qualname_tail(node)}"


def module_of(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The qualified name of the module (or class of one) that ``node`` evaluates to, when the source says: an
    imported name or a chain of its attributes, ``__import__('x')``/``importlib.import_module('x')``,
    ``sys.modules['x']``; else None."""
    if isinstance(node, (ast.Name, ast.Attribute)):
        base = node
        while isinstance(base, ast.Attribute):
            base = base.value
        if isinstance(base, ast.Name) and base.id in aliases:
            return qualname(node, aliases)
        if isinstance(base, ast.Name) or not isinstance(node, ast.Attribute):
            return None
        inner = module_of(base, aliases)
        return None if inner is None else f"{inner}.{qualname_tail(node)}"
    if isinstance(node, ast.Call) and _callee(node, aliases) in IMPORTERS:
        return constant_module(node)
    if isinstance(node, ast.Subscript) and _is_sys_modules(node.value, aliases) and _constant(node.slice):
        return node.slice.value
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get" and \
            _is_sys_modules(node.func.value, aliases) and node.args and _constant(node.args[0]):
        return node.args[0].value  # sys.modules.get('time')
    if isinstance(node, ast.Subscript) and _constant(node.slice) and (
            (isinstance(node.value, ast.Call) and not node.value.args
             and _callee(node.value, aliases) in OWN_NAMESPACES)
            or (isinstance(node.value, ast.Attribute) and node.value.attr in FRAME_NAMESPACES)):
        return aliases.get(node.slice.value)  # globals()['time'], sys._getframe().f_globals['os']
    return None


def qualname_tail(node: ast.Attribute) -> str:
    """The attribute names of a chain after its base: ``b.c`` of ``<call>.b.c``."""
    parts = []
    current: ast.expr = node
    while isinstance(current, ast.Attribute):
        parts.append(current.attr)
        current = current.value
    return ".".join(reversed(parts))


def sensitive(module: str) -> bool:
    """Whether ``module`` (or a module under it) holds a clock, a pid, entropy or the global generator."""
    return any(name == module or name.startswith(module + ".") for name in SENSITIVE)


def _call(node: ast.Call, aliases: dict[str, str]) -> Iterator[tuple[ast.AST, str | None]]:
    callee = _callee(node, aliases)
    if callee == "getattr" and len(node.args) >= 2:  # getattr(os, 'getpid')
        module = module_of(node.args[0], aliases)
        if module is not None:
            yield from _member(node, module, node.args[1])
    elif isinstance(node.func, ast.Attribute) and node.func.attr == "__getattribute__" and node.args:
        module = module_of(node.func.value, aliases)  # os.__getattribute__('getpid')
        if module is not None:
            yield from _member(node, module, node.args[0])
    elif callee in IMPORTERS and node.args and not _constant(node.args[0]):
        yield node, None  # __import__(name): any module
    elif isinstance(node.func, ast.Attribute) and _is_sys_modules(node.func.value, aliases) and (
            node.func.attr in {"values", "items", "pop", "popitem", "setdefault"}
            or (node.func.attr == "get" and not (node.args and _constant(node.args[0])))):
        yield node, None  # sys.modules.values(), sys.modules.get(name): any module (red-team round 36)
    elif callee in INTROSPECTION:
        yield node, None
    elif callee in {"object.__getattribute__", "type.__getattribute__"} and len(node.args) >= 2:
        module = module_of(node.args[0], aliases)  # object.__getattribute__(os, 'getpid')
        if module is not None:
            yield from _member(node, module, node.args[1])
    elif callee in SCANNERS and node.args:
        module = module_of(node.args[0], aliases)  # inspect.getmembers(os)
        if module is not None and sensitive(module):
            yield node, None
    elif callee in GETTER_FACTORIES and node.args:  # operator.attrgetter('getpid')(os): its target is unknown here
        yield from ((node, f"*.{arg.value}") if _constant(arg) else (node, None) for arg in node.args[:1])
    elif any(isinstance(arg, ast.Name) and aliases.get(arg.id, arg.id) in {"getattr", "vars"} for arg in node.args) and any(
            (module := module_of(arg, aliases)) is not None and sensitive(module) for arg in node.args):
        yield node, None  # functools.partial(getattr, os): getattr handed a module to read by name
    elif isinstance(node.func, ast.Attribute) and node.func.attr in LOOKUPS | SCANS:
        module = _namespace_of(node.func.value, aliases)  # time.__dict__.get('time'), vars(os).values()
        if module is not None and node.func.attr in LOOKUPS and node.args:
            yield from _member(node, module, node.args[0])
        elif module is not None and sensitive(module):
            yield node, None


def _member(node: ast.AST, module: str, name: ast.expr) -> Iterator[tuple[ast.AST, str | None]]:
    if _constant(name):
        yield node, f"{module}.{name.value}"
    elif sensitive(module):
        yield node, None


def _namespace_of(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """The module whose namespace ``node`` is: ``os.__dict__``, ``vars(os)``, or a name imported as ``__dict__``."""
    if isinstance(node, ast.Attribute) and node.attr in NAMESPACE_ATTRS:
        return module_of(node.value, aliases)
    if isinstance(node, ast.Call) and _callee(node, aliases) == "vars" and len(node.args) == 1:
        return module_of(node.args[0], aliases)
    if isinstance(node, ast.Name) and aliases.get(node.id, "").endswith(".__dict__"):
        return aliases[node.id].removesuffix(".__dict__")
    return None


def _callee(node: ast.Call, aliases: dict[str, str]) -> str | None:
    """The builtin or imported function called, by its qualified name (a builtin the module rebinds is not one);
    ``__builtins__['__import__']`` and ``builtins.__dict__['getattr']`` are the builtins they name."""
    if isinstance(node.func, ast.Name):
        return aliases.get(node.func.id, node.func.id)
    if isinstance(node.func, ast.Subscript) and _constant(node.func.slice) and (
            (isinstance(node.func.value, ast.Name) and node.func.value.id == "__builtins__")
            or _namespace_of(node.func.value, aliases) == "builtins"):
        return node.func.slice.value
    return qualname(node.func, aliases) if isinstance(node.func, ast.Attribute) else None


def _is_sys_modules(node: ast.expr, aliases: dict[str, str]) -> bool:
    return isinstance(node, (ast.Name, ast.Attribute)) and qualname(node, aliases) == "sys.modules"


def _constant(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)
