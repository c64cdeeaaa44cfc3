"""Static pass that flags sources of nondeterminism in verifier source, even when a few runs happen to agree.

Dynamic checks (fresh interpreters, repeated calls) only catch nondeterminism that shows up in the handful of runs
validation makes: ``random.random() < 0.999`` agrees almost always and still flips rewards now and then in
training. So the source is also read (parsed, never executed) and these patterns are reported:

=============  ===========================================================================================
kind           pattern
=============  ===========================================================================================
random         module-level ``random.*`` / ``numpy.random.*`` functions not seeded in the same scope,
               ``random.Random()`` or ``numpy.random.default_rng()`` without a seed, ``SystemRandom``
clock          ``time.time()`` and the other clocks, ``datetime.now()/utcnow()/today()``, ``date.today()``;
               file times (a clock the shifted clock does not reach): ``.st_mtime``/``st_atime``/``st_ctime``/
               ``st_birthtime`` and their ``_ns`` forms (of ``os.stat``, ``lstat``, ``fstat``, ``DirEntry.stat()``,
               ``Path.stat()``; also named as a string, ``getattr(st, 'st_mtime')``), ``os.path.getmtime/getatime/
               getctime``, ``stat.ST_MTIME/ST_ATIME/ST_CTIME``, ``os.stat(...)[7:10]``, and a stat result kept
               whole (a name, ``tuple()``, unpacking); the standard library's indirect reads (round 20):
               ``time.strftime`` without a time, ``gzip.compress``/``GzipFile`` without ``mtime``,
               ``email.utils.formatdate/localtime/make_msgid``, ``http.cookiejar.time2isoz/time2netscape``,
               ``logging.makeLogRecord/LogRecord``, ``sched.scheduler()``, ``.date_time_string()``,
               ``timeit.default_timer``, an event loop's ``.time()``, ``ZipFile.writestr`` with a plain name
pid            ``os.getpid()``, ``os.getppid()``, ``os.getpgrp()`` and the other process ids, ``os.times()``,
               ``resource.getrusage()``, ``resource.getrlimit()`` (the limits depend on the group size: they tell
               validation from training), thread ids
object_id      ``id`` (an address, different in every process), ``object.__repr__``
entropy        ``os.urandom``, ``os.getrandom``, ``secrets.*``, ``uuid.uuid1()/uuid4()``, ``/dev/urandom``,
               ``/proc/sys/kernel/random/uuid``
hash           ``hash`` and ``__hash__`` (str and bytes hashes depend on ``PYTHONHASHSEED``)
set_order      iterating a set or frozenset without sorting: ``for``, comprehensions, ``list()``, ``join``,
               ``next(iter())``, unpacking, ``.pop()``, ``str()``; ``min/max(set, key=...)`` (ties break in
               set order); ``dict.fromkeys(set)``; a set handed to a helper function of the module
proc           a path under ``/proc`` or ``/sys`` (pids, process start times, boot ids: ``os.stat('/proc/self')``
               has a clock no patch reaches)
=============  ===========================================================================================

Beyond calls, *references* count: ``key=hash``, ``f = id``, ``now = time.time``, ``object.__repr__`` (an
address), ``x.__hash__`` are flagged where they are named, so an alias cannot hide them. The RNG state
(``random.getstate()``) and the process group (``os.getpgrp()``) are flagged because their only use in a verifier
is telling one run from another (validation from training). ``random.seed(None)`` and ``random.Random(None)``
seed from the OS, like no argument.

``random.Random(42)``, ``random.seed(7)`` followed by ``random.*`` in the same function, ``sorted(set(...))``,
``len(set(...))``, membership tests, set comprehensions, and comprehensions over a set whose result is consumed
whole by an order-free builtin (``sum``, ``any``, ``all``, ``min``, ``max``, ``len``, ``sorted``, ``set``) pass.
Names are resolved through ``import x as y`` and ``from x import y``; a local name counts as a set only when every
assignment to it in its scope is a set.
"""

from __future__ import annotations

import ast

from pydantic import BaseModel, ConfigDict

from task_bank.response_exec import collect_aliases, qualname

_RANDOM_MODULES = ("random", "numpy.random")
_RANDOM_SAFE = {"Random", "RandomState", "default_rng", "Generator", "seed", "setstate", "SeedSequence",
                "PCG64", "MT19937", "Philox", "SFC64", "BitGenerator"}
