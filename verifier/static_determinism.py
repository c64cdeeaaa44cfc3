"""Static pass that flags sources of nondeterminism in verifier source, even when a few runs happen to agree.

Dynamic checks (fresh interpreters, repeated calls) only catch nondeterminism that shows up in the handful of runs
validation makes: ``random.random() < 0.999`` agrees almost always and still flips rewards now and then in
training. So the source is also read (parsed, never executed) and these patterns are reported:

=============  ===========================================================================================
kind           pattern
=============  ===========================================================================================
random         module-level ``random.*`` / ``numpy.random.*`` functions not seeded in the same scope,
               ``random.Random()`` or ``numpy.random.default_rng()`` without a seed, ``SystemRandom``
clock          ``time.time()`` and the other clocks, ``datetime.now()/utcnow()/today()``, ``date.today()``
pid            ``os.getpid()``, ``os.getppid()``
object_id      ``id(...)`` (an address, different in every process)
entropy        ``os.urandom``, ``os.getrandom``, ``secrets.*``, ``uuid.uuid1()/uuid4()``
hash           ``hash(...)`` (str and bytes hashes depend on ``PYTHONHASHSEED``)
set_order      iterating a set or frozenset without sorting: ``for``, comprehensions, ``list()``, ``join``,
               ``next(iter())``, unpacking, ``.pop()``, ``str()``; ``min/max(set, key=...)`` (ties break in
               set order)
=============  ===========================================================================================

``random.Random(42)``, ``random.seed(7)`` followed by ``random.*`` in the same function, ``sorted(set(...))``,
``len(set(...))``, membership tests, set comprehensions, and comprehensions over a set whose result is consumed
whole by an order-free builtin (``sum``, ``any``, ``all``, ``min``, ``max``, ``len``, ``sorted``, ``set``) pass.
Names are resolved through ``import x as y`` and ``from x import y``; a local name counts as a set only when every
assignment to it in its scope is a set.
"""

from __future__ import annotations

import ast

from pydantic import BaseModel, ConfigDict

_RANDOM_MODULES = ("random", "numpy.random")
_RANDOM_SAFE = {"Random", "RandomState", "default_rng", "Generator", "seed", "getstate", "setstate", "SeedSequence",
                "PCG64", "MT19937", "Philox", "SFC64", "BitGenerator"}
_SEEDABLE_CTORS = {"random.Random", "numpy.random.RandomState", "numpy.random.default_rng",
                   "numpy.random.SeedSequence"}
_CLOCKS = {f"time.{n}" for n in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
                                 "process_time", "process_time_ns", "thread_time", "thread_time_ns", "clock_gettime",
                                 "clock_gettime_ns")}
_CLOCKS_WITHOUT_ARGS = {"time.localtime", "time.gmtime", "time.ctime", "time.asctime"}
_DATETIME_NOW = {"now", "utcnow", "today"}
_PIDS = {"os.getpid", "os.getppid"}
_ENTROPY = {"os.urandom", "os.getrandom", "uuid.uuid1", "uuid.uuid4", "random.SystemRandom"}
_SET_CTORS = {"set", "frozenset"}
_SET_METHODS = {"union", "intersection", "difference", "symmetric_difference", "copy"}
_ORDER_FREE = {"sorted", "len", "any", "all", "min", "max", "sum", "set", "frozenset"}
_ORDER_CONSUMERS = {"list", "tuple", "iter", "enumerate", "zip", "map", "filter", "next", "str", "repr", "print"}


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
    visitor = _Visitor(_collect_aliases(tree))
    visitor.visit(tree)
    return tuple(sorted(visitor.findings, key=lambda f: (f.line, f.col, f.kind)))


