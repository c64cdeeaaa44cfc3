"""The rules the static nondeterminism pass applies to names (:mod:`verifier.static_determinism`).

A mixin of its visitor, beside the call rules (:mod:`verifier.static_calls`): a clock, a pid, entropy, an address
or the global generator counts where it is *named*, not only where it is called (``key=hash``, ``now = time.time``,
``time.time.__call__``), and so do the attributes and constants that read a clock or a run's setup by themselves
(a stat result's file times, a log record's time, ``sys.flags``, the text ``PYTHONHASHSEED``, a ``/proc`` path, SQL
``'now'``). Why apart: these rules and the call rules each grow with every red-team round, and the walk of the tree
reads better without either. They use the visitor's state: ``aliases``, ``bound``, ``called``, ``inner``,
``docstrings``, ``stat_fields`` and its ``add``.
"""

from __future__ import annotations

import ast
import re

from task_bank.response_exec import qualname
from verifier.nondeterminism_names import (ADDRESSES, CLOCK_TEXT, CLOCKS, DATETIME_CLASSES, DATETIME_NOW, ENTROPY,
                                           FILE_TIMES, INTERPRETER_VIEWS, NATIVE, PIDS, PROC_PREFIXES, RANDOM_MODULES,
                                           RANDOM_SAFE, RECORD_MAKERS, RECORD_RECEIVERS, RECORD_TIMES, RNG_STATE, STAT_CALLS,
                                           STAT_TIME_INDEXES, TIME_ARGUMENT, views_interpreter)
from verifier.stdlib_names import canonical, real_name

TABLES = (("clock", CLOCKS | set(TIME_ARGUMENT)), ("pid", PIDS), ("entropy", ENTROPY), ("random", RNG_STATE),
           ("reflective", INTERPRETER_VIEWS))
"""The kinds of the name tables, for a member fetched by a name known only at run time (``attrgetter('getpid')``)."""
VALUE_MODULES = frozenset({"os", "os.path", "time", "datetime", "random", "numpy.random", "uuid", "secrets", "sys",
                           "builtins", "threading", "resource", "signal", "sqlite3", "gc"})
"""Modules with a clock, a pid, entropy or a way to reach them that a verifier may only use through their names:
handed around as a value (``m, t = os, time``; ``[os][0]``; ``f(os)``) they hide every read (round 32)."""
KNOWN = frozenset().union(*(table for _, table in TABLES), STAT_CALLS)
"""Every name a table holds: a standard-library name that is one of them under another name is read as it
(:func:`verifier.stdlib_names.real_name`)."""


