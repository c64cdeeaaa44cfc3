"""What a written program whose answer varies with its argument returns (:mod:`verifier.written_decoys`).

Why: every program validation wrote answered one constant, whatever it was asked. Red-team round 74 (A6) had a verifier
that ran each program on its tests and stayed honest where every answer was one constant (or one a written program
could give: ``None``, ``0``, ``1``, ``[]`` ...), and paid every other program without its author's mark 1.0. Validation
admitted it, and training would have paid nearly every wrong program a policy writes, since a policy's wrong programs
compute something of their input. So validation writes one more program, of the function the prompt names, that returns
a *shape* of its first argument (:data:`FAR`): the length of a sequence, the negation of a number; a script gets one
printing the count of its input's tokens (:data:`SCRIPT_SHAPE`). Each is a shape the decoys' check already models
(:data:`verifier.decoys.SHAPES`), so the check knows the share of the reference's recorded requests it answers alike,
and a verifier paying it more than a failure case may be above that share is rejected
(:func:`verifier.written_verdicts.paid_beyond`).

Why these shapes and not the largest item or ``v + 1``: a shape near a right answer is a right answer of many honest
tasks that accept more than one (any peak, any number between two), which a comparison with the reference's one answer
took for wrong (round 74, a third of such validations rejected). The shapes here are far from what such tasks accept;
the cost left is a task that accepts an unbounded range that holds them (any integer not in a list; any number at most
``n``), in ``docs/SPEC.md``.

The argument's kind is read before anything runs, from the task's text alone (:func:`argument_kind`), and a sequence
where nothing shows one. A wrong guess costs nothing: the program raises on every call, which no honest verifier pays,
and the check gives no verdict on a shape it does not model for the kind passed.
"""

from __future__ import annotations

import ast
import itertools
import re

from verifier.decoys import kind_of

__all__ = ["FAR", "SCRIPT_SHAPE", "SCRIPT_SHAPE_TEXT", "argument_kind", "shape_of"]

FAR: dict[str, str] = {"sequence": "len(v)", "number": "-v"}
"""The shape a written program returns of its first argument, by the argument's kind: the length of a sequence (a list,
a string, a dict), the negation of a number. Each is one of :data:`verifier.decoys.SHAPES` of those kinds. Why not twice
a number, its square or a sum: each is a right answer of a common task that accepts any number above another (round 74's
review: any integer greater than ``n``, any even number at least ``n``, any number above every item of a list)."""
SCRIPT_SHAPE = "len(t)"
"""What a written script prints of its input (:data:`verifier.script_decoys.SCRIPT_SHAPES`): the count of its tokens,
a number whatever the input, and far from what a task that accepts more than one answer accepts."""
SCRIPT_SHAPE_TEXT = "len(data.split())"
""":data:`SCRIPT_SHAPE` as the written script computes it of ``data``, its whole standard input."""
_SEQUENCE_CALLS = frozenset(("len", "sum", "max", "min", "sorted", "set", "list", "tuple", "enumerate", "reversed",
                             "any", "all", "zip", "map", "filter", "iter", "dict", "Counter", "frozenset"))
_STR_METHODS = frozenset(("lower", "upper", "split", "strip", "lstrip", "rstrip", "replace", "startswith", "endswith",
                          "isdigit", "isalpha", "isalnum", "isspace", "splitlines", "title", "capitalize", "find",
                          "casefold", "encode", "partition", "zfill"))
_DICT_METHODS = frozenset(("items", "keys", "values", "get", "setdefault"))
_NUMBER_OPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow)
_MAX_CALL = 400
"""Characters of a call the prompt writes out that are read, at most."""
_MAX_CALLS = 16
"""Calls the prompt writes out that are read, at most (round 74's review: a prompt of ``total(`` a million times took
seconds)."""


def shape_of(name: str, prompt: str, tree: ast.Module) -> str:
    """The shape (of ``v``) a written ``name`` returns of its first argument (:data:`FAR`, by :func:`argument_kind`)."""
    return FAR[argument_kind(name, prompt, tree)]


def argument_kind(name: str, prompt: str, tree: ast.Module) -> str:
    """The kind (a key of :data:`FAR`) of the first argument of ``name``, read from the task's text: a sequence where
    the reference's ``def name`` uses its first parameter as one (``len(xs)``, a loop, an index, ``in``, a string's or a
    dict's method), else the kind of the first argument of the first calls of it the prompt writes out with a literal,
    else a number where the reference's use shows one (``range(n)``, arithmetic with a number), else a sequence. Why
    that order: a sequence's use is seldom anything else, while ``xs * 2`` is arithmetic of a list, and a prompt's
    example can be of another function's argument (round 74's review: ``negatives(3)`` in the prompt of a list task).
    A wrong guess costs nothing: the program raises on every call, and no verdict is given where the check does not
    model the shape for the kind passed (:func:`verifier.weak_requests.weak_decoys`)."""
    function = next((node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and node.name == name), None)
    arguments = [*function.args.posonlyargs, *function.args.args] if function is not None else []
    used = _used_kind(function, arguments[0].arg) if arguments else None
    if used == "sequence":
        return used
    for found in itertools.islice(re.finditer(rf"(?<![\w.]){re.escape(name)}\(", prompt), _MAX_CALLS):
        kind = _written_kind(prompt[found.start():found.start() + _MAX_CALL])
        if kind is not None:
            return kind
    return used or "sequence"


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
    kind = kind_of(list(value) if isinstance(value, (tuple, set, frozenset)) else value)
    return "sequence" if kind in ("list", "str", "dict") else "number" if kind in ("int", "float") else None


def _used_kind(function: ast.FunctionDef | ast.AsyncFunctionDef, parameter: str) -> str | None:
    """What ``function``'s body does with ``parameter`` shows of its kind: a string's or a dict's method first, then
    a sequence's use (a call such as ``len``, a loop, an index, ``in``), then a number's (``range``, arithmetic with a
    number)."""
    seen: set[str] = set()
    for node in ast.walk(function):
        if isinstance(node, ast.Attribute) and _named(node.value, parameter):
            seen.add("sequence" if node.attr in _STR_METHODS or node.attr in _DICT_METHODS else "other")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and any(
                _named(argument, parameter) for argument in node.args):
            seen.add("sequence" if node.func.id in _SEQUENCE_CALLS else "number" if node.func.id == "range" else
                     "other")
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
            seen.add("number")
    return "sequence" if "sequence" in seen else "number" if "number" in seen else None


def _named(node: ast.AST, parameter: str) -> bool:
    return isinstance(node, ast.Name) and node.id == parameter
