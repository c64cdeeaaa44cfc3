"""Near runs: the recorded runs of a verifier's requests with every argument changed a little, the trusted side's
own inputs to measure those requests by (``verifier.near_runs``)."""

from __future__ import annotations

import json
import math
import random

import pytest

from verifier.near_runs import MAX_COPIED, MAX_NEAR_RUNS, MIN_COPIES, near_runs, seen_calls
from verifier.near_values import near_value


def test_near_runs_change_every_argument_and_keep_each_ones_type():
    runs = [[[["f", [3, "abc", [1, 2, 3], 2.5, True, {"k": [1]}, None], {"key": "xy"}]], "in"]]
    near = near_runs(runs)
    assert len(near) == MAX_NEAR_RUNS
    for calls, stdin, _ in near:
        (name, args, kwargs), = calls
        assert name == "f" and stdin != "in"  # (an input is changed too: red-team round 62, D2)
        assert [type(arg) for arg in args] == [int, str, list, float, bool, dict, type(None)]
        assert args[:4] != [3, "abc", [1, 2, 3], 2.5] and isinstance(kwargs["key"], str)
        assert abs(args[0] - 3) <= 2  # (a slow honest reference stays about as slow)


def test_near_runs_depend_on_the_records_and_the_seed_alone():
    runs = [[[["f", [[5, 1, 4]], {}], ["f", [[]], {}]], ""]]
    assert near_runs(runs) == near_runs(json.loads(json.dumps(runs)))
    assert near_runs(runs, seed=1) != near_runs(runs)
    assert [[call[0] for call in calls] for calls, _, _ in near_runs(runs)] == [["f", "f"]] * MAX_NEAR_RUNS


def test_one_recorded_run_has_as_many_near_runs_as_eight():
    """A reference may refuse the near runs where its decoys differ and answer the others: the more near runs, the
    less likely a draw of only the ones it answers."""
    assert len(near_runs([[[["total", [[7]], {}]], ""]])) == MAX_NEAR_RUNS == 8


def test_near_runs_are_bounded_and_copy_every_recorded_run_in_turn():
    """Red-team round 64 (C1): a first recorded run past 48 calls left no near run while their calls were bounded."""
    runs = [[[["pad", [i], {}] for i in range(49)], ""], [[["total", [[7]], {}]], ""]]
    near = near_runs(runs)
    assert len(near) == MAX_NEAR_RUNS and [origin for _, _, origin in near] == [0, 1] * 4
    many = [[[["f", [i], {}] for i in range(20)], str(k)] for k in range(10)]
    near = near_runs(many)
    assert len(near) == MAX_COPIED == 32
    assert sorted({[origin for _, _, origin in near].count(origin) for origin in range(10)}) == [3, 4]


def test_near_runs_keep_what_every_recorded_argument_in_one_place_had():
    """Red-team round 61 (B2): an honest task of sorted lists was flagged, its ``min`` decoy answering unsorted near
    runs otherwise than the reference's first item."""
    runs = [[[["lowest", [xs, n, "ab"], {}] for xs, n in (([1, 2, 3], 0), ([-5, 0, 7], 4), ([4], 2))], ""]]
    for calls, _, _ in near_runs(runs):
        for _, (xs, n, text), _ in calls:
            assert xs == sorted(xs) and xs and n >= 0 and text


def test_near_runs_keep_no_order_that_some_recorded_argument_lacked():
    runs = [[[["f", [[3, 1, 2]], {}], ["f", [[1, 2]], {}]], ""]]
    assert any(xs != sorted(xs) for seed in range(5) for calls, _, _ in near_runs(runs, seed=seed)
               for _, (xs,), _ in calls)


def test_near_inputs_of_one_number_have_more_numbers_than_one():
    """Red-team round 61 (A2): the one test ``7``; the largest, the first and the sum all print 7 on any one number,
    so a near input must have more of them."""
    near = near_runs([[[], "7\n"]])
    assert len(near) == MAX_NEAR_RUNS and all(len(stdin.split()) > 1 and stdin.endswith("\n") for _, stdin, _ in near)


def test_near_inputs_keep_a_count_of_the_tokens_after_it_true():
    for _, stdin, _ in near_runs([[[], "3\n1 2 3\n"]]):
        head, body = stdin.split("\n", 1)
        assert int(head) == len(body.split())


def test_near_inputs_keep_a_count_of_lines_and_each_line_s_width():
    for _, stdin, _ in near_runs([[[], "2\n5 6\n7 8\n"]]):
        lines = stdin.split("\n")
        assert lines[0] == "2" and [len(line.split()) for line in lines[1:3]] == [2, 2]


def test_near_inputs_keep_numbers_never_negative_and_lines_in_order_so():
    for _, stdin, _ in near_runs([[[], "0 1 2\n"], [[], "0 5 9\n"]]):
        numbers = [int(token) for token in stdin.split()]
        assert min(numbers) >= 0 and numbers == sorted(numbers)


def test_near_inputs_of_words_change_a_word_and_keep_the_rest():
    copies = [stdin for _, stdin, _ in near_runs([[[], "hello world\n"]]) if not stdin[0].isdigit()]
    assert copies and all(stdin != "hello world\n" and len(stdin.split()) == 2 for stdin in copies)


def test_an_integer_too_long_to_move_and_still_write_is_kept():
    """Red-team round 62 (B): 4,300 digits moved to 4,301, and the trainer's own JSON of the near runs raised."""
    big = 10 ** 4300 - 1
    for calls, _, _ in near_runs([[[["f", [big], {}]], ""]]):
        assert calls[0][1] == [big]
    assert all(len(stdin) >= 3000 for _, stdin, _ in near_runs([[[], "9" * 3000 + "\n"]]))


def test_a_called_function_s_standard_input_is_changed_too():
    """Red-team round 62 (D2): ``main()`` read the input ``7``, kept as it was in every near run."""
    near = near_runs([[[["main", [], {}]], "7\n"]])
    assert near and all(stdin != "7\n" for _, stdin, _ in near)


