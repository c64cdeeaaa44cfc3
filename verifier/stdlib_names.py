"""What a dotted name of the standard library really is: ``email.utils.time.time`` is ``time.time``.

Why: the static nondeterminism pass judges names (``time.time``, ``os.getpid``), and many standard-library modules
hold another module or a clock under a name of their own: ``email.utils.time``, ``logging.os``, ``shutil.os``,
``tempfile._os``, ``threading._time`` (``time.monotonic``). A verifier that wrote ``logging.os.getpid()`` read
its pid past the pass (red-team round 32). So a chain that starts at an imported standard-library module is
followed here, in the trusted host process, by importing that module (the standard library's own code; a few
modules whose import does something are never imported: :data:`NEVER_IMPORTED`) and reading the attributes, and
rewritten when it passes through a module held as an attribute (``logging.os`` -> ``os``) or ends at a function
the tables name under another name (``threading._time`` -> ``time.monotonic``). Anything else keeps its name, so
the pass's other rules (``random.random`` of the global generator) read as before. The answer for a name never
changes within a process (cached).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Collection
from functools import lru_cache

from verifier.library_names import stdlib_binding

NEVER_IMPORTED = frozenset({"antigravity", "this", "__hello__", "__phello__", "idlelib", "turtle", "turtledemo",
                            "tkinter", "ensurepip", "venv", "lib2to3", "pydoc", "webbrowser", "test", "readline",
                            "rlcompleter", "getpass", "tty", "pty", "curses"})
"""Standard-library modules whose import prints, opens a browser or a window, or is slow; never followed."""
CANONICAL = (("posixpath", "os.path"), ("posix", "os"), ("_thread", "threading"), ("random._inst", "random"))
"""Modules that are another under a second name (``posix`` is what ``os`` re-exports on Linux; ``random._inst`` is
the global generator behind ``random.random``)."""


def canonical(qual: str) -> str:
    """``qual`` under the name the tables use (:data:`CANONICAL`)."""
    for alias, name in CANONICAL:
        if qual == alias or qual.startswith(alias + "."):
            return name + qual[len(alias):]
    return qual


@lru_cache(maxsize=4096)
def real_name(qual: str, known: Collection[str] = frozenset()) -> str:
    """``qual`` rewritten as the module and name it evaluates to, where the chain passes through a module held as an
    attribute or ends at one of ``known`` (the pass's tables) under another name; else ``qual`` (canonical)."""
    parts = qual.split(".")
    if parts[0] not in sys.stdlib_module_names:
        if any(name.startswith(parts[0] + ".") for name in known):  # numpy.random: the tables' own name
            return canonical(qual)
        held = stdlib_binding(parts) or _held_stdlib_module(parts)
        return real_name(held, known) if held is not None else canonical(qual)
    if parts[0] in NEVER_IMPORTED:
        return canonical(qual)
    obj, at = _import_longest(parts)
    if obj is None:
        return canonical(qual)
    through = None  # the last module reached as an attribute, and where the rest of the chain starts
    for index in range(at, len(parts)):
        try:
            obj = getattr(obj, parts[index])
        except Exception:  # noqa: BLE001 - a name the module does not have: judged as written
            return _rewrite(parts, through)
        if isinstance(obj, types.ModuleType):
            through = (obj.__name__, index + 1)
    module, name = getattr(obj, "__module__", None), getattr(obj, "__qualname__", None)
    if isinstance(module, str) and isinstance(name, str) and not isinstance(obj, types.ModuleType):
        named = canonical(f"{module}.{name}")
        if named in known and named != canonical(qual):
            return named
    return _rewrite(parts, through)


def _held_stdlib_module(parts: list[str]) -> str | None:
    """For a chain that starts outside the standard library (a verifier library, ``envsynth_sandbox``): the rest of
    it from the first attribute that names a standard-library module, under that module's name (``_time`` too, the
    way modules hold what they import privately), or None. Such a module is never imported here (the host runs no
    library code to judge a verifier), so the attribute is taken to be the module it names. Why: ``envsynth_sandbox``
    imports ``time`` and ``os``, and ``envsynth_sandbox.time.time()`` and ``.os.times()`` read the real clock and the
    uptime past every rule; so did ``langdetect.detector.random.random()`` (red-team round 38: a time bomb built on
    them was admitted 4 of 4 times and paid 16 of 16 wrong answers after its date). Not covered: a library that
    holds a module under a name of its own choosing."""
    moved = _six_moves().get(parts[2]) if parts[:2] == ["six", "moves"] and len(parts) > 2 else None
    if moved is not None and moved.split(".")[0] in sys.stdlib_module_names:
        return ".".join([moved, *parts[3:]])
    for index in range(1, len(parts)):
        name = parts[index]
        private = name[1:] if name.startswith("_") and not name.startswith("__") else None
        for candidate in (name, private):
            if candidate in sys.stdlib_module_names:
                return ".".join([candidate, *parts[index + 1:]])
    return None


@lru_cache(maxsize=1)
def _six_moves() -> dict[str, str]:
    """``six.moves``' names for standard-library modules and functions, from six's own table (``http_cookiejar`` ->
    ``http.cookiejar``, ``input`` -> ``builtins.input``); empty where six is not installed. Why: they are no
    standard-library names, and ``six.moves.http_cookiejar.time2isoz()`` read the clock past every rule
    (red-team round 39: a time bomb admitted 4 of 4). Six is plain Python; reading its table runs nothing else."""
    try:
        import six
    except ImportError:
        return {}
    moved: dict[str, str] = {}
    for entry in getattr(six, "_moved_attributes", ()):
        fields = vars(entry)  # (not getattr: a missing attribute makes six import the module)
        module, attr = fields.get("mod"), fields.get("attr")
        if isinstance(module, str):
            moved[entry.name] = f"{module}.{attr}" if isinstance(attr, str) else module
    return moved


def _import_longest(parts: list[str]) -> tuple[object | None, int]:
    """The deepest module of ``parts`` that imports (``email.utils`` of ``email.utils.time.time``), and how many
    parts it took; (None, 0) when not even the first does."""
    found: tuple[object | None, int] = (None, 0)
    for end in range(1, len(parts) + 1):
        name = ".".join(parts[:end])
        try:
            found = (importlib.import_module(name), end)
        except Exception:  # noqa: BLE001 - not a module (an attribute), or one that will not import here
            break
    return found


def _rewrite(parts: list[str], through: tuple[str, int] | None) -> str:
    if through is None:
        return canonical(".".join(parts))
    module, rest = through
    return canonical(".".join([module, *parts[rest:]]))
