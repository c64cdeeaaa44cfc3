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

A verifier that writes files (:func:`writes_files`) has every import inside a function counted as well
(:func:`shadowing`). Writes that cannot make a file do not count (red-team round 58: ``io.StringIO().write`` and
``print(..., file=sys.stderr)`` with ``import re`` inside ``verify`` were rejected): ``.write``/``.writelines`` on
``sys.stdout``/``sys.stderr`` or on a name bound only to ``io.StringIO(...)``/``io.BytesIO(...)``, and ``print`` to
one of them; but only while the module cannot have swapped those objects for a file (:func:`_in_memory_writes`).
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Callable, Iterable, Iterator

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
_FILE_MAKERS = ("shutil.copy", "shutil.copy2", "shutil.copyfile", "shutil.copyfileobj", "shutil.copytree",
                "shutil.move", "os.rename", "os.replace", "os.link", "os.symlink", "os.renames")
"""Calls that make a file whose bytes the call's own ``.write`` does not show (``copyfileobj`` writes through the
destination's method)."""
_STREAMS = ("stdout", "stderr")
_BUFFERS = ("StringIO", "BytesIO")
_SWAPPED = frozenset({*_STREAMS, "__stdout__", "__stderr__", *_BUFFERS, *_FILE_WRITERS})
"""Attributes whose assignment could turn an exempted write into a file write (``sys.stdout = open(...)``)."""
_SWAPPERS = frozenset({"setattr", "delattr", "__setattr__", "__delattr__", "getattr", "__getattribute__",
                       "attrgetter", "methodcaller", "vars", "globals", "locals", "__dict__", "modules",
                       "f_globals", "f_locals", "f_builtins", "__globals__", "__builtins__", "builtins", "exec",
                       "eval", "compile", "__import__", "redirect_stdout", "redirect_stderr"})
"""Names that reach a namespace (``sys.modules``, ``vars``), change one by a computed name or run text as code:
any of them, anywhere in the module, voids the in-memory exemption (``compile`` as a name only: ``re.compile``)."""
_FD_MOVERS = frozenset({"close", "closerange", "dup", "dup2"})
_FD_MOVERS_QUAL = frozenset(f"{m}.{f}" for m in ("os", "posix") for f in _FD_MOVERS)


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


def writes_files(tree: ast.AST, aliases: dict[str, str]) -> bool:
    """True when some call of the module may write a file (:func:`writes_file`), leaving out the writes that only
    reach the standard streams or an in-memory buffer (:func:`_in_memory_writes`: they cannot leave a module on
    ``sys.path``, so they are no reason to count the verifier's late imports as running code)."""
    in_memory = _in_memory_writes(tree)
    return any(isinstance(n, ast.Call) and writes_file(n, aliases) and not in_memory(n) for n in ast.walk(tree))


def writes_file(node: ast.Call, aliases: dict[str, str]) -> bool:
    """A call that writes a file: ``.write()`` and friends, ``os.write``, ``print(file=...)`` (or ``**kwargs``, which
    may hold a ``file``), ``open(p, 'w')``. Whatever it writes to: see :func:`writes_files` for the exemptions."""
    func = node.func
    if isinstance(func, ast.Attribute) and (func.attr in _FILE_WRITERS or qualname(func, aliases) == "os.write"):
        return True
    if isinstance(func, ast.Name) and func.id == "print":
        return any(k.arg in ("file", None) for k in node.keywords)
    name = qualname(func, aliases)
    if name in _FILE_MAKERS:
        return True
    # ``open`` by any route: the builtin, ``io``/``os``, a method (``pathlib.Path.open``) or ``io.FileIO``, whose
    # write mode is the first argument after the path (red-team round 58: ``io.FileIO(name, "w")`` filled through
    # ``shutil.copyfileobj``, and ``path.open("w")`` bound to ``sys.stdout``, then an import, were never counted)
    opens = isinstance(func, ast.Name) and func.id in ("open", "FileIO") or name in ("io.open", "os.open", "io.FileIO")
    method = isinstance(func, ast.Attribute) and func.attr == "open" and name not in ("io.open", "os.open")
    if opens or method:
        at = 0 if method else 1
        modes = [*node.args[at:at + 1], *(k.value for k in node.keywords if k.arg in ("mode", "flags"))]
        return any(not isinstance(m, ast.Constant) or not isinstance(m.value, str) or set(m.value) & set("wax+")
                   for m in modes)
    return False