def test_an_empty_list_near_others_of_records_gets_a_changed_record_not_a_number():
    """Session 31: ``total_cost([])`` beside lists of dicts was given ``[0]``, which the honest reference raised on,
    and a refusal of the reference now weighs on its decoys."""
    runs = [[[["total_cost", [items], {}] for items in ([{"price": 1.5, "qty": 4}], [])], ""]]
    near = [args[0] for seed in range(6) for calls, _, _ in near_runs(runs, seed) for _, args, _ in calls]
    assert all(isinstance(item, dict) for items in near for item in items)
    assert any(items == [] for items in near) and any(len(items) == 1 for items in near)


def test_lists_without_a_duplicate_in_every_record_stay_so():
    """Red-team round 63 (FP3): an honest ``rotate_left`` of distinct cards raised on near lists given one."""
    runs = [[[["f", [xs], {}] for xs in ([1, 2, 3, 4], [5, 6, 7], [8, 9])], ""]]
    near = [args[0] for seed in range(10) for calls, _, _ in near_runs(runs, seed) for _, args, _ in calls]
    assert all(len(set(xs)) == len(xs) for xs in near)
    with_one = [[[["f", [xs], {}] for xs in ([1, 2, 2], [5, 6, 7])], ""]]
    assert any(len(set(xs)) < len(xs) for seed in range(10) for calls, _, _ in near_runs(with_one, seed)
               for _, (xs,), _ in calls)


def test_a_near_run_names_the_recorded_run_it_copies():
    """The decoys' check gives a near run a fair time by its own original's (red-team round 63, B4: one slow recorded
    run gave every near run the whole budget, so that a reference's hangs on the near runs said nothing)."""
    runs = [[[], ""], [[["warm", [], {}]], ""], [[["total", [[7]], {}]], ""]]
    for calls, _, origin in near_runs(runs):
        assert calls[0][0] == runs[origin][0][0][0]
    scripts = [[[], ""], [[], "3\n1 2 3\n"]]
    assert {origin for _, _, origin in near_runs(scripts)} == {1}


def test_some_near_run_makes_another_item_the_most_frequent():
    """Session 34's red-team (E7): no near move changed which item was the most frequent, so ``mode([2, 2, 5])``'s
    first item and smallest answered every near run as the reference did."""
    def outnumbered(seed: int) -> bool:
        lists = [run[0][0][1][0] for run in near_runs([[[["mode", [[2, 2, 5]], {}]], ""]], seed)]
        return any(found.count(5) > found.count(2) for found in lists)

    assert sum(map(outnumbered, range(20))) >= 14  # (one move in five, eight near runs: 83% of seeds)


def test_a_run_of_a_name_of_its_own_sorted_after_eight_others_has_a_near_copy():
    """Session 35's red-team: near runs copied the first eight runs, and the one paid run, sorted after eight ignored
    runs of a helper, had none (its decoys could never be found wrong)."""
    runs = [*([[["size", [list(range(i))], {}]], f"a{i}"] for i in range(8)), [[["total", [[7]], {}]], "z"]]
    assert any(calls[0][0] == "total" for calls, _, _ in near_runs(runs, 0))


def test_an_infinity_or_nan_is_moved_to_a_finite_number():
    """Round 66 (E4): ``total([inf])`` alone was admitted, as every move of an infinity is one (``max`` answered
    every near run as the sum did)."""
    for seed in range(4):
        for calls, _, _ in near_runs([[[["total", [[math.inf, math.nan]], {}]], ""]], seed):
            assert all(math.isfinite(x) for x in calls[0][1][0] if isinstance(x, float))


def test_a_function_defined_with_star_args_is_passed_one_more_argument_on_some_near_runs():
    """Session 35's red-team (E5): ``total(7)`` of ``total(*numbers)``; no near run passed two numbers, so the first
    and the largest of them answered every near run as the sum did."""
    runs = [[[["total", [7], {}]], ""]]
    counts = {len(run[0][0][1]) for run in near_runs(runs, 0, frozenset({"total"}))}
    assert counts == {1, 2} and {len(run[0][0][1]) for run in near_runs(runs, 0)} == {1}



def test_every_draw_passes_a_function_of_star_args_two_arguments_on_half_its_near_runs():
    """A fresh-clone CI run of session 55: a coin flip per call left all eight near runs of ``total(7)`` passing one
    number in 1 of 256 draws (seed 13), and ``max(args)`` answered every one as the sum did."""
    runs = [[[["total", [7], {}]], ""]]
    for seed in range(512):
        assert sum(len(run[0][0][1]) == 2 for run in near_runs(runs, seed, frozenset({"total"}))) == MAX_NEAR_RUNS // 2



def test_a_function_of_star_args_is_passed_one_argument_more_whatever_runs_come_before_it():
    """Session 56's read of 1.48 as first written: with five recorded runs or more, a run copied once at an even
    place of the first round never grew, so four helper calls before ``total(7)`` had it admitted on every draw."""
    for before in range(12):
        runs = [*[[[[f"h{at}", [], {}]], ""] for at in range(before)], [[["total", [7], {}]], ""]]
        near = near_runs(runs, 0, frozenset({"total"}))
        assert any(len(call[1]) == 2 for calls, _, _ in near for call in calls if call[0] == "total"), before


def test_every_draw_gives_an_empty_list_an_item_on_half_its_near_runs():
    """``total([])`` alone kept ``[]`` on all eight near runs in 1 of 230 draws, and the weak task was admitted."""
    runs = [[[["total", [[]], {}]], ""]]
    for seed in range(512):
        assert sum(run[0][0][1] == [[0]] for run in near_runs(runs, seed)) == MAX_NEAR_RUNS // 2


def test_an_empty_list_given_an_item_is_given_a_changed_copy_of_one_recorded_in_its_place():
    """Session 31: a list of records given a ``0`` was refused by an honest reference."""
    runs = [[[["cost", [[]], {}]], ""], [[["cost", [[{"price": 3}]], {}]], ""]]
    filled = [run[0][0][1][0] for run in near_runs(runs, 0) if run[2] == 0 and run[0][0][1][0]]
    assert filled and all(isinstance(item, dict) and set(item) == {"price"} for items in filled for item in items)


