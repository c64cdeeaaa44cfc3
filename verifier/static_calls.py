"""The rules the static nondeterminism pass applies to a call (:mod:`verifier.static_determinism`).

A mixin of its visitor: the call rules are the largest part of the pass (a call to a clock, a pid, entropy, the
global generator, a stat result kept whole, an order-dependent consumer of a set) and read apart from the walk of
the tree. They use the visitor's state: ``aliases``, ``helpers``, ``order_free``, ``scopes``, ``stat_fields``,
``statements`` and its ``add``, ``_native`` and ``_imports`` (:mod:`verifier.static_references`), ``_is_set`` and
``_is_event_loop``.
"""

from __future__ import annotations

import ast

from task_bank.response_exec import qualname
from verifier.clock_reads import clock_method, is_stat_call, time_given, writes
from verifier.nondeterminism_names import (ADDRESSES, ANY_ARGUMENT, CLOCK_NAMES, CLOCKS, DATETIME_NOW, ENTROPY,
                                           NATIVE, ORDER_CONSUMERS, PIDS, RANDOM_MODULES, RANDOM_SAFE,
                                           RNG_STATE, SEEDABLE_CTORS, TIME_ARGUMENT, TIMER_SETTERS,
                                           views_interpreter)
from verifier.static_scope import seeds_from_os
from verifier.stdlib_names import real_name

WRITERS = {"gzip.open", "tarfile.open", "tarfile.TarFile", "tarfile.TarFile.open", "tarfile.TarFile.taropen",
           "tarfile.TarFile.gzopen", "tarfile.TarFile.bz2open", "tarfile.TarFile.xzopen"}
"""Archives that date what they write when opened to write (``tarfile.TarFile(..., mode='w')``: round 36;
``TarFile.gzopen(name, 'w', ...)``'s gzip header: round 40)."""
STAMPING = ("http.cookies.", "http.cookiejar.", "xmlrpc.", "wsgiref.", "mailbox.", "sched.", "smtplib.", "imaplib.",
            "poplib.", "nntplib.", "http.server.", "socketserver.", "urllib.request.", "linecache.")
"""Modules whose classes and functions stamp what they make with the current time, or keep time, in their
workings: a cookie's expiry (``Cookie.is_expired()``), an XML-RPC ``DateTime()``, a WSGI handler's ``Date:`` header,
an mbox ``From`` line, a scheduler's clock. Every call into them is a clock, but for those given a time of their own
(``TIME_ARGUMENT``: ``time2isoz(0)``, ``scheduler(lambda: 0)``) (red-team round 39: a time bomb that
paid only within a window of a day three days ahead, read through ``Cookie(...).is_expired()``, was admitted 4 of
4 times; run 1's drawn shift lands in such a window about 2% of the time). ``urllib.request`` (a ``file:``
URL's ``Last-modified`` header) and ``linecache`` (its cache holds each file's time) hand back the time of a file
the verifier just wrote (red-team round 40). A verifier needs none of them."""
UNIX_FROM = {"as_string": 0, "as_bytes": 0, "flatten": 1}
"""Methods of ``email`` that write a Unix ``From`` line dated now when asked to (``unixfrom``): its position."""


