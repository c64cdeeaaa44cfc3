"""The schedule of near copies (``verifier.near_calls``): which copies of a recorded call turn which of its places."""

from __future__ import annotations

from itertools import combinations

from verifier.near_calls import COLUMNS, turns


def test_the_first_copy_of_a_call_turns_every_place():
    assert all(turns(column, 0) for column in range(len(COLUMNS)))


def test_each_place_turns_on_four_of_eight_copies():
    assert all(sum(turns(column, count) for count in range(8)) == 4 for column in range(len(COLUMNS)))


def test_any_two_of_the_35_places_meet_all_four_ways_over_eight_copies():
    """Two flags of one call that turned together never met ``(True, True)`` from ``(True, False)``."""
    assert len(COLUMNS) == 35
    for a, b in combinations(range(len(COLUMNS)), 2):
        assert len({(turns(a, count), turns(b, count)) for count in range(8)}) == 4, (a, b)


def test_the_first_three_places_meet_all_eight_ways_over_eight_copies():
    assert len({tuple(turns(column, count) for column in range(3)) for count in range(8)}) == 8


def test_three_copies_turn_and_keep_each_of_the_first_three_places_and_four_meet_every_way_of_two():
    """Session 57's red team: with the rows in the order of the count, the third place turned on each of the first
    four copies, so ``same_parity(3, 7)`` of ``*args``, copied twice, met even steps on both numbers only."""
    assert all(len({turns(column, count) for count in range(3)}) == 2 for column in range(3))
    for a, b in combinations(range(3), 2):
        assert len({(turns(a, count), turns(b, count)) for count in range(4)}) == 4


def test_copies_past_eight_and_places_past_35_repeat_the_table():
    assert all(turns(column + 35, count + 8) == turns(column, count) for column in range(35) for count in range(8))