@pytest.mark.parametrize("flag", [True, False])
def test_every_draw_turns_a_flag_on_half_its_near_runs(flag):
    """A flag tested one way alone stayed so on all eight near runs in 1 of 256 draws."""
    runs = [[[["shout", ["hi", flag], {}]], ""]]
    for seed in range(512):
        assert sum(run[0][0][1][1] is not flag for run in near_runs(runs, seed)) == MAX_NEAR_RUNS // 2


def test_every_draw_turns_a_flag_among_a_dicts_values_on_half_its_near_runs():
    """A dict of options has each value changed as an argument is: ``{"loud": True}`` kept ``True`` on all eight
    near runs in 172 of 40,000 draws when its flag was a coin flip."""
    runs = [[[["shout", ["hi", {"loud": True, "times": 2}], {}]], ""]]
    for seed in range(512):
        assert sum(run[0][0][1][1]["loud"] is False for run in near_runs(runs, seed)) == MAX_NEAR_RUNS // 2


def test_the_eight_near_runs_of_one_call_grow_three_of_its_places_in_every_way():
    """An empty list and two flags of one call are grown in all eight ways over its eight near runs. 1.48 as first
    written grew them all together or none: ``total(7, add=True)`` of ``sum(args) if add else max(args)`` never
    had two numbers with ``add`` kept, where ``max(args)`` is wrong (session 56's read)."""
    runs = [[[["total", [[], True], {"deep": False}]], ""]]
    ways = {(bool(args[0]), args[1], kwargs["deep"]) for (_, args, kwargs), in [run[0] for run in near_runs(runs, 3)]}
    assert len(ways) == MAX_NEAR_RUNS


def test_near_inputs_of_comma_separated_numbers_have_more_numbers_than_one_and_keep_the_commas():
    """Session 35's red-team (E6): ``7,`` was moved to one number, on which the first and the largest answer as the
    sum does."""
    near = [run[1] for run in near_runs([[[], "7,"]], 0)]
    assert any(text.count(",") == 2 for text in near) and all(text.endswith(",") for text in near)


def test_near_inputs_of_a_script_whose_inputs_were_all_blank_are_drawn_lines_of_numbers():
    """Red-team round 68 (A5's control): nothing in ten newlines can be moved, and a sum tested on them alone paid
    ``print(0)``."""
    near = near_runs([[[], "\n" * 10], [[], ""]])
    assert len(near) == MAX_NEAR_RUNS and {origin for _, _, origin in near} == {0, 1}
    for calls, stdin, _ in near:
        assert calls == [] and 1 <= len(stdin.split()) <= 3 and all(token.isdigit() for token in stdin.split())


def test_every_other_near_input_is_drawn_where_no_recorded_input_held_a_number():
    """Red-team round 69 (A2a, A2b): ``,`` alone had no near copy, and ``hello`` only ones with a letter added."""
    assert all(stdin.split() and stdin.split()[0].isdigit() for _, stdin, _ in near_runs([[[], ","]]))
    near = [stdin for _, stdin, _ in near_runs([[[], ""], [[], "hello\n"]])]
    assert len(near) == MAX_NEAR_RUNS and near[0::2] == [stdin for stdin in near if stdin[0].isdigit()]


def test_a_called_function_of_no_argument_on_a_blank_input_is_given_drawn_inputs():
    """Red-team round 69 (A2c): ``main()`` on ten newlines alone had every near run the recorded one again."""
    near = near_runs([[[["main", [], {}]], "\n" * 10]])
    assert len(near) == MAX_NEAR_RUNS and all(stdin.split() and stdin.split()[0].isdigit() for _, stdin, _ in near)


def test_every_other_near_input_of_a_called_function_of_no_argument_is_drawn_where_none_held_a_number():
    near = [stdin for _, stdin, _ in near_runs([[[["main", [], {}]], "hello\n"]])]
    assert near[0::2] == [stdin for stdin in near if stdin[0].isdigit()] and all("hello" in s for s in near[1::2])


