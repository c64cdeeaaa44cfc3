"""Loops, collections and reductions over a set whose outcome cannot depend on the order they visit it in.

Why: the static pass (:mod:`verifier.static_determinism`) flags iterating a set, because the order follows
``PYTHONHASHSEED`` and a score that follows it differs between runs, and a verifier that reads it tells
validation's varied runs from run 0 and training. But honest shapes were rejected as ``nondeterministic`` with
them (helper review, round 28):

- a loop that only looks for a member: ``for word in BANNED: if word in text: return 0.0``; every visit order
  returns the same constant when some member matches and falls through when none does;
- a list of the members that pass a test, read only for whether it is empty or how long it is:
  ``missing = [w for w in REQUIRED if w not in text]`` then ``return 0.0 if missing else 1.0``.

Both are recognised here, narrowly, from the syntax alone; anything else over a set stays flagged. The set's
members must be values of built-in types: a literal of constants (``{"a", "b"}``, ``frozenset(("a", "b"))``, or a
module name bound once to one), or any pure value computed once (``set(words)``, a name bound once to one; below).
A loop body may only test, ``continue``, ``break``, ``pass``, return one and the same constant, set a name to one
and the same constant, or count with ``+= <constant>`` (not with ``break``, which would make the count depend on
the order); the loop's own variable must not be read after it (it ends on an element the order chose). A list may
only be tested, measured (``if xs``, ``len(xs)``, ``sorted(xs)``), and is bound once; so may a dict comprehension
keyed by the members themselves, and its ``.values()``/``.keys()``/``.items()`` consumed whole (``all(v == 1 for v
in counts.values())``). A generator or ``map``/``filter`` handed to ``any``, ``all``, ``len``, ``set``, ``sorted``,
``min``, ``max`` or ``sum`` is held to the same test (red-team round 58: ``sum(spy(w) for w in S)`` recorded the
order); with ``key=`` the ties of ``min``/``max``/``sorted`` break in visit order, and ``sum`` adds only integers
(float sums round differently in different orders).

A test may only read values of built-in types, so that no code of the verifier's runs while the set is visited
(red-team round 28 recorded the order through a ``get`` method of its own class, and through the ``__eq__`` that
``w == spy`` falls back to): the loop variable, constants, module names bound once to constants, ``verify``'s own
response (never rebound), and locals bound once from such values; the only calls are :data:`PURE_BUILTINS`,
:data:`PURE_METHODS` of ``str`` and :data:`REGEX_FUNCTIONS` (below), and no subscript, arithmetic or conversion
(``int(w)``, ``d[w]`` raise for some members and not others, and the first member visited would decide between a
score and a crash). A value computed once (a local's binding) may also gather values (:data:`CONTAINERS`), index,
do arithmetic, and build comprehensions: it is evaluated before any visit, so only its type matters.

Regular expressions (red-team round 58: ``words = re.findall(...)`` and ``if re.search(r"\\b" + word + r"\\b",
text)`` were rejected) count as pure when ``re`` is bound only by ``import re`` and the arguments are pure; so do
the methods of a module name bound once to ``re.compile(<constant>)``. In a test run once per member the pattern
must also be *fixed*: text, ``.``, anchors, ``\\b``-like and one-character-class escapes, joined from constants,
``re.escape(...)`` and members that are such text themselves; no quantifier, group, class or alternation. A fixed
pattern compiles and matches in linear time for every member alike, where a pattern built from a member could fail
to compile (``"("``) or backtrack for minutes (``"(a+)+b"``) on one member and not another. ``re.sub`` (whose
replacement can fail) is not a test.

A module that reaches builtins or attributes by name (``builtins``, ``setattr``, ``globals``...) gets no exemption
at all. The dynamic runs still vary the hash seed: what this reading misjudges, they see.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from task_bank.code_sinks import name_bindings
from verifier.nondeterminism_names import ORDER_FREE

PURE_BUILTINS = frozenset({"len", "str", "bool", "any", "all", "repr"})
PURE_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "startswith", "endswith",
                          "count", "find", "rfind", "split", "isdigit", "isalpha", "isalnum", "isspace", "islower",
                          "isupper", "isnumeric", "replace"})
CONTAINERS = frozenset({"set", "frozenset", "list", "tuple", "sorted"})
"""Builtins that gather built-in values: pure in a value computed once, not in a test (``set(w)`` raises for some
members)."""
REGEX_FUNCTIONS = frozenset({"search", "match", "fullmatch", "findall", "split", "sub", "escape"})
"""Functions of ``re`` (and, but ``escape``, methods of a compiled pattern) that run no code of the verifier's."""
REGEX_FLAGS = frozenset({"I", "IGNORECASE", "M", "MULTILINE", "S", "DOTALL", "A", "ASCII"})
"""Flags that change no pattern's syntax (``VERBOSE`` does; ``LOCALE`` raises with a str pattern)."""
_PURE_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Tuple,
               ast.JoinedStr, ast.FormattedValue, ast.Call, ast.keyword, ast.expr_context, ast.cmpop, ast.boolop,
               ast.unaryop)