def _collect_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> qualified name for every import in the module (flow-insensitive, last one wins)."""
    aliases: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.asname:
                    aliases[a.asname] = a.name
                else:
                    top = a.name.split(".")[0]
                    aliases[top] = top
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                aliases[a.asname or a.name] = f"{node.module}.{a.name}"
    return aliases


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
            elif isinstance(node, ast.Call) and node.args:
                qual = _qualname(node.func, aliases)
                if qual in {f"{m}.seed" for m in _RANDOM_MODULES}:
                    self.seeded.add(qual.rsplit(".", 1)[0])
        for _ in range(3):  # a set built from another set name: resolve a few levels
            for name, values in assigned.items():
                if values and all(v is not None and _is_set(v, self.set_names, aliases) for v in values):
                    self.set_names.add(name)


def _walk_scope(body: list[ast.stmt]):
    """Nodes of one scope, not descending into nested functions, lambdas or classes."""
    nested = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    stack: list[ast.AST] = [n for n in reversed(body) if not isinstance(n, nested)]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(child for child in ast.iter_child_nodes(node) if not isinstance(child, nested))


def _qualname(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """Dotted name of ``a.b.c`` with its base resolved through the imports; None when not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = aliases.get(node.id, node.id)
    return ".".join([base, *reversed(parts)])


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
    def __init__(self, aliases: dict[str, str]) -> None:
        self.aliases = aliases
        self.findings: list[Finding] = []
        self.scopes: list[_Scope] = []
        self.order_free: set[int] = set()

    def _add(self, node: ast.AST, kind: str, detail: str) -> None:
        self.findings.append(Finding(kind=kind, line=getattr(node, "lineno", 0), col=getattr(node, "col_offset", 0),
                                     detail=detail))

    def _is_set(self, node: ast.expr) -> bool:
        names = self.scopes[-1].set_names | (self.scopes[0].set_names if self.scopes else set())
        return _is_set(node, names, self.aliases)

    def visit_Module(self, node: ast.Module) -> None:
        self.scopes.append(_Scope(node.body, self.aliases))
        self.generic_visit(node)

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

    def visit_Assign(self, node: ast.Assign) -> None:
        if any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets) and self._is_set(node.value):
            self._add(node, "set_order", "unpacking a set: order varies with PYTHONHASHSEED; sort it")
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        for value in node.values:
            if isinstance(value, ast.FormattedValue) and self._is_set(value.value):
                self._add(value, "set_order", "formatting a set into text: order varies; sort it first")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and node.func.id in _ORDER_FREE and node.func.id not in self.aliases:
            self.order_free.update(id(a) for a in node.args if isinstance(a, (ast.GeneratorExp, ast.ListComp)))
        self._check_call(node)
        self.generic_visit(node)

    def _check_call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Name) and func.id not in self.aliases:
            if func.id == "id":
                self._add(node, "object_id", "id() is a memory address, different in every process")
            elif func.id == "hash":
                self._add(node, "hash", "hash() of str/bytes depends on PYTHONHASHSEED; use hashlib")
            elif func.id in _ORDER_CONSUMERS and node.args and self._is_set(node.args[0]):
                self._add(node, "set_order", f"{func.id}() of a set: order varies with PYTHONHASHSEED; "
                                             "use sorted(...)")
            elif (func.id in {"min", "max"} and any(k.arg == "key" for k in node.keywords) and len(node.args) == 1
                  and self._is_set(node.args[0])):
                self._add(node, "set_order", f"{func.id}(set, key=...) breaks ties in set order: "
                                             f"{func.id}(sorted(...), key=...) is deterministic")
            return
        if isinstance(func, ast.Attribute):
            if func.attr == "join" and node.args and self._is_set(node.args[0]):
                self._add(node, "set_order", "join() of a set: order varies with PYTHONHASHSEED; use sorted(...)")
                return
            if func.attr == "pop" and not node.args and self._is_set(func.value):
                self._add(node, "set_order", "set.pop() returns an arbitrary element; use min() or sorted()")
                return
        qual = _qualname(func, self.aliases)
        if qual is not None:
            self._check_qualified(node, qual)

    def _check_qualified(self, node: ast.Call, qual: str) -> None:
        module, _, name = qual.rpartition(".")
        seeded = module in self.scopes[-1].seeded
        if qual in _ENTROPY or module == "secrets":
            self._add(node, "entropy", f"{qual}() is fresh entropy on every call; derive values from the response")
        elif qual in _SEEDABLE_CTORS and not node.args and not node.keywords:
            self._add(node, "random", f"{qual}() without a seed: pass a fixed seed, e.g. {qual}(42)")
        elif module in _RANDOM_MODULES and name not in _RANDOM_SAFE and not seeded:
            self._add(node, "random", f"{qual}() uses the unseeded global generator: use {module}.Random(42) "
                                      "or seed it in the same function")
        elif qual in {f"{m}.seed" for m in _RANDOM_MODULES} and not node.args:
            self._add(node, "random", f"{qual}() without an argument seeds from the clock/OS")
        elif qual in _CLOCKS or (qual in _CLOCKS_WITHOUT_ARGS and not node.args):
            self._add(node, "clock", f"{qual}() reads the clock: scores must not depend on when they run")
        elif name in _DATETIME_NOW and (module.endswith("datetime") or module.endswith("date")):
            self._add(node, "clock", f"{qual}() reads the clock: scores must not depend on when they run")
        elif qual in _PIDS:
            self._add(node, "pid", f"{qual}() differs in every process")