_SEEDABLE_CTORS = {"random.Random", "numpy.random.RandomState", "numpy.random.default_rng",
                   "numpy.random.SeedSequence"}
_CLOCKS = {f"time.{n}" for n in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
                                 "process_time", "process_time_ns", "thread_time", "thread_time_ns", "clock_gettime",
                                 "clock_gettime_ns")}
_CLOCKS |= {f"os.path.get{n}time" for n in "mac"} | {f"stat.ST_{n}TIME" for n in "MAC"}
_CLOCKS |= {"timeit.default_timer", "logging.makeLogRecord", "logging.LogRecord", "email.utils.make_msgid"}
_TIME_ARGUMENT = {  # reads the clock unless the time is passed: (its position, its keyword)
    "time.localtime": (0, None), "time.gmtime": (0, None), "time.ctime": (0, None), "time.asctime": (0, None),
    "time.strftime": (1, None), "email.utils.formatdate": (0, "timeval"), "email.utils.localtime": (0, "dt"),
    "http.cookiejar.time2isoz": (0, "t"), "http.cookiejar.time2netscape": (0, "t"),
    "gzip.compress": (2, "mtime"), "gzip.GzipFile": (4, "mtime"), "sched.scheduler": (0, "timefunc"),
}
"""Red-team round 20: ``time.strftime('%s')`` and the header of ``gzip.compress(b'')`` carried a time bomb (honest
before a date, paying everything after it) past validation, whose clock shifts missed its window."""
_CLOCK_METHODS = {"date_time_string", "log_date_time_string"}
"""Methods (``http.server``'s request handler) that format the current time when called without one (unbound, the
one argument is ``self``)."""
_EVENT_LOOPS = {"asyncio.get_event_loop", "asyncio.new_event_loop", "asyncio.get_running_loop"}
"""An event loop's ``.time()`` is a clock."""
_FILE_TIMES = frozenset(f"st_{n}time{ns}" for n in ("m", "a", "c", "birth") for ns in ("", "_ns"))
"""Attributes of a stat result that hold a file time: a file written during the call carries the real clock."""
_STAT_CALLS = {"os.stat", "os.lstat", "os.fstat"}
_STAT_TIME_INDEXES = {7, 8, 9}
"""``os.stat(p)[8]`` is ``st_mtime`` (``stat.ST_ATIME``, ``ST_MTIME``, ``ST_CTIME``)."""
_DATETIME_NOW = {"now", "utcnow", "today"}
_PIDS = {"os.getpid", "os.getppid", "os.getpgrp", "os.getpgid", "os.getsid", "os.times", "os.getloadavg",
         "resource.getrusage", "resource.getrlimit", "resource.prlimit", "threading.get_ident",
         "threading.get_native_id", "_thread.get_ident"}
_RNG_STATE = {"random.getstate", "numpy.random.get_state", "numpy.random.mtrand.get_state"}
_ADDRESSES = {"object.__repr__": "object_id", "object.__str__": "object_id", "object.__format__": "object_id",
              "object.__hash__": "hash", "builtins.id": "object_id", "builtins.hash": "hash"}
_PROC_PREFIXES = ("/proc/", "/sys/", "/dev/urandom", "/dev/random")
_ENTROPY = {"os.urandom", "os.getrandom", "uuid.uuid1", "uuid.uuid4", "random.SystemRandom"}
_SET_CTORS = {"set", "frozenset"}
_SET_METHODS = {"union", "intersection", "difference", "symmetric_difference", "copy"}
_ORDER_FREE = {"sorted", "len", "any", "all", "min", "max", "sum", "set", "frozenset"}
_ORDER_CONSUMERS = {"list", "tuple", "iter", "enumerate", "zip", "map", "filter", "next", "str", "repr", "print",
                    "format", "ascii"}
_ANY_ARGUMENT = {"zip", "map", "filter", "print"}  # the set may be any argument: map(str, S), zip(A, S)


