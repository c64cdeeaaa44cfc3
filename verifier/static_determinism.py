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
native         ``ctypes`` imported or reached (``numpy.ctypeslib``, ``__import__('ctypes')``): C calls read the real
               clock, pids and addresses, which validation's varied runs do not shift
reflective     a member of a module that holds one of the above reached by a computed name (``getattr(os, n)``,
               ``vars(time)[k]``), and any module by one (``sys.modules[n]``, ``__import__(n)``); with a constant
               name (``os.__dict__['getpid']``, ``sys.modules['time'].time``) the member is judged as if named
               (:mod:`verifier.reflective_reads`); a walk of the heap (``gc.get_objects``, ``get_referrers``,
               ``get_referents``), which finds the varied runs' clock patches
=============  ===========================================================================================

Beyond calls, *references* count: ``key=hash``, ``f = id``, ``now = time.time``, ``object.__repr__`` (an
address), ``x.__hash__`` are flagged where they are named, so an alias cannot hide them. The RNG state
(``random.getstate()``) and the process group (``os.getpgrp()``) are flagged because their only use in a verifier
is telling one run from another (validation from training). ``random.seed(None)`` and ``random.Random(None)``
seed from the OS, like no argument.

``random.Random(42)``, ``random.seed(7)`` followed by ``random.*`` in the same function, ``sorted(set(...))``,
``len(set(...))``, membership tests and set comprehensions pass; so do a comprehension (or ``map``/``filter``) over
a set consumed whole by an order-free builtin (``sum``, ``any``, ``all``, ``min``, ``max``, ``len``, ``sorted``,
``set``) when its parts are pure (red-team round 58: ``sum(spy(w) for w in S)`` recorded the order), a loop that
only searches a set, a list of a set's members read only for its size and a dict keyed by them read only whole
(:mod:`verifier.order_free`), and the one member of a set that an early exit left holding one
(:mod:`verifier.singleton_sets`).
Names are resolved through ``import x as y`` and ``from x import y``; a local name counts as a set only when every
assignment to it in its scope is a set. The tables of names live in ``nondeterminism_names``, the facts of each
scope (set names, seeded generators, bound names) in ``static_scope``, the clock rules that need more than a name
in ``clock_reads``, the rules for calls in ``static_calls``, the rules for names, attributes and constants in
``static_references``, reflective reads in ``reflective_reads`` and the real names of standard-library chains in
``stdlib_names``; this module walks the tree and holds the set-order rules.
"""

from __future__ import annotations

import ast

from pydantic import BaseModel, ConfigDict

from task_bank.response_exec import collect_aliases, qualname
from verifier.nondeterminism_names import EVENT_LOOPS
from verifier.order_free import ModuleFacts, order_free_nodes, read_module
from verifier.singleton_sets import singleton_reads
from verifier.plain_values import PlainValues
from verifier.reflective_reads import module_aliases, reflective_reads
from verifier.static_calls import CallRules
from verifier.static_references import KNOWN, TABLES, ReferenceRules
from verifier.static_scope import Scope, bound_names, is_set

class Finding(BaseModel):
    """One place in the source that makes scores depend on something other than the response."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: str
    """random, clock, pid, object_id, entropy, hash, set_order, proc, native or reflective."""
    line: int
    """1-based line in the verifier source."""
    col: int
    """0-based column."""
    detail: str
    """What was found and how to make it deterministic."""


def find_nondeterminism(source: str) -> tuple[Finding, ...]:
    """Findings in ``source``, in source order. Raises ``SyntaxError`` (or ``ValueError``) when it does not parse."""
    tree = ast.parse(source, filename="<verifier>", mode="exec")
    aliases = module_aliases(tree, collect_aliases(tree))
    visitor = _Visitor(aliases, bound_names(tree),
                       {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))},
                       PlainValues(tree, aliases))
    visitor.visit(tree)
    for node, member in reflective_reads(tree, aliases):
        if member is None:
            visitor.add(node, "reflective", "a member of a module that holds clocks, pids or entropy (or any module) "
                                            "reached by a computed name: name it instead")
        elif member.startswith("*."):  # operator.attrgetter('getpid'): whatever it is applied to
            for kind, table in TABLES:
                if any(qual.rpartition(".")[2] == member[2:] for qual in table):
                    visitor.add(node, kind, f"{member[2:]!r} fetched by name is {kind} wherever it is found")
        else:
            visitor.reference(node, member)
    return tuple(sorted(set(visitor.findings), key=lambda f: (f.line, f.col, f.kind, f.detail)))


