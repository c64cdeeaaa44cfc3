"""What a verifier library binds under a name of its own: ``nltk.parse.earleychart.perf_counter`` is
``time.perf_counter``, read from the library's source, never by importing it.

Why: the static nondeterminism pass judges standard-library names (``time.perf_counter``, ``random.shuffle``), and a
library module that does ``from time import perf_counter`` holds the same function under its own module's name.
``nltk.parse.earleychart.perf_counter()`` and ``nltk.metrics.scores.shuffle()`` (the global generator) passed the
pass (red-team round 39). The names a library binds at import time are written in its source, so they are read
there: the host runs no library code to judge a verifier (``if_verifiable``'s parent package imports ``datasets``,
and any import may do anything).

Read: the module's top-level statements (and those inside its top-level ``if``, ``try`` and ``with`` blocks):
``import m``, ``import m.n as x``, ``from m import n as x`` (relative ones too), ``from m import *`` where ``m`` is
a standard-library module that has the name, and ``x = m.n`` where ``m.n`` is itself such a name. A name that some
branch binds to a standard one is read as that one (``try: from time import perf_counter`` with a fallback in
``except``): the pass would rather flag a name that may be a clock. Not read: a
library function that reads the clock in its body (a wrapper of its own); that is the library's behaviour, not a
name for a standard one.
"""

from __future__ import annotations

import ast
import importlib
import sys
from collections.abc import Sequence
from functools import lru_cache
from importlib.machinery import PathFinder
from pathlib import Path

from task_bank.code_sinks import import_binding

MAX_HOPS = 6
"""Re-exports followed from one library module to another before giving up (a cycle ends there too)."""
MAX_SOURCE_BYTES = 4 << 20
"""A module larger than this is not read (no installed library comes close; a bound on the host's work)."""


def stdlib_binding(parts: Sequence[str], path: Sequence[str] | None = None) -> str | None:
    """The standard-library name that the dotted chain ``parts`` (starting at a library's top-level name) ends at,
    when a library module along it binds the next part to a standard-library module or name; else None. ``path``:
    where libraries are looked for (``sys.path`` by default)."""
    return _binding(tuple(parts), None if path is None else tuple(path))


@lru_cache(maxsize=1024)
def _binding(parts: tuple[str, ...], path: tuple[str, ...] | None) -> str | None:
    for _ in range(MAX_HOPS):
        if not parts or parts[0] in sys.stdlib_module_names:
            return ".".join(parts) if parts else None
        rewritten = _one_hop(parts, path)
        if rewritten is None:
            return None
        parts = rewritten
    return None


def _one_hop(parts: tuple[str, ...], path: tuple[str, ...] | None) -> tuple[str, ...] | None:
    """``parts`` with its longest library-module prefix replaced by what that module binds the next part to."""
    for end in range(1, len(parts)):
        if _source(parts[:end + 1], path) is not None:  # the next part is a submodule: go deeper
            continue
        module = _source(parts[:end], path)
        if module is None:
            return None
        target = _bindings(*module).get(parts[end])
        if target is None:
            return None
        return tuple(target.split(".")) + parts[end + 1:]
    return None


@lru_cache(maxsize=512)
def _source(parts: tuple[str, ...], path: tuple[str, ...] | None) -> tuple[str, str, bool] | None:
    """(file, dotted name, is a package) of the library module ``parts``, found on ``path`` without importing
    anything; None when it is not a plain source module there."""
    spec = PathFinder.find_spec(parts[0], None if path is None else list(path))
    if spec is None:
        return None
    if len(parts) == 1:
        if spec.origin and spec.origin.endswith(".py"):
            return spec.origin, parts[0], spec.submodule_search_locations is not None
        return None
    for location in spec.submodule_search_locations or ():
        base = Path(location).joinpath(*parts[1:])
        for candidate, package in ((base / "__init__.py", True), (base.with_suffix(".py"), False)):
            if candidate.is_file():
                return str(candidate), ".".join(parts), package
    return None


@lru_cache(maxsize=256)
def _bindings(file: str, name: str, package: bool) -> dict[str, str]:
    """Top-level name -> dotted name it is bound to, for the names a module imports (module docstring)."""
    try:
        if Path(file).stat().st_size > MAX_SOURCE_BYTES:
            return {}
        tree = ast.parse(Path(file).read_text(encoding="utf-8"), filename=file)
    except (OSError, UnicodeDecodeError, SyntaxError, ValueError, RecursionError, MemoryError):
        return {}
    here = name if package else name.rpartition(".")[0]
    bound: dict[str, str] = {}
    for node in _top_level(tree.body):
        if isinstance(node, ast.Import):
            bound.update(map(import_binding, node.names))
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, here)
            if source is None:
                continue
            for alias in node.names:
                if alias.name == "*":
                    bound.update({key: f"{source}.{key}" for key in _star(source) if key not in bound})
                else:
                    bound[alias.asname or alias.name] = f"{source}.{alias.name}"
        elif isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = _dotted(node.value)
            head = value.split(".")[0] if value else None
            if head in bound:  # any other value leaves an earlier binding (a fallback in ``except ImportError``)
                bound[node.targets[0].id] = bound[head] + value[len(head):]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.pop(node.name, None)  # the library's own, from here on
    return bound


def _top_level(body: list[ast.stmt]) -> list[ast.stmt]:
    """The statements a module runs at import, in order, through its top-level ``if``/``try``/``with`` blocks."""
    found: list[ast.stmt] = []
    for node in body:
        if isinstance(node, ast.If):
            found += _top_level(node.body) + _top_level(node.orelse)
        elif isinstance(node, ast.Try):
            found += _top_level(node.body)
            for handler in node.handlers:
                found += _top_level(handler.body)
            found += _top_level(node.orelse) + _top_level(node.finalbody)
        elif isinstance(node, ast.With):
            found += _top_level(node.body)
        else:
            found.append(node)
    return found


def _absolute(node: ast.ImportFrom, here: str) -> str | None:
    """The dotted module an ``from ... import`` reads from, relative ones resolved against the package ``here``."""
    if node.level == 0:
        return node.module
    package = here.split(".") if here else []
    if node.level - 1 > len(package) - 1:
        return None
    base = package[:len(package) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else [])) or None


def _star(module: str) -> list[str]:
    """The public names ``from module import *`` binds, for a standard-library module (imported, as the pass's
    :mod:`verifier.stdlib_names` does); none for anything else."""
    if module.split(".")[0] not in sys.stdlib_module_names:
        return []
    from verifier.stdlib_names import NEVER_IMPORTED  # noqa: PLC0415 - a cycle at import time otherwise

    if module.split(".")[0] in NEVER_IMPORTED:
        return []
    try:
        imported = importlib.import_module(module)
    except Exception:  # noqa: BLE001 - a module that will not import here binds nothing we can name
        return []
    names = getattr(imported, "__all__", None)
    if not isinstance(names, (list, tuple)):
        names = [key for key in vars(imported) if not key.startswith("_")]
    return [key for key in names if isinstance(key, str)]


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else None
    return None
