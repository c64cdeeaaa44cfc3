"""Decoys are simple wrong programs made from the calls a verifier made of its reference; near runs are those calls
with every argument changed a little (red-team round 60, A4: a verifier that tested ``total([7])`` alone)."""

from __future__ import annotations

import json

from verifier.decoys import CONSTANTS, MAX_DECOYS, MAX_NEAR_RUNS, SHAPES, answers_source, decoys, near_runs

def _answer(decoy, *args, **kwargs):
    """What ``decoy`` answers a call with these arguments, by the source the checking verifier runs (run here in the
    test's own process): ``(True, value)``, or ``(False, None)`` where its shape raises."""
    namespace: dict = {}
    exec(compile(answers_source(), "<decoys>", "exec"), namespace)
    return namespace["decoy_answer"](decoy.index, decoy.shape, list(args), kwargs)


def test_a_decoy_stands_for_one_called_function_and_returns_a_shape_of_its_argument():
    (first, *_) = decoys([[[["total", [[7]], {}]], ""]])
    assert (first.name, first.index, first.shape, first.label) == ("total", 0, "v", "arg1")
    assert _answer(first, [7, 8]) == (True, [7, 8])


def test_a_list_argument_gives_the_shapes_of_a_list_and_every_function_the_constants():
    made = decoys([[[["total", [[4, 9, 2]], {}]], ""]])
    assert [decoy.label for decoy in made] == [*(shape.replace("v", "arg1") for shape in SHAPES["list"]), *CONSTANTS]
    answered = {decoy.label: _answer(decoy, [4, 9, 2])[1] for decoy in made}
    assert answered["max(arg1)"] == 9 and answered["arg1[0]"] == 4 and answered["len(arg1)"] == 3
    assert answered["0"] == 0 and answered["None"] is None and answered["''"] == ""


def test_each_argument_gets_the_shapes_of_its_own_type_keyword_ones_included():
    made = decoys([[[["f", [2, "ab"], {"flag": True}]], ""]])
    assert {"arg1 + 1", "arg2.upper()", "not arg3"} <= {decoy.label for decoy in made}
    decoy = next(decoy for decoy in made if decoy.label == "not arg3")
    assert _answer(decoy, 2, "ab", flag=True) == (True, False)


def test_every_name_called_gets_its_share_of_the_decoys():
    """Red-team round 61 (A3): three functions tested in full, then the one that mattered, left with no decoy."""
    calls = [[name, [[1, 2], "x", 3], {}] for name in ("a", "b", "c", "d")]
    made = decoys([[calls, ""]])
    assert {decoy.name for decoy in made} == {"a", "b", "c", "d"} and len(made) <= MAX_DECOYS
    assert sum(decoy.name == "d" for decoy in made) == MAX_DECOYS // 4


def test_a_shape_that_raises_answers_as_the_reference_does():
    """Red-team round 61 (A5): ``total([])`` first, so that ``max`` raised and looked told apart from the reference,
    while a guarded wrong program passed every request. Where the shape raises, the decoy has no answer of its own."""
    made = {decoy.label: decoy for decoy in decoys([[[["total", [[]], {}]], ""]])}
    assert _answer(made["max(arg1)"], []) == (False, None) and _answer(made["max(arg1)"], [1, 5]) == (True, 5)


def test_a_shape_of_another_type_than_the_first_call_s_has_no_answer_of_its_own():
    made = {decoy.label: decoy for decoy in decoys([[[["f", [3], {}]], ""]])}
    assert _answer(made["arg1 + 1"], "three") == (False, None)


def test_near_runs_change_every_argument_and_keep_each_ones_type():
    runs = [[[["f", [3, "abc", [1, 2, 3], 2.5, True, {"k": [1]}, None], {"key": "xy"}]], "in"]]
    near = near_runs(runs)
    assert len(near) == MAX_NEAR_RUNS
    for calls, stdin in near:
        (name, args, kwargs), = calls
        assert name == "f" and stdin != "in"  # (an input is changed too: red-team round 62, D2)
        assert [type(arg) for arg in args] == [int, str, list, float, bool, dict, type(None)]
        assert args[:4] != [3, "abc", [1, 2, 3], 2.5] and isinstance(kwargs["key"], str)
        assert abs(args[0] - 3) <= 2  # (a slow honest reference stays about as slow)


def test_near_runs_depend_on_the_records_and_the_seed_alone():
    runs = [[[["f", [[5, 1, 4]], {}], ["f", [[]], {}]], ""]]
    assert near_runs(runs) == near_runs(json.loads(json.dumps(runs)))
    assert near_runs(runs, seed=1) != near_runs(runs)
    assert [[call[0] for call in calls] for calls, _ in near_runs(runs)] == [["f", "f"]] * MAX_NEAR_RUNS


def test_one_recorded_run_has_as_many_near_runs_as_eight():
    """A reference may refuse the near runs where its decoys differ and answer the others: the more near runs, the
    less likely a draw of only the ones it answers."""
    assert len(near_runs([[[["total", [[7]], {}]], ""]])) == MAX_NEAR_RUNS == 8


