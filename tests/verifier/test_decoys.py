"""Decoys are simple wrong programs made from the calls a verifier made of its reference (red-team round 60, A4: a
verifier that tested ``total([7])`` alone)."""

from __future__ import annotations

from verifier.decoys import (ALL_ARGS, CONSTANTS, MAX_DECOYS, SHAPES, Decoy, answers_source, decoys, left_out,
                             varargs_names)
from verifier.script_decoys import SCRIPT_CONSTANTS, SCRIPT_SHAPES


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
    made = [decoy for decoy in decoys([[[["total", [[4, 9, 2]], {}]], ""]]) if decoy.name]
    assert sorted(decoy.label for decoy in made) == sorted([*(shape.replace("v", "arg1") for shape in SHAPES["list"]),
                                                            *CONSTANTS])
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
    assert {decoy.name for decoy in made} == {"a", "b", "c", "d", ""} and len(made) <= MAX_DECOYS
    assert sum(decoy.name == "d" for decoy in made) == len(SHAPES["list"]) + len(SHAPES["str"]) + len(
        SHAPES["int"]) + len(CONSTANTS)


def test_a_name_called_after_many_others_still_gets_decoys():
    """Red-team round 63 (B3): eight names the reference did not define, called first, left ``total`` with no decoy
    while only the first eight names got decoys."""
    calls = [[f"h{at}", [], {}] for at in range(100)] + [["total", [[7]], {}]]
    made = decoys([[calls, ""]])
    assert {"max(arg1)", "arg1[0]", "0"} <= {decoy.label for decoy in made if decoy.name == "total"}


def test_no_argument_s_shapes_are_cut_short_while_the_decoys_are_within_the_bound():
    """Red-team round 64 (C5): integers passed beside the list that mattered crowded its shapes out of the name's
    share of the decoys. 160 of them give 1,002 decoys (24 of them a script's), every one made."""
    made = decoys([[[["total", [[7], *range(160)], {}]], ""]])
    assert len(made) == 160 * len(SHAPES["int"]) + len(SHAPES["list"]) + len(CONSTANTS) + len(
        SCRIPT_SHAPES) + len(SCRIPT_CONSTANTS) <= MAX_DECOYS
    assert {"max(arg1)", "arg1[0]", "sum(arg1)"} <= {decoy.label for decoy in made}


def test_requests_that_give_more_decoys_than_the_bound_give_none():
    """Round 64 (C5): 1,100 integers beside the list; so many that any share of them could be crowded."""
    assert decoys([[[["total", [[7], *range(1100)], {}]], ""]]) is None
    assert decoys([[[[f"h{at}", [], {}] for at in range(300)], ""]]) is None


def test_an_argument_passed_as_two_types_gets_the_shapes_of_both():
    """Red-team round 63 (B6): ``total(None)``, then ``total([7])``: shapes followed the first call's type (none), and
    the list had no list shape."""
    made = {decoy.label for decoy in decoys([[[["total", [None], {}], ["total", [[7]], {}]], ""]])}
    assert {"max(arg1)", "arg1[0]", "len(arg1)"} <= made


def test_every_argument_gets_decoys_not_only_the_first_three():
    """Red-team round 63 (B8): ``total(lo, hi, pad, xs)`` summed its fourth argument, which had no decoy."""
    made = {decoy.label for decoy in decoys([[[["total", [1, 2, 3, [7]], {}]], ""]])}
    assert {"max(arg4)", "arg4[-1]"} <= made


def test_a_shape_that_raises_answers_as_the_reference_does():
    """Red-team round 61 (A5): ``total([])`` first, so that ``max`` raised and looked told apart from the reference,
    while a guarded wrong program passed every request. Where the shape raises, the decoy has no answer of its own."""
    made = {decoy.label: decoy for decoy in decoys([[[["total", [[]], {}]], ""]])}
    assert _answer(made["max(arg1)"], []) == (False, None) and _answer(made["max(arg1)"], [1, 5]) == (True, 5)


def test_a_shape_of_another_type_than_the_first_call_s_has_no_answer_of_its_own():
    made = {decoy.label: decoy for decoy in decoys([[[["f", [3], {}]], ""]])}
    assert _answer(made["arg1 + 1"], "three") == (False, None)


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


