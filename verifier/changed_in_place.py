"""The names of a module whose value the module may change in place: a container it may fill with another value.

Why: the order-free reading (:mod:`verifier.pure_reads`) trusts a name bound once to built-in values (a module's
``WORDS = ["a", "b"]``, a local ``words = re.findall(...)``) to hold built-in values, so that no code of the
verifier's runs while a set of them is visited. Binding once is not enough: ``words.append(spy)`` fills a trusted
list with an object of the verifier's, whose ``__eq__`` or ``__hash__`` records the order in which a set of them is
visited (red-team round 58 found it; closed in validator 1.21). A name read here as changed is not trusted.

Read from the syntax alone, over the whole module (one name in two functions is one name: a reading that errs
toward distrust costs an exemption, never a hole). A name is changed where it is, or holds, the object of

- an attribute other than a reading one (:data:`READING_ATTRIBUTES`: every method of ``str``, and the methods of
  ``list``, ``dict``, ``set`` and regex patterns that change nothing): ``words.append``, ``S.add``,
  ``words.__setitem__``, also uncalled (``map(words.append, spies)``);
- an item or slice assigned or deleted (``words[0:0] = [spy]``, ``del words[0]``);
- an argument of a call that could change it: anything but a builtin that only reads (:data:`READING_BUILTINS`, not
  rebound by the module), a reading method, or a function of the module's own (whose parameters are then bound to
  the arguments, and read like any name; a lambda or a module function handed to a call is bound to the call's other
  arguments): ``heapq.heappush(words, spy)``, ``functools.reduce(list.__iadd__, [[spy]], words)``, ``Spy(words)``.

A name bound from a changed one is changed too, and so is each name its value reads (``alias = words``, ``box =
[words]``, ``for w in [words]``, ``self.words = words``, a function's parameter from its argument). A value stored
into a container by its own method (``missing.append(w)``, ``S.add(w)``, ``X.insert(0, w)``) is not changed by
being stored, only the container is (it holds another member); the value is changed where the container's members
are (``missing[0].append(spy)``, an alias of it changed, ``missing.pop()``). Where a changed
object is reached through a call (``get().append(spy)``), every name a function or lambda of the module returns is
changed.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from verifier.static_scope import walk_scope

__all__ = ["READING_ATTRIBUTES", "READING_BUILTINS", "changed_in_place"]

READING_ATTRIBUTES = frozenset(name for name in dir(str) if not name.startswith("_")) | frozenset({
    "copy", "index", "get", "keys", "values", "items", "union", "intersection", "difference", "symmetric_difference",
    "issubset", "issuperset", "isdisjoint", "most_common", "search", "match", "fullmatch", "findall", "finditer",
    "sub", "subn", "escape", "pattern", "flags", "group", "groups", "start", "end", "span"})
"""Attributes that read: no method here changes the object it is called on."""
READING_BUILTINS = frozenset({"len", "str", "repr", "bool", "int", "float", "set", "frozenset", "list", "tuple",
                              "sorted", "any", "all", "sum", "min", "max", "enumerate", "zip", "reversed", "isinstance",
                              "print", "abs", "round", "range", "iter", "dict", "ord", "chr", "hash", "map",
                              "filter"})
"""Builtins that change none of their arguments themselves (a callable handed to one, ``key=`` or ``map``'s, is
read like any other: a lambda's or a module function's parameters are bound to the other arguments)."""
_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)
_STORING = frozenset({"append", "add", "insert", "appendleft"})


def changed_in_place(tree: ast.Module) -> frozenset[str]:
    """The names of ``tree`` that it may change in place (module docstring)."""
    nodes = list(ast.walk(tree))
    bound = {n.id for n in nodes if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {n.name for n in nodes if isinstance(n, (*_FUNCTIONS, ast.ClassDef))}
    bound |= {(a.asname or a.name).split(".")[0] for n in nodes if isinstance(n, (ast.Import, ast.ImportFrom))
              for a in n.names}
    functions: dict[str, list[ast.AST]] = {}
    for node in nodes:
        if isinstance(node, _FUNCTIONS):
            functions.setdefault(node.name, []).append(node)
    changed: set[str] = set()
    filled: set[str] = set()  # names whose object a storing method is called on (``missing.append(w)``)
    through_calls = False
    links: list[tuple[set[str], set[str]]] = []  # (names bound, names read into them)
    stored: list[tuple[set[str], set[str]]] = []  # (a container's name, the names of what was stored into it)
    storing = {id(n.func) for n in nodes if isinstance(n, ast.Call) and _stores(n)}
    for node in nodes:
        if id(node) in storing:
            filled |= _names(node.value)
        elif isinstance(node, ast.Attribute) and node.attr not in READING_ATTRIBUTES:
            changed |= _names(node.value)
            through_calls |= _reached_through_call(node.value)
        elif isinstance(node, ast.Subscript) and not isinstance(node.ctx, ast.Load):
            changed |= _names(node.value)
            through_calls |= _reached_through_call(node.value)
        elif isinstance(node, ast.Call):
            callee = node.func
            arguments = [*node.args, *(k.value for k in node.keywords)]
            for argument in arguments:  # a callable handed over may be given the others (``map(f, [words])``)
                given = {n for other in arguments if other is not argument for n in _names(other)}
                if isinstance(argument, ast.Lambda):
                    links.append((_parameters(argument), given))
                elif isinstance(argument, ast.Name) and argument.id in functions:
                    links += [(_parameters(function), given) for function in functions[argument.id]]
            if id(callee) in storing:
                stored.append((_names(callee.value), {name for argument in arguments for name in _names(argument)}))
            elif isinstance(callee, ast.Name) and callee.id in functions and len(functions[callee.id]) == 1:
                links += _parameter_links(functions[callee.id][0], node)
            elif not (isinstance(callee, ast.Name) and callee.id in READING_BUILTINS and callee.id not in bound
                      or isinstance(callee, ast.Attribute) and callee.attr in READING_ATTRIBUTES):
                changed |= {name for argument in arguments for name in _names(argument)}
        links += list(_bindings(node))
    returns = {name for function in nodes if isinstance(function, (*_FUNCTIONS, ast.Lambda))
               for name in _returned(function)}
    if through_calls:
        changed |= returns
    grown = True
    while grown:
        before = len(changed) + len(filled)
        for targets, values in links:  # (a name filled, bound from another, may hold it or one of its members)
            if targets & (changed | filled):
                changed |= values
        for container, values in stored:  # (what was stored changes only with the container's members)
            if container & changed:
                changed |= values
        for name in changed & functions.keys():  # a function whose result is changed: what it returns is
            changed |= {n for function in functions[name] for n in _returned(function)}
        grown = len(changed) + len(filled) > before
    return frozenset(changed | filled)


def _stores(call: ast.Call) -> bool:
    """``X.append(v)``, ``X.add(v)``, ``X.insert(i, v)``: a storing method called on a plain name. It fills ``X``
    (which is then changed) and changes nothing it stores: red-team round 59 (D) found ``missing.append(w)`` over a
    set's members distrusting the set itself, and rejecting an honest verifier."""
    return (isinstance(call.func, ast.Attribute) and call.func.attr in _STORING
            and isinstance(call.func.value, ast.Name) and not call.keywords
            and not any(isinstance(a, ast.Starred) for a in call.args))