class _Visitor(ReferenceRules, CallRules, ast.NodeVisitor):
    known = KNOWN

    def __init__(self, aliases: dict[str, str], bound: set[str], helpers: set[str], plain: PlainValues) -> None:
        self.aliases = aliases
        self.plain = plain
        """Whether an expression surely evaluates to a built-in, non-``None`` value (a time given)."""
        self.bound = bound
        self.helpers = helpers
        self.findings: list[Finding] = []
        self.scopes: list[Scope] = []
        self.order_free: set[int] = set()
        self.facts: ModuleFacts | None = None
        """Module constants, ``re`` names and compiled patterns (``order_free.read_module``); None: no exemption."""
        self.called: set[int] = set()
        """Callee expressions: a call is judged with its arguments by ``_check_call``, not as a reference."""
        self.inner: set[int] = set()
        """Bases of attribute chains (``np.random`` in ``np.random.rand``): judged as part of the whole chain."""
        self.docstrings: set[int] = set()
        self.statements: set[int] = set()
        """Expressions that are a statement of their own: their value is never read."""
        self.stat_fields: set[int] = set()
        """Stat calls read through one field (``os.stat(p).st_size``, ``os.stat(p)[6]``): nothing else of them."""
        self.loops: set[str] = {name for name, qual in aliases.items() if qual in EVENT_LOOPS}
        """Names bound to an event loop (``loop = asyncio.new_event_loop()``), anywhere in the module."""
        self.zips: set[str] = set()
        """Names bound to a ``zipfile.ZipFile`` (by ``=`` or ``with ... as``), anywhere in the module."""

    def add(self, node: ast.AST, kind: str, detail: str) -> None:
        self.findings.append(Finding(kind=kind, line=getattr(node, "lineno", 0), col=getattr(node, "col_offset", 0),
                                     detail=detail))

    def _is_set(self, node: ast.expr) -> bool:
        names = self.scopes[-1].set_names | (self.scopes[0].set_names if self.scopes else set())
        return is_set(node, names, self.aliases)

    def visit_Module(self, node: ast.Module) -> None:
        self.scopes.append(Scope(node.body, self.aliases))
        self.facts = read_module(node)
        self.order_free |= order_free_nodes(node.body, self._is_set, self.facts, None, frozenset(self.bound))
        self.generic_visit(node)

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self._native(node, alias.name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self._native(node, node.module or "")
        for alias in node.names:
            self._native(node, alias.name)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):  # a docstring or a bare string: never read at run time
            self.docstrings.add(id(node.value))
        self.statements.add(id(node.value))  # a call whose result is dropped
        self.generic_visit(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> None:
        body = node.body if isinstance(node.body, list) else [ast.Expr(node.body)]
        self.scopes.append(Scope(body, self.aliases))
        response = (node.args.args[0].arg if isinstance(node, ast.FunctionDef) and node.name == "verify"
                    and len(self.scopes) == 2 and node.args.args else None)  # the module's own verify(response)
        self.order_free |= order_free_nodes(body, self._is_set, self.facts, response, frozenset(self.bound))
        self.order_free |= singleton_reads(node, self._is_set)
        self.generic_visit(node)
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_Lambda = _visit_function

    def visit_For(self, node: ast.For) -> None:
        if self._is_set(node.iter) and id(node) not in self.order_free:  # a search loop passes (order_free)
            self.add(node.iter, "set_order", "for-loop over a set: iterate sorted(...) instead")
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp) -> None:
        if id(node) not in self.order_free and not isinstance(node, ast.SetComp):
            for generator in node.generators:
                if self._is_set(generator.iter):
                    self.add(generator.iter, "set_order", "comprehension over a set: iterate sorted(...) instead")
        self.generic_visit(node)

    visit_ListComp = visit_SetComp = visit_DictComp = visit_GeneratorExp = _visit_comprehension

    def visit_Starred(self, node: ast.Starred) -> None:
        if self._is_set(node.value):
            self.add(node, "set_order", "unpacking a set with *: order varies with PYTHONHASHSEED; sort it")
        self.generic_visit(node)

    def _is_event_loop(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Call):
            return qualname(node.func, self.aliases) in EVENT_LOOPS
        return isinstance(node, ast.Name) and node.id in self.loops

    def is_zip(self, node: ast.expr) -> bool:
        """A ``zipfile.ZipFile``: made right there, or a name bound to one."""
        if isinstance(node, ast.Call):
            return qualname(node.func, self.aliases) == "zipfile.ZipFile"
        return isinstance(node, ast.Name) and node.id in self.zips

    def visit_With(self, node: ast.With) -> None:
        self.zips.update(item.optional_vars.id for item in node.items
                         if isinstance(item.optional_vars, ast.Name) and self.is_zip(item.context_expr))
        self.generic_visit(node)

    def visit_Assign(self, node: ast.Assign) -> None:
        if self.is_zip(node.value):
            self.zips.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if isinstance(node.value, ast.Call) and qualname(node.value.func, self.aliases) in EVENT_LOOPS:
            self.loops.update(t.id for t in node.targets if isinstance(t, ast.Name))
        if (any(isinstance(t, (ast.Tuple, ast.List)) for t in node.targets) and self._is_set(node.value)
                and id(node) not in self.order_free):
            self.add(node, "set_order", "unpacking a set: order varies with PYTHONHASHSEED; sort it")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        """``'%s' % S`` and ``'%s %s' % (a, S)``: a set formatted into text (red-team round 14); text joined from
        constants that asks a library for the current time (``"...'" + 'no' + "w')"``: round 40)."""
        self.joined_clock_text(node)
        if isinstance(node.op, ast.Mod) and isinstance(node.left, ast.Constant) and isinstance(node.left.value, str):
            parts = node.right.elts if isinstance(node.right, ast.Tuple) else [node.right]
            if any(self._is_set(part) for part in parts):
                self.add(node, "set_order", "formatting a set into text with %: order varies; sort it first")
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self.joined_clock_text(node)
        for value in node.values:
            if isinstance(value, ast.FormattedValue) and self._is_set(value.value):
                self.add(value, "set_order", "formatting a set into text: order varies; sort it first")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        self.called.add(id(node.func))
        self._check_call(node)
        self.generic_visit(node)
