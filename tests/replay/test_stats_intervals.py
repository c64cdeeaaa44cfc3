"""Wilson intervals and McNemar's exact test agree with values published for them."""

from __future__ import annotations

import pytest

from synth.stats_intervals import mcnemar_exact, wilson_interval


def test_wilson_interval_matches_the_textbook_value_for_81_of_263():
    # Newcombe (1998), Statistics in Medicine 17:857, example (81/263): 0.2553 to 0.3662.
    low, high = wilson_interval(81, 263)
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)


def test_wilson_interval_at_zero_of_ten_starts_at_zero_and_is_not_empty():
    # Newcombe (1998) example 0/10: 0 to 0.2775
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and round(high, 4) == 0.2775


def test_wilson_interval_at_all_successes_ends_at_one():
    low, high = wilson_interval(10, 10)
    assert round(low, 4) == 0.7225 and high == pytest.approx(1.0)


def test_wilson_interval_refuses_an_empty_share():
    with pytest.raises(ValueError, match="total >= 1"):
        wilson_interval(0, 0)


def test_mcnemar_exact_p_value_for_ten_discordant_pairs_split_nine_to_one():
    # two-sided exact binomial: 2 * P(X <= 1 | n=10, p=0.5) = 2 * 11 / 1024 = 0.021484375
    this = [True] * 9 + [False] * 1 + [True] * 5
    other = [False] * 9 + [True] * 1 + [True] * 5
    result = mcnemar_exact(this, other)
    assert (result.only_this, result.only_other) == (9, 1)
    assert result.p_value == pytest.approx(22 / 1024)
    assert result.significant


def test_mcnemar_exact_six_to_two_is_not_significant():
    # 2 * P(X <= 2 | n=8) = 2 * 37 / 256 = 0.2890625
    this = [True] * 6 + [False] * 2
    other = [False] * 6 + [True] * 2
    result = mcnemar_exact(this, other)
    assert result.p_value == pytest.approx(74 / 256)
    assert not result.significant


def test_mcnemar_without_discordant_tasks_finds_no_difference():
    result = mcnemar_exact([True, False], [True, False])
    assert (result.p_value, result.difference, result.significant) == (1.0, 0.0, False)
