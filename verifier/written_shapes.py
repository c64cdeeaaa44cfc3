"""What a written program whose answer varies with its argument returns (:mod:`verifier.written_decoys`).

Why: every program validation wrote answered one constant, whatever it was asked. Red-team round 74 (A6) had a verifier
that ran each program on its tests and stayed honest where every answer was one constant (or one a written program
could give: ``None``, ``0``, ``1``, ``[]`` ...), and paid every other program without its author's mark 1.0. Validation
admitted it, and training would have paid nearly every wrong program a policy writes, since a policy's wrong programs
compute something of their input. So validation writes one more program, of the function the prompt names, that returns
a *shape* of its first argument (:data:`FAR`): its length, its sum, twice it, its square, its negation. Each is a shape
the decoys' check already models (:data:`verifier.decoys.SHAPES`), so the check knows the share of the reference's
recorded requests it answers alike, and a verifier paying it more than a failure case may be above that share is
rejected (:func:`verifier.written_verdicts.paid_beyond`).

Why these shapes and not the largest item or ``v + 1``: a shape near a right answer is a right answer of many honest
tasks that accept more than one (any peak, any number between two), which a comparison with the reference's one answer
took for wrong (round 74, a third of such validations rejected). The shapes here are far from what such tasks accept;
the cost left is a task that accepts an unbounded range (any number above every item: a sum of positive items is one),
in ``docs/SPEC.md``.

The argument's kind is read before anything runs, from the task's text alone: the first argument of a call of the
function the prompt writes out (``total([1, 2, 3])``), else how the reference uses its first parameter (``len(xs)``,
``for x in xs``, ``xs[0]``: a sequence; ``s.lower()``: a string; ``range(n)``, ``n % 2``: a number). Where it reads
none, no such program is written. A script that defines no function gets one printing the count of its input's tokens
(:data:`SCRIPT_SHAPE`). A wrong guess costs nothing: the program raises on every call, which no honest
verifier pays, and the check has no decoy of it (share 0: any verifier paying it over a failure case's threshold pays a
program that answers nothing).
"""

from __future__ import annotations

import ast
import random
import re

from verifier.decoys import kind_of

__all__ = ["FAR", "SCRIPT_SHAPE", "SCRIPT_SHAPE_TEXT", "argument_kind", "shape_of"]

FAR: dict[str, tuple[str, ...]] = {
    "list": ("len(v)", "sum(v)"),
    "sequence": ("len(v)",),
    "str": ("len(v)",),
    "dict": ("len(v)",),
    "int": ("2 * v", "v * v", "-v"),
    "float": ("2 * v", "-v"),
}
"""The shapes a written program may return of its first argument, by the argument's kind ("sequence": a list or a
string, read from the reference's use of it; "list": one the prompt writes whose items are all numbers). Each is one
of :data:`verifier.decoys.SHAPES` of that kind."""
SCRIPT_SHAPE = "len(t)"
"""What a written script prints of its input (:data:`verifier.script_decoys.SCRIPT_SHAPES`): the count of its tokens,
a number whatever the input, and far from what a task that accepts more than one answer accepts."""
SCRIPT_SHAPE_TEXT = "len(data.split())"
""":data:`SCRIPT_SHAPE` as the written script computes it of ``data``, its whole standard input."""
_SEQUENCE_CALLS = frozenset(("len", "sum", "max", "min", "sorted", "set", "list", "tuple", "enumerate", "reversed",
                             "any", "all", "zip"))
_STR_METHODS = frozenset(("lower", "upper", "split", "strip", "lstrip", "rstrip", "replace", "startswith", "endswith",
                          "isdigit", "isalpha", "isalnum", "isspace", "splitlines", "title", "capitalize", "find",
                          "casefold", "encode", "partition", "zfill"))
_DICT_METHODS = frozenset(("items", "keys", "values", "get", "setdefault"))
_NUMBER_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_MAX_CALL = 400
"""Characters of a call the prompt writes out that are read, at most."""


def shape_of(name: str, parameter: str, prompt: str, tree: ast.Module, rng: random.Random) -> str | None:
    """A shape (of ``v``) for a written ``name`` whose first parameter is ``parameter`` in the reference's ``tree``,
    drawn from :data:`FAR` by :func:`argument_kind`; None where no kind is read."""
    kind = argument_kind(name, parameter, prompt, tree)
    return rng.choice(FAR[kind]) if kind is not None else None


def argument_kind(name: str, parameter: str, prompt: str, tree: ast.Module) -> str | None:
    """The kind (a key of :data:`FAR`) of the first argument of ``name``: that of the first call of it the prompt
    writes out whose first argument is a literal, else what the reference's use of ``parameter`` in its ``def
    name`` shows; None where neither shows one."""
    for found in re.finditer(rf"(?<![\w.]){re.escape(name)}\(", prompt):
        kind = _written_kind(prompt[found.start():found.start() + _MAX_CALL])
        if kind is not None:
            return kind
    function = next((node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and node.name == name), None)
    return _used_kind(function, parameter) if function is not None else None


def _written_kind(text: str) -> str | None:
    """The kind of the first argument of the call ``text`` starts with (a literal), or None."""
    depth = 0
    for end, char in enumerate(text):
        depth += (char in "([{") - (char in ")]}")
        if depth == 0 and char == ")":
            break
    else:
        return None
    try:
        call = ast.parse(text[:end + 1], mode="eval").body
        value = ast.literal_eval(call.args[0]) if isinstance(call, ast.Call) and call.args else None
    except (SyntaxError, ValueError, TypeError, RecursionError, MemoryError):
        return None
    if isinstance(value, (tuple, set, frozenset)):
        value = list(value)
    kind = kind_of(value)
    if kind == "list":
        return "list" if value and all(kind_of(item) in ("int", "float") for item in value) else "sequence"
    return kind if kind in FAR else None


def _used_kind(function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str) -> str | None:
    """What ``function``'s body does with ``parameter`` shows of its kind: a string's or a dict's method first, then
    a sequence's use (a call such as ``len``, a loop, an index, ``in``), then a number's (``range``, arithmetic with a
    number)."""
    seen: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and _named(node.value, parameter):
            seen.add("str" if node.attr in _STR_METHODS else "dict" if node.attr in _DICT_METHODS else "other")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and any(
                _named(argument, parameter) for argument in node.args):
            seen.add("sequence" if node.func.id in _SEQUENCE_CALLS else "int" if node.func.id == "range" else "other")
        elif isinstance(node, (ast.For, ast.comprehension)) and _named(node.iter, parameter):
            seen.add("sequence")
        elif isinstance(node, ast.Subscript) and _named(node.value, parameter):
            seen.add("sequence")
        elif isinstance(node, ast.Compare) and any(
                isinstance(op, (ast.In, ast.NotIn)) and _named(right, parameter)
                for op, right in zip(node.ops, node.comparators)):
            seen.add("sequence")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, _NUMBER_OPS) and any(
                _named(side, parameter) for side in (node.left, node.right)) and any(
                isinstance(side, ast.Constant) and kind_of(side.value) in ("int", "float")
                for side in (node.left, node.right)):
            seen.add("int")
    for kind in ("str", "dict", "sequence", "int"):
        if kind in seen:
            return kind
    return None


def _named(node: ast.AST, parameter: str) -> bool:
    return isinstance(node, ast.Name) and node.id == parameter
