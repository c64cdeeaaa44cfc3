"""Does a verifier run the response as code in its own process? Read from the source (parsed, never executed).

Response code that a verifier ``exec``\\ s shares the verifier's process: it can walk ``sys._getframe()`` up to the
code that reports scores and write any score for itself and its siblings, patch builtins, or raise ``SystemExit``.
The cure is that response code only ever runs through the sandbox's response primitive (a fresh child process
that hands back plain JSON values). This module finds the verifiers that do it the old way, so that validation
rejects them (reason ``executes_response``) and ``task_bank import`` refuses them unless the user passes
``--allow-response-exec`` (then every scorer runs each response in a process of its own).

It lives in ``task_bank`` because import, which may not use the sandbox layer, must refuse such tasks too.

What counts (a *taint* reading: the parameters of ``verify`` and everything computed from them)::

    exec / eval / compile / __import__ / breakpoint     on response text, or anything derived from it
    importlib.*, runpy.*, pickle / marshal / dill loads  the same, plus the loaders of ``importlib.util``,
    yaml.unsafe_load, jsonpickle.decode                  (they build arbitrary objects, which runs code)
    types.FunctionType / CodeType, code.InteractiveInterpreter / InteractiveConsole, codeop, timeit, pdb, cProfile
    subprocess.*, os.system / popen / exec* / spawn*     the response as a program (it inherits the harness's pipes)
    .runsource / .runcode / .push / .exec_module ...     methods of interpreters and loaders, on derived values
    a file written from the response, then any loader   ``open(p, 'w').write(code)`` ... ``runpy.run_path(p)``

Sinks are also followed through aliases (``run = exec``, ``getattr(builtins, 'exec')``, ``__builtins__['eval']``)
and through helper functions of the module (a derived argument taints the helper's parameters). ``ast.parse``
and ``ast.literal_eval`` do not execute anything and pass. Not covered: sinks reached through ``getattr`` with a
computed name, or code assembled from the response by a C extension; the sandbox primitive, not this reading, is
the boundary (this is the signal that tells an honest generator how to write its verifier).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

RESPONSE_EXEC_KEY = "allow_response_exec"
"""``metadata`` key recording that a task was admitted under ``--allow-response-exec`` (its verifier runs the
response, the old way). The mark only ever adds isolation: scorers also read the source, so a forged mark cannot
admit anything and a missing one cannot remove the isolation."""

_BUILTIN_SINKS = frozenset({"exec", "eval", "compile", "__import__", "breakpoint"})
_OS_RUNNERS = ("system", "popen", "execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe",
               "spawnl", "spawnle", "spawnlp", "spawnlpe", "spawnv", "spawnve", "spawnvp", "spawnvpe",
               "posix_spawn", "posix_spawnp", "fork")
_SINK_PREFIXES = ("importlib.", "runpy.", "code.", "codeop.", "subprocess.", "timeit.", "pdb.", "cProfile.",
                  "profile.")
_SINKS = frozenset({*(f"builtins.{n}" for n in _BUILTIN_SINKS), *(f"os.{n}" for n in _OS_RUNNERS),
                    *(f"{m}.{f}" for m in ("pickle", "_pickle", "cPickle", "dill", "cloudpickle", "marshal")
                      for f in ("loads", "load", "Unpickler")),
                    "shelve.open", "yaml.unsafe_load", "jsonpickle.decode",
                    "types.FunctionType", "types.LambdaType", "types.CodeType",
                    "doctest.run_docstring_examples"})
_ATTRIBUTE_SINKS = frozenset({"exec", "eval", "__import__"})
"""Names that run code on whatever object they are reached through (``compile`` is left out: ``re.compile``)."""
_SINK_METHODS = frozenset({"runsource", "runcode", "push", "exec_module", "load_module", "runctx", "runcall",
                           "run_docstring_examples", "interact"})
_FILE_WRITERS = frozenset({"write", "write_text", "write_bytes", "writelines"})
_FILE_LOADERS = ("importlib.", "runpy.", "subprocess.", "builtins.__import__", "os.")
_FIXPOINT_ROUNDS = 12
_Scope = ast.Module | ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef


class ExecFinding(BaseModel):
    """One place where the verifier runs the response (or something derived from it) as code in its process."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int
    """1-based line in the verifier source."""
    col: int
    """0-based column."""
    detail: str
    """What runs the response, in words."""


