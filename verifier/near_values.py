"""A recorded value changed a little, and what every value recorded in one place had in common kept.

Why a module of its own: :mod:`verifier.near_runs` decides which runs are copied, and
:mod:`verifier.near_calls` which places of a call a copy turns (a flag, an empty list, an integer's parity, one
argument more) and which move each list makes; how one number, string, list or dict is moved, and how a moved value
is made to keep the recorded values' invariants (sorted, never empty, never negative, without duplicates), is the
same for every place, and is this module.
"""

from __future__ import annotations

import json
import math
import random

__all__ = ["LIST_MOVES", "TEXT_MOVES", "growable", "grown", "invariants_of", "kept_as", "moves_of", "near_value",
           "shifted"]

_COUNTED = 1_000  # a list's items, at most, that a near copy counts (:func:`_outnumbered`)
_MAX_BITS = 13_000  # an integer's, moved (about 3,900 digits: CPython converts 4,300 at most)


def invariants_of(values: list) -> frozenset[str]:
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


def kept_as(value: object, invariants: frozenset[str], recorded: object) -> object:
    """``value`` (a near copy of ``recorded``) made to have ``invariants`` again (:func:`invariants_of`)."""
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


def near_value(value: object, rng: random.Random, depth: int = 0, turn: bool | None = None,
               how: int | None = None) -> object:
    """``value`` changed a little, of the same JSON type: a number moved by one or two (an integer never past
    twice its size: a slow honest reference stays as slow; NaN or an infinity becomes a finite number, as every
    move leaves it as it is), a string reversed, lengthened or shortened by a
    character, a list reversed, shortened, or with one item changed, a dict with its values changed; nested values
    past depth 8 and None as they are. A caller that counts its copies of one argument (:mod:`verifier.near_calls`)
    says, for an integer, whether this copy turns its parity (``turn``: moved by one, else by two), and for a list
    or a string which move (``how``, of :func:`_near_items`' five or :func:`_near_text`'s four, and above them the
    copy's round) it makes: a drawn
    parity, or a drawn move, could be the same on all eight copies (session 56's red-team: ``is_even(4)`` alone was
    admitted in about 1 of 250 draws, every move even; ``all_true([True, True])`` in about 1 of 17, every move one
    that brings no ``False``; session 57's: ``has_vowel('xyz')`` in about 1 of 5, no vowel added)."""
    if depth > 8 or value is None:
        return value
    if isinstance(value, bool):
        return rng.random() < 0.5
    if isinstance(value, int):
        if value.bit_length() > _MAX_BITS:  # (red-team round 62, B: 4300 digits moved to 4301 broke the JSON)
            return value
        steps = (-2, -1, 1, 2) if turn is None else (-1, 1) if turn else (-2, 2)
        return value + rng.choice(steps)
    if isinstance(value, float):
        if not math.isfinite(value):  # (round 66: ``total([inf])`` alone; every move of an infinity is one)
            return rng.choice((-2.5, 0.5, 1.25, 3.0))
        return value + rng.choice((-1.5, -0.5, 0.5, 1.25))
    if isinstance(value, str):
        return _near_text(value, rng, how)
    if isinstance(value, list):  # (its NaNs and infinities made finite first: a move changes one item at most)
        return _near_items([near_value(item, rng, depth + 1) if isinstance(item, float) and not math.isfinite(item)
                            else item for item in value], rng, depth, how)
    if isinstance(value, dict):
        return {key: near_value(item, rng, depth + 1) for key, item in value.items()}
    return value


def shifted(value: object) -> object:
    """``value`` moved up by two where it is an integer (not a flag) small enough to move (as :func:`near_value`'s):
    its parity and its sign where it was never negative kept."""
    return value + 2 if type(value) is int and value.bit_length() <= _MAX_BITS else value


TEXT_MOVES = 4
"""How many ways :func:`_near_text` moves a string (a caller may schedule them: ``how``)."""

