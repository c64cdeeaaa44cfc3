"""The lenient comparison the trusted side's checking verifiers run in the sandbox (its source fragment, run here in
the test's own process): alike answers a verifier would accept, and a bound on its steps."""

from __future__ import annotations

import json
import math
import re

import pytest

from verifier.lenient_compare import COMPARE


def _compare(max_steps: int = 0, rel_tol: float = 1e-4) -> dict:
    namespace: dict = {"math": math, "re": re}
    exec(compile(COMPARE.format(rel_tol=rel_tol, max_steps=max_steps), "<compare>", "exec"), namespace)
    namespace["json"] = json
    return namespace


def test_answers_in_another_form_are_alike():
    alike = _compare()["alike"]
    assert alike([3, 1, 2], [1, 2, 3]) and alike("Hello  World", "hello world") and alike(7, "7")
    assert alike(1.0, 1.00001) and not alike(1.0, 1.1) and not alike([1, 2], [1, 2, 3])


def test_a_comparison_past_its_steps_raises_costly():
    """Red-team round 63 (B5c): 256 lists of 901 items sharing their first 900, compared in any order, took 30
    million steps, and the decoys' check ran past its time with no verdict."""
    compare = _compare(max_steps=50_000)
    rows = [[0] * 900 + [at] for at in range(256)]
    with pytest.raises(compare["Costly"]):
        compare["alike"](rows, [[0] * 900 + [at + 1_000] for at in range(256)][::-1])
    assert compare["alike"]([[0] * 10 + [at] for at in range(20)], [[0] * 10 + [at] for at in range(20)][::-1])


def test_items_equal_to_one_of_the_others_are_paired_first_a_step_each():
    """Since validator 1.43: compared each with each, a right answer of 256 long lists in another order was past the
    bound (the rows above, in reverse: 30 million steps), and so was the session-50 review's ``C1`` (one tag wrong),
    which costs the bound as before."""
    compare = _compare(max_steps=50_000)
    rows = [[0] * 900 + [at] for at in range(256)]
    wrong = [list(row) for row in rows[::-1]]
    wrong[0][-1] = 999
    steps = [0]
    assert compare["alike"](rows, rows[::-1], 0, steps) and steps[0] < 2_000
    with pytest.raises(compare["Costly"]):  # (no pairing of the rest: each with each, as before)
        compare["alike"](rows, wrong)


def test_floats_alike_in_a_chain_still_pair_where_equal_items_first_would_not():
    """The session-51 review: pairing ``1.0`` with ``1.0`` first left ``1.009`` and ``0.991``, 1.8% apart."""
    alike = _compare(rel_tol=0.01)["alike"]
    assert alike([1.0, 1.009, 5], [0.991, 5, 1.0]) and alike([0, 0.009, 7], [7, -0.009, 0])


def test_items_alike_but_not_equal_are_still_paired_each_with_each():
    alike = _compare(rel_tol=0.01)["alike"]
    assert alike([1.0, 2.0, [3, 4], {"a": 1}], [{"a": 1.0}, [3.0, 4], 2.01, 1]) and not alike([1, 2], [2, 2])


def test_no_bound_where_max_steps_is_zero():
    """The answers check's comparison (``max_steps=0``) is not bounded."""
    alike = _compare(max_steps=0)["alike"]
    rows = [[0] * 100 + [at] for at in range(100)]
    assert alike(rows, rows[::-1])


def test_two_nans_are_alike_and_a_nan_is_not_a_number():
    """Session 35: with NaN arguments read from the records, a call every program answered NaN told every decoy
    apart, as NaN equals nothing."""
    alike = _compare()["alike"]
    assert alike(math.nan, math.nan) and alike([1.0, math.nan], [1.0, math.nan])
    assert not alike(math.nan, 1.0) and not alike(1.0, math.nan) and not alike(math.nan, None)