_ONCE_NODES = (ast.BinOp, ast.operator, ast.Subscript, ast.Slice, ast.List, ast.Set, ast.Dict)
"""Also pure in a value computed once: built-in values in, built-in values out."""
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_USE_CONSUMERS = frozenset({"len", "bool", "sorted", "set", "frozenset", "any", "all"})
_VIEWS = frozenset({"values", "keys", "items"})
_INTEGRAL_METHODS = frozenset({"count", "find", "rfind", "startswith", "endswith", "isdigit", "isalpha", "isalnum",
                               "isspace", "islower", "isupper", "isnumeric"})
_REFLECTIVE = frozenset({"builtins", "__builtins__", "setattr", "globals", "vars", "locals", "exec", "eval",
                         "__class__", "__dict__", "__import__", "importlib"})
_CONSTANT_TYPES = (str, int, float, bool, type(None))
_FIXED = re.compile(r"(?:[^\\*+?{}\[\]|()]|\\[bBAZdDsSwWnt]|\\[^0-9A-Za-z])*")
"""Regex text without quantifiers, groups, classes or alternation (escapes only complete ones)."""


@dataclass(frozen=True)
class ModuleFacts:
    """What the order-free reading knows of the whole module (:func:`read_module`)."""

    constants: Mapping[str, ast.expr]
    """Names bound exactly once in the module, at module level, to a constant or a literal container of constants."""
    regex: frozenset[str] = frozenset()
    """Names every binding of which in the module is ``import re``."""
    patterns: Mapping[str, str] = field(default_factory=dict)
    """Names bound exactly once, at module level, to ``re.compile(<str constant>)``: the pattern of each."""