def find_response_exec(source: str) -> tuple[ExecFinding, ...]:
    """Findings in source order. Raises ``SyntaxError`` (or ``ValueError``) when the source does not parse."""
    tree = ast.parse(source, filename="<verifier>", mode="exec")
    if not _names_a_sink(tree, collect_aliases(tree)):  # the common case, in one walk: nothing could run code
        return ()
    reader = _TaintReader(tree)
    for _ in range(_FIXPOINT_ROUNDS):
        if not reader.propagate():
            break
    return tuple(sorted(set(reader.findings()), key=lambda f: (f.line, f.col)))


def marked_response_exec(metadata: dict[str, object]) -> bool:
    """True when a task's metadata records that it was admitted under ``--allow-response-exec``."""
    return metadata.get(RESPONSE_EXEC_KEY) is True


def executes_response(source: str) -> bool:
    """True when :func:`find_response_exec` finds anything; a source that does not parse counts as False (the
    validator rejects it as ``verifier_error`` for that)."""
    try:
        return bool(find_response_exec(source))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def collect_aliases(tree: ast.AST) -> dict[str, str]:
    """Local name -> qualified name for every import in the module (flow-insensitive, last one wins).

    Shared with :mod:`verifier.static_determinism`, which resolves names the same way."""
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


def qualname(node: ast.expr, aliases: dict[str, str]) -> str | None:
    """Dotted name of ``a.b.c`` with its base resolved through the imports; None when not a plain name chain."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    base = aliases.get(node.id, node.id)
    return ".".join([base, *reversed(parts)])


def _names_a_sink(tree: ast.AST, aliases: dict[str, str]) -> bool:
    """True when the module names anything that can run code (a cheap over-approximation of the sinks)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and (node.id in _BUILTIN_SINKS or node.id in aliases):
            qual = aliases.get(node.id, f"builtins.{node.id}")
            if qual in _SINKS or qual.startswith(_SINK_PREFIXES):
                return True
        elif isinstance(node, ast.Attribute) and (node.attr in _SINK_METHODS or node.attr in _BUILTIN_SINKS):
            return True
        elif isinstance(node, ast.Attribute):
            base = node.value
            while isinstance(base, ast.Attribute):
                base = base.value
            qual = qualname(node, aliases) if isinstance(base, ast.Name) and base.id in aliases else None
            if qual is not None and (qual in _SINKS or qual.startswith(_SINK_PREFIXES)):
                return True
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in _BUILTIN_SINKS:
            return True
    return False


