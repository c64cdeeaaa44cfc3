"""Simple wrong programs made from the calls a verifier made of its reference, and inputs near those calls.

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
module defined and refused to load beside a redefinition, so that every decoy made of its text was told apart. And
*near runs* (:func:`near_runs`) are the recorded runs with every argument changed a little (a number moved by one or
two, a list reversed, shortened or with an item changed, a string reversed or lengthened), drawn with a fixed seed
from the records alone: the trusted side's own inputs, which a verifier does not choose. A decoy that answers the
near runs otherwise than the reference (where the reference returned) is wrong; the caller
(:mod:`trainer.weak_requests`) asks whether the verifier's own requests tell it from the reference.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from verifier.script_decoys import SCRIPT_CONSTANTS, SCRIPT_SHAPES, near_stdin, script_answers_source, script_label

__all__ = ["CONSTANTS", "MAX_DECOYS", "MAX_NEAR_RUNS", "REARRANGING", "SHAPES", "Decoy", "answers_source", "decoys", "near_runs"]

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
MAX_DECOYS = 64
"""Decoys of one task, about (each called name's share of it, at least 8; the first three arguments of each)."""
MAX_NEAR_RUNS = 8
"""Near runs of a task, at most: copies of its recorded runs in turn, each with every argument changed anew, until
this many or :data:`_MAX_NEAR_CALLS` calls. Why as many for one recorded run as for eight: a reference may refuse
the near runs where its decoys differ (:mod:`trainer.weak_requests`), and the fewer near runs, the likelier a draw
of only the others."""
_MAX_NAMES = 8
_MAX_ARGUMENTS = 3
_MAX_NEAR_CALLS = 48
_ARGUMENT = re.compile(r"\bv\b")
_MAX_BITS = 13_000  # an integer's, moved (about 3,900 digits: CPython converts 4,300 at most)


@dataclass(frozen=True)
class Decoy:
    """A simple wrong program for one called function: what it returns, of which argument."""

    name: str  # the function it stands for; "": the program, run as a script on its standard input
    index: int | None  # the argument its shape is of (positional ones first, then keyword ones); None: a constant
    shape: str  # what it returns: an expression of ``v`` (:data:`SHAPES`), or a constant (:data:`CONSTANTS`); a
    # script's: what it prints (``verifier.script_decoys``)

    @property
    def strict(self) -> bool:
        """Whether it is a constant or a shape that drops its argument's content (the first item, the largest, the
        length, a sum ...): a program far from a right one, which one request of many varied ones tells apart. One
        such decoy the requests do not tell from the reference is a finding (:mod:`trainer.weak_requests`)."""
        return self.shape not in REARRANGING

    @property
    def label(self) -> str:
        """What it returns, as a person reads it: ``max(arg1)``, ``0``; a script's: ``max(numbers)``."""
        if not self.name:
            return script_label(self.shape)
        return _ARGUMENT.sub(f"arg{self.index + 1}", self.shape) if self.index is not None else self.shape

    @property
    def described(self) -> str:
        """The decoy as a person reads it: ``total returning max(arg1)``, ``a script printing max(numbers)``."""
        return f"{self.name} returning {self.label}" if self.name else f"a script printing {self.label}"


def decoys(runs: Sequence[list]) -> list[Decoy]:
    """The decoys for the functions ``runs`` (each ``[calls, stdin]``, a call ``[name, args, kwargs]``) called, by
    the type of each argument where it was first passed, each name's shapes of its arguments first, then its
    constants. Where a run had a standard input, decoys that print shapes of it come after them
    (:mod:`verifier.script_decoys`): where no run called a function the program is a script, and a called
    ``main()`` may read its input too (red-team round 62, D2). Every called name gets its share of
    :data:`MAX_DECOYS` (at least 8): red-team round 61 (A3) had three functions tested in full and a fourth, the one
    that mattered, left with no decoy."""
    first: dict[str, list] = {}
    for calls, _ in runs:
        for name, args, kwargs in calls:
            if name.isidentifier() and name not in first and len(first) < _MAX_NAMES:
                first[name] = [*args, *kwargs.values()]
    scripted = any(stdin.strip() for _, stdin in runs)
    script = [Decoy("", None, shape) for shape in (*SCRIPT_SHAPES, *SCRIPT_CONSTANTS)] if scripted else []
    if not first:
        return script
    share = max(8, MAX_DECOYS // max(1, len(first)))
    found: list[Decoy] = []
    for name, values in first.items():
        made = [Decoy(name, index, shape) for index, value in enumerate(values[:_MAX_ARGUMENTS])
                for shape in SHAPES.get(_kind(value), ("v",))]
        made += [Decoy(name, None, shape) for shape in CONSTANTS]
        found += made[:share]
    return found + script


def answers_source() -> str:
    """Python source (standard library only) that defines ``decoy_answer(index, shape, args, kwargs)``: the
    pair ``(True, what the decoy returns)`` for a call of its function, or ``(False, None)`` where its shape raises
    (the first item of an empty list, the length of a number): there the decoy answers as the reference does. Why
    that: red-team round 61 (A5) made ``total([])`` the first request, so that ``max``, ``min`` and the first item
    all raised and looked told apart, while a guarded wrong program (``min(xs) if xs else 0``) passed every
    request. A table of our own expressions, one function each; the checking verifier (:mod:`trainer.weak_requests`)
    runs it on the recorded arguments, which are JSON values. It defines ``script_answer(shape, stdin)`` too
    (:func:`verifier.script_decoys.script_answers_source`)."""
    rows = [f"    {shape!r}: lambda v: {shape}," for shape in dict.fromkeys([*_all_shapes(), *CONSTANTS])]
    return "\n".join(["SHAPE = {", *rows, "}", "", "", DECOY_ANSWER, "", script_answers_source()])


DECOY_ANSWER = '''def decoy_answer(index, shape, args, kwargs):
    try:
        v = None if index is None else [*args, *kwargs.values()][index]
        return True, SHAPE[shape](v)
    except Exception:
        return False, None
'''
"""The function :func:`answers_source` ends with (``SHAPE``: its table of shapes)."""


def _all_shapes() -> list[str]:
    return [shape for shapes in SHAPES.values() for shape in shapes]


def _kind(value: object) -> str:
    """The JSON type of a passed argument, as :data:`SHAPES` names it (a bool before an int)."""
    for kind, types in (("bool", bool), ("int", int), ("float", float), ("str", str), ("list", list), ("dict", dict)):
        if isinstance(value, types):
            return kind
    return "none"


def near_runs(runs: Sequence[list], seed: int = 0) -> list[list]:
    """Copies of the recorded runs that call functions, in turn, every argument of every call changed a little
    (:func:`_near`), drawn from ``random.Random(seed)`` and the records alone: :data:`MAX_NEAR_RUNS` runs, or fewer
    where 48 calls come first. The trainer draws ``seed`` where no verifier can read it: a reference that knew the
    near runs could search for records whose draw holds only runs it answers like its decoys. A run's calls keep their order; its standard input is changed as a script's is (red-team round 62, D2: a
    called ``main()`` read it, and an input kept as it was left nothing to compare). What every recorded argument in
    one place (a name's n-th argument, or keyword) had in common is kept too (:func:`_kept`): a list sorted or never
    empty, an integer never negative, a string never empty. Why: red-team round 61 (B2) had an honest task whose
    lists were all sorted flagged at its first group: its ``min`` and ``max`` decoys, right on every sorted list,
    answered the unsorted near runs otherwise. Where no run called a function (a script), the near runs are its
    inputs with their numbers moved (:func:`_near_scripts`)."""
    rng = random.Random(seed)
    called = [[calls, stdin] for calls, stdin in runs if calls]
    if not called:
        return _near_scripts(runs, rng)
    seen: dict[tuple[str, int | str], list] = {}
    for calls, _ in called:
        for name, args, kwargs in calls:
            for place, arg in [*enumerate(args), *kwargs.items()]:
                seen.setdefault((name, place), []).append(arg)
    kept = {place: _invariants(values) for place, values in seen.items()}
    items = {place: [item for value in values if isinstance(value, list) for item in value]
             for place, values in seen.items()}
    inputs = [stdin for _, stdin in called if stdin.strip()]
    found: list[list] = []
    total = 0
    for _ in range(MAX_NEAR_RUNS):
        for calls, stdin in called:
            if len(found) >= MAX_NEAR_RUNS or total + len(calls) > _MAX_NEAR_CALLS:
                return found
            near = near_stdin(stdin, inputs, rng) if stdin.strip() else stdin
            found.append([[[name, [_kept(_near_in(arg, rng, items[name, index]), kept[name, index], arg)
                                   for index, arg in enumerate(args)],
                            {key: _kept(_near_in(arg, rng, items[name, key]), kept[name, key], arg)
                             for key, arg in kwargs.items()}]
                           for name, args, kwargs in calls], near])
            total += len(calls)
    return found


def _near_in(value: object, rng: random.Random, items: list) -> object:
    """``value`` changed a little (:func:`_near`), where an empty list gets a changed copy of an item of the lists
    recorded in its place (``items``), if any, half the time. Why: an empty list given a ``0`` made a list of
    records a list holding a number, which an honest reference raised on (session 31: two of 177 honest tasks,
    ``total_cost([])`` of a list of dicts, had a decoy presumed wrong, its reference refusing such near calls)."""
    if isinstance(value, list) and not value and items:
        return [_near(rng.choice(items), rng, 1)] if rng.random() < 0.5 else []
    return _near(value, rng)


def _near_scripts(runs: Sequence[list], rng: random.Random) -> list[list]:
    """Near runs of a script's runs (no calls): copies of its non-empty inputs in turn, every number of each moved a
    little (:func:`verifier.script_decoys.near_stdin`), :data:`MAX_NEAR_RUNS` of them (a copy that came out as a
    recorded input is left out)."""
    recorded = [stdin for _, stdin in runs if stdin.strip()]
    found = [[[], near_stdin(stdin, recorded, rng)] for _ in range(MAX_NEAR_RUNS) for stdin in recorded]
    return [run for run in found if run[1] not in recorded][:MAX_NEAR_RUNS]


def _invariants(values: list) -> frozenset[str]:
    """What every one of ``values`` (the arguments recorded in one place) has: ``sorted`` and ``descending`` (lists
    in order, some with two items or more), ``filled`` (lists or strings never empty), ``natural`` (integers never
    negative)."""
    found = set()
    if all(isinstance(value, list) for value in values):
        if any(len(value) > 1 for value in values):
            found |= {how for how, reverse in (("sorted", False), ("descending", True))
                      if all(_in_order(value, reverse) for value in values)}
        if all(value for value in values):
            found.add("filled")
    if all(isinstance(value, str) and value for value in values):
        found.add("filled")
    if all(type(value) is int and value >= 0 for value in values):
        found.add("natural")
    return frozenset(found)


def _in_order(items: list, reverse: bool) -> bool:
    try:
        return all((b <= a) if reverse else (a <= b) for a, b in zip(items, items[1:]))
    except TypeError:  # (items of no one order)
        return False


def _kept(value: object, invariants: frozenset[str], recorded: object) -> object:
    """``value`` (a near copy of ``recorded``) made to have ``invariants`` again (:func:`_invariants`)."""
    if isinstance(value, list):
        if "filled" in invariants and not value:
            value = list(recorded) if isinstance(recorded, list) else value
        for how, reverse in (("sorted", False), ("descending", True)):
            if how in invariants:
                try:
                    value = sorted(value, reverse=reverse)
                except TypeError:
                    value = recorded
    elif isinstance(value, str) and "filled" in invariants and not value:
        value = recorded
    elif type(value) is int and "natural" in invariants:
        value = abs(value)
    return value


def _near(value: object, rng: random.Random, depth: int = 0) -> object:
    """``value`` changed a little, of the same JSON type: a number moved by one or two (an integer never past
    twice its size: a slow honest reference stays as slow), a string reversed, lengthened or shortened by a
    character, a list reversed, shortened, or with one item changed, a dict with its values changed; nested values
    past depth 8 and None as they are."""
    if depth > 8 or value is None:
        return value
    if isinstance(value, bool):
        return rng.random() < 0.5
    if isinstance(value, int):
        if value.bit_length() > _MAX_BITS:  # (red-team round 62, B: 4300 digits moved to 4301 broke the JSON)
            return value
        return value + rng.choice((-2, -1, 1, 2))
    if isinstance(value, float):
        return value + rng.choice((-1.5, -0.5, 0.5, 1.25))
    if isinstance(value, str):
        return _near_text(value, rng)
    if isinstance(value, list):
        return _near_items(value, rng, depth)
    if isinstance(value, dict):
        return {key: _near(item, rng, depth + 1) for key, item in value.items()}
    return value


def _near_text(value: str, rng: random.Random) -> str:
    """A string reversed, with a letter added at a drawn place, or one dropped."""
    how = rng.randrange(3)
    at = rng.randrange(len(value) + 1)
    if how == 0 and len(value) > 1 and value != value[::-1]:
        return value[::-1]
    if how == 1 and value:
        return value[:at] + value[at + 1:]
    return value[:at] + rng.choice("aeiouxyz ") + value[at:]


def _near_items(value: list, rng: random.Random, depth: int) -> list:
    """A list reversed, with an item dropped, with one changed, or with a changed copy of one added."""
    if not value:
        return [0] if rng.random() < 0.5 else []
    how = rng.randrange(4)
    at = rng.randrange(len(value))
    if how == 0 and value != value[::-1]:
        return value[::-1]
    if how == 1 and len(value) > 1:
        return value[:at] + value[at + 1:]
    if how == 2:
        return value[:at] + [_near(value[at], rng, depth + 1)] + value[at + 1:]
    return value + [_near(value[at], rng, depth + 1)]
