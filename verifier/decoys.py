"""Simple wrong programs made from the calls a verifier made of its reference.

Why: red-team round 60 (A4) had a verifier whose only test was ``total([7])``. Validation admitted it 5 of 5 times:
every one-token mutant of the reference (``result = 1``, ``-=``) fails on ``[7]``. Training's results replay even
excused the reference's replayed digest, as the requests told the reference from its failure case and its mutants;
and the answers check compared on ``[7]`` alone, where ``max``, ``min``, the first item and the last all answer 7.
It paid 90 to 131 wrong programs a run, unflagged. One-token mutants are too close to the reference to measure
requests by: a wrong program a policy writes is often a different program altogether, of the shape a task's
arguments suggest (the first item, the largest, the length, the argument itself, a constant).

So a *decoy* is such a program for one called function (:data:`SHAPES`, by the type of the argument as the verifier
passed it; :data:`CONSTANTS` for any function): what it would have answered each call of that function is worked out
from the call's arguments alone (:func:`answers_source`), and every other call is answered as the reference answered
it. The reference's code is never changed: red-team round 61 (A1) had a reference that counted the functions its own
module defined and refused to load beside a redefinition, so that every decoy made of its text was told apart. A
decoy that answers the near runs (:mod:`verifier.near_runs`) otherwise than the reference is wrong; the caller
(:mod:`verifier.weak_requests`) asks whether the verifier's own requests tell it from the reference.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from dataclasses import dataclass

from verifier.script_decoys import SCRIPT_CONSTANTS, SCRIPT_SHAPES, script_answers_source, script_label

__all__ = ["ALL_ARGS", "ARGUMENT", "CONSTANTS", "MAX_DECOYS", "REARRANGING", "SHAPES", "Decoy", "answers_source",
           "as_asked", "decoys", "kind_of", "left_out", "varargs_names"]

SHAPES: dict[str, tuple[str, ...]] = {
    "bool": ("v", "not v"),
    "int": ("v", "v + 1", "v - 1", "2 * v", "v * v", "-v"),
    "float": ("v", "v + 1", "2 * v", "-v", "round(v)"),
    "str": ("v", "v.lower()", "v.upper()", "v[::-1]", "len(v)", "v.split()", "v.strip()", "v[:1]"),
    "list": ("v", "v[0]", "v[-1]", "max(v)", "min(v)", "len(v)", "sorted(v)", "v[::-1]", "sum(v)",
             "sorted(set(v))"),
    "dict": ("v", "len(v)", "list(v)", "list(v.values())"),
}
"""What a decoy returns of its argument ``v``, by the argument's JSON type (a tuple or set was passed as a list)."""
CONSTANTS = ("None", "0", "1", "-1", "True", "False", "''", "[]")
"""What a decoy of any function may return whatever it is asked."""
REARRANGING = frozenset({"v", "v.lower()", "v.upper()", "v[::-1]", "v.split()", "v.strip()", "sorted(v)",
                         "sorted(set(v))", "round(v)", "list(v)", "list(v.values())", "sorted(n)",
                         "sorted(n, reverse=True)", "n[::-1]", "s.strip()"})
"""Shapes that keep their argument's content, in another order or form (a function's, then a script's): a wrong
program of such a shape is near the right one, and an honest verifier's tests often miss it (lists without a
duplicate do not tell ``sorted(set(v))`` from "the items in any order"). Every other shape is *strict*
(:attr:`Decoy.strict`)."""
MAX_DECOYS = 1024
"""Decoys of one task, at most: requests that give more (every shape of every argument of every called name, and the
constants of each name) cannot be measured, and are trouble themselves (:func:`decoys` returns None). Why no share a
name, cut short (session 34): any cut the host makes without the reference's answers can be crowded by width;
red-team round 64 (C5) passed 1,100 integers beside the list that mattered, and its list shapes fell past the name's
share (4 wrong programs paid, no flag). Red-team round 61 (A3) and round 63 (B3, B8) had crowded names and arguments
before. The most an honest task of the red-team's 59 gave was 126."""
ALL_ARGS = -1
"""The index of a decoy whose shape is of all the positional arguments of a call, as a list: a decoy of a function
the reference defines with ``*args`` (:func:`varargs_names`). Why: session 35's red-team (E5) paid ``total(7)``
alone, of ``total(*numbers)``; every shape of the one argument a call passed was told apart, or right on the near
runs, and the first, the largest and the last of the numbers were never tried."""
ARGUMENT = re.compile(r"\bv\b")
"""The argument in a shape (:data:`SHAPES`)."""
_NUMBERS = re.compile(r"\bn\b")  # (a script shape of the numbers among its input's tokens)


