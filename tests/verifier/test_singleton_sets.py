"""Reads of a set an early exit left with one member pass the static pass; near misses that could hold two stay
flagged (``verifier.singleton_sets``). Red-team round 59 (D): four honest verifiers that check every line ends alike
and then read the one ending were rejected as nondeterministic."""

from __future__ import annotations

import pytest

from verifier.static_determinism import find_nondeterminism

PRELUDE = "ends = {line[-1] for line in response.splitlines() if line}\n"


def kinds(body: str) -> list[str]:
    source = "def verify(response):\n" + "".join(f"    {line}\n" for line in (PRELUDE + body).splitlines())
    return [f.kind for f in find_nondeterminism(source)]


GUARDED = {
    "next(iter(S)) after len(S) != 1 returns": "if len(ends) != 1:\n    return 0.0\nmark = next(iter(ends))\n"
                                               "return 1.0 if mark == '!' else 0.0",
    "S.pop() after len(S) > 1 returns": "if not response or len(ends) > 1:\n    return 0.0\n"
                                       "return 1.0 if ends.pop() == '!' else 0.0",
    "unpacking after len(S) >= 2 raises": "if len(ends) >= 2:\n    raise ValueError('mixed')\n(mark,) = ends\n"
                                         "return float(mark == '!')",
    "list(S)[0] inside if len(S) == 1": "if len(ends) == 1 and response:\n    return float(list(ends)[0] == '!')\n"
                                        "return 0.0",
    "a loop over S after not len(S) == 1": "if not len(ends) == 1:\n    return 0.0\nfor mark in ends:\n"
                                           "    return float(mark == '!')\nreturn 0.0",
    "members added before the guard": "ends.add('!')\nif len(ends) != 1:\n    return 0.0\n"
                                      "return float(ends.pop() == '!')",
    "a guard inside a loop that continues": "for line in response.splitlines():\n    marks = set(line)\n"
                                            "    if len(marks) != 1:\n        continue\n"
                                            "    return float(next(iter(marks)) == '!')\nreturn 0.0",
}

STILL_FLAGGED = {
    "no guard": "return float(next(iter(ends)) == '!')",
    "a guard that does not leave": "if len(ends) != 1:\n    response = ''\nreturn float(next(iter(ends)) == '!')",
    "a guard with an else": "if len(ends) != 1:\n    return 0.0\nelse:\n    pass\nreturn float(ends.pop() == '!')",
    "a guard on another size": "if len(ends) != 2:\n    return 0.0\nreturn float(next(iter(ends)) == '!')",
    "a read before the guard": "mark = next(iter(ends))\nif len(ends) != 1:\n    return 0.0\nreturn float(mark == '!')",
    "a member added after the guard": "if len(ends) != 1:\n    return 0.0\nends.add('?')\n"
                                      "return float(next(iter(ends)) == '!')",
    "an alias that adds after the guard": "alias = ends\nif len(ends) != 1:\n    return 0.0\nalias.add('?')\n"
                                          "return float(next(iter(ends)) == '!')",
    "a call that could add a member": "if len(ends) != 1:\n    return 0.0\nlen(list(map(print, [ends])))\n"
                                      "return float(next(iter(ends)) == '!')",
    "rebound after the guard": "if len(ends) != 1:\n    return 0.0\nends = {'a', 'b'}\n"
                               "return float(next(iter(ends)) == '!')",
    "grown by |= after the guard": "if len(ends) != 1:\n    return 0.0\nends |= {'?'}\n"
                                   "return float(next(iter(ends)) == '!')",
    "a closure over it": "grow = lambda: ends.add('?')\nif len(ends) != 1:\n    return 0.0\ngrow()\n"
                         "return float(next(iter(ends)) == '!')",
    "a comprehension over it and another set": "if len(ends) != 1:\n    return 0.0\n"
                                               "return float([a + b for a in ends for b in {'x', 'y'}][0] == '!x')",
    "the read in another branch than the guard": "if response:\n    if len(ends) != 1:\n        return 0.0\n"
                                                 "return float(next(iter(ends)) == '!')",
}


@pytest.mark.parametrize("body", GUARDED.values(), ids=GUARDED.keys())
def test_the_one_member_of_a_guarded_set_is_read_order_free(body):
    assert kinds(body) == []


@pytest.mark.parametrize("body", STILL_FLAGGED.values(), ids=STILL_FLAGGED.keys())
def test_a_set_that_could_hold_two_members_when_read_is_flagged(body):
    assert "set_order" in kinds(body)


def test_a_module_set_is_never_trusted():
    """Another function could add to it between the guard and the read."""
    source = ("ENDS = {'!'}\n\ndef grow():\n    ENDS.add('?')\n\ndef verify(response):\n"
              "    if len(ENDS) != 1:\n        return 0.0\n    grow()\n    return float(next(iter(ENDS)) == '!')\n")
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]


def test_a_parameter_is_never_trusted():
    source = ("def first(marks):\n    if len(marks) != 1:\n        return ''\n    return next(iter(marks))\n\n"
              "def verify(response):\n    return float(first(set(response)) == '!')\n")
    assert "set_order" in [f.kind for f in find_nondeterminism(source)]