def _child_nodes(node: ast.AST) -> Iterator[ast.AST]:
    """Nodes of one scope, not descending into nested functions, lambdas or classes."""
    stack = list(ast.iter_child_nodes(node))
    while stack:
        child = stack.pop()
        yield child
        if not isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(child))


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> list[str]:
    a = node.args
    names = [p.arg for p in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
    names += [p.arg for p in (a.vararg, a.kwarg) if p is not None]
    return names


class _TaintReader:
    """Names (per scope) that hold response-derived values, grown to a fixpoint; then the sinks they reach."""

    def __init__(self, tree: ast.Module) -> None:
        self.tree = tree
        self.aliases = collect_aliases(tree)
        self.parent: dict[ast.AST, _Scope] = {}
        self.locals: dict[ast.AST, set[str]] = {}
        self.functions: dict[str, list[ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda]] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self._index(tree)
        self.tainted: set[tuple[int, str]] = set()
        self.returning: set[str] = set()
        """Helper functions whose result is response-derived."""
        self.sink_names: set[tuple[int, str]] = set()
        """Names bound to a sink (``run = exec``, ``shell = code.InteractiveConsole()``)."""
        self.writes_response = False
        self._parts: dict[int, tuple[ast.AST, ...]] = {}
        self._nodes = list(ast.walk(tree))
        self.attributes: set[str] = set()
        """Attribute names assigned response-derived values (``self.code = response``), in any object."""
        for funcs in self.functions.values():
            for func in funcs:
                if isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)) and func.name == "verify":
                    self._taint_params(func)

    def _index(self, tree: ast.Module) -> None:
        scopes: list[_Scope] = [tree]
        while scopes:
            scope = scopes.pop()
            is_function = isinstance(scope, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            names = set(_params(scope)) if is_function else set()
            declared_global: set[str] = set()
            for node in _child_nodes(scope):
                self.parent[node] = scope
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                    names.add(node.id)
                elif isinstance(node, ast.Global):
                    declared_global.update(node.names)
                elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(node.name)
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
                    scopes.append(node)
                    if isinstance(node, ast.ClassDef):
                        self.classes[node.name] = node
                    elif not isinstance(node, ast.Lambda):
                        self.functions.setdefault(node.name, []).append(node)
            self.locals[scope] = names - declared_global

    def _key(self, name: str, node: ast.AST) -> tuple[int, str]:
        scope = self.parent.get(node, self.tree)
        while not isinstance(scope, ast.Module):
            if name in self.locals.get(scope, set()):
                return id(scope), name
            scope = self.parent.get(scope, self.tree)
        return id(self.tree), name

    def _taint_params(self, func: ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda) -> bool:
        new = {(id(func), name) for name in _params(func) if name not in ("self", "cls")} - self.tainted
        self.tainted |= new
        return bool(new)

    def _taint_target(self, target: ast.AST) -> bool:
        changed = False
        if isinstance(target, ast.Attribute) and target.attr not in self.attributes:
            self.attributes.add(target.attr)
            changed = True
        for node in ast.walk(target):
            if isinstance(node, ast.Name):
                key = self._key(node.id, node)
                if key not in self.tainted:
                    self.tainted.add(key)
                    changed = True
        return changed

    def derived(self, expr: ast.AST | None) -> bool:
        """True when ``expr`` reads a response-derived name or calls a helper that returns one."""
        if expr is None:
            return False
        parts = self._parts.get(id(expr))
        if parts is None:
            parts = self._parts[id(expr)] = tuple(n for n in ast.walk(expr)
                                                  if isinstance(n, (ast.Name, ast.Call, ast.Attribute)))
        for node in parts:
            if (isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
                    and self._key(node.id, node) in self.tainted):
                return True
            if isinstance(node, ast.Call) and _callee_name(node.func) in self.returning:
                return True
            if isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load) and node.attr in self.attributes:
                return True
        return False

    def propagate(self) -> bool:
        """One pass over the module; True when anything new was learnt."""
        changed = False
        for node in self._nodes:
            if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if self.derived(node.value):
                    changed |= any([self._taint_target(t) for t in targets])
                if node.value is not None and self._is_sink_ref(node.value):
                    for target in targets:
                        if isinstance(target, ast.Name) and self._key(target.id, target) not in self.sink_names:
                            self.sink_names.add(self._key(target.id, target))
                            changed = True
            elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)) and self.derived(node.iter):
                changed |= self._taint_target(node.target)
            elif isinstance(node, ast.withitem) and node.optional_vars is not None and self.derived(node.context_expr):
                changed |= self._taint_target(node.optional_vars)
            elif isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom)) and self.derived(node.value):
                scope = self.parent.get(node)
                name = getattr(scope, "name", None)
                if name is not None and name not in self.returning:
                    self.returning.add(name)
                    changed = True
            elif isinstance(node, ast.Call):
                changed |= self._propagate_call(node)
        return changed

    def _propagate_call(self, node: ast.Call) -> bool:
        values = [*node.args, *(k.value for k in node.keywords)]
        if not any(self.derived(v) for v in values):
            return False
        changed = False
        callee = _callee_name(node.func) or ""
        methods = [n for n in self.classes[callee].body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                   ] if callee in self.classes else []
        for func in [*self.functions.get(callee, []), *methods]:
            changed |= self._taint_params(func)
        if isinstance(node.func, ast.Attribute):
            base = node.func.value
            while isinstance(base, (ast.Attribute, ast.Subscript)):
                base = base.value
            if isinstance(base, ast.Name):  # ``lines.append(response)``, ``buf.write(code)``: the receiver holds it
                changed |= self._taint_target(base)
            if node.func.attr in _FILE_WRITERS or qualname(node.func, self.aliases) == "os.write":
                changed |= not self.writes_response
                self.writes_response = True
        if isinstance(node.func, ast.Name) and node.func.id == "print" and any(k.arg == "file" for k in node.keywords):
            changed |= not self.writes_response
            self.writes_response = True
        return changed

    def _sink(self, node: ast.expr) -> str | None:
        """The sink ``node`` names (a callable that runs code), or None."""
        if isinstance(node, ast.Name) and self._key(node.id, node) in self.sink_names:
            return node.id
        if isinstance(node, ast.Name) and node.id in _BUILTIN_SINKS and not self._bound(node.id, node):
            return node.id
        if isinstance(node, ast.Call) and (self._sink(node.func) or _getattr_sink(node)):
            return self._sink(node.func) or _getattr_sink(node)
        if (isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant)
                and node.slice.value in _BUILTIN_SINKS):
            return str(node.slice.value)
        if isinstance(node, ast.Attribute) and node.attr in _ATTRIBUTE_SINKS:  # ``globals()['__builtins__'].exec``
            return node.attr
        qual = self._imported(node)
        if qual is not None and (qual in _SINKS or qual.startswith(_SINK_PREFIXES)):
            return qual
        return None

    def _bound(self, name: str, node: ast.AST) -> bool:
        """True when ``name`` is bound by this module (assigned, defined, imported) where ``node`` reads it."""
        return name in self.aliases or name in self.locals.get(self.tree, set()) or (
            self._key(name, node)[0] != id(self.tree))

    def _imported(self, node: ast.expr) -> str | None:
        """The qualified name of ``a.b.c`` when ``a`` is an imported module (or ``builtins``), else None: a local
        variable that happens to be called ``code`` is not the ``code`` module."""
        base = node
        while isinstance(base, ast.Attribute):
            base = base.value
        if not isinstance(base, ast.Name) or not (base.id in self.aliases or base.id == "builtins"):
            return None
        return qualname(node, self.aliases)

    def _is_sink_ref(self, node: ast.expr) -> bool:
        return self._sink(node) is not None

    def findings(self) -> Iterator[ExecFinding]:
        for node in self._nodes:
            if not isinstance(node, ast.Call):
                continue
            values = [*node.args, *(k.value for k in node.keywords)]
            derived = any(self.derived(v) for v in values)
            sink = self._sink(node.func)
            where = {"line": node.lineno, "col": node.col_offset}
            if sink is not None and derived:
                yield ExecFinding(**where, detail=f"{sink}() runs response-derived code")
            elif sink is not None and self.writes_response and sink.startswith(_FILE_LOADERS):
                yield ExecFinding(**where, detail=f"{sink}() after the response was written to a file: it runs "
                                                  "response code")
            elif isinstance(node.func, ast.Attribute) and node.func.attr in _SINK_METHODS and derived:
                yield ExecFinding(**where, detail=f".{node.func.attr}() runs response-derived code")
            elif derived and any(self._sink(v) for v in values):
                name = next(s for s in map(self._sink, values) if s)
                yield ExecFinding(**where, detail=f"{name} is handed response-derived values to run")


def _callee_name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _getattr_sink(node: ast.Call) -> str | None:
    """``getattr(builtins, 'exec')`` and the like: a builtin sink looked up by a constant name."""
    if isinstance(node.func, ast.Name) and node.func.id == "getattr" and len(node.args) >= 2:
        name = node.args[1]
        if isinstance(name, ast.Constant) and name.value in _BUILTIN_SINKS:
            return str(name.value)
    return None
