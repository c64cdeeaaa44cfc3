"""Whether a verifier writes files, and what then counts as running code: a file it wrote can be imported.

The working directory is on the sandboxed ``sys.path``, so a verifier that writes files (:func:`writes_files`) has
every import inside a function counted as running code, and every constant that names a loadable file
(:func:`shadowing`). Writes that cannot make a file do not count (red-team round 58: ``io.StringIO().write`` and
``print(..., file=sys.stderr)`` with ``import re`` inside ``verify`` were rejected): ``.write``/``.writelines`` on
``sys.stdout``/``sys.stderr`` or on a name bound only to ``io.StringIO(...)``/``io.BytesIO(...)``, and ``print`` to
one of them; but only while the module cannot have swapped those objects for a file (:func:`_in_memory_writes`).

A module of its own, apart from the sink tables of :mod:`task_bank.code_sinks`: deciding what may write a file,
and which writes are exempt, is a reading of its own (every binding of the module, flow-insensitive) that
:mod:`task_bank.response_exec` and :mod:`task_bank.exec_taint` both ask.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator

from task_bank.code_sinks import name_bindings, qualname

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