class CallRules:
    """The call rules of the static pass's visitor (module docstring)."""

    known: frozenset[str] = frozenset()
    """Every name the pass's tables hold (set by the visitor's class)."""

    def _check_call(self, node: ast.Call) -> None:
        func = node.func
        if (node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
                and ((isinstance(func, ast.Name) and func.id == "__import__")
                     or qualname(func, self.aliases) in {"builtins.__import__", "importlib.import_module"})
                and self._native(node, node.args[0].value)):
            return
        if id(node) in self.order_free:  # map(len, S) inside sum(...): the whole is order-free
            return
        if (isinstance(func, ast.Name) and func.id == "getattr" and len(node.args) > 1
                and isinstance(node.args[1], ast.Constant) and node.args[1].value in CLOCK_NAMES):
            self.add(node, "clock", f"getattr(..., {node.args[1].value!r}) fetches a clock")
            return
        if isinstance(func, ast.Name) and func.id not in self.aliases:
            if func.id in self.helpers and any(self._is_set(a) for a in node.args):
                self.add(node, "set_order", f"a set handed to {func.id}(): its iteration order varies with "
                                             "PYTHONHASHSEED; pass sorted(...)")
            elif func.id in ORDER_CONSUMERS and node.args and any(
                    self._is_set(a) for a in (node.args if func.id in ANY_ARGUMENT else node.args[:1])):
                self.add(node, "set_order", f"{func.id}() of a set: order varies with PYTHONHASHSEED; "
                                             "use sorted(...)")
            elif (func.id in {"min", "max", "sorted"} and any(k.arg == "key" for k in node.keywords)
                  and len(node.args) == 1 and self._is_set(node.args[0])):
                self.add(node, "set_order", f"{func.id}(set, key=...) breaks ties in set order: "
                                             f"{func.id}(sorted(...), key=...) is deterministic")
            return
        if isinstance(func, ast.Attribute):
            if func.attr == "join" and node.args and self._is_set(node.args[0]):
                self.add(node, "set_order", "join() of a set: order varies with PYTHONHASHSEED; use sorted(...)")
                return
            if func.attr == "format" and any(self._is_set(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                self.add(node, "set_order", "formatting a set into text: order varies; sort it first")
                return
            if func.attr == "fromkeys" and node.args and self._is_set(node.args[0]):
                self.add(node, "set_order", "fromkeys() of a set keeps the set's order; use sorted(...)")
                return
            if func.attr == "pop" and not node.args and self._is_set(func.value):
                self.add(node, "set_order", "set.pop() returns an arbitrary element; use min() or sorted()")
                return
            if func.attr == "write" and self.is_zip(func.value):
                self.add(node, "clock", "ZipFile.write() dates the entry with the file's time (a file just made: now);"
                                        " use writestr() with a zipfile.ZipInfo of a fixed date_time")
                return
            if func.attr in UNIX_FROM and self._imports("email") and _asks_unix_from(node, UNIX_FROM[func.attr]):
                self.add(node, "clock", f".{func.attr}() with unixfrom writes a 'From' line dated now (red-team "
                                        "round 39)")
                return
            detail = clock_method(node, self.aliases, self._imports("zipfile"), self._is_event_loop(func.value))
            if detail is not None:
                self.add(node, "clock", detail)
                return
        if is_stat_call(node, self.aliases) and id(node) not in self.stat_fields:
            self.add(node, "clock", "a stat result kept whole (a name, tuple(), unpacking, iteration) holds the "
                                     "file's times, which read the clock: read the field you need directly, "
                                     "e.g. os.stat(p).st_size")
            return
        qual = qualname(func, self.aliases)
        if qual is not None:
            self._check_qualified(node, real_name(qual, self.known))

    def _check_qualified(self, node: ast.Call, qual: str) -> None:
        module, _, name = qual.rpartition(".")
        seeded = module in self.scopes[-1].seeded
        if not NATIVE.isdisjoint(qual.split(".")[1:]):
            self._native(node, qual)
        elif qual in ENTROPY or (module == "secrets" and name != "compare_digest") or qual.startswith(
                ("_uuid.", "uuid._")):
            self.add(node, "entropy", f"{qual}() is fresh entropy on every call; derive values from the response")
        elif (qual.startswith(STAMPING) and qual not in TIME_ARGUMENT) or (qual in WRITERS and writes(node)):
            self.add(node, "clock", f"{qual}() stamps what it writes with the current time")
        elif qual in SEEDABLE_CTORS and seeds_from_os(node):
            self.add(node, "random", f"{qual}() without a seed (or with None) seeds from the OS: pass a fixed seed, "
                                      f"e.g. {qual}(42)")
        elif qual in RNG_STATE:
            self.add(node, "random", f"{qual}() reads the generator's state: a score must not depend on how the "
                                      "run was seeded (it tells validation from training)")
        elif module in RANDOM_MODULES and name not in RANDOM_SAFE and not seeded:
            self.add(node, "random", f"{qual}() uses the unseeded global generator: use {module}.Random(42) "
                                      "or seed it in the same function")
        elif qual in {f"{m}.seed" for m in RANDOM_MODULES} and seeds_from_os(node):
            self.add(node, "random", f"{qual}() without an argument (or with None) seeds from the clock/OS")
        elif qual in CLOCKS:
            self.add(node, "clock", f"{qual}() reads the clock: scores must not depend on when they run")
        elif qual in TIME_ARGUMENT and not time_given(node, *TIME_ARGUMENT[qual], self.plain):
            self.add(node, "clock", f"{qual}() reads the clock when given no time, or one that may be None: pass a "
                                    f"time that cannot be, e.g. {qual}(int(t)) (verifier/plain_values.py)")
        elif qual in TIMER_SETTERS and id(node) not in self.statements:
            self.add(node, "clock", f"{qual}() returns the time left on an earlier timer: a clock; call it as a "
                                    "statement of its own to set a timeout")
        elif name in DATETIME_NOW and (module.endswith("datetime") or module.endswith("date")):
            self.add(node, "clock", f"{qual}() reads the clock: scores must not depend on when they run")
        elif qual in PIDS:
            self.add(node, "pid", f"{qual}() differs in every process (and grows with every fork of a worker)")
        elif views_interpreter(qual):
            self.add(node, "reflective", f"{qual}() sees the interpreter's own workings (its heap or every frame), "
                                         "where any difference of the harness between runs shows")
        elif qual in ADDRESSES:
            self.add(node, ADDRESSES[qual], f"{qual}() is a memory address or a seeded hash; use hashlib")


def _asks_unix_from(node: ast.Call, position: int) -> bool:
    """Whether the call may ask for a Unix ``From`` line: ``unixfrom`` given (by keyword or at ``position``) as
    anything but a false constant."""
    given = [k.value for k in node.keywords if k.arg == "unixfrom"] + node.args[position:position + 1]
    return any(not (isinstance(value, ast.Constant) and not value.value) for value in given)
