"""The lenient comparison of two programs' answers, as the trusted side's checking verifiers run it.

Why lenient: a verifier may accept an answer in another form than the reference's (a float within 1%, a number as
text, a list in any order, other case or whitespace), and an answer it would accept must not count as a different
one. Why a source fragment: the comparison runs inside a checking verifier in the sandbox (the answers check,
:mod:`trainer.answer_check`, and the decoys' check, :mod:`verifier.weak_requests`), on values a response process
handed back.
"""

from __future__ import annotations

__all__ = ["ANSWERS_REL_TOL", "COMPARE"]

COMPARE = '''REL_TOL = {rel_tol!r}
MAX_STEPS = {max_steps!r}
NUMBER = re.compile(r"-?[0-9]+(?:[.][0-9]+)?(?:[eE][-+]?[0-9]+)?")
EDGES = " \\t\\n.,;:!?'\\"`*"


class Uncompared(Exception):
    """The reference's run did not complete: nothing to compare with."""


class Costly(Exception):
    """A comparison took more than MAX_STEPS steps: no verdict of it."""


def number(value):
    if isinstance(value, (int, float)):
        return value
    if not isinstance(value, str):
        return None
    for kind in (int, float):
        try:
            return kind(value.strip())
        except ValueError:
            pass
    return None


def text(value):
    return " ".join(value.casefold().split()).strip(EDGES)


def members(value):
    if isinstance(value, dict) and list(value) == ["$set"] and isinstance(value["$set"], list):
        return value["$set"]
    return value


def key(value):
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError, RecursionError):
        return ("unkeyed", id(value))


def alike(want, got, depth=0, steps=None):
    steps = [0] if steps is None else steps
    steps[0] += 1
    if MAX_STEPS and steps[0] > MAX_STEPS:
        raise Costly("past " + str(MAX_STEPS) + " steps")
    if not depth and type(want) is type(got) and want == got:
        return True
    want, got = members(want), members(got)
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if isinstance(want, float) or isinstance(got, float):
            return (math.isclose(want, got, rel_tol=REL_TOL, abs_tol=0.01) or want == got
                    or (want != want and got != got))
        return want == got
    if isinstance(want, str) and isinstance(got, str) and text(want) == text(got):
        return True
    if isinstance(want, str) or isinstance(got, str):
        a, b = number(want), number(got)
        return a is not None and b is not None and alike(a, b, depth, steps)
    if depth > 64:
        return want == got
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return False
        if all(alike(a, b, depth + 1, steps) for a, b in zip(want, got)):
            return True
        if depth or len(want) > 256:
            return False
        same = {{}}
        for b in got:
            same.setdefault(key(b), []).append(b)
        rest = []
        for a in want:
            steps[0] += 1
            kept = same.get(key(a))
            if kept:
                kept.pop()
            else:
                rest.append(a)
        return paired(rest, [b for kept in same.values() for b in kept], depth, steps) or (
            bool(rest) and paired(want, got, depth, steps))
    if isinstance(want, dict) and isinstance(got, dict):
        return all(alike(want[k], got[k], depth + 1, steps) if k in want and k in got
                   else not (want.get(k) or got.get(k)) for k in {{**want, **got}})
    return want == got


def paired(want, got, depth, steps):
    left = list(got)
    for a in want:
        match = next((i for i, b in enumerate(left) if alike(a, b, depth + 1, steps)), None)
        if match is None:
            return False
        left.pop(match)
    return True


def printed(want, got):
    a, b = want.split(), got.split()
    if len(a) == len(b) and all(alike(x, y) for x, y in zip(a, b)):
        return True
    a, b = NUMBER.findall(want), NUMBER.findall(got)
    return bool(a) and len(a) == len(b) and all(alike(number(x), number(y)) for x, y in zip(a, b))


'''
"""The comparison of a reference's answers with another's, as checking verifiers run it (a fragment of a
``str.format`` template: its braces are doubled): ``alike`` of two returned values, ``printed`` of two outputs.
Two NaNs are alike (a NaN argument is read from a record since session 35, and where every program answered NaN, a
comparison that found them all different told every wrong program apart). Floats are alike within ``REL_TOL`` (the template's ``rel_tol``: :data:`ANSWERS_REL_TOL` for the answers check), or
0.01 apart. ``alike`` raises ``Costly`` past ``MAX_STEPS`` steps (the template's ``max_steps``; 0: no bound), a step
a value compared: red-team round 63 (B5c) recorded 256 lists of 901 items sharing their first 900, whose
comparison in any order took 30 million steps, so that the decoys' check ran past its time and gave no verdict.

A returned list in another order first pairs the items equal to one of the other's (``key``, their canonical JSON:
equal keys are alike values), a step each, and compares only the rest each with each (since validator 1.43); where
that finds no pairing, every item each with each, as before (floats alike within a tolerance are not alike in
chains: ``[1.0, 1.009]`` pairs with ``[0.991, 1.0]`` only if ``1.0`` takes ``0.991``: the session-51 review).
Why: each with each, a right answer of 256 long lists in another order cost every pair's length in steps, and was
past the bound (answered otherwise) where one in the same order costs one step."""
ANSWERS_REL_TOL = 0.01
"""The answers check's float tolerance: 1%, where a verifier might accept a rounded answer."""