@dataclass(frozen=True)
class Decoy:
    """A simple wrong program for one called function: what it returns, of which argument."""

    name: str  # the function it stands for; "": the program, run as a script on its standard input
    index: int | None  # the argument its shape is of (positional ones first, then keyword ones); None: a constant;
    # :data:`ALL_ARGS`: all the positional ones, as a list
    shape: str  # what it returns: an expression of ``v`` (:data:`SHAPES`), or a constant (:data:`CONSTANTS`); a
    # script's: what it prints (``verifier.script_decoys``)
    keyword: str | None = None  # a written program's (:mod:`verifier.written_shapes`): the name of the parameter
    # ``index`` stands for, where a call passes it by keyword (:func:`as_asked`)

    @property
    def strict(self) -> bool:
        """Whether it is a constant or a shape that drops its argument's content (the first item, the largest, the
        length, a sum ...): a program far from a right one, which one request of many varied ones tells apart. One
        such decoy the requests do not tell from the reference is a finding (:mod:`verifier.weak_requests`)."""
        return self.shape not in REARRANGING

    @property
    def label(self) -> str:
        """What it returns, as a person reads it: ``max(arg1)``, ``0``; a script's: ``max(numbers)``."""
        if not self.name:
            return script_label(self.shape)
        if self.index is None:
            return self.shape
        return ARGUMENT.sub("args" if self.index == ALL_ARGS else f"arg{self.index + 1}", self.shape)

    @property
    def described(self) -> str:
        """The decoy as a person reads it: ``total returning max(arg1)``, ``a script printing max(numbers)``."""
        return f"{self.name} returning {self.label}" if self.name else f"a script printing {self.label}"


def decoys(runs: Sequence[list], varargs: frozenset[str] = frozenset()) -> list[Decoy] | None:
    """The decoys for the functions ``runs`` (each ``[calls, stdin]``, a call ``[name, args, kwargs]``) called: for
    every called name, the shapes of each of its arguments (positional ones first, then keyword ones) by every type
    that argument was passed as, and its constants (:func:`_of_name`); for a name in ``varargs`` (the reference
    defines it with ``*args``), the shapes of a list of all its positional arguments too (:data:`ALL_ARGS`).
    Decoys that print shapes of the standard input come after them (:mod:`verifier.script_decoys`), whatever the
    runs gave as input: where no run called a function the program is a script (round 68's A5 control, a sum tested
    on ten newlines alone, paid ``print(0)`` and the count of tokens), and a called function may read its input too
    (round 62, D2: ``main()`` on the input ``7``; round 69, A2c: ``main()`` on a blank one, where a dummy argument
    would have done as well). They are compared wherever the program printed (:mod:`verifier.decoy_check`). None
    where they would be more than :data:`MAX_DECOYS` (counted before any is made: the records allow half a million
    arguments)."""
    passed: dict[str, dict[int, list[str]]] = {}
    for calls, _ in runs:
        for name, args, kwargs in calls:
            if name.isidentifier():
                places = passed.setdefault(name, {})
                for index, value in enumerate([*args, *kwargs.values()]):
                    kinds = places.setdefault(index, [])
                    if kind_of(value) not in kinds:
                        kinds.append(kind_of(value))
    script = [Decoy("", None, shape) for shape in (*SCRIPT_SHAPES, *SCRIPT_CONSTANTS)] if runs else []
    for name in varargs & passed.keys():
        passed[name][ALL_ARGS] = ["list"]
    count = len(script) + sum(len(CONSTANTS) + sum(len(_shapes(kinds)) for kinds in places.values())
                              for places in passed.values())
    if count > MAX_DECOYS:
        return None
    return [decoy for name, places in passed.items() for decoy in _of_name(name, places)] + script


def _of_name(name: str, places: dict[int, list[str]]) -> list[Decoy]:
    """The decoys of one called name, whose arguments (by place) were passed as ``places``' types: the shapes of
    each type an argument took (red-team round 63, B6: ``total(None)``, then ``total([7])``, left the list with no
    list shape while shapes followed the first call's type), each shape of an argument once, and the constants. A
    None argument has no shape of its own: it answers as the constant None does."""
    return [*(Decoy(name, index, shape) for index, kinds in places.items() for shape in _shapes(kinds)),
            *(Decoy(name, None, shape) for shape in CONSTANTS)]


def _shapes(kinds: list[str]) -> list[str]:
    """The shapes of an argument passed as ``kinds``, each once, in order (what :func:`decoys` counts and makes)."""
    return list(dict.fromkeys(shape for kind in kinds for shape in SHAPES.get(kind, ())))