def _in_memory_writes(tree: ast.AST) -> Callable[[ast.Call], bool]:
    """A test for the write calls that cannot make a file: ``.write``/``.writelines`` on ``sys.stdout``,
    ``sys.stderr`` (or ``from sys import stderr``), on ``io.StringIO(...)``/``io.BytesIO(...)`` or on a name every
    binding of which in the module is one of those calls; and the builtin ``print`` with ``file=`` one of them.

    Each base must be what the interpreter made it, judged from every binding in the module (flow-insensitive):
    ``sys`` and ``io`` bound only by their own imports, ``print`` never bound. A module that could swap a stream or
    ``io.StringIO`` for a file gets no exemption at all (red-team round 58: when in doubt, count the write): one that
    stores to an attribute named like them (``sys.stdout = open(...)``), reaches namespaces or builtins by name
    (``setattr``, ``vars``, ``sys.modules``...), runs code it holds as text (``exec``), star-imports, or moves file
    descriptors (``os.close(2)`` then any open takes fd 2, ``os.dup2``, ``redirect_stderr``)."""
    bindings = name_bindings(tree)
    nodes = list(ast.walk(tree))
    if any(_swaps_streams(n, bindings) for n in nodes):
        return lambda call: False

    def imported_as(name: str, *quals: str) -> bool:
        return bool(bindings.get(name)) and all(b in quals for b in bindings[name])

    def buffer_call(expr: ast.expr) -> bool:
        if not isinstance(expr, ast.Call):
            return False
        func = expr.func
        if isinstance(func, ast.Attribute) and func.attr in _BUFFERS and isinstance(func.value, ast.Name):
            return imported_as(func.value.id, "io")
        return isinstance(func, ast.Name) and imported_as(func.id, *(f"io.{b}" for b in _BUFFERS))

    good = {id(t) for n in nodes for t in _targets_of(n, buffer_call)}
    buffers = {name for name, bound in bindings.items() if all(id(b) in good for b in bound)}

    def harmless(expr: ast.expr) -> bool:
        if isinstance(expr, ast.Attribute) and expr.attr in _STREAMS and isinstance(expr.value, ast.Name):
            return imported_as(expr.value.id, "sys")
        if isinstance(expr, ast.Name):
            return expr.id in buffers or imported_as(expr.id, *(f"sys.{s}" for s in _STREAMS))
        return buffer_call(expr)

    def in_memory(call: ast.Call) -> bool:
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("write", "writelines"):
            return harmless(func.value)
        if isinstance(func, ast.Name) and func.id == "print" and "print" not in bindings:
            files = [k for k in call.keywords if k.arg in ("file", None)]
            return bool(files) and all(k.arg == "file" and harmless(k.value) for k in files)
        return False

    return in_memory


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


def _targets_of(node: ast.AST, buffer_call: Callable[[ast.expr], bool]) -> list[ast.Name]:
    """The plain names ``node`` binds to a new in-memory buffer: ``buf = io.StringIO()``, ``buf: T = ...``,
    ``(buf := ...)``, ``with io.BytesIO() as buf``."""
    if isinstance(node, ast.Assign) and buffer_call(node.value):
        return [t for t in node.targets if isinstance(t, ast.Name)]
    if isinstance(node, (ast.AnnAssign, ast.NamedExpr)) and node.value is not None and buffer_call(node.value):
        return [node.target] if isinstance(node.target, ast.Name) else []
    if isinstance(node, ast.withitem) and isinstance(node.optional_vars, ast.Name) and buffer_call(node.context_expr):
        return [node.optional_vars]
    return []


def _swaps_streams(node: ast.AST, bindings: dict[str, list[ast.AST | str]]) -> bool:
    """Whether ``node`` could replace a standard stream or ``io``'s buffers with a file (see
    :func:`_in_memory_writes`)."""
    if isinstance(node, ast.Attribute):
        return node.attr in _SWAPPERS - {"compile"} or node.attr in _SWAPPED and not isinstance(node.ctx, ast.Load) or (
            node.attr in _FD_MOVERS and isinstance(node.value, ast.Name)
            and any(b in ("os", "posix") for b in bindings.get(node.value.id, ())))
    if isinstance(node, ast.Name):
        return node.id in _SWAPPERS or any(b in _FD_MOVERS_QUAL for b in bindings.get(node.id, ()))
    if isinstance(node, ast.alias):
        return node.name == "*" or node.name.split(".")[-1] in _SWAPPERS
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
