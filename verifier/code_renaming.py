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

Only names that nothing outside the function can reach by their text are renamed: a name also bound or read
outside function bodies, a keyword-only parameter, a function or class name, anything in a class body, an
attribute, a keyword argument, an import alias, an ``except ... as`` name, a ``global``/``nonlocal`` name, a
``match`` capture, a name inside an f-string or spelled in any string (``getattr(obj, "total")``), a name the
caller asks to keep (a local the prompt names), a name some function reads as a global, and every builtin are
kept. A program that reaches names by their text in ways nobody can follow (``locals``, ``vars``, ``globals``,
``dir``, ``eval``, ``exec``, ``__dict__``, frames, code objects, signatures, annotations, tracebacks, a star
import...) is not renamed at all.

Only lower-case and snake-case names change, each to a name programs commonly use (``total``, ``idx``,
``result``...) of the same shape and length and not a word of the prompt, so the twin reads like an answer (random
letters marked it as validation's, red-team finding), keeps its naming style and every line's length, and cannot
take a name the task requires; comments and layout are untouched. The result is parsed again and
must have the original's syntax tree up to the renaming, or no renamed program is offered.

Prose around one Markdown code fence is kept and the program in the fence renamed (a text that parses as a
program is a program: a fence inside it is a string; several fences may be one program, so they are left alone).
"""

from __future__ import annotations

import ast
import builtins
import functools
import io
import keyword
import random
import re
import tokenize
from collections.abc import Iterable, Mapping

_REFLECTIVE = frozenset({
    "locals", "vars", "globals", "eval", "exec", "compile", "dir", "help", "__dict__", "__import__", "importlib",
    "inspect", "signature", "getfullargspec", "pydoc", "dis", "traceback", "exc_info", "__traceback__",
    "__annotations__", "get_type_hints", "__getattribute__", "_getframe", "f_locals", "f_globals", "f_code", "f_back",
    "tb_frame", "gi_frame", "gi_code", "cr_frame", "cr_code", "ag_frame", "ag_code", "__code__", "co_varnames",
    "co_cellvars", "co_freevars", "co_names"})
"""Words of the ways a program can read its own names (frames, code objects, signatures, annotations, tracebacks
with their source lines and locals, help texts): a program that mentions one gets no twin."""
_IDENTIFIER = re.compile(r"[^\W\d]\w*")
_KEPT = frozenset(dir(builtins)) | frozenset(keyword.kwlist) | frozenset(keyword.softkwlist) | {"self", "cls"}
_FENCE = re.compile(r"(```[ \t]*(?:python|py|python3)?[ \t]*\n)(.*?)(\n[ \t]*```)", re.DOTALL | re.IGNORECASE)
_MAX_CHARS = 20_000  # a failure case is an answer, not a code base
_MAX_NODES = 5_000


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


def _renamed(text: str, rng: random.Random, keep: frozenset[str]) -> str | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        fences = list(_FENCE.finditer(text)) if text.count("```") <= 4 else []
        if len(fences) != 1:  # several fences may be one program, renamed apart they would not be
            return None
        fence = fences[0]
        program = _rename_program(fence.group(2), rng, keep)
        return None if program is None else text[:fence.start(2)] + program + text[fence.end(2):]
    return _rename_program(text, rng, keep, tree)  # a program: a fence inside it is a string, not code


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
    mapping = _fresh_names(sorted(names), _all_identifiers(tree) | keep, rng)
    if not mapping:
        return None
    result = _substitute(code, mapping)
    if result is None or not _same_tree(tree, result, mapping):
        return None
    return result


def _local_names(tree: ast.Module) -> set[str]:
    """Names bound inside function bodies only, none of them reachable from outside the function."""
    if any(_mentions_reflection(node) for node in ast.walk(tree)):
        return set()
    inside: set[str] = set()
    for function in (n for n in ast.walk(tree) if isinstance(n, _FUNCTIONS)):  # each node is its own function's once
        args = function.args
        inside.update(a.arg for a in (*args.posonlyargs, *args.args, args.vararg, args.kwarg) if a is not None)
        inside.update(n.id for n in _own_nodes(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
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


def _mentions_reflection(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return node.id in _REFLECTIVE
    if isinstance(node, ast.Attribute):
        return node.attr in _REFLECTIVE
    if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _REFLECTIVE:
        return True
    if isinstance(node, (ast.Import, ast.ImportFrom)):  # a star import binds names nobody can list
        return any(alias.name == "*" or alias.name.split(".")[0] in _REFLECTIVE for alias in node.names)
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in _REFLECTIVE


def _unsafe_names(tree: ast.Module) -> set[str]:
    """Every name that code outside a function body, or another program, could reach by its text."""
    unsafe = {n.id for n in _outside_functions(tree) if isinstance(n, ast.Name)}
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


_PLAIN = re.compile(r"[a-z]+")
_SNAKE = re.compile(r"[a-z]+(?:_[a-z]+)+")
COMMON_NAMES = tuple("""
a b c d e f g h i j k m n p q r s t u v w x y z
ch lo hi ok fn op el ix kv pt sz xs ys zs ns ms ps ts vs ws dx dy dt dp nx ny cx cy px py ax ay bx by
idx num val res ans out acc cur tmp key arr lst row col pos cnt mid end buf seq vec ptr ret msg err obj elt dst
src low top gap
item node word line char left prev size text last best seen nums vals keys data head tail step mask bits diff rows
cols temp curr base half
right start first total count value index items words chars lines pairs nodes stack queue limit score delta carry
width depth level digit parts steps
result values answer output length number target counts totals digits buffer prefix suffix source weight height
offset window cursor
current numbers counter visited results answers outputs longest largest pending matches
previous elements smallest position distance
i_x n_i
max_n min_n cur_i
max_val min_val cur_sum end_idx row_idx col_idx
best_sum left_sum new_list prev_val next_val
total_sum start_idx num_items char_list word_list
char_count word_count
running_total
""".split())
"""The names programs use most, of every length up to 13: a renamed program reads like one a person or a model
wrote (random letters told a verifier which answer was validation's, red-team finding). Kept short and common on
purpose: a verifier that pays only code whose names look like a person's must then pay the twins too, and one that
leaves these names out of what it pays leaves out most real answers."""


def _fresh_names(names: list[str], taken: set[str], rng: random.Random) -> dict[str, str]:
    """A new name for each lower-case or snake-case name, drawn from :data:`COMMON_NAMES`: of the same shape and
    length, clashing with nothing (``taken``: every identifier of the program and every word of the prompt, which
    may require a name the failure case lacks). Same shape and length: every line keeps its length and every name its
    style, so a rule about names in general (no single letters, snake case, short lines) judges the twin as the
    original (red-team finding: ``s`` renamed ``total`` passed "no single-letter names"). Names that cannot get one
    keep theirs."""
    used = set(taken) | _KEPT | set(names)
    mapping: dict[str, str] = {}
    for name in names:
        shape = _SNAKE if _SNAKE.fullmatch(name) else _PLAIN if _PLAIN.fullmatch(name) else None
        if shape is None:
            continue
        pool = [w for w in _candidates(len(name), shape is _SNAKE) if w not in used]
        if pool:
            mapping[name] = rng.choice(pool)
            used.add(mapping[name])
    return mapping


@functools.lru_cache(maxsize=64)
def _candidates(length: int, snake: bool) -> tuple[str, ...]:
    """The new names of ``length`` characters and one shape: :data:`COMMON_NAMES`'s, and where those are few (long
    names) two of its words joined (``total_count``, ``rowcount``), so no name runs out of twins."""
    shape = _SNAKE if snake else _PLAIN
    found = [w for w in COMMON_NAMES if len(w) == length and shape.fullmatch(w)]
    if len(found) < 40 and length >= (3 if snake else 6):
        words = [w for w in COMMON_NAMES if _PLAIN.fullmatch(w) and len(w) >= (1 if snake else 3)]
        joint = "_" if snake else ""
        found += [a + joint + b for a in words for b in words
                  if a != b and len(a) + len(joint) + len(b) == length]
    return tuple(dict.fromkeys(found))


def _substitute(code: str, mapping: Mapping[str, str]) -> str | None:
    """Replace NAME tokens, right to left on each line, so the columns of the ones still to replace hold."""
    lines = code.splitlines(keepends=True)
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
