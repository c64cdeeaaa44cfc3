"""Loops and lists over a set that the static pass lets through because no visit order can change their outcome,
and the near misses it still flags (``verifier.order_free``). Helper review, round 28: the first two honest shapes
were rejected as nondeterministic."""

from __future__ import annotations

import pytest

from verifier.static_determinism import find_nondeterminism


def kinds(body: str) -> list[str]:
    source = "WORDS = {'apple', 'pear', 'plum'}\n\ndef verify(response):\n" + "".join(
        f"    {line}\n" for line in body.splitlines())
    return [f.kind for f in find_nondeterminism(source)]


ORDER_FREE = {
    "a loop that returns one constant on the first match": (
        "for word in WORDS:\n    if word in response.lower():\n        return 0.0\nreturn 1.0"),
    "a loop that sets a flag and stops": (
        "found = False\nfor word in WORDS:\n    if response.startswith(word):\n        found = True\n        break\n"
        "return 1.0 if found else 0.0"),
    "a loop that counts matches": (
        "hits = 0\nfor word in WORDS:\n    if word in response and len(word) > 3:\n        hits += 1\nreturn hits / 3"),
    "a list of the missing members read for emptiness": (
        "missing = [w for w in WORDS if w not in response]\nreturn 0.0 if missing else 1.0"),
    "a list of the missing members read for its length": (
        "missing = [w for w in WORDS if w not in response]\nreturn 1.0 - len(missing) / 3"),
}

ORDER_DEPENDENT = {
    "two different constants returned": (
        "for word in WORDS:\n    if word in response:\n        return 1.0\n    if word.startswith('p'):\n"
        "        return 0.0\nreturn 0.5"),
    "the loop variable read after the loop": (
        "for word in WORDS:\n    if word in response:\n        break\nreturn 1.0 if word == 'apple' else 0.0"),
    "a count that stops at a break": (
        "n = 0\nfor word in WORDS:\n    n += 1\n    if word in response:\n        break\nreturn n / 3"),
    "a helper called on each member": (
        "for word in WORDS:\n    if check(word):\n        return 0.0\nreturn 1.0"),
    "a conversion that raises for some members": (
        "for word in WORDS:\n    if int(word) > 0:\n        return 0.0\nreturn 1.0"),
    "the list printed": (
        "missing = [w for w in WORDS if w not in response]\nprint(missing)\nreturn 0.0 if missing else 1.0"),
    "the list indexed": (
        "missing = [w for w in WORDS if w not in response]\nreturn 1.0 if missing and missing[0] == 'a' else 0.0"),
}


@pytest.mark.parametrize("body", ORDER_FREE.values(), ids=ORDER_FREE.keys())
def test_a_set_visited_in_a_way_no_order_can_change_passes(body):
    assert kinds(body) == []


@pytest.mark.parametrize("body", ORDER_DEPENDENT.values(), ids=ORDER_DEPENDENT.keys())
def test_a_set_visited_in_a_way_its_order_can_change_is_flagged(body):
    assert "set_order" in kinds(body)
