"""Which calls read the clock: the rules of the static nondeterminism pass (``static_determinism``) that need more
than a name from the tables (``nondeterminism_names``): a time argument left out or ``None``, a writer that stamps
what it writes, a method that reads the clock whatever it is called on.

Why a module of its own: red-team rounds 20 and 21 each found clock reads the pass did not know (``strftime('%s')``,
a gzip header, ``datetime.datetime.min.now()``, sqlite3's ``'now'``), and these rules grow with every round; apart
from the visitor they read as one list.
"""

from __future__ import annotations

import ast
from collections.abc import Callable

from task_bank.response_exec import qualname
from verifier.nondeterminism_names import CLOCK_METHODS, DATETIME_NOW, STAT_CALLS


def clock_method(node: ast.Call, aliases: dict[str, str], zipfile: bool, event_loop: bool) -> str | None:
    """Why the method call ``node`` (its callee an attribute) reads the clock, or None. ``zipfile``: the source
    imports it; ``event_loop``: the receiver is an event loop."""
    func = node.func
    if func.attr == "open" and zipfile and writes(node):
        return "a zip member opened for writing is dated with the current time"
    if func.attr in DATETIME_NOW or func.attr == "get_date" or (
            func.attr == "from_file" and (zipfile or (qualname(func.value, aliases) or "").endswith("ZipInfo"))):
        return (f".{func.attr}() reads the clock (whatever it is called on: datetime.datetime.min.now() is the "
                "unshifted class's)")
    if func.attr in CLOCK_METHODS and len(node.args) <= 1 and not any(
            k.arg in {None, "timestamp"} for k in node.keywords):  # one argument: ``self`` when unbound
        return f".{func.attr}() formats the current time: scores must not depend on when they run"
    if func.attr == "writestr" and node.args and not (
            isinstance(node.args[0], ast.Call) and (qualname(node.args[0].func, aliases) or "").endswith("ZipInfo")):
        return ".writestr() with a file name dates the entry with the current time; pass a zipfile.ZipInfo with a " \
               "fixed date_time"
    if func.attr == "time" and not node.args and event_loop:
        return "an event loop's .time() reads the clock"
    if func.attr == "when" and not node.args:
        return "a timer's .when() is its event loop's clock plus the delay (red-team round 36)"
    if func.attr == "path_stats":
        return "a loader's .path_stats() reads a file's time, a clock (red-team round 37)"
    if func.attr == "gettarinfo":
        return ".gettarinfo() dates the entry with the file's time, a clock (red-team round 36)"
    return None


def time_given(node: ast.Call, position: int, keyword: str | None, plain: Callable[[ast.expr], bool]) -> bool:
    """Whether the call surely passes its time argument (at ``position`` or by ``keyword``) as a value that cannot be
    ``None`` (``plain``: :class:`verifier.plain_values.PlainValues` of the source), so it reads no clock. ``None`` is
    no time (``time.gmtime(None)`` reads the clock), and neither is ``t`` bound to it, ``*()`` or ``**{}``
    (red-team round 40)."""
    if any(isinstance(arg, ast.Starred) for arg in node.args[:position + 1]):
        return False
    given = [node.args[position]] if len(node.args) > position else []
    given += [k.value for k in node.keywords if keyword is not None and k.arg == keyword]
    return any(plain(value) for value in given)


def writes(node: ast.Call) -> bool:
    """A ``gzip.open``/``tarfile.open`` call whose mode writes (or is not a constant)."""
    mode = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg == "mode"), None)
    if mode is None:
        return False
    return not isinstance(mode, ast.Constant) or not isinstance(mode.value, str) or any(
        c in mode.value for c in "wax")


def is_stat_call(node: ast.Call, aliases: dict[str, str]) -> bool:
    """``os.stat``/``lstat``/``fstat(...)`` or a ``.stat()``/``.lstat()`` method (``Path``, ``DirEntry``)."""
    return qualname(node.func, aliases) in STAT_CALLS or (
        isinstance(node.func, ast.Attribute) and node.func.attr in {"stat", "lstat"})