_KINDS = ("aeiou", "bcdfghjklmnpqrstvwxyz", "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "0123456789", " ", ".,!?-")
"""The kinds of character a near string is given one of (:func:`_near_text`), in the order they are given."""

_DRAWN = "aeiouxyz "
"""The characters a drawn move adds one of, half the time (:func:`_near_text`): 1.49's, mostly small letters."""


def _near_text(value: str, rng: random.Random, how: int | None = None) -> str:
    """A string reversed, with a character dropped at a drawn place, with one of its characters repeated there, or
    with one added there; ``how`` (0-3, in that order) is the move, drawn where it is None (a reversal that cannot
    change a palindrome or a one-character string, a drop from or a repeat in an empty string, adds instead). The
    character added is of a kind (:data:`_KINDS`: a vowel, another small letter, a capital, a digit, a space, a
    mark) the string holds none of: on a scheduled copy, the ``how // 4``-th such kind (in turn), so the first round
    of four moves adds the first kind lacking, the second round the next (the add comes last of the four, so a
    scheduled copy's first add, whatever its first move, is in its first round) (``'x'`` gets the first kind twice
    in its first round); where ``how`` is drawn (a string inside a list that no schedule moves, or that holds
    small vowels and other small letters both: :func:`_changed`), the first kind lacking half the
    time and one of :data:`_DRAWN` otherwise (the read-only review of 1.50: a uniform draw among the kinds lacking
    met a vowel or a small letter less often than 1.49's letters did). So four copies add the first kind lacking,
    and a later kind only where a string has more rounds (``has_digit('abc')`` beside other runs meets no digit on
    most draws). Why: a letter drawn from ``"aeiouxyz "`` left ``has_vowel('xyz')`` alone admitted in about 1 of 5
    draws (no near string held a vowel, so ``return False`` was paid) and ``is_upper('ABC')`` in about 1 of 12 (none
    held a small letter). Why a repeat: a character of a kind the string lacks is never one it holds, so with three
    moves no near string of ``'abc'`` held a letter twice, and ``is_isogram`` tested on words of distinct letters
    alone paid ``return True`` on about half the draws (the 1.50 red team; 1.49's drawn letters repeated one now and
    then: 8 of 100)"""
    at = rng.randrange(len(value) + 1)
    if how is None:
        how, turn = rng.randrange(TEXT_MOVES), None
    else:
        how, turn = how % TEXT_MOVES, how // TEXT_MOVES
    if how == 0 and len(value) > 1 and value != value[::-1]:
        return value[::-1]
    if how == 1 and value:
        cut = at % len(value)  # (``at`` may be past the last character: 1.49 dropped none there)
        return value[:cut] + value[cut + 1:]
    if how == 2 and value:
        return value[:at] + value[at % len(value)] + value[at:]
    lacking = [kind for kind in _KINDS if not any(char in kind for char in value)] or list(_KINDS)
    if turn is None and rng.random() < 0.5:
        return value[:at] + rng.choice(_DRAWN) + value[at:]
    return value[:at] + rng.choice(lacking[(turn or 0) % len(lacking)]) + value[at:]


def moves_of(value: object) -> int:
    """How many moves a scheduled copy of ``value`` takes in turn: a list's :data:`LIST_MOVES`, a string's
    :data:`TEXT_MOVES`."""
    return TEXT_MOVES if isinstance(value, str) else LIST_MOVES


LIST_MOVES = 5
"""How many ways :func:`_near_items` moves a list that has items (a caller may schedule them: ``how``)."""


def _near_items(value: list, rng: random.Random, depth: int, how: int | None = None) -> list:
    """A list reversed, with an item dropped, with one changed, with a changed copy of one added, or with one
    repeated until it is the most frequent (:func:`_outnumbered`); ``how`` (0-4, in that order) is the move, drawn
    where it is None (past 4, ``how // 5`` is the copy's round, which a string changed takes its kind by). A move
    that cannot change this list (reversing a palindrome, dropping the one item, outnumbering past
    :data:`_COUNTED` items) adds a changed copy instead. An item changed is a flag turned, an empty
    list given an item, or an integer moved by an odd step (:func:`_changed`)."""
    if not value:
        return [0] if rng.random() < 0.5 else []
    turn = None if how is None else how // LIST_MOVES  # (the round of a scheduled copy's moves)
    how = rng.randrange(LIST_MOVES) if how is None else how % LIST_MOVES
    at = rng.randrange(len(value))
    if how == 4 and len(value) <= _COUNTED:
        return _outnumbered(value, rng)
    if how == 0 and value != value[::-1]:
        return value[::-1]
    if how == 1 and len(value) > 1:
        return value[:at] + value[at + 1:]
    if how == 2:
        return value[:at] + [_changed(value, at, rng, depth, turn)] + value[at + 1:]
    return value + [_changed(value, at, rng, depth, turn)]


def _changed(value: list, at: int, rng: random.Random, depth: int, turn: int | None = None) -> object:
    """The item ``value[at]`` changed: a flag or an empty list grown (:func:`grown`, from the items of the list's
    other lists), an integer moved by an odd step, anything else moved (:func:`near_value`). Why not drawn: a
    changed ``True`` drawn ``True`` again, or ``[]`` drawn ``[]``, left a list of equal flags or of empty lists as it
    was (session 56's red-team: ``all_true([True, True])`` and ``flatten([[]])`` alone admitted in 1 of 17 and 1 of
    54 draws), and an integer moved by a drawn step kept the list's parities in about 1 of 8 draws of
    ``count_even([1, 3])`` alone (session 57's red team; ``return 0`` paid). Why odd on the add move too: a list
    copied four times makes four of its five moves, and may miss the change. A string changed by a scheduled copy's
    change or add move (``turn``: its round) is given a character of the ``turn``-th kind it lacks
    (:func:`_near_text`; the add too, since four copies may miss the change: the 1.51 red team, ``['xyz']`` beside
    two other runs met no vowel on 101 of 1000 draws) where it lacks small vowels or other small letters, and is
    moved by a draw as in 1.50 where it holds both (the 1.51 review: small words given a capital on a schedule, on
    22% of their copies against 5%, would have a reference that counts ``ord(c) - 97`` refuse one copy in four),
    and a dict one flag among its values turned, drawn, its other values moved as ever: through 1.50 both were drawn,
    and ``has_vowel_any(['xyz'])`` alone met no vowel on 87 of 300 draws, ``any_on([{'on': False}])`` no ``True`` on
    3 (the 1.50 red team's W5)."""
    item = value[at]
    if growable(item):
        return grown(item, rng, [inner for other in value if isinstance(other, list) for inner in other], depth + 2)
    if isinstance(item, str) and turn is not None and not all(set(item) & set(kind) for kind in _KINDS[:2]):
        return _near_text(item, rng, TEXT_MOVES - 1 + TEXT_MOVES * turn)
    if isinstance(item, dict) and depth < 8:
        flags = [key for key, inner in item.items() if isinstance(inner, bool)]
        chosen = rng.choice(flags) if flags else None
        return {key: not inner if key == chosen else near_value(inner, rng, depth + 2) for key, inner in item.items()}
    return near_value(item, rng, depth + 1, turn=True if type(item) is int else None)


def growable(value: object) -> bool:
    """Whether a near copy grows ``value`` rather than moves it: an empty list, or a flag."""
    return isinstance(value, bool) or isinstance(value, list) and not value


def grown(value: object, rng: random.Random, items: list, depth: int = 1) -> object:
    """A flag turned, or an empty list given one item: a changed copy of one of ``items`` (those of the lists recorded
    in its place, or of its sibling lists), ``0`` where there are none. Why a copy: an empty list given a ``0`` made a
    list of records a list holding a number, which an honest reference raised on (session 31: two of 177 honest
    tasks, ``total_cost([])`` of a list of dicts, had a decoy presumed wrong, its reference refusing such near
    calls)."""
    if isinstance(value, bool):
        return not value
    return [near_value(rng.choice(items), rng, depth)] if items else [0]


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
