"""Training's answers check gives a verdict on answers costly to compare (since validator 1.43).

Before, its comparison had no bound: a verifier whose requests had long answers (256 lists of 901 items, as the
session-50 review's ``C1`` recorded) made every wrong program's check, whose answers differed from the reference's
item by item, run past its call's wall, and a check without a verdict counts for neither side of the answers rule;
a right program answering those lists in another order got no verdict either (each with each, 30 million steps).
Now items equal to one of the other's are paired first, a step each, and a comparison past
:data:`verifier.decoy_bounds.MAX_STEPS` steps, or past the call's wall less part of its slack, answered otherwise, as
validation's does. Each sandbox test below gives no verdict (``None``) on d34494b.
"""

from __future__ import annotations

import pytest

from trainer.answer_check import AnswerCheck

REFERENCE = "def tagged(n, k):\n    return [[0] * n + [i] for i in range(1, k + 1)]\n"
RUNS = [[[["tagged", [900, 256], {}]], ""]]
REVERSED = "def tagged(n, k):\n    return [[0] * n + [i] for i in range(1, k + 1)][::-1]\n"
"""Right: the reference's lists in reverse order."""
ONE_TAG_WRONG = ("def tagged(n, k):\n    out = [[0] * n + [i] for i in range(1, k + 1)]\n    out[-1][-1] = 999\n"
                 "    return out[::-1]\n")
"""The review's ``C1``: in reverse order, the last list's tag wrong (found last, each with each)."""
FLOATS_ONE_WRONG = ONE_TAG_WRONG.replace("[[0] * n + [i]", "[[0.0] * n + [i * 1.004]")
"""The same in floats, each within 1% of the reference's and none equal: each with each past the steps."""


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_right_answer_of_long_lists_in_another_order_is_alike(bwrap_scoring_pool):
    assert AnswerCheck(bwrap_scoring_pool).alike([("t", RUNS, REFERENCE, REVERSED)]) == [True]


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("text", [ONE_TAG_WRONG, FLOATS_ONE_WRONG], ids=["one-tag-wrong", "past-the-steps"])
def test_a_wrong_answer_costly_to_compare_answered_otherwise(bwrap_scoring_pool, text):
    assert AnswerCheck(bwrap_scoring_pool).alike([("t", RUNS, REFERENCE, text)]) == [False]


@pytest.mark.sandbox  # needs bubblewrap and root
def test_comparisons_past_the_calls_time_answered_otherwise(bwrap_scoring_pool):
    """600 comparisons in one run, each under its bound (256 floats each within 1% of the reference's, in reverse
    order: some 32,000 steps), past the call's wall together."""
    runs = [[[["same", [[2.0 ** (at / 8) for at in range(256)]], {}]] * 600, ""]]
    text = "def same(xs):\n    return [x * 1.004 for x in xs][::-1]\n"
    assert AnswerCheck(bwrap_scoring_pool).alike([("t", runs, "def same(xs):\n    return xs\n", text)]) == [False]


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_right_answer_of_many_floats_not_equal_to_the_references_is_alike(bwrap_scoring_pool):
    """The session-51 review: a 250 by 250 matrix of distances, worked out another way (each float within 1% of the
    reference's, some not equal), cost a step a float, past 1.43's first bound of 50,000: every right program of
    six ways was answered otherwise, enough to flag an honest task."""
    reference = ("import math\n\ndef distances(n):\n"
                 "    points = [(math.cos(2 * math.pi * i / n), math.sin(2 * math.pi * i / n)) for i in range(n)]\n"
                 "    return [[((a - c) ** 2 + (b - d) ** 2) ** 0.5 for c, d in points] for a, b in points]\n")
    text = reference.replace("((a - c) ** 2 + (b - d) ** 2) ** 0.5", "math.hypot(a - c, b - d)")
    runs = [[[["distances", [250], {}]], ""]]
    assert AnswerCheck(bwrap_scoring_pool).alike([("t", runs, reference, text)]) == [True]
