"""The same program under other local names: a failure case a verifier cannot recognise by its text.

Why: a verifier sees its own failure cases when its author writes them. One that scored exactly those texts (and
validation's fixed probes) 0 and paid every other answer 1.0 passed validation and paid every wrong training sample.
For a code answer there is a transformation that keeps it wrong for certain: rename the variables and parameters
of its functions. Python resolves a function's locals by position, not by name, so the renamed program computes the
same values, raises the same exceptions (bar a name in a message) and prints the same output; an honest verifier
that judges behaviour scores it as the original. The one difference a caller can see is a call that passes a
renamed parameter by keyword: it now fails, which keeps a wrong program wrong (a task whose point is that such a
call must fail, positional-only parameters, is the exception). A task can be about a variable's name itself
(rename the ambiguous ``l``): such a prompt names it, and a local the prompt mentions keeps its name. Parameters
are renamed even when the prompt mentions them, as a coding prompt gives the signature (``Write total(xs)``) and
most failure cases would otherwise keep no name to change. Validation draws the new names afresh
(``random.SystemRandom`` unless told otherwise), so no verifier can list them in advance.

Only names that nothing outside the program, and no code that does not bind them, can reach by their text are
renamed: the program's own variables (in its functions, and at module level unless a function reads them), and its
functions' parameters. Kept: a function or class name, a keyword-only parameter, anything in a class body, an
attribute, a keyword argument, an import alias, an ``except ... as`` name, a ``global``/``nonlocal`` name, a
``match`` capture, a name inside an f-string or spelled in any string (``getattr(obj, "total")``), a local the
prompt names, a name some function reads without binding it, and every builtin. A program that reaches names by
their text in ways nobody can follow (``locals``, ``vars``, ``globals``, ``dir``, ``eval``, ``exec``, ``__dict__``,
frames, code objects, signatures, annotations, tracebacks, a star import...) is not renamed at all.

Only lower-case, snake-case and numbered (``s1``) names change, each to a name a person writes (``total``, ``idx``,
``row_idx``, ``word1``; :func:`_candidates`) of the same shape, the same length for short names and at least as long
for long ones, and never a word of the prompt: the twin reads like an answer (random letters, then glued words,
marked twins as validation's: red-team findings), keeps its naming style, has no line shorter than the original's,
and cannot take a name the task requires; comments and layout are untouched. The result is parsed again and must
have the original's syntax tree up to the renaming, or no renamed program is offered.

Prose around one Markdown code fence is kept and the program in the fence renamed (a text that parses as a
program is a program: a fence inside it is a string; several fences may be one program, so they are left alone).
"""

from __future__ import annotations

import ast
import builtins
import io
import keyword
import random
import re
import tokenize
from collections.abc import Iterable, Mapping

from verifier.twin_names import COMMON_NAMES, fresh_names

__all__ = ["COMMON_NAMES", "defines_function", "renamed"]

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
_KEPT = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}
_FENCE = re.compile(r"(```[ \t]*(?:python|py|python3)?[ \t]*\n)(.*?)(\n[ \t]*```)", re.DOTALL | re.IGNORECASE)
_MAX_CHARS = 20_000  # a failure case is an answer, not a code base
_MAX_NODES = 5_000
_LINES = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def renamed(text: str, rng: random.Random, keep: Iterable[str] = ()) -> str | None:
    """``text`` with the local names and parameters of its functions renamed, or None when none can safely change.

    ``text`` is a whole program, or prose around one fenced program; names are drawn from ``rng``; locals in
    ``keep`` (those the task's prompt mentions) keep their names. Never raises."""
    if len(text) > _MAX_CHARS:
        return None
    try:
        return _renamed(text, rng, frozenset(keep))
    except (RecursionError, MemoryError):  # a deeply nested program: ``ast.dump`` and friends recurse
        return None


def defines_function(text: str) -> bool:
    """Whether ``text`` is a program (whole, or in one fence) that defines a function or lambda: a failure case
    validation expects twins of."""
    if len(text) > _MAX_CHARS:
        return False
    try:
        program = _program(text)
        return program is not None and any(isinstance(n, _FUNCTIONS) for n in ast.walk(program[1]))
    except (RecursionError, MemoryError):
        return False


