"""Verifier libraries: installed packages a verifier may import inside the sandbox, mounted read-only.

The sandbox sees a copy of the Python install's standard library but not the project's environment, so a
verifier could import nothing but the standard library, and every IFEval check had to be pasted into every
verifier. An allow-list of import names (``Limits.libraries``; ``python -m verifier ... --libraries a,b`` or
``none``) names the packages that are copied into the sandbox's file image (``sandbox/file_image.py``) and mounted
read-only under :data:`LIBRARY_ROOT` and put on the sandboxed interpreter's ``sys.path``; nothing else of the
environment is visible, so a package not on the list cannot be imported. With the defaults an IFEval check is one import::

    from if_verifiable.ifeval.instructions import CommaChecker

An entry is a top-level package or module (``nltk``, ``six``) or a subpackage (``if_verifiable.ifeval``). A
subpackage is mounted alone and its parents become namespace packages, so their ``__init__`` never runs: the
top of ``if_verifiable`` imports ``datasets`` (pyarrow, network access), which a verifier neither needs nor gets.
Entries are found with ``PathFinder.find_spec`` on the top-level name (read from the import path, never imported).
An entry that is not installed is not mounted (a verifier importing it fails as ``verifier_error``, as it would
with no list); :func:`missing_libraries` lets a command line refuse a misspelled name.

The defaults are the IFEval checkers and what they import: ``if_verifiable.ifeval``, ``immutabledict``,
``langdetect`` (with ``six``), ``nltk`` and ``regex``. All are pure Python except ``regex``, whose compiled
extension ``nltk`` imports; like the standard library's own extension modules it comes from the host's install,
read-only, and adds no capability the sandbox did not already give (``ctypes`` is in the standard library).
IFEval's sentence counters need the ``punkt`` data file, which is not mounted (and not installed here).
Determinism checks apply unchanged: ``langdetect`` is random unless a verifier sets ``DetectorFactory.seed``, and it
reads its language profiles on first use (about a second), so a verifier should call ``detect`` once at import time,
where the load limit applies, rather than in its first ``verify`` call, which the validator's call budget times.

Cost: a library is imported by the verifier's own process, once per group of responses, inside the verifier's
load time limit (``Limits.wall_s``). ``nltk`` is the heavy one: about 0.3 s of CPU (measured here; seconds of wall
time when the sandbox's CPU share is contended). Workers do not pre-import the libraries: every pool start would
pay for them, used or not.

Covered: the ``bwrap`` backend. Not covered: ``docker`` and ``unsafe-local`` ignore the list (a verifier that
imports a library fails there).
"""

from __future__ import annotations

import argparse
import re
from collections.abc import Sequence
from importlib.machinery import PathFinder
from pathlib import Path

from pydantic import BaseModel, ConfigDict

LIBRARY_ROOT = "/verifier-libs"
"""Where the libraries appear inside the sandbox; appended to the sandboxed ``sys.path``."""

DEFAULT_LIBRARIES: tuple[str, ...] = ("if_verifiable.ifeval", "immutabledict", "langdetect", "nltk", "regex", "six")
"""Importable by every verifier unless configured otherwise: IFEval's checkers and their imports."""

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


class LibraryMount(BaseModel):
    """One read-only bind mount: a package directory or module file of the host, and where the sandbox sees it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    """The allow-listed import name."""
    source: str
    """Absolute, resolved host path (a package directory or a module file)."""
    target: str
    """Path inside the sandbox, under LIBRARY_ROOT."""


def check_library_name(name: str) -> str:
    """``name`` when it is a dotted import name; ValueError otherwise (no paths, no wildcards)."""
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not an import name such as 'nltk' or 'if_verifiable.ifeval'")
    return name


def locate_library(name: str, search_path: Sequence[str] | None = None) -> Path | None:
    """The host directory (package) or file (module) that importing ``name`` would load, without importing it."""
    top, *rest = check_library_name(name).split(".")
    spec = PathFinder.find_spec(top, None if search_path is None else list(search_path))
    if spec is None:
        return None
    if spec.submodule_search_locations:
        base = Path(next(iter(spec.submodule_search_locations))).resolve()
    elif spec.origin and not rest:
        return Path(spec.origin).resolve()
    else:
        return None
    if not rest:
        return base
    sub = base.joinpath(*rest)
    if sub.is_dir():
        return sub
    module = sub.with_name(sub.name + ".py")
    return module if module.is_file() else None


def library_mounts(names: Sequence[str], search_path: Sequence[str] | None = None) -> tuple[LibraryMount, ...]:
    """Bind mounts for every installed entry of ``names``; an entry inside another listed one is covered by it."""
    listed = sorted(set(names))
    mounts = []
    for name in listed:
        parts = name.split(".")
        if any(".".join(parts[:i]) in listed for i in range(1, len(parts))):
            continue
        source = locate_library(name, search_path)
        if source is None:
            continue
        tail = "/".join(parts[:-1] + [source.name if source.is_file() else parts[-1]])
        mounts.append(LibraryMount(name=name, source=str(source), target=f"{LIBRARY_ROOT}/{tail}"))
        vendored = source.parent / f"{parts[0]}.libs"  # a wheel's own shared libraries (numpy.libs), beside it
        if len(parts) == 1 and source.is_dir() and vendored.is_dir():
            mounts.append(LibraryMount(name=name, source=str(vendored), target=f"{LIBRARY_ROOT}/{vendored.name}"))
    return tuple(mounts)


def bwrap_args(mounts: Sequence[LibraryMount]) -> list[str]:
    """bubblewrap options for ``mounts``: world-readable parent directories (bwrap makes them 0700 otherwise,
    unreadable to the sandbox's unprivileged uid), then one read-only bind per mount."""
    parents = sorted({str(p) for m in mounts for p in Path(m.target).parents if p.is_relative_to(LIBRARY_ROOT)})
    args = [arg for parent in parents for arg in ("--perms", "0755", "--dir", parent)]
    return args + [arg for m in mounts for arg in ("--ro-bind", m.source, m.target)]


def missing_libraries(names: Sequence[str], search_path: Sequence[str] | None = None) -> list[str]:
    """The entries of ``names`` that are not installed (for a command line to refuse)."""
    return [name for name in names if locate_library(name, search_path) is None]


def parse_libraries(text: str) -> tuple[str, ...]:
    """A ``--libraries`` value: comma-separated import names, or 'none'; every name must be installed.

    Raises ``argparse.ArgumentTypeError`` (argparse prints it as a one-line usage error, exit 2)."""
    if text.strip().lower() == "none":
        return ()
    try:
        names = tuple(check_library_name(part.strip()) for part in text.split(",") if part.strip())
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    missing = missing_libraries(names)
    if missing:
        raise argparse.ArgumentTypeError(f"not installed: {', '.join(missing)}; pip install it or drop it from "
                                         f"the list")
    return names