class Finding(BaseModel):
    """One place in the source that makes scores depend on something other than the response."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    """random, clock, pid, object_id, entropy, hash or set_order."""
    line: int
    """1-based line in the verifier source."""
    col: int
    """0-based column."""
    detail: str
    """What was found and how to make it deterministic."""


def find_nondeterminism(source: str) -> tuple[Finding, ...]:
    """Findings in ``source``, in source order. Raises ``SyntaxError`` (or ``ValueError``) when it does not parse."""
    tree = ast.parse(source, filename="<verifier>", mode="exec")
    visitor = _Visitor(collect_aliases(tree), _bound_names(tree),
                       {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))})
    visitor.visit(tree)
    return tuple(sorted(visitor.findings, key=lambda f: (f.line, f.col, f.kind)))


class _Scope:
    """Per-function facts: which names are sets, and which random modules were seeded here."""

    def __init__(self, body: list[ast.stmt], aliases: dict[str, str]) -> None:
        self.set_names: set[str] = set()
        self.seeded: set[str] = set()
        assigned: dict[str, list[ast.expr | None]] = {}
        for node in _walk_scope(body):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
                    else:
                        for name in ast.walk(target):
                            if isinstance(name, ast.Name):
                                assigned.setdefault(name.id, []).append(None)
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
                assigned.setdefault(node.target.id, []).append(node.value)
            elif isinstance(node, (ast.For, ast.comprehension)):
                for name in ast.walk(node.target):
                    if isinstance(name, ast.Name):
                        assigned.setdefault(name.id, []).append(None)
            elif isinstance(node, ast.Call) and node.args and not _seeds_from_os(node):
                qual = qualname(node.func, aliases)
                if qual in {f"{m}.seed" for m in _RANDOM_MODULES}:
                    self.seeded.add(qual.rsplit(".", 1)[0])
        for _ in range(3):  # a set built from another set name: resolve a few levels
            for name, values in assigned.items():
                if values and all(v is not None and _is_set(v, self.set_names, aliases) for v in values):
                    self.set_names.add(name)


def _seeds_from_os(call: ast.Call) -> bool:
    """``seed()``, ``seed(None)``, ``Random(a=None)``: no seed, or ``None``, which seeds from the OS."""
    values = [*call.args, *(k.value for k in call.keywords)]
    return not values or all(isinstance(v, ast.Constant) and v.value is None for v in values)


def _bound_names(tree: ast.AST) -> set[str]:
    """Names the module binds to something of its own (a def, a parameter, an import, a computed value): those
    shadow a builtin. ``f = id`` does not count: it is an alias, and the reference ``id`` is flagged where named."""
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            bound.add(node.name)
        elif isinstance(node, ast.arg):
            bound.add(node.arg)
        elif isinstance(node, ast.alias) and not (node.name in {"id", "hash"} and node.asname is None):
            bound.add((node.asname or node.name).split(".")[0])
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            value = node.value
            if value is not None and not isinstance(value, (ast.Name, ast.Attribute)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                bound.update(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, (ast.For, ast.comprehension, ast.withitem)):
            target = node.optional_vars if isinstance(node, ast.withitem) else node.target
            if target is not None:
                bound.update(n.id for n in ast.walk(target) if isinstance(n, ast.Name))
    return bound


def _time_given(node: ast.Call, position: int, keyword: str | None) -> bool:
    """Whether the call passes its time argument (at ``position`` or by ``keyword``), so it reads no clock."""
    return len(node.args) > position or any(k.arg is None or k.arg == keyword for k in node.keywords)


def _is_stat_call(node: ast.Call, aliases: dict[str, str]) -> bool:
    """``os.stat``/``lstat``/``fstat(...)`` or a ``.stat()``/``.lstat()`` method (``Path``, ``DirEntry``)."""
    return qualname(node.func, aliases) in _STAT_CALLS or (
        isinstance(node.func, ast.Attribute) and node.func.attr in {"stat", "lstat"})


def _walk_scope(body: list[ast.stmt]):
    """Nodes of one scope, not descending into nested functions, lambdas or classes."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    stack: list[ast.AST] = [n for n in reversed(body) if not isinstance(n, nested)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))


def _is_set(node: ast.expr, set_names: set[str], aliases: dict[str, str]) -> bool:
    if isinstance(node, (ast.Set, ast.SetComp)):
        return True
    if isinstance(node, ast.Name):
        return node.id in set_names
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.BitOr, ast.BitAnd, ast.Sub, ast.BitXor)):
        return _is_set(node.left, set_names, aliases) or _is_set(node.right, set_names, aliases)
    if isinstance(node, ast.Call):
        if isinstance(node.func, ast.Name) and node.func.id in _SET_CTORS and node.func.id not in aliases:
            return True
        if isinstance(node.func, ast.Attribute) and node.func.attr in _SET_METHODS:
            return _is_set(node.func.value, set_names, aliases)
    return False