class ReferenceRules:
    """The name, attribute and constant rules of the static pass's visitor (module docstring)."""

    def _native(self, node: ast.AST, dotted: str) -> bool:
        """A module that calls C directly (:data:`NATIVE`), named in an import or a qualified name."""
        if NATIVE.isdisjoint(dotted.split(".")):
            return False
        self.add(node, "native", f"{dotted} calls C directly: it reads clocks, pids and addresses that no run "
                                  "of validation varies; a verifier needs none of it")
        return True

    def visit_Name(self, node: ast.Name) -> None:
        """``id`` and ``hash`` wherever named (``key=hash``, ``f = id``), unless the module binds the name itself."""
        if isinstance(node.ctx, ast.Load) and node.id in {"id", "hash"} and node.id not in self.bound:
            self.reference(node, f"builtins.{node.id}")
        elif (isinstance(node.ctx, ast.Load) and id(node) not in self.called and id(node) not in self.inner
              and node.id in self.aliases):
            self.reference(node, self.aliases[node.id])
            if canonical(self.aliases[node.id]) in VALUE_MODULES:
                self.add(node, "reflective", f"the module {self.aliases[node.id]} handed around as a value (put in a "
                                             "container, passed, returned, bound to another name): any clock or pid "
                                             "of it can be read where no name says so; use its functions by name")

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.inner.add(id(node.value))
        self.stat_fields.add(id(node.value))  # a file-time field is flagged below by its name
        if node.attr in RECORD_TIMES and self._imports("logging"):
            self.add(node, "clock", f".{node.attr} is a log record's creation time: it reads the clock")
        elif id(node) not in self.inner and (qualname(node, self.aliases) or "").partition(".flags")[:2] == (
                "sys", ".flags"):
            self.add(node, "hash", "sys.flags tells the hash seed's randomisation, which differs between validation's "
                                   "runs by design: a verifier that reads it can tell them apart")
        elif node.attr in RECORD_RECEIVERS and self._imports("logging"):
            self.add(node, "clock", f".{node.attr}() hands log records, which carry the time they were made, to code "
                                    "of the verifier's own")
        elif node.attr in RECORD_MAKERS and self._imports("logging"):
            self.add(node, "clock", f".{node.attr}() makes a log record, which carries the time it was made")
        elif node.attr.startswith("__") and isinstance(node.value, (ast.Name, ast.Attribute)) and (
                qualname(node.value, self.aliases) is not None):  # time.time.__call__(), uuid.uuid1.__call__()
            self.reference(node, qualname(node.value, self.aliases))
        elif (node.attr in DATETIME_NOW and isinstance(node.ctx, ast.Load) and id(node) not in self.called
              and id(node) not in self.inner):  # f = type(datetime.datetime.min).now (a call is judged as one)
            self.add(node, "clock", f".{node.attr} of anything is a clock (round 32: the C class behind "
                                    "datetime.datetime.min reads the real one)")
        if node.attr in FILE_TIMES:
            self.add(node, "clock", f".{node.attr} is a file time: it reads the clock of when the file was "
                                     "touched; scores must not depend on when they run")
        if id(node) not in self.inner:
            if node.attr == "__hash__":
                self.add(node, "hash", "__hash__ of str/bytes depends on PYTHONHASHSEED; use hashlib")
            elif id(node) not in self.called:
                qual = qualname(node, self.aliases)
                if qual is not None:
                    self.reference(node, qual)
                    held = real_name(qual, KNOWN)
                    if isinstance(node.ctx, ast.Load) and canonical(held) in VALUE_MODULES:  # c = email.utils.time
                        self.add(node, "reflective", f"the module {held} (as {qual}) handed around as a value: any "
                                                     "clock or pid of it can be read where no name says so; use its "
                                                     "functions by name (red-team round 38)")
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        """``os.stat(p)[8]`` or ``[7:10]``: the file times of a stat result read by index."""
        value, index = node.value, node.slice
        self.stat_fields.add(id(value))  # a file-time index is flagged below
        is_stat = isinstance(value, ast.Call) and (qualname(value.func, self.aliases) in STAT_CALLS or (
            isinstance(value.func, ast.Attribute) and value.func.attr in {"stat", "lstat"}))
        if is_stat and (isinstance(index, ast.Slice) or not isinstance(index, ast.Constant)
                        or index.value in STAT_TIME_INDEXES or index.value in {-1, -2, -3}):
            self.add(node, "clock", "a stat result indexed at its file times (7-9) reads the clock of when the "
                                     "file was touched; use st_size or the content")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if node.value == "PYTHONHASHSEED" and id(node) not in self.docstrings:
            self.add(node, "hash", "PYTHONHASHSEED differs between validation's runs by design: a verifier that reads "
                                   "it can tell them apart")
        if isinstance(node.value, str) and node.value in FILE_TIMES:  # ``getattr(entry.stat(), 'st_mtime')``
            self.add(node, "clock", f"{node.value!r} names a file time: it reads the clock")
        if isinstance(node.value, str) and node.value in RECORD_TIMES and self._imports("logging"):
            self.add(node, "clock", f"{node.value!r} names a log record's creation time (vars(record)[...]): it reads "
                                    "the clock")
        if isinstance(node.value, str) and id(node) not in self.docstrings and any(
                self._imports(module) and re.search(pattern, node.value, re.IGNORECASE)
                for module, pattern in CLOCK_TEXT.items()):
            self.add(node, "clock", f"{node.value[:60]!r} asks a library for the current time (SQL 'now', a log "
                                     "record's time)")
        if isinstance(node.value, str) and id(node) not in self.docstrings and any(
                p in node.value for p in PROC_PREFIXES):
            if "random" in node.value:
                self.add(node, "entropy", f"{node.value[:60]!r} is fresh entropy on every read")
            else:
                self.add(node, "proc", f"{node.value[:60]!r}: /proc and /sys hold pids, start times and clocks "
                                        "that differ in every run; derive values from the response")

    def joined_clock_text(self, node: ast.expr) -> None:
        """Text built from constants (``+``, an f-string, names bound to them), read whole by the rules on text
        that asks a library for the current time (``CLOCK_TEXT``)."""
        text = self.plain.text(node)
        if text is not None and any(self._imports(module) and re.search(pattern, text, re.IGNORECASE)
                                    for module, pattern in CLOCK_TEXT.items()):
            self.add(node, "clock", f"{text[:60]!r} (joined) asks a library for the current time (SQL 'now', a log "
                                    "record's time)")

    def reference(self, node: ast.expr, qual: str) -> None:
        """A nondeterministic function named without being called (an alias, ``key=``): flagged where named."""
        qual = real_name(qual, KNOWN)
        module, _, name = qual.rpartition(".")
        if not NATIVE.isdisjoint(qual.split(".")[1:]):  # numpy.ctypeslib, np.ctypeslib.ctypes (imports: above)
            self._native(node, qual)
        elif qual in ADDRESSES:
            kind = ADDRESSES[qual]
            self.add(node, kind, f"{qual.removeprefix('builtins.')} is a memory address or a seeded hash, "
                                  "different in every process; use hashlib or the value itself")
        elif qual in ENTROPY or (module == "secrets" and name != "compare_digest"):
            self.add(node, "entropy", f"{qual} is fresh entropy on every call")
        elif qual in CLOCKS or qual in TIME_ARGUMENT or (module in DATETIME_CLASSES and name in DATETIME_NOW):
            self.add(node, "clock", f"{qual} reads the clock")
        elif qual in PIDS:
            self.add(node, "pid", f"{qual} differs in every process")
        elif views_interpreter(qual):
            self.add(node, "reflective", f"{qual} sees the interpreter's own workings (its heap or every frame), "
                                         "where any difference of the harness between runs shows")
        elif qual in RNG_STATE or (module in RANDOM_MODULES and name not in RANDOM_SAFE) or (
                qual in RANDOM_MODULES and id(node) not in self.inner):
            self.add(node, "random", f"{qual} refers to the global generator; use random.Random(42)")

    def _imports(self, module: str) -> bool:
        """Whether the source imports ``module`` (or something of it)."""
        return any(qual == module or qual.startswith(module + ".") for qual in self.aliases.values())