def _program(text: str) -> tuple[re.Match[str] | None, ast.Module] | None:
    """The program in ``text``: (None, its tree) for a whole program, (the fence, its tree) for prose around one
    fenced program, else None."""
    try:
        return None, ast.parse(text)
    except (SyntaxError, ValueError):
        fences = list(_FENCE.finditer(text)) if text.count("```") <= 4 else []
        if len(fences) != 1:  # several fences may be one program, renamed apart they would not be
            return None
        try:
            return fences[0], ast.parse(fences[0].group(2))
        except (SyntaxError, ValueError):
            return None


def _renamed(text: str, rng: random.Random, keep: frozenset[str]) -> str | None:
    found = _program(text)
    if found is None:
        return None
    fence, tree = found
    if fence is None:
        return _rename_program(text, rng, keep, tree)  # a program: a fence inside it is a string, not code
    program = _rename_program(fence.group(2), rng, keep, tree)
    return None if program is None else text[:fence.start(2)] + program + text[fence.end(2):]


def _rename_program(code: str, rng: random.Random, keep: frozenset[str],
                    tree: ast.Module | None = None) -> str | None:
    if tree is None:
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError):
            return None
    if sum(1 for _ in ast.walk(tree)) > _MAX_NODES:
        return None
    names = _local_names(tree) - (keep - _parameters(tree))
    if not names:
        return None
    mapping = fresh_names(sorted(names), _all_identifiers(tree) | keep | _KEPT, rng)
    if not mapping:
        return None
    result = _substitute(code, mapping)
    if result is None or not _same_tree(tree, result, mapping):
        return None
    return result


def _local_names(tree: ast.Module) -> set[str]:
    """Names the program binds (in its functions, and its own variables at module level) that nothing outside it
    can reach by their text."""
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= _parameters(tree)
    if any(_mentions_reflection(node, bound) for node in ast.walk(tree)):
        return set()
    inside: set[str] = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, _FUNCTIONS)):  # each node is its own function's once
        args = function.args
        inside.update(a.arg for a in (*args.posonlyargs, *args.args, args.vararg, args.kwarg) if a is not None)
        inside.update(n.id for n in _own_nodes(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    top = [n for n in _outside_functions(tree) if isinstance(n, ast.Name)]  # a script's variables, a demo block's
    inside.update(n.id for n in top if isinstance(n.ctx, ast.Store))
    return inside - _unsafe_names(tree) - _free_names(tree) - _KEPT


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


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)


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
        found += [node for node in _outside_functions(top) if isinstance(node, _FUNCTIONS) and node is not root]
    return found


def _parameters(tree: ast.Module) -> set[str]:
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
        elif isinstance(node, ast.JoinedStr):  # the tokenizer of 3.11 sees an f-string as one token
            unsafe.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name))
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


def _all_identifiers(tree: ast.Module) -> set[str]:
    seen: set[str] = set()
    for node in ast.walk(tree):
        for field in ("id", "name", "arg", "attr", "asname"):
            value = getattr(node, field, None)
            if isinstance(value, str):
                seen.add(value)
    return seen


def _substitute(code: str, mapping: Mapping[str, str]) -> str | None:
    """Replace NAME tokens, right to left on each line, so the columns of the ones still to replace hold."""
    lines = _LINES.findall(code)  # the tokenizer's lines: a form feed or U+2028 does not end one
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(code).readline))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        return None
    for token in reversed(tokens):
        if token.type == tokenize.NAME and token.string in mapping:
            (row, col), (end_row, _) = token.start, token.end
            if row != end_row or row > len(lines):
                return None
            line = lines[row - 1]
            lines[row - 1] = line[:col] + mapping[token.string] + line[col + len(token.string):]
    return "".join(lines)


def _same_tree(original: ast.Module, result: str, mapping: Mapping[str, str]) -> bool:
    """True when ``result`` parses to ``original`` with exactly the mapped names changed."""
    try:
        again = ast.parse(result)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    _apply(original, mapping)
    try:
        return ast.dump(original) == ast.dump(again)
    finally:
        _apply(original, {new: old for old, new in mapping.items()})


def _apply(tree: ast.AST, mapping: Mapping[str, str]) -> None:
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in mapping:
            node.id = mapping[node.id]
        elif isinstance(node, ast.arg) and node.arg in mapping:
            node.arg = mapping[node.arg]
