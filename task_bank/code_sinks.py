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
_LOADABLE = (".py", ".pyc", ".pyw", ".pth", ".so", ".pyd", ".zip", ".egg", ".whl")
"""Suffixes of files that Python loads as code (modules, ``.pth`` files, zip imports)."""
_FILE_WRITERS = frozenset({"write", "write_text", "write_bytes", "writelines"})


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


def writes_file(node: ast.Call, aliases: dict[str, str]) -> bool:
    """A call that writes a file: ``.write()`` and friends, ``os.write``, ``print(file=...)``, ``open(p, 'w')``."""
    func = node.func
    if isinstance(func, ast.Attribute) and (func.attr in _FILE_WRITERS or qualname(func, aliases) == "os.write"):
        return True
    if isinstance(func, ast.Name) and func.id == "print":
        return any(k.arg == "file" for k in node.keywords)
    if isinstance(func, ast.Name) and func.id == "open" or qualname(func, aliases) in ("io.open", "os.open"):
        modes = [*node.args[1:2], *(k.value for k in node.keywords if k.arg in ("mode", "flags"))]
        return any(not isinstance(m, ast.Constant) or not isinstance(m.value, str) or set(m.value) & set("wax+")
                   for m in modes)
    return False


def shadowing(tree: ast.AST) -> Iterator[tuple[ast.AST, str]]:
    """In a verifier that writes files: every import run after loading (inside a function) and every constant
    that names a loadable file. The working directory is on the sandboxed ``sys.path``, so ``colorsys.py`` written
    there shadows the standard module, and ``import colorsys`` in ``verify`` runs it (as does any standard
    function that imports lazily, such as ``time.strptime`` with ``_strptime.py``)."""
    nested: list[ast.AST] = [n for n in ast.walk(tree)
                             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef))]
    late = {id(n) for scope in nested for n in ast.walk(scope) if isinstance(n, (ast.Import, ast.ImportFrom))}
    for node in ast.walk(tree):
        if id(node) in late:
            yield node, "an import inside a function of a verifier that writes files: a file it wrote (the " \
                        "working directory is on sys.path) shadows the module and runs as code"
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.endswith(_LOADABLE):
            yield node, f"{node.value[:40]!r} names a file Python loads as code, in a verifier that writes files"


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