def left_out(decoy: Decoy, elided: frozenset[tuple]) -> bool:
    """Whether a request known by kinds alone (``elided``: :attr:`verifier.recorded_runs.RecordedRuns.elided`) may
    have asked what ``decoy`` answers: its function was called there (with an argument of a kind its shape is of,
    in some place), or a standard input was given there (one holding numbers, for a shape of its numbers). Where it
    may, a recorded call that the reference refused does not tell it apart (:data:`verifier.decoy_check.DECOY_CHECK`);
    where it may not, it does: red-team round 68 (B1) had an honest ``total(5)`` that had to raise, beside a sum of
    a large list, and every shape of an int was taken for a rival, and wrong."""
    if not decoy.name:
        return ("stdin",) in elided and (("stdin", "number") in elided or not _NUMBERS.search(decoy.shape))
    if (decoy.name,) not in elided:
        return False
    return decoy.index is None or decoy.index == ALL_ARGS or any(
        len(feature) == 3 and feature[0] == decoy.name and decoy.shape in SHAPES.get(feature[2], ())
        for feature in elided)


def as_asked(decoy: Decoy, made: Sequence[Decoy], runs: Sequence[list]) -> Decoy | None:
    """``decoy`` as the check numbers what ``runs`` asked of its function: a constant as it is; a shape of an argument
    the one the check made for the kinds passed, at the place every call of its function passed that argument (by
    position, or by its :attr:`Decoy.keyword`, the check numbering keyword arguments after the
    positional ones, by name); None where the check has no such decoy, or the calls passed it in different places or
    not at all. Why: a written program returning a shape (:mod:`verifier.written_shapes`) guesses its argument's kind
    from the task's text, and a verifier may call by keyword (round 74's review: ``2 * s`` of a string, and
    ``len(xs)`` of ``count_below(limit=..., xs=...)``, counted as sharing no answer, rejected honest tasks; and a
    verifier calling by keyword alone had no verdict)."""
    if decoy.index is None:
        return decoy
    places = set()
    for calls, _ in runs:
        for name, args, kwargs in calls:
            if name == decoy.name:
                places.add(decoy.index if len(args) > decoy.index else
                           len(args) + list(kwargs).index(decoy.keyword) if decoy.keyword in kwargs else None)
    found = Decoy(decoy.name, places.pop(), decoy.shape) if len(places) == 1 else None
    return found if found is not None and found.index is not None and found in made else None


def answers_source() -> str:
    """Python source (standard library only) that defines ``decoy_answer(index, shape, args, kwargs)``: the
    pair ``(True, what the decoy returns)`` for a call of its function, or ``(False, None)`` where its shape raises
    (the first item of an empty list, the length of a number): there the decoy answers as the reference does. Why
    that: red-team round 61 (A5) made ``total([])`` the first request, so that ``max``, ``min`` and the first item
    all raised and looked told apart, while a guarded wrong program (``min(xs) if xs else 0``) passed every
    request. A table of our own expressions, one function each; the checking verifier (:mod:`verifier.weak_requests`)
    runs it on the recorded arguments, which are JSON values. It defines ``script_answer(shape, stdin)`` too
    (:func:`verifier.script_decoys.script_answers_source`)."""
    rows = [f"    {shape!r}: lambda v: {shape}," for shape in dict.fromkeys([*_all_shapes(), *CONSTANTS])]
    return "\n".join(["SHAPE = {", *rows, "}", "", "", DECOY_ANSWER, "", script_answers_source()])


DECOY_ANSWER = f'''def decoy_answer(index, shape, args, kwargs):
    try:
        v = None if index is None else list(args) if index == {ALL_ARGS} else [*args, *kwargs.values()][index]
        return True, SHAPE[shape](v)
    except Exception:
        return False, None
'''
"""The function :func:`answers_source` ends with (``SHAPE``: its table of shapes)."""


def varargs_names(code: str) -> frozenset[str]:
    """The names of the functions ``code`` (a reference's) defines at its top level with ``*args``: their decoys
    include shapes of all their positional arguments (:data:`ALL_ARGS`), and their near runs may pass one more
    (:mod:`verifier.near_runs`). None of them where ``code`` does not parse."""
    try:
        tree = ast.parse(code)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return frozenset()
    return frozenset(node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                     and node.args.vararg is not None)


def _all_shapes() -> list[str]:
    return [shape for shapes in SHAPES.values() for shape in shapes]


def kind_of(value: object) -> str:
    """The JSON type of a passed argument, as :data:`SHAPES` names it (a bool before an int)."""
    for kind, types in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list), ("dict", dict)):
        if isinstance(value, types):
            return kind
    return "none"