def read_module(tree: ast.Module) -> ModuleFacts | None:
    """The module's constants, ``re`` names and compiled patterns; None when the module reaches builtins or
    attributes by name (no exemption then)."""
    if any(isinstance(n, ast.Name) and n.id in _REFLECTIVE or isinstance(n, ast.Attribute) and n.attr in _REFLECTIVE
           or isinstance(n, (ast.Import, ast.ImportFrom)) and any(a.name.split(".")[0] in _REFLECTIVE for a in n.names)
           for n in ast.walk(tree)):
        return None
    bindings = name_bindings(tree)  # parameters and defs too: ``def f(WORDS)`` is not the module's WORDS
    declared = {name for n in ast.walk(tree) if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    once = {stmt.targets[0].id: stmt.value for stmt in tree.body
            if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
            and len(bindings.get(stmt.targets[0].id, ())) == 1 and stmt.targets[0].id not in declared}
    regex = frozenset(name for name, bound in bindings.items() if all(b == "re" for b in bound))
    return ModuleFacts(constants={name: value for name, value in once.items() if _literal(value, frozenset())},
                       regex=regex,
                       patterns={name: value.args[0].value for name, value in once.items() if _compiled(value, regex)})


def order_free_nodes(body: list[ast.stmt], is_set: Callable[[ast.expr], bool], facts: ModuleFacts | None,
                     response: str | None = None, shadowed: frozenset[str] = frozenset()) -> set[int]:
    """The ids of the ``for`` loops, the list and dict comprehensions and the arguments of order-free reductions
    over a set in one scope (``body``; not the functions nested in it) whose outcome does not depend on the set's
    order (module docstring). ``facts``: :func:`read_module`; ``response``: the parameter holding the response,
    when the scope is ``verify``; ``shadowed``: the names the module binds itself."""
    if facts is None:
        return set()
    nodes = list(_scope_nodes(body))
    loops = [node for node in nodes if isinstance(node, ast.For) and is_set(node.iter)]
    built = [node for node in nodes if isinstance(node, ast.Assign) and len(node.targets) == 1
             and isinstance(node.targets[0], ast.Name) and isinstance(node.value, (ast.ListComp, ast.DictComp))
             and len(node.value.generators) == 1 and is_set(node.value.generators[0].iter)]
    reductions = [node for node in nodes if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                  and node.func.id in ORDER_FREE and any(_over_set(arg, is_set) for arg in node.args)]
    if not loops and not built and not reductions:  # the common case: nothing over a set, nothing more to read
        return set()
    everything = [node for stmt in body for node in ast.walk(stmt)]  # closures of nested functions read it too
    parents = {id(child): node for node in everything for child in ast.iter_child_nodes(node)}
    shadowed = shadowed | {n.id for n in everything if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    reading = _Reading(_known_names(everything, facts, response, shadowed), shadowed, facts)
    found = {id(loop) for loop in loops if reading.pure(loop.iter) and _free_loop(loop, everything, reading)}
    found |= {id(assign.value) for assign in built if reading.pure(assign.value.generators[0].iter)
              and _free_collection(assign.targets[0].id, assign.value, everything, parents, reading)}
    for call in reductions:
        found |= set(_free_reductions(call, reading))
    return found


def pure(expr: ast.AST, known: frozenset[str], shadowed: frozenset[str] = frozenset(),
         facts: ModuleFacts | None = None, members: Mapping[str, tuple[object, ...] | None] | None = None) -> bool:
    """Whether ``expr`` reads only values of built-in types (names in ``known``) through calls that run no code of
    the verifier's (module docstring). ``members`` None: ``expr`` is computed once (a binding, the set a loop
    visits); else it is a test run once per member, and ``members`` maps the loop variables to their members when
    those are literal constants (what a fixed regex pattern may be built from)."""
    facts = facts or ModuleFacts(constants={})
    once = members is None
    stack: list[tuple[ast.AST, frozenset[str]]] = [(expr, known)]
    while stack:
        node, names = stack.pop()
        if isinstance(node, ast.Call) and _regex_callee(node.func, facts) is not None:
            if not _pure_regex(node, names, shadowed, facts, members):
                return False
            continue
        if once and isinstance(node, _COMPREHENSIONS):
            if not _pure_comprehension(node, names, shadowed, facts):
                return False
            continue
        if not isinstance(node, _PURE_NODES) and not (once and isinstance(node, _ONCE_NODES)):
            return False
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load) and node.id not in names and not (
                (node.id in PURE_BUILTINS or once and node.id in CONTAINERS) and node.id not in shadowed):
            return False
        if isinstance(node, ast.Attribute) and node.attr not in PURE_METHODS:
            return False
        if isinstance(node, ast.Call) and not isinstance(node.func, (ast.Name, ast.Attribute)):
            return False
        stack.extend((child, names) for child in ast.iter_child_nodes(node))
    return True


@dataclass(frozen=True)
class _Reading:
    """The names of one scope that hold built-in values, the names the module binds itself, and the module's facts."""

    known: frozenset[str]
    shadowed: frozenset[str]
    facts: ModuleFacts

    def pure(self, expr: ast.AST, members: Mapping[str, tuple[object, ...] | None] | None = None,
             extra: frozenset[str] = frozenset()) -> bool:
        return pure(expr, self.known | extra, self.shadowed, self.facts, members)

    def members(self, target: ast.expr, iterable: ast.expr, own: set[str]) -> dict[str, tuple[object, ...] | None]:
        """Each loop variable of ``target`` mapped to the members of ``iterable`` when they are literal constants."""
        values = _members(iterable, self.facts.constants) if isinstance(target, ast.Name) else None
        return {name: values for name in own}


def _literal(node: ast.expr, constants: Mapping[str, ast.expr] | frozenset[str]) -> bool:
    """A constant, a literal container of constants, ``set``/``frozenset``/``tuple``/``list`` of one, or a name
    in ``constants``."""
    if isinstance(node, ast.Name):
        return node.id in constants
    if isinstance(node, ast.Constant):
        return isinstance(node.value, _CONSTANT_TYPES)
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)):
        return all(isinstance(e, ast.Constant) and isinstance(e.value, _CONSTANT_TYPES) for e in node.elts)
    return (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
            and node.func.id in {"set", "frozenset", "tuple", "list"} and len(node.args) == 1 and not node.keywords
            and isinstance(node.args[0], (ast.Set, ast.List, ast.Tuple)) and _literal(node.args[0], constants))