def test_near_runs_are_bounded():
    runs = [[[["f", [i], {}] for i in range(20)], str(k)] for k in range(10)]
    near = near_runs(runs)
    assert len(near) <= 8 and sum(len(calls) for calls, _ in near) <= 48


def test_near_runs_keep_what_every_recorded_argument_in_one_place_had():
    """Red-team round 61 (B2): an honest task of sorted lists was flagged, its ``min`` decoy answering unsorted near
    runs otherwise than the reference's first item."""
    runs = [[[["lowest", [xs, n, "ab"], {}] for xs, n in (([1, 2, 3], 0), ([-5, 0, 7], 4), ([4], 2))], ""]]
    for calls, _ in near_runs(runs):
        for _, (xs, n, text), _ in calls:
            assert xs == sorted(xs) and xs and n >= 0 and text


def test_near_runs_keep_no_order_that_some_recorded_argument_lacked():
    runs = [[[["f", [[3, 1, 2]], {}], ["f", [[1, 2]], {}]], ""]]
    assert any(xs != sorted(xs) for seed in range(5) for calls, _ in near_runs(runs, seed=seed)
               for _, (xs,), _ in calls)


# Scripts: the program reads its standard input (red-team round 61, A2) ------------------------------------------


def _printed(decoy, stdin):
    namespace: dict = {}
    exec(compile(answers_source(), "<decoys>", "exec"), namespace)
    return namespace["script_answer"](decoy.shape, stdin)


def test_a_script_whose_runs_call_nothing_has_decoys_that_print_shapes_of_its_input():
    made = {decoy.label: decoy for decoy in decoys([[[], "3 9 1\n"]])}
    assert {decoy.name for decoy in made.values()} == {""}
    assert _printed(made["max(numbers)"], "3 9 1\n") == (True, "9")
    assert _printed(made["sorted(numbers)"], "3 9 1\n") == (True, "1 3 9")
    assert made["max(numbers)"].described == "a script printing max(numbers)"


def test_a_script_decoy_whose_shape_raises_prints_as_the_reference_does():
    made = {decoy.label: decoy for decoy in decoys([[[], "words only\n"]])}
    assert _printed(made["max(numbers)"], "words only\n") == (False, None)


def test_a_script_that_reads_nothing_has_no_decoys():
    assert decoys([[[], ""]]) == [] and near_runs([[[], ""]]) == []


def test_near_inputs_of_one_number_have_more_numbers_than_one():
    """Red-team round 61 (A2): the one test ``7``; the largest, the first and the sum all print 7 on any one number,
    so a near input must have more of them."""
    near = near_runs([[[], "7\n"]])
    assert len(near) == MAX_NEAR_RUNS and all(len(stdin.split()) > 1 and stdin.endswith("\n") for _, stdin in near)


def test_near_inputs_keep_a_count_of_the_tokens_after_it_true():
    for _, stdin in near_runs([[[], "3\n1 2 3\n"]]):
        head, body = stdin.split("\n", 1)
        assert int(head) == len(body.split())


def test_near_inputs_keep_a_count_of_lines_and_each_line_s_width():
    for _, stdin in near_runs([[[], "2\n5 6\n7 8\n"]]):
        lines = stdin.split("\n")
        assert lines[0] == "2" and [len(line.split()) for line in lines[1:3]] == [2, 2]


def test_near_inputs_keep_numbers_never_negative_and_lines_in_order_so():
    for _, stdin in near_runs([[[], "0 1 2\n"], [[], "0 5 9\n"]]):
        numbers = [int(token) for token in stdin.split()]
        assert min(numbers) >= 0 and numbers == sorted(numbers)


def test_near_inputs_of_words_change_a_word_and_keep_the_rest():
    for _, stdin in near_runs([[[], "hello world\n"]]):
        assert stdin != "hello world\n" and len(stdin.split()) == 2


def test_an_integer_too_long_to_move_and_still_write_is_kept():
    """Red-team round 62 (B): 4,300 digits moved to 4,301, and the trainer's own JSON of the near runs raised."""
    big = 10 ** 4300 - 1
    for calls, _ in near_runs([[[["f", [big], {}]], ""]]):
        assert calls[0][1] == [big]
    assert all(len(stdin) >= 3000 for _, stdin in near_runs([[[], "9" * 3000 + "\n"]]))


def test_a_called_function_s_standard_input_is_changed_too():
    """Red-team round 62 (D2): ``main()`` read the input ``7``, kept as it was in every near run."""
    near = near_runs([[[["main", [], {}]], "7\n"]])
    assert near and all(stdin != "7\n" for _, stdin in near)


def test_an_empty_list_near_others_of_records_gets_a_changed_record_not_a_number():
    """Session 31: ``total_cost([])`` beside lists of dicts was given ``[0]``, which the honest reference raised on,
    and a refusal of the reference now weighs on its decoys."""
    runs = [[[["total_cost", [items], {}] for items in ([{"price": 1.5, "qty": 4}], [])], ""]]
    near = [args[0] for seed in range(6) for calls, _ in near_runs(runs, seed) for _, args, _ in calls]
    assert all(isinstance(item, dict) for items in near for item in items)
    assert any(items == [] for items in near) and any(len(items) == 1 for items in near)