class _Visitor(ast.NodeVisitor):
    def __init__(self, aliases: dict[str, str], bound: set[str], helpers: set[str]) -> None:
        self.aliases = aliases
        self.bound = bound
        self.helpers = helpers
        self.findings: list[Finding] = []
        self.scopes: list[_Scope] = []
        self.order_free: set[int] = set()
        self.called: set[int] = set()
        """Callee expressions: a call is judged with its arguments by ``_check_call``, not as a reference."""
        self.inner: set[int] = set()
        """Bases of attribute chains (``np.random`` in ``np.random.rand``): judged as part of the whole chain."""
        self.docstrings: set[int] = set()
        self.stat_fields: set[int] = set()
        """Stat calls read through one field (``os.stat(p).st_size``, ``os.stat(p)[6]``): nothing else of them."""
        self.loops: set[str] = {name for name, qual in aliases.items() if qual in _EVENT_LOOPS}
        """Names bound to an event loop (``loop = asyncio.new_event_loop()``), anywhere in the module."""

    def _add(self, node: ast.AST, kind: str, detail: str) -> None:
        self.findings.append(Finding(kind=kind, line=getattr(node, "lineno", 0), col=getattr(node, "col_offset", 0),
                                     detail=detail))

    def _is_set(self, node: ast.expr) -> bool:
        names = self.scopes[-1].set_names | (self.scopes[0].set_names if self.scopes else set())
        return _is_set(node, names, self.aliases)

    def visit_Module(self, node: ast.Module) -> None:
        self.scopes.append(_Scope(node.body, self.aliases))
        self.generic_visit(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):  # a docstring or a bare string: never read at run time
            self.docstrings.add(id(node.value))
        self.generic_visit(node)

    def visit_Name(self, node: ast.Name) -> None:
        """``id`` and ``hash`` wherever named (``key=hash``, ``f = id``), unless the module binds the name itself."""
        if isinstance(node.ctx, ast.Load) and node.id in {"id", "hash"} and node.id not in self.bound:
            self._reference(node, f"builtins.{node.id}")
        elif (isinstance(node.ctx, ast.Load) and id(node) not in self.called and id(node) not in self.inner
              and node.id in self.aliases):
            self._reference(node, self.aliases[node.id])

    def visit_Attribute(self, node: ast.Attribute) -> None:
        self.inner.add(id(node.value))
        self.stat_fields.add(id(node.value))  # a file-time field is flagged below by its name
        if node.attr in _FILE_TIMES:
            self._add(node, "clock", f".{node.attr} is a file time: it reads the clock of when the file was "
                                     "touched; scores must not depend on when they run")
        if id(node) not in self.inner:
            if node.attr == "__hash__":
                self._add(node, "hash", "__hash__ of str/bytes depends on PYTHONHASHSEED; use hashlib")
            elif id(node) not in self.called:
                qual = qualname(node, self.aliases)
                if qual is not None:
                    self._reference(node, qual)
        self.generic_visit(node)

    def visit_Subscript(self, node: ast.Subscript) -> None:
        """``os.stat(p)[8]`` or ``[7:10]``: the file times of a stat result read by index."""
        value, index = node.value, node.slice
        self.stat_fields.add(id(value))  # a file-time index is flagged below
        is_stat = isinstance(value, ast.Call) and (qualname(value.func, self.aliases) in _STAT_CALLS or (
            isinstance(value.func, ast.Attribute) and value.func.attr in {"stat", "lstat"}))
        if is_stat and (isinstance(index, ast.Slice) or not isinstance(index, ast.Constant)
                        or index.value in _STAT_TIME_INDEXES or index.value in {-1, -2, -3}):
            self._add(node, "clock", "a stat result indexed at its file times (7-9) reads the clock of when the "
                                     "file was touched; use st_size or the content")
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        if isinstance(node.value, str) and node.value in _FILE_TIMES:  # ``getattr(entry.stat(), 'st_mtime')``
            self._add(node, "clock", f"{node.value!r} names a file time: it reads the clock")
        if isinstance(node.value, str) and id(node) not in self.docstrings and any(
                p in node.value for p in _PROC_PREFIXES):
            if "random" in node.value:
                self._add(node, "entropy", f"{node.value[:60]!r} is fresh entropy on every read")
            else:
                self._add(node, "proc", f"{node.value[:60]!r}: /proc and /sys hold pids, start times and clocks "
                                        "that differ in every run; derive values from the response")

    def _reference(self, node: ast.expr, qual: str) -> None:
        """A nondeterministic function named without being called (an alias, ``key=``): flagged where named."""
        module, _, name = qual.rpartition(".")
        if qual in _ADDRESSES:
            kind = _ADDRESSES[qual]
            self._add(node, kind, f"{qual.removeprefix('builtins.')} is a memory address or a seeded hash, "
                                  "different in every process; use hashlib or the value itself")
        elif qual in _ENTROPY or module == "secrets":
            self._add(node, "entropy", f"{qual} is fresh entropy on every call")
        elif qual in _CLOCKS or qual in _TIME_ARGUMENT:
            self._add(node, "clock", f"{qual} reads the clock")
        elif qual in _PIDS:
            self._add(node, "pid", f"{qual} differs in every process")
        elif qual in _RNG_STATE or (module in _RANDOM_MODULES and name not in _RANDOM_SAFE) or (
                qual in _RANDOM_MODULES and id(node) not in self.inner):
            self._add(node, "random", f"{qual} refers to the global generator; use random.Random(42)")

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        body = node.body if isinstance(node.body, list) else [ast.Expr(node.body)]
        self.scopes.append(_Scope(body, self.aliases))
        self.generic_visit(node)
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def visit_For(self, node: ast.For) -> None:
        if self._is_set(node.iter):
            self._add(node.iter, "set_order", "for-loop over a set: iterate sorted(...) instead")
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> None:
        if id(node) not in self.order_free and not isinstance(node, ast.SetComp):
            for generator in node.generators:
                if self._is_set(generator.iter):
                    self._add(generator.iter, "set_order", "comprehension over a set: iterate sorted(...) instead")
        self.generic_visit(node)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension

    def visit_Starred(self, node: ast.Starred) -> None:
        if self._is_set(node.value):
            self._add(node, "set_order", "unpacking a set with *: order varies with PYTHONHASHSEED; sort it")
        self.generic_visit(node)

    def _is_event_loop(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Call):
            return qualname(node.func, self.aliases) in _EVENT_LOOPS
        return isinstance(node, ast.Name) and node.id in self.loops

    def visit_Assign(self, node: ast.Assign) -> None:
        if isinstance(node.value, ast.Call) and qualname(node.value.func, self.aliases) in _EVENT_LOOPS:
            self.loops.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets) and self._is_set(node.value):
            self._add(node, "set_order", "unpacking a set: order varies with PYTHONHASHSEED; sort it")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        """``'%s' % S`` and ``'%s %s' % (a, S)``: a set formatted into text (red-team round 14)."""
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            parts = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            if any(self._is_set(part) for part in parts):
                self._add(node, "set_order", "formatting a set into text with %: order varies; sort it first")
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            if isinstance(value, ast.FormattedValue) and self._is_set(value.value):
                self._add(value, "set_order", "formatting a set into text: order varies; sort it first")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.called.add(id(node.func))
        if isinstance(node.func, ast.Name) and node.func.id in _ORDER_FREE and node.func.id not in self.aliases:
            self.order_free.update(id(a) for a in node.args if isinstance(a, (ast.GeneratorExp, ast.ListComp)) or (
                isinstance(a, ast.Call) and isinstance(a.func, ast.Name) and a.func.id in {"map", "filter"}))
        self._check_call(node)
        self.generic_visit(node)

    def _check_call(self, node: ast.Call) -> None:
        func = node.func
        if id(node) in self.order_free:  # map(len, S) inside sum(...): the whole is order-free
            return
        if isinstance(func, ast.Name) and func.id not in self.aliases:
            if func.id in self.helpers and any(self._is_set(a) for a in node.args):
                self._add(node, "set_order", f"a set handed to {func.id}(): its iteration order varies with "
                                             "PYTHONHASHSEED; pass sorted(...)")
            elif func.id in _ORDER_CONSUMERS and node.args and any(
                    self._is_set(a) for a in (node.args if func.id in _ANY_ARGUMENT else node.args[:1])):
                self._add(node, "set_order", f"{func.id}() of a set: order varies with PYTHONHASHSEED; "
                                             "use sorted(...)")
            elif (func.id in {"min", "max", "sorted"} and any(k.arg == "key" for k in node.keywords)
                  and len(node.args) == 1 and self._is_set(node.args[0])):
                self._add(node, "set_order", f"{func.id}(set, key=...) breaks ties in set order: "
                                             f"{func.id}(sorted(...), key=...) is deterministic")
            return
        if isinstance(func, ast.Attribute):
            if func.attr == "join" and node.args and self._is_set(node.args[0]):
                self._add(node, "set_order", "join() of a set: order varies with PYTHONHASHSEED; use sorted(...)")
                return
            if func.attr == "format" and any(self._is_set(a) for a in [*node.args, *(k.value for k in node.keywords)]):
                self._add(node, "set_order", "formatting a set into text: order varies; sort it first")
                return
            if func.attr == "fromkeys" and node.args and self._is_set(node.args[0]):
                self._add(node, "set_order", "fromkeys() of a set keeps the set's order; use sorted(...)")
                return
            if func.attr == "pop" and not node.args and self._is_set(func.value):
                self._add(node, "set_order", "set.pop() returns an arbitrary element; use min() or sorted()")
                return
            if func.attr in _CLOCK_METHODS and len(node.args) <= 1 and not any(
                    k.arg in {None, "timestamp"} for k in node.keywords):  # one argument: ``self`` when unbound
                self._add(node, "clock", f".{func.attr}() formats the current time: scores must not depend on when "
                                         "they run")
                return
            if func.attr == "writestr" and node.args and not (
                    isinstance(node.args[0], ast.Call)
                    and (qualname(node.args[0].func, self.aliases) or "").endswith("ZipInfo")):
                self._add(node, "clock", ".writestr() with a file name dates the entry with the current time; "
                                         "pass a zipfile.ZipInfo with a fixed date_time")
                return
            if func.attr == "time" and not node.args and self._is_event_loop(func.value):
                self._add(node, "clock", "an event loop's .time() reads the clock")
                return
        if _is_stat_call(node, self.aliases) and id(node) not in self.stat_fields:
            self._add(node, "clock", "a stat result kept whole (a name, tuple(), unpacking, iteration) holds the "
                                     "file's times, which read the clock: read the field you need directly, "
                                     "e.g. os.stat(p).st_size")
            return
        qual = qualname(func, self.aliases)
        if qual is not None:
            self._check_qualified(node, qual)

    def _check_qualified(self, node: ast.Call, qual: str) -> None:
        module, _, name = qual.rpartition(".")
        seeded = module in self.scopes[-1].seeded
        if qual in _ENTROPY or module == "secrets":
            self._add(node, "entropy", f"{qual}() is fresh entropy on every call; derive values from the response")
        elif qual in _SEEDABLE_CTORS and _seeds_from_os(node):
            self._add(node, "random", f"{qual}() without a seed (or with None) seeds from the OS: pass a fixed seed, "
                                      f"e.g. {qual}(42)")
        elif qual in _RNG_STATE:
            self._add(node, "random", f"{qual}() reads the generator's state: a score must not depend on how the "
                                      "run was seeded (it tells validation from training)")
        elif module in _RANDOM_MODULES and name not in _RANDOM_SAFE and not seeded:
            self._add(node, "random", f"{qual}() uses the unseeded global generator: use {module}.Random(42) "
                                      "or seed it in the same function")
        elif qual in {f"{m}.seed" for m in _RANDOM_MODULES} and _seeds_from_os(node):
            self._add(node, "random", f"{qual}() without an argument (or with None) seeds from the clock/OS")
        elif qual in _CLOCKS or (qual in _TIME_ARGUMENT and not _time_given(node, *_TIME_ARGUMENT[qual])):
            self._add(node, "clock", f"{qual}() reads the clock: scores must not depend on when they run")
        elif name in _DATETIME_NOW and (module.endswith("datetime") or module.endswith("date")):
            self._add(node, "clock", f"{qual}() reads the clock: scores must not depend on when they run")
        elif qual in _PIDS:
            self._add(node, "pid", f"{qual}() differs in every process (and grows with every fork of a worker)")
        elif qual in _ADDRESSES:
            self._add(node, _ADDRESSES[qual], f"{qual}() is a memory address or a seeded hash; use hashlib")
