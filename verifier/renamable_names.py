"""Which names of a program a renamed twin may change (:mod:`verifier.code_renaming`): those nothing can reach by text.

Why a module of its own: this is the safety half of renaming. A name that anything outside the program, or any code
that does not bind it, can reach by its text (an attribute, a keyword argument, a string, ``globals()``, a frame)
must keep its name, or the twin would compute something else and an honest verifier would score it differently.
:func:`renamable_names` applies the rules the renaming module's docstring lists; a program that reaches its names
in ways nobody can follow (:data:`_REFLECTIVE_NAMES`, :data:`_REFLECTIVE_ATTRIBUTES`) has none.
"""

from __future__ import annotations

import ast
import builtins
import keyword
import re
from collections.abc import Iterable

_REFLECTIVE_NAMES = frozenset({"locals", "vars", "globals", "eval", "exec", "compile", "dir", "help", "__import__",
                               "importlib", "inspect", "pydoc", "dis", "traceback", "get_type_hints"})
"""Builtins and modules through which a program can read its own names (frames, signatures, help texts, tracebacks
with their source lines and locals): a program that uses one, unbound by itself, gets no twin."""
_REFLECTIVE_ATTRIBUTES = frozenset({
    "__dict__", "__code__", "__annotations__", "__traceback__", "__getattribute__", "_getframe", "exc_info",
    "signature", "getfullargspec", "get_type_hints", "f_locals", "f_globals", "f_code", "f_back", "tb_frame",
    "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "co_varnames", "co_cellvars", "co_freevars",
    "co_names"})
"""Attributes that lead to a program's names (``re.compile`` is not one: an attribute is judged by these alone)."""
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
KEPT = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}