def test_a_script_run_on_blank_inputs_alone_has_script_decoys():
    """Red-team round 68 (A5's control): a sum tested on ten newlines alone paid ``print(0)``, which no decoy was."""
    assert {decoy.label for decoy in decoys([[[], "\n" * 10], [[], ""]])} >= {"0", "len(tokens)", "sum(numbers)"}


def test_a_run_whose_calls_pass_no_argument_has_script_decoys_even_on_a_blank_input():
    """Red-team round 69 (A2c): ``main()`` on ten newlines alone paid ``def main(): print(0)``."""
    assert {decoy.label for decoy in decoys([[[["main", [], {}]], "\n" * 10]])} >= {"len(tokens)", "sum(numbers)"}


def test_a_run_whose_calls_pass_arguments_on_a_blank_input_has_script_decoys_too():
    """A function may read its input beside its arguments: ``main(False)`` on a blank input is ``main()``'s case."""
    made = {decoy.name for decoy in decoys([[[["main", [False], {}]], ""]])}
    assert made == {"main", ""}




def test_a_none_argument_has_no_decoy_of_its_own():
    """Red-team round 64 (C5): ``total([7], None, ... )`` with 1,100 Nones: their shapes, each answering as the
    constant None does, came before the list's."""
    made = decoys([[[["total", [[7], *[None] * 1100], {}]], ""]])
    assert {decoy.index for decoy in made} == {0, None} and "max(arg1)" in {decoy.label for decoy in made}


def test_each_type_an_argument_took_keeps_its_first_shapes_in_a_crowded_name():
    """Red-team round 64 (C4): with seventy other names, ``total``'s share of 16 went to the shapes of the first five
    types its argument took, and a list's came after."""
    calls = [[f"h{at}", [], {}] for at in range(70)]
    calls += [["total", [value], {}] for value in (True, 1, 1.5, "a", {"a": 1}, [7])]
    mine = {decoy.label for decoy in decoys([[calls, ""]]) if decoy.name == "total"}
    assert {"arg1[0]", "arg1[-1]"} <= mine


def test_a_function_the_reference_defines_with_star_args_gets_shapes_of_all_its_positional_arguments():
    """Session 35's red-team (E5): ``total(7)`` alone, of ``total(*numbers)``, when only shapes of the one argument
    passed were tried."""
    made = decoys([[[["total", [7], {}]], ""]], frozenset({"total"}))
    labels = {decoy.label for decoy in made if decoy.index == ALL_ARGS}
    assert {"args[0]", "args[-1]", "max(args)", "min(args)", "len(args)"} <= labels


def test_star_args_decoys_answer_of_every_positional_argument():
    namespace: dict = {}
    exec(answers_source(), namespace)
    assert namespace["decoy_answer"](ALL_ARGS, "max(v)", [3, 9, 2], {"key": 100}) == (True, 9)


def test_the_names_defined_with_star_args_are_read_from_the_reference():
    code = "def total(*numbers):\n    return sum(numbers)\n\ndef size(xs):\n    return len(xs)\n"
    assert varargs_names(code) == frozenset({"total"}) and varargs_names("def (") == frozenset()


def test_a_script_decoy_reads_numbers_separated_by_commas_or_semicolons():
    """Session 35's red-team (E6): the one test ``7,`` had no number a decoy could read."""
    namespace: dict = {}
    exec(answers_source(), namespace)
    assert namespace["script_answer"]("max(n)", "7,9,\n") == (True, "9")
    assert namespace["script_answer"]("n[0]", "4;2") == (True, "4")


def test_a_decoy_is_left_out_only_where_a_request_known_by_kinds_may_have_asked_it():
    """Red-team round 68 (B1): an honest ``total(5)`` that had to raise, beside a sum of a large list known by kinds
    alone, made every shape of an int a rival; only the shapes of a kind the left-out call passed are."""
    elided = frozenset({("total",), ("total", 0, "list")})
    assert left_out(Decoy("total", 0, "max(v)"), elided) and left_out(Decoy("total", None, "0"), elided)
    assert not left_out(Decoy("total", 0, "v + 1"), elided) and not left_out(Decoy("size", 0, "max(v)"), elided)


def test_a_script_decoy_of_numbers_is_left_out_only_where_the_input_left_out_held_numbers():
    words = frozenset({("stdin",), ("stdin", "word")})
    assert left_out(Decoy("", None, "len(t)"), words) and not left_out(Decoy("", None, "max(n)"), words)
    assert left_out(Decoy("", None, "max(n)"), words | {("stdin", "number")})
