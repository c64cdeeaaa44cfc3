"""How many renamed twins a task gets depends on how many its failure cases allow, never on the draw (issue 16).

Validation asks for as many twins as one training process scores (``few_twins`` otherwise). Twins used to be drawn
with replacement only, so a failure case with just enough possible twins was admitted on some draws and rejected
on others: validating the same task twice could give two verdicts.
"""

from __future__ import annotations

import random

from task_bank.spec import TaskSpec
from verifier.checks_probes import RENAMED_SUFFIX, build_probes
from verifier.code_renaming import every_twin, renamed
from verifier.twin_names import every_mapping, fresh_names

SINGLE_LETTERS = "i j k n x y s c a b d e f g h m p q r t u v w z".split()  # the one-letter common names
CASE = "def total(*, xs):\n    k = sum(xs)\n    return k + 1\n"  # one renamable name: k (xs is keyword-only)


def _task_leaving(free: list[str]) -> TaskSpec:
    """A task whose prompt names every one-letter word but ``free`` (and ``k``): ``k`` can become only those."""
    banned = [w for w in SINGLE_LETTERS if w not in free and w != "k"] + ["l", "o"]
    return TaskSpec(prompt=f"Write total(*, xs), the sum of xs. Names you may not use: {' '.join(banned)}.",
                    verifier="def verify(r):\n    return 0.0\n", reference="def total(*, xs):\n    return sum(xs)\n",
                    failure_cases=(CASE,))


def _twin_count(spec: TaskSpec, seed: int, twins: int) -> int:
    return sum(RENAMED_SUFFIX in p.label for p in build_probes(spec, 200, random.Random(seed), twins=twins))


def test_a_failure_case_with_exactly_enough_twins_gets_all_of_them_on_every_draw():
    """Eight possible twins, eight wanted: drawing with replacement alone fell short on 34 of 300 seeds."""
    spec = _task_leaving(["m", "p", "q", "r", "t", "u", "v", "w"])
    assert {_twin_count(spec, seed, twins=8) for seed in range(300)} == {8}


def test_a_failure_case_with_too_few_twins_gets_every_one_it_has_on_every_draw():
    spec = _task_leaving(["m", "p", "q"])
    assert {_twin_count(spec, seed, twins=8) for seed in range(100)} == {3}


def test_every_twin_lists_each_twin_once_including_every_one_a_draw_makes():
    walked = list(every_twin(CASE))
    drawn = {renamed(CASE, random.Random(seed)) for seed in range(500)}
    assert len(walked) == len(set(walked)) == len(SINGLE_LETTERS) - 1  # k becomes any other one-letter name
    assert drawn <= set(walked)


def test_every_mapping_is_every_assignment_of_distinct_new_names_a_draw_can_make():
    names, taken = ["a", "b"], {"c", "d", "e", "f", "g", "h", "i", "j", "k", "m", "n", "p", "q", "r", "s", "t", "u",
                                "v", "w", "z"}  # a and b may become x or y only, or keep their names
    mappings = [tuple(sorted(m.items())) for m in every_mapping(names, taken)]
    assert mappings == [(("a", "x"), ("b", "y")), (("a", "x"),), (("a", "y"), ("b", "x")), (("a", "y"),),
                        (("b", "x"),), (("b", "y"),)]  # every twin changes a name; none keeps both
    drawn = {tuple(sorted(fresh_names(names, taken, random.Random(seed), partial=seed % 2 == 1).items()))
             for seed in range(300)}
    assert drawn == set(mappings)


def test_a_name_whose_new_names_the_others_used_up_keeps_its_own_in_the_walk_as_in_the_draw():
    names, taken = ["a", "b", "c"], set(SINGLE_LETTERS) - {"a", "b", "c", "x", "y"}  # three names, two new ones
    walked = [tuple(sorted(m.items())) for m in every_mapping(names, taken)]
    assert len(walked) == len(set(walked)) and all(walked)
    assert all(len({new for _, new in m}) == len(m) for m in walked)  # no two names alike
    assert (("a", "x"), ("b", "y")) in walked and not any(len(m) == 3 for m in walked)  # c kept: nothing left
    drawn = {tuple(sorted(fresh_names(names, taken, random.Random(seed)).items())) for seed in range(300)}
    assert drawn <= set(walked)


def test_partial_twins_keep_the_prompts_parameters_and_some_other_names_and_whole_twins_keep_none():
    """Red-team finding: twins renamed every name, so a name all failure cases use (the signature's parameter,
    which nearly every answer copies) was in no twin, and a verifier paying it was admitted."""
    case = "def is_palindrome(s):\n    cleaned = s.lower()\n    flipped = cleaned[::-1]\n    return cleaned == flipped[1:]\n"
    prompt_words = {"is_palindrome", "s"}
    partial = [renamed(case, random.Random(seed), keep=prompt_words, partial=True) for seed in range(40)]
    whole = [renamed(case, random.Random(seed), keep=prompt_words) for seed in range(40)]
    assert all("(s)" in twin for twin in partial) and not any("(s)" in twin for twin in whole)
    assert any("cleaned" in twin for twin in partial) and any("cleaned" not in twin for twin in partial)
    assert case not in partial and not any("cleaned" in twin or "flipped" in twin for twin in whole)


def test_validation_draws_whole_and_partial_twins_by_turns():
    case = "def is_palindrome(s):\n    cleaned = s.lower()\n    return cleaned == cleaned[::-1][1:]\n"
    spec = TaskSpec(prompt="Write is_palindrome(s).", verifier="def verify(r):\n    return 0.0\n",
                    reference="def is_palindrome(s):\n    return s == s[::-1]\n", failure_cases=(case,))
    twins = [p.response for p in build_probes(spec, 200, random.Random(3), twins=8) if RENAMED_SUFFIX in p.label]
    assert sum("(s)" in twin for twin in twins) == 4  # the partial ones keep the prompt's parameter


def test_a_walk_of_every_twin_gives_up_after_a_run_of_mappings_that_make_none():
    """Six long names have billions of mappings; in a program whose every twin fails the check that it is the same
    program (bare carriage returns split lines where the tokenizer does not), the walk stops instead of trying
    them all in the validator's own process."""
    names = ["values", "result", "counter", "current", "largest", "smallest"]
    body = "".join(f"    {name} = 0\r" for name in names[1:])
    program = f"def total({names[0]}):\r{body}    return {' + '.join(names)}\r"
    assert renamed(program, random.Random(0)) is None
    assert list(every_twin(program)) == []
