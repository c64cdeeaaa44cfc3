"""Inputs near the ones a verifier passed its reference: the trusted side's own, to measure those requests by.

Why: a verifier's requests test its reference only where they ask; :mod:`verifier.weak_requests` asks whether they
tell the reference from simple wrong programs (:mod:`verifier.decoys`) that answer otherwise elsewhere. *Near runs*
are the recorded runs with every argument changed a little (a number moved by one or two, a list reversed,
shortened or with an item changed, a string reversed or lengthened; a standard input's numbers moved,
:func:`verifier.script_decoys.near_stdin`), drawn from a seed and the records alone: inputs a verifier does not
choose. What every recorded argument in one place had in common (sorted, never empty, never negative) is kept, so that
a decoy right on every input of the task's kind is not found wrong on inputs of another kind.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Sequence
from itertools import zip_longest

from verifier.recorded_runs import near_order
from verifier.script_decoys import holds_number, near_stdin

__all__ = ["MAX_NEAR_RUNS", "near_runs", "off_kind", "seen_calls"]

MAX_NEAR_RUNS = 8
"""Near runs of a task, at most: copies of its recorded runs in turn, each with every argument changed anew (as long
as the recorded runs: they are bounded by :data:`verifier.recorded_runs.MAX_CALLS`). Why as many for one recorded run
as for eight: a reference may refuse the near runs where its decoys differ (:mod:`verifier.weak_requests`), and the
fewer near runs, the likelier a draw of only the others. Why no bound on their calls: red-team round 64 (C1) made one
recorded run of 49 calls, 48 of names the reference never defined and then ``total([7])``, when the near runs
stopped at the first run past 48 calls: there were none, and no decoy was wrong."""
_COUNTED = 1_000  # a list's items, at most, that a near copy counts (:func:`_outnumbered`)
_MAX_BITS = 13_000  # an integer's, moved (about 3,900 digits: CPython converts 4,300 at most)


def near_runs(runs: Sequence[list], seed: int = 0, varargs: frozenset[str] = frozenset()) -> list[list]:
    """Copies ``[calls, stdin, origin]`` (``origin``: the index in ``runs`` of the run copied, whose time the
    decoys' check measures a near run's by) of the recorded runs that call functions, in turn (those that call a
    name or pass a kind of argument none before them did first: :func:`verifier.recorded_runs.near_order`; session
    35's red-team had the one paid run sorted after eight ignored ones, with no near copy), every argument of
    every call changed a little (:func:`_near`), drawn from ``random.Random(seed)`` and the records alone:
    :data:`MAX_NEAR_RUNS` runs. The trainer draws ``seed`` where no verifier can
    read it: a reference that knew the near runs could search for records whose draw holds only runs it answers like
    its decoys. A run's calls keep their order; its standard input is changed as a script's is (red-team round 62,
    D2: a called ``main()`` read it, and an input kept as it was left nothing to compare). What every recorded
    argument in one place (a name's n-th argument, or keyword) had in common is kept too (:func:`_kept`): a list
    sorted or never empty, an integer never negative, a string never empty. Why: red-team round 61 (B2) had an
    honest task whose lists were all sorted flagged at its first group: its ``min`` and ``max`` decoys, right on
    every sorted list, answered the unsorted near runs otherwise. Where no run called a function (a script), the
    near runs are its inputs with their numbers moved (:func:`_near_scripts`); beside runs that call functions, a
    run that calls none is copied too where it had an input (red-team round 70, A4: a script tested on ``7``
    alone, beside one ignored call, had no near copy). A function may read its input beside its arguments: every
    other near run of a blank input is given a drawn one (:func:`_drawn_input`), and every one where its calls
    pass no argument (round 69, A2c: ``main()`` on ten newlines alone had every near run the recorded one again,
    and ``def main(): print(0)`` was paid; round 70, A2: an ignored input that held a number beside it must not
    spare it); where no recorded input held a number, every other near run is drawn whatever its input. A
    function in ``varargs`` (the reference defines it with ``*args``) may be passed one more positional argument
    (:func:`_near_call`)."""
    rng = random.Random(seed)
    if not any(calls for calls, _ in runs):
        return _near_scripts(runs, rng)
    called = [[runs[origin][0], runs[origin][1], origin] for origin in near_order(runs)
              if runs[origin][0] or runs[origin][1].strip()]
    seen: dict[tuple[str, int | str], list] = {}
    for calls, _, _ in called:
        for name, args, kwargs in calls:
            for place, arg in [*enumerate(args), *kwargs.items()]:
                seen.setdefault((name, place), []).append(arg)
    kept = {place: _invariants(values) for place, values in seen.items()}
    items = {place: [item for value in values if isinstance(value, list) for item in value]
             for place, values in seen.items()}
    inputs = [stdin for _, stdin, _ in called if stdin.strip()]
    numbered = any(holds_number(stdin) for stdin in inputs)
    found: list[list] = []
    for round_ in range(MAX_NEAR_RUNS):
        for position, (calls, stdin, origin) in enumerate(called):
            if len(found) >= MAX_NEAR_RUNS:
                return found
            blank, even = not stdin.strip(), len(found) % 2 == 0
            if blank and _argless(calls) or even and (blank or not numbered):
                near = _drawn_input(rng)
            else:
                near = stdin if blank else near_stdin(stdin, inputs, rng)
            more = (round_ + position) % 2 == 1  # (every other copy of each run, and every other run of a round:
            # a ``*args`` function passed one argument more, an empty list an item, a flag turned; :func:`_near_in`)
            found.append([[_near_call(call, rng, kept, items, varargs, more) for call in calls], near, origin])
    return found


def off_kind(runs: Sequence[list], near: Sequence[list]) -> list[int]:
    """The near runs whose input is of another kind than the recorded ones: drawn numbers
    (:func:`verifier.near_runs._drawn_input`) where the recorded inputs held words. There a decoy of the input's
    tokens or text (:data:`verifier.script_decoys.TEXT_SHAPES`) is not compared. Why: red-team round 70 (B1) had an
    honest ``main()`` counting names, one a line, tested on five inputs of names; on ``3 5`` the count of tokens,
    right on every input of names, counted 2 where the reference counted 1 line, and the task was rejected. Where
    the recorded inputs held no token (blank ones), a drawn input is all there is to measure any decoy by."""
    if not any(stdin.split() for _, stdin in runs):
        return []
    return [at for at, (_, stdin, origin) in enumerate(near)
            if holds_number(stdin) and not holds_number(runs[origin][1])]


def seen_calls(runs: Sequence[list], near: Sequence[list]) -> list[list[int]]:
    """The places ``[near run, call]`` of the near calls that are a recorded call again (its name, arguments and
    keywords): such a call confirms no decoy (:data:`verifier.decoy_bounds.ROOMY_TIMES`). Why: the near lists of
    ``[5, 5, 9]`` keep their order, so its reversed copy is ``[5, 5, 9]`` again. (Calls alone: the rule is a
    function's, and :func:`_near_scripts` leaves out a script's near input that is a recorded one.)"""
    recorded = {json.dumps(call, sort_keys=True) for calls, _ in runs for call in calls}
    return [[at, index] for at, (calls, _, _) in enumerate(near) for index, call in enumerate(calls)
            if json.dumps(call, sort_keys=True) in recorded]


def _argless(calls: list) -> bool:
    """Whether ``calls`` (a run's) pass no argument: a near copy changes nothing of them, so where the input they
    read was blank, only a drawn one tells anything."""
    return not any(args or kwargs for _, args, kwargs in calls)


def _near_call(call: list, rng: random.Random, kept: dict, items: dict, varargs: frozenset[str],
               more: bool) -> list:
    """A near copy of ``call``: every argument changed a little, what its place always had kept (``kept``, lists'
    ``items`` by place); a function in ``varargs`` (defined with ``*args``) passed, where ``more`` (every other near
    run), one positional argument more, a changed copy of its last (session 35's red-team, E5: ``total(7)`` alone,
    of ``total(*numbers)``, when no near run passed two numbers). Why not a coin flip per call, as until 1.47: all
    eight near runs passed one number in 1 of 256 draws, and then ``max(args)`` answered every one as the sum did
    and the weak task was admitted (a fresh-clone CI run of session 55 admitted it)."""
    name, args, kwargs = call
    near = [_kept(_near_in(arg, rng, items[name, index], more), kept[name, index], arg)
            for index, arg in enumerate(args)]
    if name in varargs and args and more:
        last = len(args) - 1
        near.append(_kept(_near_in(args[last], rng, items[name, last], more), kept[name, last], args[last]))
    return [name, near, {key: _kept(_near_in(arg, rng, items[name, key], more), kept[name, key], arg)
                         for key, arg in kwargs.items()}]


def _near_in(value: object, rng: random.Random, items: list, more: bool) -> object:
    """``value`` changed a little (:func:`_near`), where an empty list gets, on every other near run (``more``), one
    item: a changed copy of an item of the lists recorded in its place (``items``), or ``0`` where they held none.
    Why a copy: an empty list given a ``0`` made a list of records a list holding a number, which an honest
    reference raised on (session 31: two of 177 honest tasks, ``total_cost([])`` of a list of dicts, had a decoy
    presumed wrong, its reference refusing such near calls). Why every other run, not a coin flip per list as until
    1.47: all eight near runs kept ``[]`` in 1 of 256 draws, and then a verifier asking ``total([])`` alone, whose
    decoys answer ``[]`` as the sum does, was admitted. A flag (``True`` or ``False``) is turned on those runs
    alone, for the same reason."""
    if isinstance(value, list) and not value:
        return ([_near(rng.choice(items), rng, 1)] if items else [0]) if more else []
    if isinstance(value, bool):
        return value is not more
    return _near(value, rng)


def _near_scripts(runs: Sequence[list], rng: random.Random) -> list[list]:
    """Near runs of a script's runs (no calls): copies of its non-empty inputs in turn, every number of each moved a
    little (:func:`verifier.script_decoys.near_stdin`), :data:`MAX_NEAR_RUNS` of them (a copy that came out as a
    recorded input is left out), those holding a number first: the script decoys print numbers of their input,
    and session 35's red-team paid ``7`` alone after eight ignored inputs of words, which had every near copy.
    Where no input held a number (blank ones, words, a comma alone), every other one is drawn instead
    (:func:`_drawn_input`)."""
    recorded = [stdin for _, stdin in runs if stdin.strip()]
    order = sorted(range(len(runs)), key=lambda origin: not holds_number(runs[origin][1]))
    found = [[[], near_stdin(runs[origin][1], recorded, rng), origin] for _ in range(MAX_NEAR_RUNS)
             for origin in order if runs[origin][1].strip()]
    found = [run for run in found if run[1] not in recorded]
    if any(holds_number(stdin) for stdin in recorded):
        return found[:MAX_NEAR_RUNS]
    drawn = [[[], _drawn_input(rng), origin] for _ in range(MAX_NEAR_RUNS) for origin in range(len(runs))]
    return [run for pair in zip_longest(drawn, found) for run in pair if run is not None][:MAX_NEAR_RUNS]


def _drawn_input(rng: random.Random) -> str:
    """A near input of a script whose recorded inputs held no number: a line of one to three numbers from 1 to 9.
    Why: the script decoys print numbers of their input, and nothing in a blank input can be moved: a verifier whose
    one test was ten newlines (the sum 0) paid ``print(0)`` and the count of tokens (red-team round 68, A5's
    control), and so did one of ``,`` alone (no token to change, so no near copy), or of a blank input beside
    ``hello`` (round 69, A2a and A2b)."""
    return " ".join(str(rng.randint(1, 9)) for _ in range(rng.randint(1, 3))) + "\n"


def _invariants(values: list) -> frozenset[str]:
    """What every one of ``values`` (the arguments recorded in one place) has: ``sorted`` and ``descending`` (lists
    in order, some with two items or more), ``filled`` (lists or strings never empty), ``natural`` (integers never
    negative), ``distinct`` (lists without a duplicate, some with two items or more: red-team round 63, FP3, an
    honest ``rotate_left`` of distinct cards raised on near lists given one)."""
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
    if all(isinstance(value, list) for value in values) and any(len(value) > 1 for value in values) and all(
            len({_key(item) for item in value}) == len(value) for value in values):
        found.add("distinct")
    return frozenset(found)


def _key(item: object) -> str:
    """An item of a list as a dict key (items may be lists or dicts): its JSON."""
    return json.dumps(item, sort_keys=True)


def _in_order(items: list, reverse: bool) -> bool:
    try:
        return all((b <= a) if reverse else (a <= b) for a, b in zip(items, items[1:]))
    except TypeError:  # (items of no one order)
        return False


def _kept(value: object, invariants: frozenset[str], recorded: object) -> object:
    """``value`` (a near copy of ``recorded``) made to have ``invariants`` again (:func:`_invariants`)."""
    if isinstance(value, list):
        if "distinct" in invariants:
            value = list({_key(item): item for item in value}.values())
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
    twice its size: a slow honest reference stays as slow; NaN or an infinity becomes a finite number, as every
    move leaves it as it is), a string reversed, lengthened or shortened by a
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
        if not math.isfinite(value):  # (round 66: ``total([inf])`` alone; every move of an infinity is one)
            return rng.choice((-2.5, 0.5, 1.25, 3.0))
        return value + rng.choice((-1.5, -0.5, 0.5, 1.25))
    if isinstance(value, str):
        return _near_text(value, rng)
    if isinstance(value, list):  # (its NaNs and infinities made finite first: a move changes one item at most)
        return _near_items([_near(item, rng, depth + 1) if isinstance(item, float) and not math.isfinite(item)
                            else item for item in value], rng, depth)
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
    """A list reversed, with an item dropped, with one changed, with a changed copy of one added, or with one
    repeated until it is the most frequent (:func:`_outnumbered`)."""
    if not value:
        return [0] if rng.random() < 0.5 else []
    how = rng.randrange(5)
    at = rng.randrange(len(value))
    if how == 4 and len(value) <= _COUNTED:
        return _outnumbered(value, rng)
    if how == 0 and value != value[::-1]:
        return value[::-1]
    if how == 1 and len(value) > 1:
        return value[:at] + value[at + 1:]
    if how == 2:
        return value[:at] + [_near(value[at], rng, depth + 1)] + value[at + 1:]
    return value + [_near(value[at], rng, depth + 1)]


def _outnumbered(value: list, rng: random.Random) -> list:
    """``value`` with copies of one of its items added until that item is the most frequent (an item less frequent
    than another, where there is one). Why: every other move keeps which item is the most frequent, so a decoy right
    on the recorded lists' most frequent item was right on every near run too: session 34's red-team (E7) had
    ``mode([2, 2, 5])`` alone admitted with any reference, the first item and the smallest paid."""
    keys = [_key(item) for item in value]
    counts: dict[str, int] = {}
    for key in keys:
        counts[key] = counts.get(key, 0) + 1
    most = max(counts.values())
    fewer = [at for at, key in enumerate(keys) if counts[key] < most]
    at = rng.choice(fewer) if fewer else rng.randrange(len(value))
    return value + [value[at]] * (most - counts[keys[at]] + 1)
