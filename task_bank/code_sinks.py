"""What runs or loads code in a verifier's process: the sink tables of :mod:`task_bank.response_exec`, and which
imports a verifier can make without loading code that was written at run time. Read from the source.

Inside the sandbox a verifier can import three things: the standard library (``sys.stdlib_module_names``), the
sandbox's ``envsynth_sandbox`` and the allow-listed verifier libraries (``verifier.libraries``; the caller passes
the list in, since ``task_bank`` may not import the verifier layer). Any other module can only come from a file
the verifier wrote while it ran, which is how ``open('solution.py', 'w').write(response)`` then
``import solution`` runs response code in the verifier's process (where it walks frames to the harness and forges
its own and its siblings' scores). Such imports count as running the response (``executes_response``).

Some standard modules exist only to run code or to load modules by name (``doctest``'s runner executes examples,
``ctypes.pythonapi.PyRun_SimpleString``, ``code``/``codeop``, ``runpy``, ``site``'s ``.pth`` files, ``pydoc.locate``,
``pkgutil.resolve_name``); importing them counts too. ``importlib.import_module`` and ``__import__`` pass only with
a constant name that passes the same rule.

A verifier that writes files has every import inside a function counted as well: :mod:`task_bank.file_writes`.

The name helpers here (:func:`collect_aliases`, :func:`qualname`, :func:`name_bindings`, :func:`import_binding`,
:func:`constant_module`) say what a name in the source stands for; the verifier layer reads sources with them too.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator

SANDBOX_MODULE = "envsynth_sandbox"
"""The module the sandbox provides to verifiers (``run_response``, ``plain``)."""

CODE_RUNNING_MODULES = frozenset({
    "doctest", "ctypes", "_ctypes", "code", "codeop", "runpy", "zipimport", "imp", "site", "pdb", "bdb", "trace",
    "timeit", "profile", "cProfile", "_lsprof", "pydoc", "pkgutil", "idlelib", "_xxsubinterpreters", "_testcapi",
    "_testinternalcapi", "importlib.util", "importlib.machinery", "importlib.abc", "importlib._bootstrap",
    "importlib._bootstrap_external", "logging.config"})
"""Standard modules (and submodules) whose use in a verifier is running code or loading a module by name."""
BUILTIN_SINKS = frozenset({"exec", "eval", "compile", "__import__", "breakpoint"})
"""Builtins that run code."""
OS_RUNNERS = ("system", "popen", "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe",
              "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
              "posix_spawn", "posix_spawnp", "fork")
SINK_PREFIXES = ("importlib.", "runpy.", "code.", "codeop.", "subprocess.", "timeit.", "pdb.", "cProfile.",
                 "profile.")
"""Modules every function of which is a sink."""
SINKS = frozenset({*(f"builtins.{n}" for n in BUILTIN_SINKS), *(f"os.{n}" for n in OS_RUNNERS),
                   *(f"{m}.{f}" for m in ("pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal")
                     for f in ("loads", "load", "Unpickler")),
                   "shelve.open", "yaml.unsafe_load", "jsonpickle.decode",
                   "types.FunctionType", "types.LambdaType", "types.CodeType",
                   "doctest.run_docstring_examples"})
"""Qualified names of sinks (run code when handed response-derived values)."""
ATTRIBUTE_SINKS = frozenset({"exec", "eval", "__import__"})
"""Names that run code on whatever object they are reached through (``compile`` is left out: ``re.compile``)."""
IMPORTERS = frozenset({"__import__", "builtins.__import__", "importlib.import_module", "importlib.__import__"})
"""Import by name: allowed only with a constant name that :func:`module_allowed` accepts."""
ALWAYS = ("builtins.breakpoint", "breakpoint", "importlib.reload", "importlib.invalidate_caches", "runpy.")
"""Sinks flagged whatever their arguments: nothing but running (or re-loading) code is done with them
(``breakpoint()`` imports the module ``PYTHONBREAKPOINT`` names)."""
LOADS = tuple(f"{m}.{f}" for m in ("pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal", "shelve")
              for f in ("loads", "load", "Unpickler", "open"))
"""Loaders flagged on any argument: a constant pickle imports any module by name (one written at run time)."""
CODE_RUNNERS = frozenset({"exec", "eval", "compile", "builtins.exec", "builtins.eval", "builtins.compile"})
"""Builtins whose code argument must be a clean string constant (see ``response_exec``)."""
SINK_METHODS = frozenset({"runsource", "runcode", "push", "exec_module", "load_module", "runctx", "runcall",
                          "run_docstring_examples", "interact"})
"""Methods of interpreters and loaders that run the code handed to them."""


def module_allowed(name: str, libraries: Iterable[str]) -> bool:
    """True when importing ``name`` (dotted, absolute) loads only code the sandbox ships: the standard library
    (minus :data:`CODE_RUNNING_MODULES`), ``envsynth_sandbox``, or an allow-listed library or its submodules."""
    if not name or name.startswith("."):
        return False
    parts = name.split(".")
    if any(".".join(parts[:i]) in CODE_RUNNING_MODULES for i in range(1, len(parts) + 1)):
        return False
    if parts[0] in sys.stdlib_module_names or name == SANDBOX_MODULE:
        return True
    return any(name == lib or name.startswith(lib + ".") for lib in libraries)


def forbidden_imports(tree: ast.AST, libraries: Iterable[str]) -> Iterator[tuple[ast.AST, str]]:
    """``(node, module)`` for every import statement of a module :func:`module_allowed` refuses, in walk order."""
    allowed = tuple(libraries)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if not module_allowed(alias.name, allowed):
                    yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            if node.level or not module_allowed(module, allowed) and not all(
                    module_allowed(f"{module}.{a.name}", allowed) for a in node.names):
                yield node, module
            elif module_allowed(module, allowed):
                for alias in node.names:  # ``from importlib import util``: a submodule that loads by name
                    if f"{module}.{alias.name}" in CODE_RUNNING_MODULES:
                        yield node, f"{module}.{alias.name}"


def name_bindings(tree: ast.AST) -> dict[str, list[ast.AST | str]]:
    """Every binding of each name anywhere in the module: the qualified name an import binds it to (``"."`` for a
    relative import), else the node that binds it (assignment or loop target, parameter, def, ``except ... as``,
    a ``match`` capture). Shared with :mod:`verifier.order_free`, which asks the same of ``re``."""
    found: dict[str, list[ast.AST | str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name, qual = import_binding(alias)
                found.setdefault(name, []).append(qual)
        elif isinstance(node, ast.ImportFrom):
            for alias in node.names:
                qual = f"{node.module}.{alias.name}" if node.module and not node.level else "."
                found.setdefault(alias.asname or alias.name, []).append(qual)
        elif isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            found.setdefault(node.id, []).append(node)
        elif isinstance(node, ast.arg):
            found.setdefault(node.arg, []).append(node)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found.setdefault(node.name, []).append(node)
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            found.setdefault(node.name, []).append(node)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            found.setdefault(node.rest, []).append(node)
    return found


def constant_module(call: ast.Call) -> str | None:
    """The module name of ``__import__('x')`` / ``import_module('x')`` when it is a constant (relative names,
    with a ``package``, count as not constant), else None."""
    if not call.args or not isinstance(call.args[0], ast.Constant) or not isinstance(call.args[0].value, str):
        return None
    if any(k.arg == "package" for k in call.keywords):
        return None
    return call.args[0].value


def import_binding(alias: ast.alias) -> tuple[str, str]:
    """The name an ``import`` binds and what it names: ``import a.b as c`` binds ``c`` to ``a.b``, ``import a.b``
    binds ``a`` to ``a``."""
    if alias.asname:
        return alias.asname, alias.name
    top = alias.name.split(".")[0]
    return top, top


def collect_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> qualified name for every import in the module (flow-insensitive, last one wins).

    Shared with :mod:`task_bank.response_exec` and :mod:`verifier.static_determinism`."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(map(import_binding, node.names))
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


def qualname(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """Dotted name of ``a.b.c`` with its base resolved through the imports; None when not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = aliases.get(node.id, node.id)
    return ".".join([base, *reversed(parts)])