def test_every_other_near_input_of_a_called_function_of_arguments_is_drawn_where_none_held_a_number():
    """``main(False)`` on a blank input would otherwise have every near run's input blank."""
    near = [stdin for _, stdin, _ in near_runs([[[["main", [False], {}]], ""]])]
    assert all(stdin[0].isdigit() for stdin in near[0::2]) and near[1::2] == [""] * (MAX_NEAR_RUNS // 2)


def test_a_blank_input_to_calls_of_no_argument_is_drawn_beside_an_input_holding_a_number():
    """Red-team round 70 (A2): an ignored run on ``x1`` (a digit, no number) beside ``main()`` on a blank input left
    its near runs blank; an ignored ``1`` must not either."""
    for other in ("x1\n", "1\n"):
        near = near_runs([[[["main", [], {}]], ""], [[["ignored", [], {}]], other]])
        assert all(stdin[0].isdigit() for _, stdin, origin in near if origin == 0)


def test_a_script_run_beside_runs_that_call_functions_has_near_copies():
    """Red-team round 70 (A4): a script tested on ``7`` alone, beside one ignored call, had no near copy."""
    near = near_runs([[[], "7\n"], [[["ignored", [], {}]], ""]])
    assert any(origin == 0 and calls == [] and stdin != "7\n" for calls, stdin, origin in near)


def test_numbers_written_with_a_sign_an_exponent_or_underscores_are_moved():
    """Round 71 (B): ``+7`` was no number to the near inputs, though ``int`` reads it as the decoys do; round 72:
    nor were ``.5`` and a full-width ``7``."""
    for written in ("+7", "7e0", "7.", "1_000", ".5", "\uff17"):
        near = near_runs([[[], f"{written}\n"]])
        assert all(written not in stdin.split() and len(stdin.split()) > 1 for _, stdin, _ in near), written


def test_two_calls_of_one_function_in_one_run_each_meet_every_way_of_their_two_flags():
    """Session 56's red team: ``both(True, False)`` and ``both(False, True)`` in one run, both ``False``; when the
    flags of a run turned together, no near call was ``both(True, True)`` and ``return False`` was paid."""
    runs = [[[["both", [True, False], {}], ["both", [False, True], {}]], ""]]
    for seed in range(64):
        near = near_runs(runs, seed)
        for at in range(2):
            assert len({tuple(run[0][at][1]) for run in near}) == 4


def test_every_draw_moves_an_integer_by_an_odd_step_on_half_its_near_runs():
    """Session 56's red team: ``is_even(4)`` alone was admitted in about 1 of 250 draws, every one of its eight moves
    drawn even, so ``return True`` answered each near run as the reference did."""
    runs = [[[["is_even", [4], {}]], ""]]
    for seed in range(512):
        assert sum(run[0][0][1][0] % 2 for run in near_runs(runs, seed)) == MAX_NEAR_RUNS // 2


def test_any_two_of_four_integers_of_one_call_meet_every_way_of_their_parities():
    """Odd steps turn by each place's own column of the count: ``same_parity(a, d)`` with ``a`` and ``d`` moved
    both by odd steps, or both by even ones, would never tell ``return True`` from the reference (the 1.49 review:
    bits ``j % 3`` turned the first and the fourth together)."""
    runs = [[[["f", [10, 20, 30, 40], {}]], ""]]
    for seed in range(64):
        parities = [[number % 2 for number in run[0][0][1]] for run in near_runs(runs, seed)]
        for a in range(4):
            for b in range(a + 1, 4):
                assert len({(row[a], row[b]) for row in parities}) == 4, (seed, a, b)


@pytest.mark.parametrize("call", [["both", [True, 0, 0, False], {}], ["pick", [True, 1, 2], {"strict": False}]])
def test_two_flags_beside_integers_meet_every_way(call):
    """The 1.49 review: with integers among the turned places, two flags three places apart turned together, and
    ``both(True, 0, 0, False)`` never met ``(True, True)``. Flags come first, and any two places meet all four
    ways."""
    runs = [[[call], ""]]
    for seed in range(64):
        ways = set()
        for run in near_runs(runs, seed):
            _, args, kwargs = run[0][0]
            ways.add((args[0], kwargs["strict"] if kwargs else args[3]))
        assert len(ways) == 4, seed


def test_an_integer_never_negative_is_never_moved_back_to_its_recorded_value():
    """The 1.49 review: ``1`` moved by -2 is ``-1``, which a place never negative makes ``1`` again, a near call
    that confirms nothing; it is moved the other way."""
    runs = [[[["is_even", [1], {}]], ""], [[["is_even", [0], {}]], ""]]
    for seed in range(256):
        assert all(run[0][0][1] != runs[run[2]][0][0][1] for run in near_runs(runs, seed)), seed


def test_every_draw_brings_a_false_among_a_list_of_equal_flags():
    """Session 56's red team: ``all_true([True, True])`` alone was admitted in about 1 of 17 draws: a changed flag
    was drawn anew (``True`` again half the time), and reversing, dropping or repeating an item brings no ``False``.
    A list's moves come in turn and a changed flag is turned."""
    runs = [[[["all_true", [[True, True]], {}]], ""]]
    for seed in range(512):
        assert any(False in run[0][0][1][0] for run in near_runs(runs, seed)), seed


def test_the_first_move_of_a_list_copied_once_is_drawn():
    """Beside 32 runs of helpers, ``f([3, 1, 1, 2])`` is copied once: its one move is drawn, not always the first of
    the five (the 1.49 review: a constant first move passed every other test)."""
    runs = [*[[[[f"h{at}", [at], {}]], ""] for at in range(32)], [[["f", [[3, 1, 1, 2]], {}]], ""]]
    lengths = set()
    for seed in range(64):
        copies = [len(calls[0][1][0]) for calls, _, origin in near_runs(runs, seed) if origin == 32]
        assert len(copies) == 1, seed
        lengths |= set(copies)
    assert lengths == {3, 4, 5, 6}


def test_a_list_argument_makes_every_move_over_five_copies():
    """Reversed, an item dropped, one changed, one added, one repeated until most frequent: five near copies of
    one call make each once, from a drawn first move."""
    runs = [[[["f", [[3, 1, 1, 2]], {}]], ""]]  # (unsorted, with a duplicate: no invariant undoes a move)
    for seed in range(64):
        lists = [run[0][0][1][0] for run in near_runs(runs, seed)][:5]
        assert sorted(len(xs) for xs in lists) == [3, 4, 4, 5, 6] and [2, 1, 1, 3] in lists, lists


def test_every_draw_gives_an_empty_list_inside_a_list_an_item():
    """Session 56's red team: ``flatten([[]])`` alone was admitted in about 1 of 54 draws: a changed ``[]`` was
    drawn ``[]`` again half the time."""
    runs = [[[["flatten", [[[]]], {}]], ""]]
    for seed in range(512):
        assert any(any(inner for inner in run[0][0][1][0]) for run in near_runs(runs, seed)), seed


def test_a_function_of_star_args_recorded_with_no_argument_is_passed_one_on_half_its_near_runs():
    """Session 56's red team: ``total()`` alone, of ``total(*numbers)``, had no near run pass a number, and
    ``return 0`` was paid on every draw. Where no call of the name passed an argument, it is passed ``1`` or
    ``"a"`` in turn (session 57's red team: ``join_words()`` alone, of a reference refusing ``1``)."""
    alone = [[[["total", [], {}]], ""]]
    for seed in range(512):
        passed = [run[0][0][1] for run in near_runs(alone, seed, frozenset({"total"}))]
        assert passed.count([1]) == passed.count(["a"]) == MAX_NEAR_RUNS // 4


def test_the_argument_given_a_call_of_none_is_a_changed_copy_of_one_another_call_passed_first():
    """An honest ``total(*prices)`` of records may refuse a ``1``: the argument added to ``total()`` is a changed
    copy of a first argument recorded in another call of that name."""
    runs = [[[["total", [], {}]], ""], [[["total", [40], {}]], ""]]
    for seed in range(64):
        passed = [run[0][0][1] for run in near_runs(runs, seed, frozenset({"total"})) if run[2] == 0]
        assert [] in passed and any(passed) and all(38 <= arg <= 42 for args in passed for arg in args), seed


def test_a_move_undone_by_what_the_place_always_had_gives_way_to_the_next():
    """A sorted list without a duplicate, reversed, is sorted again, and with an item repeated, loses the repeat: a
    near call that is the recorded one again confirms nothing, so the next move is made instead."""
    runs = [[[["search", [[1, 2, 3, 5]], {}]], ""], [[["search", [[2, 4]], {}]], ""]]
    for seed in range(64):
        assert all(run[0][0][1][0] != runs[run[2]][0][0][1][0] for run in near_runs(runs, seed)), seed


@pytest.mark.parametrize("count", [8, 24, 40])
def test_recorded_calls_of_one_name_in_many_runs_meet_every_way_of_two_integers(count):
    """Session 57's red team: eight runs of ``f(a, b)``, each copied once, and each copy its call's first, moved both
    integers by an odd step every time: ``(a + b) % 2`` never changed, and ``return True`` was paid on every draw.
    A name's recorded calls start rows of the schedule apart, also where each run has one copy or none (24 and 40
    runs; the 1.50 review: as first written, past 32 runs they all started at the first row)."""
    runs = [[[["even_sum", [2 * at, 2 * at + 4], {}]], ""] for at in range(count)]
    for seed in range(64):
        steps = {((args[0] - runs[origin][0][0][1][0]) % 2, (args[1] - runs[origin][0][0][1][1]) % 2)
                 for calls, _, origin in near_runs(runs, seed) for _, args, _ in calls}
        assert steps == {(0, 0), (0, 1), (1, 0), (1, 1)}, seed


@pytest.mark.parametrize("count", [8, 40])
def test_an_honest_function_refusing_odd_numbers_meets_even_ones_on_half_its_near_calls(count):
    """Session 57's red team: ``next_odd(n)`` raises on odd ``n``; tested on eight even numbers in eight runs, every
    near call was odd (each its call's first copy), the reference refused them all, and the task was rejected. The
    same with forty runs, one near copy each for the first 32 (the 1.50 review: as first written, every copy was
    odd, or every one even, on a draw)."""
    runs = [[[["next_odd", [2 * at], {}]], ""] for at in range(count)]
    for seed in range(64):
        near = near_runs(runs, seed)
        assert sum(args[0] % 2 == 0 for calls, _, _ in near for _, args, _ in calls) * 2 == len(near) == 32, seed


def test_the_argument_added_to_a_star_args_call_meets_both_parities_beside_the_last():
    """Session 57's red team: the added argument moved as the last one did, so ``same_parity(3, 7)`` always got a
    third argument of the last one's parity. It takes a column of its own."""
    runs = [[[["same_parity", [3, 7], {}]], ""]]
    for seed in range(64):
        grown = [args for run in near_runs(runs, seed, frozenset({"same_parity"})) for _, args, _ in run[0]
                 if len(args) == 3]
        assert {(args[1] - args[2]) % 2 for args in grown} == {0, 1}, seed


@pytest.mark.parametrize("pad", [[], [1]])
def test_a_call_beside_seven_other_runs_meets_both_parities_of_its_integers_sum_on_every_draw(pad):
    """Session 57's red team: ``sum_is_even(3, 7)`` copied once beside seven other runs had both integers moved by
    an odd step on every draw (a first copy turns every place), so the sum stayed even and ``return True`` was
    paid; 1.49 drew which integer moved by an odd step, and about half the draws still kept the sum even. Each run
    is now copied four times (``MIN_COPIES``)."""
    runs = [[[["sum_is_even", [3, 7], {}]], ""], *[[[[f"zz{at}", pad, {}]], ""] for at in range(7)]]
    for seed in range(64):
        copies = [calls[0][1] for calls, _, origin in near_runs(runs, seed) if origin == 0]
        assert len(copies) >= MIN_COPIES == 4 and {(a + b) % 2 for a, b in copies} == {0, 1}, seed


def test_a_later_call_of_a_name_grows_on_its_first_copy_whatever_runs_come_beside_it():
    """The last read of 1.49: a name's later recorded call starts past the schedule's first copy, and ``total(7)``
    after an ignored ``total()`` and one to six other runs never grew, so ``max(args)`` answered as the sum did
    (1.48 grew it on every draw). A recorded call's first copy grows every place that grows."""
    for pads in [*range(7), *range(15, 31)]:  # (past 14 other runs each is copied once or twice)
        runs = [[[["total", [], {}]], ""], [[["total", [7], {}]], ""], *[[[[f"zz{at}", [], {}]], ""]
                                                                           for at in range(pads)]]
        for seed in range(16):
            near = near_runs(runs, seed, frozenset({"total"}))
            assert any(len(calls[0][1]) == 2 for calls, _, origin in near if origin == 1), (pads, seed)


def test_each_of_eight_recorded_runs_is_copied_four_times():
    """Session 57's red team: eight runs, each copied once, met one way each; ``both(True, False)`` and ``both(False,
    True)`` beside seven other runs never met ``(True, True)``."""
    runs = [[[["f", [at], {}]], ""] for at in range(8)]
    assert [origin for _, _, origin in near_runs(runs)] == list(range(8)) * MIN_COPIES


@pytest.mark.parametrize("pad", [[], [1]])
def test_two_flags_beside_seven_other_runs_meet_every_way_on_every_draw(pad):
    """Session 57's red team: ``both(True, False)`` and ``both(False, True)`` in one run beside seven others: the one
    copy turned both flags, so ``(True, True)`` never came and ``return False`` was paid on every draw (1.48, 1.49)."""
    runs = [[[["both", [True, False], {}], ["both", [False, True], {}]], ""],
            *[[[[f"zz{at}", pad, {}]], ""] for at in range(7)]]
    for seed in range(64):
        met = {tuple(args) for calls, _, _ in near_runs(runs, seed) for name, args, _ in calls if name == "both"}
        assert met == {(True, True), (True, False), (False, True), (False, False)}, seed


def test_two_recorded_calls_of_a_name_copied_four_times_each_meet_seven_ways_of_three_flags():
    """The 1.50 review: a name's recorded calls start as many rows apart as each run has copies (``stride``), so two
    runs of ``f(True, True, True)`` take the schedule's eight rows between them (rows one apart met five ways)."""
    runs = [[[["f", [True, True, True], {}]], ""], [[["f", [True, True, True], {}]], "x"]]
    for seed in range(16):
        met = {tuple(args) for calls, _, _ in near_runs(runs, seed) for _, args, _ in calls}
        assert len(met - {(True, True, True)}) == 7, seed


@pytest.mark.parametrize("pads", [15, 20, 31])
def test_a_call_copied_once_or_twice_draws_which_of_its_integers_move_by_an_odd_step(pads):
    """Session 57's red team: ``sum_is_even(3, 7)`` copied once beside many other runs had both integers moved by an
    odd step on every draw (a first copy turns every place), so the sum stayed even and ``return True`` was paid.
    Which integer takes the other parity is drawn (beside 15, the two copies' rows turn them apart on one: the 1.50
    review had rows 0 and 3 turn both together on both)."""
    runs = [[[["sum_is_even", [3, 7], {}]], ""], *[[[[f"zz{at}", [at], {}]], ""] for at in range(pads)]]
    steps = set()
    for seed in range(64):
        steps |= {((a - 3) % 2, (b - 7) % 2) for calls, _, origin in near_runs(runs, seed) if origin == 0
                  for _, (a, b), _ in calls}
    assert steps == {(0, 0), (0, 1), (1, 0), (1, 1)}


def test_two_copies_of_a_call_meet_both_parities_of_its_integers_sum_on_every_draw():
    """The 1.50 review: beside fifteen other runs each run has two copies, and rows 0 and 3 turned both integers of
    ``sum_is_even(3, 7)`` together on both, so the sum kept its parity on every draw. Rows come 0, 5, 3, 6 ..."""
    runs = [[[["sum_is_even", [3, 7], {}]], ""], *[[[[f"zz{at}", [at], {}]], ""] for at in range(15)]]
    for seed in range(64):
        copies = [calls[0][1] for calls, _, origin in near_runs(runs, seed) if origin == 0]
        assert len(copies) == 2 and {(a + b) % 2 for a, b in copies} == {0, 1}, seed


def test_a_later_call_of_a_name_past_eight_runs_of_new_names_has_near_copies():
    """Note 57: ``total()`` ignored, seven runs of other names, then ``total(7)``: the runs of new names took all eight
    near runs, and ``total(7)`` had none (1.48, 1.49)."""
    runs = [[[["total", [], {}]], ""], *[[[[f"zz{at}", [at], {}]], ""] for at in range(7)], [[["total", [7], {}]], ""]]
    for seed in range(16):
        assert [origin for _, _, origin in near_runs(runs, seed, frozenset({"total"}))].count(8) >= 3, seed


def test_a_list_of_odd_numbers_meets_an_even_one_on_every_draw():
    """Session 57's red team: an integer in a list moved by a drawn step, so ``count_even([1, 3])`` alone met only
    odd items in about 1 of 8 draws (``return 0`` paid). A changed or added integer item moves by an odd step."""
    for seed in range(128):
        lists = [calls[0][1][0] for calls, _, _ in near_runs([[[["count_even", [[1, 3]], {}]], ""]], seed)]
        assert any(item % 2 == 0 for xs in lists for item in xs), seed


@pytest.mark.parametrize(("text", "lacked"), [("xyz", "aeiou"), ("ABC", "abcdefghijklmnopqrstuvwxyz"),
                                             ("abc", "ABCDEFGHIJKLMNOPQRSTUVWXYZ")])
def test_a_string_meets_a_character_of_a_kind_it_lacks_on_every_draw(text, lacked):
    """Session 57's red team: a near string was given a letter drawn from ``"aeiouxyz "``, so ``has_vowel('xyz')``
    alone met no vowel in about 1 of 5 draws and ``is_upper('ABC')`` no small letter in about 1 of 12. A string's
    moves come in turn, and the first added character is of the first kind the string lacks."""
    for seed in range(128):
        texts = [calls[0][1][0] for calls, _, _ in near_runs([[[["f", [text], {}]], ""]], seed)]
        assert any(char in lacked for near in texts for char in near), seed


def test_a_string_copied_in_turn_is_reversed_shortened_and_lengthened():
    """A string's three moves come in turn over its copies (through 1.49 each was drawn)."""
    for seed in range(32):
        texts = [calls[0][1][0] for calls, _, _ in near_runs([[[["f", ["abcd"], {}]], ""]], seed)]
        assert {"dcba"} <= set(texts) and {3, 5} <= {len(near) for near in texts}, seed


def test_a_drawn_string_move_adds_the_first_kind_lacking_or_one_of_the_older_letters():
    """The 1.50 review: a string inside a list is moved by a drawn move, and a kind drawn uniformly among those it
    lacks met a vowel or a small letter less often than 1.49's ``"aeiouxyz "`` did. Half the time the first kind
    lacking (a small vowel for ``"ABC"``), else one of those."""
    added = set()
    for seed in range(400):
        near = near_value(["ABC"], random.Random(seed))  # (a list copied by no schedule: its move drawn)
        added |= set("".join(near)) - set("ABC")
    assert added <= set("aeiouxyz ") and added & set("aeiou") and added - set("aeiou")


def test_a_string_of_distinct_characters_meets_one_held_twice_on_every_draw():
    """The 1.50 red team: a character of a kind the string lacks is never one it holds, so with three moves no near
    string of ``'abc'`` held a letter twice, and ``is_isogram`` tested on such words alone paid ``return True`` on
    about half the draws. One of a string's four moves repeats one of its characters."""
    for seed in range(128):
        texts = [calls[0][1][0] for calls, _, _ in near_runs([[[["is_isogram", ["abc"], {}]], ""]], seed)]
        assert any(len(set(near)) < len(near) for near in texts), seed


def test_the_kinds_added_to_strings_go_on_from_one_recorded_call_of_a_name_to_the_next():
    """The 1.50 red team: each call's adds began at the first kind it lacked, so five small words asked of
    ``word_count`` in two runs met capitals alone (no space), and ``return 1`` was paid on every draw."""
    words = ["apple", "bread", "chair", "dream", "eagle"]
    runs = [[[["word_count", [word], {}] for word in part], ""] for part in (words[:3], words[3:])]
    for seed in range(64):
        texts = [args[0] for calls, _, _ in near_runs(runs, seed) for _, args, _ in calls]
        assert any(" " in near for near in texts), seed


@pytest.mark.parametrize("helpers", [16, 30, 60])
def test_two_flags_beside_many_runs_of_helpers_of_no_argument_meet_every_way_on_every_draw(helpers):
    """The 1.50 red team (W4): ``both(True, False)`` and ``both(False, True)``, in runs of their own, beside 16 runs
    of ignored helpers of no argument, had one or two copies each, and ``return False`` was paid as on 1.49. A run of
    no argument on a blank input has its second copy only after each run of arguments has had ``MIN_COPIES``."""
    runs = [*[[[[f"h{at}", [], {}]], ""] for at in range(helpers)],
            [[["both", [True, False], {}]], ""], [[["both", [False, True], {}]], ""]]
    for seed in range(64):
        met = {tuple(calls[0][1]) for calls, _, origin in near_runs(runs, seed) if origin >= helpers}
        assert met == {(True, True), (True, False), (False, True), (False, False)}, seed


@pytest.mark.parametrize("helpers", [1, 8, 16, 40])
def test_each_run_of_arguments_has_four_copies_beside_any_number_of_runs_of_no_argument(helpers):
    """W4: runs of no argument on a blank input no longer share the runs of arguments' near copies."""
    runs = [*[[[[f"h{at}", [], {}]], ""] for at in range(helpers)], [[["f", [1], {}]], ""], [[["g", [2], {}]], "x"]]
    origins = [origin for _, _, origin in near_runs(runs, 0)]
    assert origins.count(helpers) >= MIN_COPIES and origins.count(helpers + 1) >= MIN_COPIES
    assert all(origins.count(at) >= 1 for at in range(helpers))


def test_runs_of_no_argument_are_copied_in_turn_where_every_run_is_so():
    """Where every run is thin, 1.50's schedule: four copies each, in turn."""
    runs = [[[[f"main{at}", [], {}]], ""] for at in range(5)]
    assert [origin for _, _, origin in near_runs(runs, 0)] == list(range(5)) * MIN_COPIES


def test_a_call_of_no_argument_to_a_function_of_star_args_counts_as_passing_arguments():
    """``total()`` of ``total(*numbers)`` is passed an argument on its near copies: it waits for no other run."""
    runs = [*[[[[f"h{at}", [], {}]], ""] for at in range(16)], [[["total", [], {}]], ""]]
    assert [origin for _, _, origin in near_runs(runs, 0, frozenset({"total"}))].count(16) >= MIN_COPIES


def test_an_integer_among_a_dicts_values_meets_both_parities_on_every_draw():
    """The 1.50 red team (W5): a dict's values were moved by a draw, so an integer among them kept its parity on
    every near copy of about one draw in 256 (``is_even({'n': 4})`` alone: ``return True`` paid). A dict's
    integer is a place of the schedule, as an argument is."""
    runs = [[[["is_even", [{"n": 4}], {}]], ""]]
    for seed in range(256):
        assert {run[0][0][1][0]["n"] % 2 for run in near_runs(runs, seed)} == {0, 1}, seed


def test_two_integers_among_a_dicts_values_meet_both_parities_of_their_sum_on_every_draw():
    """A dict's two integers take two columns of the schedule, which meet all four ways."""
    runs = [[[["sum_is_even", [{"a": 3, "b": 7}], {}]], ""]]
    for seed in range(256):
        assert {sum(run[0][0][1][0].values()) % 2 for run in near_runs(runs, seed)} == {0, 1}, seed


def test_a_string_among_a_dicts_values_meets_a_vowel_on_every_draw():
    """The 1.50 red team (W5): ``has_vowel({'s': 'xyz'})`` alone met no vowel on about one draw in eight (38 of
    300 on 1.50). A dict's string makes the four moves of a string in turn, the first add a vowel."""
    runs = [[[["has_vowel", [{"s": "xyz"}], {}]], ""]]
    for seed in range(256):
        texts = [run[0][0][1][0]["s"] for run in near_runs(runs, seed)]
        assert any(set(text) & set("aeiou") for text in texts), seed


def test_a_list_among_a_dicts_values_makes_every_move_over_five_copies():
    """A dict's list makes a list argument's five moves in turn (1.50 drew one each copy)."""
    runs = [[[["f", [{"xs": [3, 1, 1, 2]}], {}]], ""]]
    for seed in range(64):
        lists = [run[0][0][1][0]["xs"] for run in near_runs(runs, seed)][:5]
        assert sorted(len(xs) for xs in lists) == [3, 4, 4, 5, 6] and [2, 1, 1, 3] in lists, lists


def test_a_string_inside_a_list_meets_a_vowel_on_every_draw():
    """The 1.50 red team (W5): a string changed inside a list was moved by a draw, and ``has_vowel_any(['xyz'])``
    alone met no vowel on 87 of 300 draws. A scheduled copy's change move gives it a character of the round's kind
    lacking."""
    runs = [[[["has_vowel_any", [["xyz"]], {}]], ""]]
    for seed in range(256):
        texts = [text for run in near_runs(runs, seed) for text in run[0][0][1][0] if isinstance(text, str)]
        assert any(set(text) & set("aeiou") for text in texts), seed


def test_a_flag_among_the_values_of_a_dict_inside_a_list_is_turned_on_every_draw():
    """Note 57, the 1.50 red team (W5): ``any_on([{'on': False}])`` alone met no ``True`` on 3 of 300 draws (a coin
    flip for each changed dict). A dict changed inside a list has one flag among its values turned."""
    runs = [[[["any_on", [[{"on": False}]], {}]], ""]]
    for seed in range(256):
        assert any(item["on"] for run in near_runs(runs, seed) for item in run[0][0][1][0]), seed


@pytest.mark.parametrize("count", [4, 8, 16, 40])
def test_an_honest_function_refusing_odd_numbers_tested_on_consecutive_even_ones_meets_a_new_even_one_every_draw(
        count):
    """The 1.50 red team (R3): ``next_odd(n)`` raises on odd ``n``; tested on 2, 4 ... its copies moved by an even
    step met recorded numbers again, which confirm nothing, on every copy of some draws (22 of 300 in eight runs, 230
    of 300 in forty), and its decoy ``n + 1``, the reference itself, was taken for wrong. A near call that would be
    a recorded one again has its integers moved on by two until it is none."""
    runs = [[[["next_odd", [2 * at + 2], {}]], ""] for at in range(count)]
    recorded = {2 * at + 2 for at in range(count)}
    for seed in range(300):
        met = {args[0] for calls, _, _ in near_runs(runs, seed) for _, args, _ in calls}
        assert {n for n in met if n % 2 == 0} - recorded, seed


def test_a_near_call_passing_an_integer_is_never_a_recorded_call_again():
    runs = [[[["f", [a, b], {"k": a}]], ""] for a in range(4) for b in range(3)] + [[[["g", [1], {}]], ""]]
    for seed in range(64):
        assert seen_calls(runs, near_runs(runs, seed)) == [], seed


def test_a_near_call_of_no_integer_may_be_a_recorded_call_again():
    """``f([1, 2])`` reversed is the recorded ``f([2, 1])``: a call of no integer to move on stays as it is, and
    confirms nothing (:func:`verifier.near_runs.seen_calls`)."""
    runs = [[[["f", [[1, 2]], {}]], ""], [[["f", [[2, 1]], {}]], ""]]
    assert any(seen_calls(runs, near_runs(runs, seed)) for seed in range(16))


@pytest.mark.parametrize("before", [[], [1]])
@pytest.mark.parametrize("value", ["xyz", {"s": "xyz"}, ["xyz"]])
def test_an_ignored_call_of_a_name_before_its_string_leaves_the_first_kind_lacking_to_the_string(before, value):
    """The 1.51 review: a string's rounds of kinds went on from any earlier recorded call of its name, so one ignored
    ``has_vowel()`` or ``has_vowel(1)`` before ``has_vowel('xyz')`` gave its copies capitals and no vowel on every
    draw (1.50 and the first 1.51; through a dict, 124 of 300 on 1.50, 300 on the first 1.51). They go on only from
    earlier calls that held a string or a list in that place."""
    runs = [[[["has_vowel", before, {}]], ""], [[["has_vowel", [value], {}]], ""]]
    for seed in range(128):
        texts = [json.dumps(calls[0][1]) for calls, _, origin in near_runs(runs, seed) if origin == 1]
        assert any(set(text) & set("aeiou") for text in texts), seed


def test_a_dicts_integers_leave_the_arguments_after_it_the_schedules_first_columns():
    """The 1.51 review: a dict's integers took the first columns, and ``both_odd({'limit': 10, 'step': 1}, 2, 4)``
    beside three other runs met no copy with both numbers odd on 72 of 256 draws (1.50: none)."""
    runs = [[[["both_odd", [{"limit": 10, "step": 1}, 2, 4], {}]], ""], *[[[[f"h{at}", [at], {}]], ""]
                                                                          for at in range(3)]]
    for seed in range(256):
        assert any(args[1] % 2 and args[2] % 2 for calls, _, origin in near_runs(runs, seed) if origin == 0
                   for _, args, _ in calls), seed


def test_each_run_of_arguments_beside_thin_ones_meets_both_its_own_input_moved_and_a_drawn_one():
    """The 1.51 review: whether a near run's input is drawn went by its place in the whole list, and beside a thin
    ``main()`` every copy of ``g(2)`` on ``apple pie`` was drawn (its text never moved) and no copy of ``f(1)`` was.
    Where thin runs and others mix, it goes by the run's own copies."""
    runs = [[[["main", [], {}]], ""], [[["f", [1], {}]], ""], [[["g", [2], {}]], "apple pie\n"]]
    for seed in range(32):
        near = near_runs(runs, seed)
        assert any("apple" in stdin for _, stdin, origin in near if origin == 2), seed
        assert any(stdin.strip() for _, stdin, origin in near if origin == 1), seed


def test_the_near_runs_a_check_must_make_are_1_50s_beside_thin_runs():
    """The 1.51 red team: a thin ``main()`` recorded first beside two runs of arguments had one of the first eight
    near runs (the required ones) where 1.50 gave it three; they are 1.50's, round by round."""
    runs = [[[["main", [], {}]], ""], [[["f", [1], {}]], ""], [[["g", [2], {}]], ""]]
    assert [origin for _, _, origin in near_runs(runs, 0)][:MAX_NEAR_RUNS] == [0, 1, 2, 0, 1, 2, 0, 1]


def test_two_calls_of_a_name_beside_sixteen_thin_runs_take_the_schedules_rows_between_them():
    """The 1.51 review: ``stride`` counts the copies of the runs of arguments (four), so two runs of ``f`` of six
    integers, beside 16 helpers of no argument, meet all four ways of every two places' steps (a stride counted over
    every run, one, fails on every draw)."""
    runs = [*[[[[f"h{at}", [], {}]], ""] for at in range(16)], [[["f", [10] * 6, {}]], ""], [[["f", [20] * 6, {}]], ""]]
    for seed in range(32):
        steps = [[(a - base) % 2 for a in calls[0][1]] for calls, _, origin in near_runs(runs, seed) if origin >= 16
                 for base in [10 if origin == 16 else 20]]
        assert all(len({(step[i], step[j]) for step in steps}) == 4 for i in range(6) for j in range(i)), seed