def _members(node: ast.expr, constants: Mapping[str, ast.expr]) -> tuple[object, ...] | None:
    """The values of a literal container of constants (through a module constant), else None."""
    if isinstance(node, ast.Name) and node.id in constants:
        return _members(constants[node.id], constants)
    if isinstance(node, ast.Call) and _literal(node, constants) and node.args:
        return _members(node.args[0], constants)
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)) and _literal(node, constants):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant))
    return None


def _compiled(value: ast.expr, regex: frozenset[str]) -> bool:
    """``re.compile(<str constant>)``, with at most flags besides."""
    return (isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr == "compile"
            and isinstance(value.func.value, ast.Name) and value.func.value.id in regex and not value.keywords
            and 1 <= len(value.args) <= 2 and isinstance(value.args[0], ast.Constant)
            and isinstance(value.args[0].value, str) and all(_flags(a, regex) for a in value.args[1:]))


def _flags(node: ast.expr, regex: frozenset[str]) -> bool:
    """``re.I``, ``re.I | re.M``: flags of :data:`REGEX_FLAGS` only."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left, regex) and _flags(node.right, regex)
    return (isinstance(node, ast.Attribute) and node.attr in REGEX_FLAGS and isinstance(node.value, ast.Name)
            and node.value.id in regex)


def _regex_callee(func: ast.expr, facts: ModuleFacts) -> tuple[str, str | None] | None:
    """``(function, None)`` for ``re.<function>``, ``(method, pattern)`` for a method of a compiled pattern."""
    if not isinstance(func, ast.Attribute) or not isinstance(func.value, ast.Name):
        return None
    if func.value.id in facts.regex and func.attr in REGEX_FUNCTIONS:
        return func.attr, None
    if func.value.id in facts.patterns and func.attr in REGEX_FUNCTIONS - {"escape"}:
        return func.attr, facts.patterns[func.value.id]
    return None


def _pure_regex(call: ast.Call, names: frozenset[str], shadowed: frozenset[str], facts: ModuleFacts,
                members: Mapping[str, tuple[object, ...] | None] | None) -> bool:
    """A regex call with pure arguments; in a test, one that cannot fail or backtrack for one member and not
    another: a fixed pattern, positional arguments only, counts and flags constant (module docstring)."""
    callee = _regex_callee(call.func, facts)
    if callee is None or any(isinstance(a, ast.Starred) for a in call.args) or any(
            k.arg is None for k in call.keywords):
        return False
    name, compiled = callee
    if members is None:
        return all(_flags(v, facts.regex) or pure(v, names, shadowed, facts)
                   for v in [*call.args, *(k.value for k in call.keywords)])
    args = call.args
    if call.keywords or name == "sub":
        return False
    if name == "escape":
        return len(args) == 1 and pure(args[0], names, shadowed, facts, members)
    if compiled is None:  # re.search(pattern, string[, flags]), re.split(pattern, string[, maxsplit[, flags]])
        if not 2 <= len(args) <= (4 if name == "split" else 3):
            return False
        if not _fixed(args[0], names, shadowed, facts, members):
            return False
        subject, counts, flags = args[1], args[2:3], args[3:]
        if name != "split":
            counts, flags = [], args[2:]
    else:  # pattern.search(string[, pos[, endpos]]), pattern.split(string[, maxsplit])
        if not 1 <= len(args) <= (2 if name == "split" else 3) or not _FIXED.fullmatch(compiled):
            return False
        subject, counts, flags = args[0], args[1:], []
    return (all(isinstance(c, ast.Constant) and type(c.value) is int for c in counts)
            and all(_flags(f, facts.regex) for f in flags) and pure(subject, names, shadowed, facts, members))


def _fixed(pattern: ast.expr, names: frozenset[str], shadowed: frozenset[str], facts: ModuleFacts,
           members: Mapping[str, tuple[object, ...] | None]) -> bool:
    """A fixed pattern (module docstring): constants of fixed text, members that all are, ``re.escape(...)``,
    joined with ``+`` or an f-string."""
    if isinstance(pattern, ast.Constant):
        return isinstance(pattern.value, str) and _FIXED.fullmatch(pattern.value) is not None
    if isinstance(pattern, ast.BinOp) and isinstance(pattern.op, ast.Add):
        return all(_fixed(side, names, shadowed, facts, members) for side in (pattern.left, pattern.right))
    if isinstance(pattern, ast.JoinedStr):
        return all(_fixed(v, names, shadowed, facts, members) if isinstance(v, ast.Constant) else
                   isinstance(v, ast.FormattedValue) and v.conversion == -1 and v.format_spec is None
                   and _fixed(v.value, names, shadowed, facts, members) for v in pattern.values)
    if isinstance(pattern, ast.Name) and pattern.id in members:
        values = members[pattern.id]
        return values is not None and all(isinstance(v, str) and _FIXED.fullmatch(v) for v in values)
    if isinstance(pattern, ast.Name):  # a module constant
        constant = facts.constants.get(pattern.id)
        return isinstance(constant, ast.Constant) and _fixed(constant, names, shadowed, facts, members)
    return (isinstance(pattern, ast.Call) and _regex_callee(pattern.func, facts) == ("escape", None)
            and _pure_regex(pattern, names, shadowed, facts, members))


def _pure_comprehension(node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, names: frozenset[str],
                        shadowed: frozenset[str], facts: ModuleFacts) -> bool:
    """A comprehension computed once over pure iterables, with pure tests and elements."""
    for generator in node.generators:
        own = _loop_names(generator.target)
        if own is None or generator.is_async or not pure(generator.iter, names, shadowed, facts):
            return False
        names = names | own
        if not all(pure(test, names, shadowed, facts) for test in generator.ifs):
            return False
    parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return all(pure(part, names, shadowed, facts) for part in parts)


def _known_names(everything: list[ast.AST], facts: ModuleFacts, response: str | None,
                 shadowed: frozenset[str]) -> frozenset[str]:
    """Names whose value is of a built-in type: the module's constants, the response (if never rebound) and locals
    bound once from a pure expression of known names (``words = re.findall(r"\\w+", response.lower())``); not a
    name declared ``global`` or ``nonlocal`` here (another function may rebind it)."""
    stores: dict[str, list[ast.AST]] = {}
    for node in everything:
        if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Load):
            stores.setdefault(node.id, []).append(node)
    declared = {name for n in everything if isinstance(n, (ast.Global, ast.Nonlocal)) for name in n.names}
    known = set(facts.constants)
    if response is not None and response not in stores:
        known.add(response)
    assigned = {stmt.targets[0].id: stmt.value for stmt in everything
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name)
                and len(stores.get(stmt.targets[0].id, ())) == 1 and stmt.targets[0].id not in declared}
    changed = True
    while changed:
        changed = False
        for name, value in assigned.items():
            if name not in known and pure(value, frozenset(known), shadowed, facts):
                known.add(name)
                changed = True
    return frozenset(known)


def _scope_nodes(body: list[ast.stmt]) -> Iterator[ast.AST]:
    """Every node of a scope, without descending into the functions, lambdas and classes defined in it."""
    stack: list[ast.AST] = list(body)
    while stack:
        node = stack.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))


def _loop_names(target: ast.expr) -> set[str] | None:
    if not all(isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.expr_context)) for t in ast.walk(target)):
        return None
    return {t.id for t in ast.walk(target) if isinstance(t, ast.Name)}


def _over_set(arg: ast.expr, is_set: Callable[[ast.expr], bool]) -> bool:
    """A comprehension with a generator over a set, or ``map``/``filter`` of one."""
    if isinstance(arg, (ast.GeneratorExp, ast.ListComp)):
        return any(is_set(generator.iter) for generator in arg.generators)
    return (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id in {"map", "filter"}
            and any(is_set(a) for a in arg.args))


def _free_loop(loop: ast.For, everything: list[ast.AST], reading: _Reading) -> bool:
    own = _loop_names(loop.target)
    if loop.orelse or own is None:
        return False
    members = reading.members(loop.target, loop.iter, own)
    returned, constants, counted, breaks = set(), {}, set(), False
    pending = list(loop.body)
    while pending:
        stmt = pending.pop()
        if isinstance(stmt, ast.If):
            if not reading.pure(stmt.test, members, frozenset(own)):
                return False
            pending += stmt.body + stmt.orelse
        elif isinstance(stmt, ast.Break):
            breaks = True
        elif isinstance(stmt, ast.Return):
            if stmt.value is not None and not _literal(stmt.value, frozenset()):
                return False
            returned.add(ast.dump(stmt.value) if stmt.value is not None else "None")
        elif isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name) \
                and isinstance(stmt.value, ast.Constant):
            constants.setdefault(stmt.targets[0].id, set()).add(repr(stmt.value.value))
        elif isinstance(stmt, ast.AugAssign) and isinstance(stmt.target, ast.Name) and isinstance(stmt.op, ast.Add) \
                and isinstance(stmt.value, ast.Constant) and type(stmt.value.value) in (int, float):
            counted.add(stmt.target.id)
        elif not isinstance(stmt, (ast.Continue, ast.Pass)):
            return False
    if len(returned) > 1 or any(len(values) > 1 for values in constants.values()) or counted & set(constants):
        return False
    if breaks and counted or (own & (set(constants) | counted)):
        return False
    inside = {id(node) for node in ast.walk(loop)}
    return not any(isinstance(node, ast.Name) and node.id in own and id(node) not in inside for node in everything)


def _free_collection(name: str, comprehension: ast.ListComp | ast.DictComp, everything: list[ast.AST],
                     parents: dict[int, ast.AST], reading: _Reading) -> bool:
    """A list of members that pass a test, or a dict keyed by the members themselves (so no two visits write one
    key), bound once and read only in ways that see no order."""
    generator = comprehension.generators[0]
    own = _loop_names(generator.target)
    if own is None or generator.is_async:
        return False
    members = reading.members(generator.target, generator.iter, own)
    if isinstance(comprehension, ast.DictComp):
        keyed = isinstance(generator.target, ast.Name) and isinstance(comprehension.key, ast.Name) and (
            comprehension.key.id == generator.target.id)
        parts = [comprehension.value] if keyed else None
    else:
        parts = [comprehension.elt]
    if parts is None or not all(reading.pure(p, members, frozenset(own)) for p in [*parts, *generator.ifs]):
        return False
    uses = [node for node in everything if isinstance(node, ast.Name) and node.id == name]
    if sum(not isinstance(node.ctx, ast.Load) for node in uses) != 1:
        return False
    views = isinstance(comprehension, ast.DictComp)
    return all(_order_free_use(node, parents, reading, views) for node in uses if isinstance(node.ctx, ast.Load))


def _order_free_use(node: ast.expr, parents: dict[int, ast.AST], reading: _Reading, views: bool = False) -> bool:
    """``if xs``, ``x if xs else y``, ``not xs``, ``len(xs)`` and the like: nothing that sees order. With
    ``views``, also ``d.values()`` (``keys``, ``items``) read that way or by a pure generator so consumed."""
    parent = parents.get(id(node))
    if isinstance(parent, (ast.If, ast.IfExp, ast.While, ast.Assert)):
        return parent.test is node
    if isinstance(parent, ast.UnaryOp):
        return isinstance(parent.op, ast.Not)
    if isinstance(parent, ast.Call):
        return _consumer(parent, reading) and node in parent.args
    if views and isinstance(parent, ast.Attribute) and parent.attr in _VIEWS:
        call = parents.get(id(parent))
        if not isinstance(call, ast.Call) or call.func is not parent or call.args or call.keywords:
            return False
        return _order_free_use(call, parents, reading) or _consumed_by_generator(call, parents, reading)
    return False  # not even ``v in xs``: it compares ``v`` with each member in turn, and ``v`` may record them


def _consumed_by_generator(view: ast.Call, parents: dict[int, ast.AST], reading: _Reading) -> bool:
    """``all(v == 1 for v in counts.values())``: the only generator of a comprehension with pure parts, handed
    whole to an order-free consumer."""
    generator = parents.get(id(view))
    comprehension = parents.get(id(generator))
    if not isinstance(generator, ast.comprehension) or generator.iter is not view or not isinstance(
            comprehension, (ast.GeneratorExp, ast.ListComp, ast.SetComp)) or len(comprehension.generators) != 1:
        return False
    own = _loop_names(generator.target)
    if own is None or generator.is_async or not all(
            reading.pure(p, {n: None for n in own}, frozenset(own)) for p in [comprehension.elt, *generator.ifs]):
        return False
    consumer = parents.get(id(comprehension))
    return isinstance(consumer, ast.Call) and _consumer(consumer, reading) and comprehension in consumer.args


def _consumer(call: ast.Call, reading: _Reading) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id in _USE_CONSUMERS and call.func.id not in (
        reading.shadowed | reading.known)


def _free_reductions(call: ast.Call, reading: _Reading) -> Iterator[int]:
    """The arguments of ``any``/``all``/``sum``/... over a set that no visit order can change (module docstring):
    the builtin itself (not a function of the module's), no ``key=``, each generator's parts pure."""
    name = call.func.id if isinstance(call.func, ast.Name) else ""
    if name in reading.shadowed or name in reading.known or name in {"min", "max", "sorted"} and any(
            k.arg == "key" for k in call.keywords):
        return
    for arg in call.args:
        if isinstance(arg, (ast.GeneratorExp, ast.ListComp)) and _free_generators(arg, reading, name == "sum"):
            yield id(arg)
        elif (isinstance(arg, ast.Call) and isinstance(arg.func, ast.Name) and arg.func.id in {"map", "filter"}
              and arg.func.id not in reading.shadowed and len(arg.args) >= 2 and not arg.keywords
              and reading.pure(arg.args[0], {}) and all(reading.pure(a) for a in arg.args[1:])
              and (name != "sum" or arg.func.id == "map" and _integral_function(arg.args[0], reading))):
            yield id(arg)


def _free_generators(comprehension: ast.GeneratorExp | ast.ListComp, reading: _Reading, integral: bool) -> bool:
    """Every part pure: the first iterable computed once (its members are then built-in values), the rest and the
    tests and the element once per member. For ``sum``, an element that is surely an integer."""
    names: frozenset[str] = frozenset()
    members: dict[str, tuple[object, ...] | None] = {}
    for position, generator in enumerate(comprehension.generators):
        own = _loop_names(generator.target)
        if own is None or generator.is_async:
            return False
        if not (reading.pure(generator.iter, None, names) if position == 0
                else reading.pure(generator.iter, members, names)):
            return False
        members.update(reading.members(generator.target, generator.iter, own))
        names = names | own
        if not all(reading.pure(test, members, names) for test in generator.ifs):
            return False
    return reading.pure(comprehension.elt, members, names) and (not integral or _integral(comprehension.elt, reading))


def _integral(expr: ast.expr, reading: _Reading) -> bool:
    """Surely an ``int`` or ``bool`` (of a pure expression): integers add up alike in any order."""
    if isinstance(expr, ast.Constant):
        return type(expr.value) in (int, bool)
    if isinstance(expr, ast.Compare) or isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.Not):
        return True
    if isinstance(expr, ast.BoolOp):
        return all(_integral(v, reading) for v in expr.values)
    if isinstance(expr, ast.IfExp):
        return _integral(expr.body, reading) and _integral(expr.orelse, reading)
    return isinstance(expr, ast.Call) and _integral_function(expr.func, reading)


def _integral_function(func: ast.expr, reading: _Reading) -> bool:
    """``len``, ``bool``, ``any``, ``all`` (the builtins) and the counting and testing methods of ``str``."""
    if isinstance(func, ast.Name):
        return func.id in {"len", "bool", "any", "all"} and func.id not in reading.shadowed | reading.known
    return isinstance(func, ast.Attribute) and func.attr in _INTEGRAL_METHODS
