"""Which expressions of a verifier read only values of built-in types, so that no code of the verifier's runs while
they are evaluated (what :mod:`verifier.order_free` asks of the tests and parts it exempts).

A test may only read values of built-in types, so that no code of the verifier's runs while a set is visited
(red-team round 28 recorded the order through a ``get`` method of its own class, and through the ``__eq__`` that
``w == spy`` falls back to): the loop variable, constants, module names bound once to constants, ``verify``'s own
response (never rebound), and locals bound once from such values; the only calls are :data:`PURE_BUILTINS`,
:data:`PURE_METHODS` of ``str`` and the regex functions (below: :mod:`verifier.pure_regex`), and no subscript,
arithmetic or conversion (``int(w)``, ``d[w]`` raise for some members and not others, and the first member visited
would decide between a score and a crash). A value computed once (a local's binding) may also gather values (:data:`CONTAINERS`), index,
do arithmetic, and build comprehensions: it is evaluated before any visit, so only its type matters.

A name holds built-in values only while nothing can put another value in it: a name that the module changes in place
anywhere (a method other than a reading one, :data:`READING_METHODS`: ``words.append(spy)``, ``S.add(spy)``; an item
or slice assigned or deleted; handed to a call that is not a pure builtin, ``heapq.heappush(words, spy)``; or
bound, aliased, looped over or gathered into another name that is so changed) is no such name (red-team round 58
filled a trusted container with a recording object; found then, closed in validator 1.21).

Regular expressions (red-team round 58: ``words = re.findall(...)`` and ``if re.search(r"\\b" + word + r"\\b",
text)`` were rejected) count as pure when ``re`` is bound only by ``import re`` and the arguments are pure; so do
the methods of a module name bound once to ``re.compile(<constant>)``. In a test run once per member the pattern
must also be *fixed*: text, ``.``, anchors, ``\\b``-like and one-character-class escapes, joined from constants,
``re.escape(...)`` and members that are such text themselves; no quantifier, group, class or alternation. A fixed
pattern compiles and matches in linear time for every member alike, where a pattern built from a member could fail
to compile (``"("``) or backtrack for minutes (``"(a+)+b"``) on one member and not another. ``re.sub`` (whose
replacement can fail) is not a test.

A module that reaches builtins or attributes by name (``builtins``, ``setattr``, ``globals``...) gets no exemption
at all.
"""

from __future__ import annotations

import ast
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial

from task_bank.code_sinks import name_bindings
from verifier.changed_in_place import changed_in_place
from verifier.pure_regex import compiled_pattern, pure_regex, regex_callee

PURE_BUILTINS = frozenset({"len", "str", "bool", "any", "all", "repr"})
PURE_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "startswith", "endswith",
                          "count", "find", "rfind", "split", "isdigit", "isalpha", "isalnum", "isspace", "islower",
                          "isupper", "isnumeric", "replace"})
CONTAINERS = frozenset({"set", "frozenset", "list", "tuple", "sorted"})
"""Builtins that gather built-in values: pure in a value computed once, not in a test (``set(w)`` raises for some
members)."""
_PURE_NODES = (ast.Constant, ast.Name, ast.Attribute, ast.Compare, ast.BoolOp, ast.UnaryOp, ast.IfExp, ast.Tuple,
               ast.JoinedStr, ast.FormattedValue, ast.Call, ast.keyword, ast.expr_context, ast.cmpop, ast.boolop,
               ast.unaryop)
_ONCE_NODES = (ast.BinOp, ast.operator, ast.Subscript, ast.Slice, ast.List, ast.Set, ast.Dict)
"""Also pure in a value computed once: built-in values in, built-in values out."""
COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)
_REFLECTIVE = frozenset({"builtins", "__builtins__", "setattr", "globals", "vars", "locals", "exec", "eval",
                         "__class__", "__dict__", "__import__", "importlib"})
_TEXT_METHODS = frozenset({"lower", "upper", "casefold", "strip", "lstrip", "rstrip", "replace", "title",
                           "capitalize", "swapcase", "join", "format", "removeprefix", "removesuffix", "translate",
                           "expandtabs", "center", "ljust", "rjust", "zfill"})