def renamable_names(tree: ast.Module) -> set[str]:
    """Names the program binds (in its functions, and its own variables at module level) that nothing outside it
    can reach by their text."""
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= parameters(tree)
    if any(_mentions_reflection(node, bound) for node in ast.walk(tree)):
        return set()
    inside: set[str] = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, FUNCTIONS)):  # each node is its own function's once
        args = function.args
        inside.update(a.arg for a in (*args.posonlyargs, *args.args, args.vararg, args.kwarg) if a is not None)
        inside.update(n.id for n in _own_nodes(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    top = [n for n in _outside_functions(tree) if isinstance(n, ast.Name)]  # a script's variables, a demo block's
    inside.update(n.id for n in top if isinstance(n.ctx, ast.Store))
    return inside - _unsafe_names(tree) - _free_names(tree) - KEPT


def _free_names(tree: ast.Module) -> set[str]:
    """Names some function reads without binding them itself or in a function around it: there they are globals
    or builtins (perhaps made at run time), which a renaming elsewhere must not touch."""
    free: set[str] = set()
    stack: list[tuple[ast.AST, frozenset[str]]] = [(f, frozenset()) for f in _functions_in(tree)]
    while stack:
        function, enclosing = stack.pop()
        args = function.args
        bound = {a.arg for a in _arguments(args)}
        loaded: set[str] = set()
        for node in _own_nodes(function):
            if isinstance(node, ast.Name):
                (bound if isinstance(node.ctx, (ast.Store, ast.Del)) else loaded).add(node.id)
        free |= loaded - bound - enclosing
        stack.extend((inner, enclosing | bound) for inner in _functions_in(function))
    return free


def _own_nodes(function: ast.AST) -> list[ast.AST]:
    """The nodes of ``function``'s body, not those of the functions inside it (their defaults and decorators are
    its own)."""
    body = function.body if isinstance(function.body, list) else [function.body]
    return [node for top in body for node in _outside_functions(top)]


def _functions_in(root: ast.AST) -> list[ast.AST]:
    """The functions directly inside ``root``'s body (not inside another function in it)."""
    if isinstance(root, ast.Lambda):
        body = [root.body]
    else:
        body = root.body if isinstance(getattr(root, "body", None), list) else []
    found = []
    for top in body:
        found += [node for node in _outside_functions(top) if isinstance(node, FUNCTIONS) and node is not root]
    return found


def parameters(tree: ast.Module) -> set[str]:
    """Every parameter name of the program's functions and lambdas."""
    return {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}


def _mentions_reflection(node: ast.AST, bound: set[str]) -> bool:
    """Whether ``node`` reads names by their text (``bound``: names the program binds itself, so a parameter called
    ``dir`` is not the builtin)."""
    if isinstance(node, ast.Name):
        return node.id in _REFLECTIVE_NAMES and node.id not in bound
    if isinstance(node, ast.Attribute):
        return node.attr in _REFLECTIVE_ATTRIBUTES
    if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _REFLECTIVE_NAMES:
        return True
    if isinstance(node, (ast.Import, ast.ImportFrom)):  # a star import binds names nobody can list
        return any(alias.name == "*" or alias.name.split(".")[0] in _REFLECTIVE_NAMES | _REFLECTIVE_ATTRIBUTES
                   for alias in node.names)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and (
        node.value in _REFLECTIVE_NAMES or node.value in _REFLECTIVE_ATTRIBUTES)


def _spelled_in_fstring(node: ast.JoinedStr) -> set[str]:
    """The names an f-string also spells in its text, right before their value (``f"{x=}"`` is ``"x=" + repr(x)``
    to the parser, as ``f"x={x!r}"`` is): renamed, the output would change. Other names inside an f-string are
    code, renamed like any other (:func:`verifier.code_renaming._fstring_names` finds them)."""
    spelled = set()
    for before, after in zip(node.values, node.values[1:]):
        if (isinstance(before, ast.Constant) and isinstance(before.value, str) and isinstance(after, ast.FormattedValue)
                and isinstance(after.value, ast.Name) and before.value.rstrip(" ").endswith(after.value.id + "=")):
            spelled.add(after.value.id)
    return spelled


def _unsafe_names(tree: ast.Module) -> set[str]:
    """Every name another program, or code that does not bind it, could reach by its text. A variable the program
    binds at module level is not one of them, unless a function reads it (:func:`_free_names`): nothing outside
    the program can reach it but a verifier's code appended to the answer, which then fails, as the answer was
    wrong anyway."""
    top = [n for n in _outside_functions(tree) if isinstance(n, ast.Name)]
    stored = {n.id for n in top if isinstance(n.ctx, ast.Store)}
    unsafe = {n.id for n in top if n.id not in stored}  # builtins, imports, functions, names made at run time
    in_class_body: set[int] = set()  # a class nested in a class body is walked with the outer one, once
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            unsafe.add(node.name)
        if isinstance(node, ast.ClassDef) and id(node) not in in_class_body:  # its names are attributes
            for inner in _outside_functions(node):
                in_class_body.add(id(inner))
                if isinstance(inner, ast.Name):
                    unsafe.add(inner.id)
        elif isinstance(node, ast.JoinedStr):  # ``f"{x=}"`` prints the name itself (as ``f"x={x!r}"`` does)
            unsafe.update(_spelled_in_fstring(node))
        elif isinstance(node, ast.arguments):  # only a keyword can pass these
            unsafe.update(a.arg for a in node.kwonlyargs)
        elif isinstance(node, ast.Attribute):
            unsafe.add(node.attr)
        elif isinstance(node, ast.keyword) and node.arg:
            unsafe.add(node.arg)
        elif isinstance(node, ast.alias):
            unsafe.add(node.asname or node.name.split(".")[0])
        elif isinstance(node, ast.ExceptHandler) and node.name:
            unsafe.add(node.name)
        elif isinstance(node, (ast.Global, ast.Nonlocal)):
            unsafe.update(node.names)
        elif isinstance(node, (ast.MatchAs, ast.MatchStar)) and node.name:
            unsafe.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            unsafe.add(node.rest)
        elif isinstance(node, ast.MatchClass):
            unsafe.update(node.kwd_attrs)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):  # getattr(obj, "name"), **{"name": v}
            unsafe.update(_IDENTIFIER.findall(node.value))
    return unsafe


def _outside_functions(root: ast.AST) -> Iterable[ast.AST]:
    """``root`` and the nodes under it outside every function body (decorators, defaults, annotations included)."""
    stack: list[ast.AST] = [root]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            stack.extend(node.decorator_list)
            stack.extend(node.args.defaults)
            stack.extend(d for d in node.args.kw_defaults if d is not None)
            stack.extend(a.annotation for a in _arguments(node.args) if a.annotation is not None)
            if node.returns is not None:
                stack.append(node.returns)
        elif isinstance(node, ast.Lambda):
            stack.extend(node.args.defaults)
        else:
            stack.extend(ast.iter_child_nodes(node))


def _arguments(args: ast.arguments) -> list[ast.arg]:
    extra = [a for a in (args.vararg, args.kwarg) if a is not None]
    return [*args.posonlyargs, *args.args, *args.kwonlyargs, *extra]


def all_identifiers(tree: ast.Module) -> set[str]:
    """Every identifier the program spells (names, definitions, parameters, attributes, aliases): no new name may be
    one of them."""
    seen: set[str] = set()
    for node in ast.walk(tree):
        for field in ("id", "name", "arg", "attr", "asname"):
            value = getattr(node, field, None)
            if isinstance(value, str):
                seen.add(value)
    return seen