def _names(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _reached_through_call(node: ast.AST) -> bool:
    """The object is reached through a call's result (``get().append``, ``make()[0].add``)."""
    return any(isinstance(n, ast.Call) for n in ast.walk(node))


def _bindings(node: ast.AST) -> Iterator[tuple[set[str], set[str]]]:
    """(the names ``node`` binds, the names its value reads): assignments, loops, comprehensions, walrus, ``with``."""
    if isinstance(node, ast.Assign):
        yield {name for target in node.targets for name in _names(target)}, _names(node.value)
    elif isinstance(node, (ast.AnnAssign, ast.AugAssign)) and node.value is not None:
        yield _names(node.target), _names(node.value)
    elif isinstance(node, (ast.For, ast.AsyncFor, ast.comprehension)):
        yield _names(node.target), _names(node.iter)
    elif isinstance(node, ast.NamedExpr):
        yield _names(node.target), _names(node.value)
    elif isinstance(node, ast.withitem) and node.optional_vars is not None:
        yield _names(node.optional_vars), _names(node.context_expr)


def _parameters(function: ast.AST) -> set[str]:
    arguments = function.args
    return {a.arg for a in [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg,
                            arguments.kwarg] if a is not None}


def _parameter_links(function: ast.AST, call: ast.Call) -> list[tuple[set[str], set[str]]]:
    """Each parameter of ``function`` bound from the arguments of ``call`` (all of them, where a ``*`` or ``**``
    makes the match unclear)."""
    arguments = function.args
    positional = [a.arg for a in [*arguments.posonlyargs, *arguments.args]]
    if any(isinstance(a, ast.Starred) for a in call.args) or any(k.arg is None for k in call.keywords) \
            or arguments.vararg is not None or arguments.kwarg is not None or len(call.args) > len(positional):
        given = {n for argument in [*call.args, *(k.value for k in call.keywords)] for n in _names(argument)}
        return [(_parameters(function), given)]
    links = [({name}, _names(argument)) for name, argument in zip(positional, call.args)]
    return links + [({k.arg}, _names(k.value)) for k in call.keywords if k.arg is not None]


def _returned(function: ast.AST) -> set[str]:
    """The names a function's ``return``/``yield`` values (a lambda's body) read, not those of functions in it."""
    if isinstance(function, ast.Lambda):
        return _names(function.body)
    return {name for node in walk_scope(function.body) if isinstance(node, (ast.Return, ast.Yield, ast.YieldFrom))
            and node.value is not None for name in _names(node.value)}