"""Methods of ``str`` that return a ``str`` (of a value :func:`pure` accepts: a built-in one)."""
_CONSTANT_TYPES = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class ModuleFacts:
    """What the order-free reading knows of the whole module (:func:`read_module`)."""

    constants: Mapping[str, ast.expr]
    """Names bound exactly once in the module, at module level, to a constant or a literal container of constants."""
    regex: frozenset[str] = frozenset()
    """Names every binding of which in the module is ``import re``."""
    patterns: Mapping[str, str] = field(default_factory=dict)
    """Names bound exactly once, at module level, to ``re.compile(<str constant>)``: the pattern of each."""
    changed: frozenset[str] = frozenset()
    """Names the module may change in place (:func:`verifier.changed_in_place.changed_in_place`): none holds built-in
    values only, unless it is bound to a value no code can change (:func:`immutable`)."""


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
    changed = changed_in_place(tree)
    return ModuleFacts(constants={name: value for name, value in once.items() if literal(value, frozenset())
                                  and (name not in changed or immutable(value))},
                       regex=regex,
                       patterns={name: value.args[0].value for name, value in once.items()
                                 if compiled_pattern(value, regex)},
                       changed=changed)


def immutable(value: ast.expr) -> bool:
    """Whether ``value`` (an expression :func:`pure` accepts) is one no code can change in place: a constant, an
    f-string, a tuple or ``frozenset``/``tuple`` of constants, text a ``str`` method returns, text joined with
    ``+``."""
    if isinstance(value, (ast.Constant, ast.JoinedStr)):
        return True
    if isinstance(value, ast.Tuple):
        return all(isinstance(e, ast.Constant) for e in value.elts)
    if isinstance(value, ast.BinOp) and isinstance(value.op, ast.Add):
        return immutable(value.left) and immutable(value.right)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Name) and value.func.id in {"frozenset", "tuple"}:
        return literal(value, frozenset())
    return isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute) and value.func.attr in _TEXT_METHODS


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
        if isinstance(node, ast.Call) and regex_callee(node.func, facts) is not None:
            if not pure_regex(node, facts, members, partial(_argument, names=names, shadowed=shadowed, facts=facts)):
                return False
            continue
        if once and isinstance(node, COMPREHENSIONS):
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



def _argument(expr: ast.expr, members: Mapping[str, tuple[object, ...] | None] | None, *, names: frozenset[str],
              shadowed: frozenset[str], facts: ModuleFacts) -> bool:
    """:func:`pure` of a regex call's argument, with the names known where the call stands."""
    return pure(expr, names, shadowed, facts, members)

@dataclass(frozen=True)
class Reading:
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


def literal(node: ast.expr, constants: Mapping[str, ast.expr] | frozenset[str]) -> bool:
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
            and isinstance(node.args[0], (ast.Set, ast.List, ast.Tuple)) and literal(node.args[0], constants))


def _members(node: ast.expr, constants: Mapping[str, ast.expr]) -> tuple[object, ...] | None:
    """The values of a literal container of constants (through a module constant), else None."""
    if isinstance(node, ast.Name) and node.id in constants:
        return _members(constants[node.id], constants)
    if isinstance(node, ast.Call) and literal(node, constants) and node.args:
        return _members(node.args[0], constants)
    if isinstance(node, (ast.Set, ast.List, ast.Tuple)) and literal(node, constants):
        return tuple(e.value for e in node.elts if isinstance(e, ast.Constant))
    return None


def _pure_comprehension(node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp, names: frozenset[str],
                        shadowed: frozenset[str], facts: ModuleFacts) -> bool:
    """A comprehension computed once over pure iterables, with pure tests and elements."""
    for generator in node.generators:
        own = loop_names(generator.target)
        if own is None or generator.is_async or not pure(generator.iter, names, shadowed, facts):
            return False
        names = names | own
        if not all(pure(test, names, shadowed, facts) for test in generator.ifs):
            return False
    parts = [node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]
    return all(pure(part, names, shadowed, facts) for part in parts)


def known_names(everything: list[ast.AST], facts: ModuleFacts, response: str | None,
                 shadowed: frozenset[str]) -> frozenset[str]:
    """Names whose value is of a built-in type: the module's constants, the response (if never rebound) and locals
    bound once from a pure expression of known names (``words = re.findall(r"\\w+", response.lower())``); not a
    name declared ``global`` or ``nonlocal`` here (another function may rebind it), nor one the module may change in
    place (``words.append(spy)``: :mod:`verifier.changed_in_place`) unless its value cannot change."""
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
            if name not in known and (name not in facts.changed or immutable(value)) and pure(
                    value, frozenset(known), shadowed, facts):
                known.add(name)
                changed = True
    return frozenset(known)


def loop_names(target: ast.expr) -> set[str] | None:
    if not all(isinstance(t, (ast.Name, ast.Tuple, ast.List, ast.expr_context)) for t in ast.walk(target)):
        return None
    return {t.id for t in ast.walk(target) if isinstance(t, ast.Name)}
