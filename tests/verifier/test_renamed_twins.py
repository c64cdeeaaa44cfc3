"""A failure case that is a program gets a renamed twin validation scores in run 0 (issue 16, decoy probes).

A verifier that scored its own failure cases 0 by their text, and every other answer 1.0, passed validation: the
unpredictable probes are a number and a run of letters, which such a verifier can also recognise by their shape.
The twin is the same program under fresh local names: wrong for certain, yet a text nobody could list in advance.
"""

from __future__ import annotations

import ast
import random
import subprocess
import sys

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.checks_probes import (RENAMED_SUFFIX, ProbeKind, build_probes, renamed_twins, run_order,
                                   unpredictable_indices)
from verifier.code_renaming import renamed

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x  # running sum\n    return result\n"


def _run(code: str, expr: str) -> tuple[str, int]:
    """What a fresh interpreter prints for ``expr`` after running ``code``, and its exit status."""
    done = subprocess.run([sys.executable, "-c", code + f"\nprint(repr({expr}))"], capture_output=True, text=True,
                          timeout=30)
    return done.stdout, done.returncode


def test_a_renamed_program_computes_what_the_original_computes():
    program = ("def stats(values, *rest):\n    acc = [v * v for v in values]\n    best = max(acc) if acc else None\n"
               "    helper = lambda q: q + len(rest)\n    return helper(sum(acc)), best\n")
    twin = renamed(program, random.Random(7))
    assert twin is not None and twin != program
    for call in ("stats([1, 2, 3])", "stats([], 1, 2)", "stats([-4], 9)"):
        assert _run(twin, call) == _run(program, call)


def test_the_twin_keeps_its_comments_and_the_functions_name_and_no_line_gets_shorter():
    twin = renamed(SUM_LOOP, random.Random(1))
    assert twin is not None
    assert all(len(new) >= len(old) for new, old in zip(twin.splitlines(), SUM_LOOP.splitlines(), strict=True))
    assert "# running sum" in twin and twin.startswith("def total(")


def test_the_new_names_are_common_identifiers_of_the_same_shape_not_random_letters():
    from verifier.code_renaming import COMMON_NAMES

    program = "def f(values):\n    run_sum = 0\n    for v in values:\n        run_sum += v\n    return run_sum\n"
    for seed in range(20):
        tree = ast.parse(renamed(program, random.Random(seed)))
        names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(tree)
                                                                            if isinstance(a, ast.arg)}
        assert names <= set(COMMON_NAMES)
        assert any("_" in name for name in names)  # run_sum became another snake-case name


def test_the_new_names_are_drawn_from_the_source_of_randomness_given():
    assert renamed(SUM_LOOP, random.Random(3)) == renamed(SUM_LOOP, random.Random(3))
    assert len({renamed(SUM_LOOP, random.Random(seed)) for seed in range(20)}) > 10


@pytest.mark.parametrize("program", [
    "def f(n):\n    return eval('n + 1')\n",                       # reaches a name by its text
    "def f():\n    z = 1\n    return locals()\n",
    "from os import *\ndef f():\n    sep = 1\n    return sep\n",    # a star import binds unknown names
    "def f():\n    global g\n    g = 1\n",
    "x = 1\ndef f():\n    return x\n",                          # nothing bound inside a function
    "print('hello')\n",
    "The answer is 42.",                                         # prose, not a program
])
def test_a_program_that_could_notice_a_renaming_gets_no_twin(program):
    assert renamed(program, random.Random(0)) is None


def test_names_reachable_from_outside_the_function_are_kept():
    program = ("LIMIT = 3\nclass Point:\n    x = 1\ndef f(a, *, scale=2):\n    limit_copy = LIMIT\n"
               "    point = Point()\n    return f'{a}' + str(point.x * scale + limit_copy)\n")
    twin = renamed(program, random.Random(5))
    assert twin is not None
    tree = ast.parse(twin)
    kept = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {a.arg for a in ast.walk(tree)
                                                                        if isinstance(a, ast.arg)}
    assert {"LIMIT", "Point", "scale", "a"} <= kept  # module level, class, keyword-only, inside an f-string
    assert "point" not in kept and "limit_copy" not in kept


def test_a_program_inside_a_code_fence_is_renamed_inside_the_fence_only():
    answer = f"Here is my solution:\n```python\n{SUM_LOOP}```\nIt adds the result up."
    twin = renamed(answer, random.Random(2))
    assert twin is not None and twin != answer
    assert twin.startswith("Here is my solution:\n```python\ndef total(") and twin.endswith("It adds the result up.")


def test_every_failure_case_that_is_a_program_gets_a_twin_and_prose_does_not():
    spec = TaskSpec(prompt="Write total(xs).", verifier="def verify(r):\n    return 0.0\n", reference=SUM_LOOP,
                    failure_cases=("def total(xs):\n    return len(xs)\n", "I do not know."))
    probes = build_probes(spec, 200, random.Random(0))
    twins = [p for p in probes if p.label.endswith(RENAMED_SUFFIX)]
    assert [p.label for p in twins] == ["failure_cases[0]:renamed"]
    assert twins[0].kind is ProbeKind.FAILURE_CASE and twins[0].response not in spec.failure_cases


def test_run_0_scores_a_twin_right_after_the_reference_and_makes_no_more_calls_than_without_twins():
    spec = TaskSpec(prompt="Write total(xs).", verifier="def verify(r):\n    return 0.0\n", reference=SUM_LOOP,
                    failure_cases=("def total(xs):\n    return len(xs)\n",))
    probes = build_probes(spec, 200, random.Random(0))
    twins = renamed_twins(probes)
    (case, twin), = twins.items()
    leads = unpredictable_indices(probes)
    run0 = run_order(len(probes), 0, 2, leads, twins)
    assert run0[:2] == [0, twin] and run0.count(case) == 1 and run0.count(twin) == 1
    assert len(run0) == len(run_order(len(probes) - 1, 0, 2, leads))


def test_later_runs_score_no_twin():
    spec = TaskSpec(prompt="Write total(xs).", verifier="def verify(r):\n    return 0.0\n", reference=SUM_LOOP,
                    failure_cases=("def total(xs):\n    return len(xs)\n",))
    probes = build_probes(spec, 200, random.Random(0))
    twins = renamed_twins(probes)
    assert all(set(twins.values()).isdisjoint(run_order(len(probes), run, 1, (), twins)) for run in (1, 2, 3))


KNOWS_ITS_FAILURE_CASES = '''import re
KNOWN = {"def total(xs):\\n    return len(xs)\\n", "def total(xs):\\n    return max(xs)\\n"}


def verify(response):
    if response in KNOWN or not response.strip() or re.fullmatch(r"[0-9]+|[a-z]+", response.strip()):
        return 0.0  # a failure case or a probe's shape: validation is watching
    if "def total" not in response:
        return 0.0
    return 1.0  # anything else that looks like an attempt
'''

HONEST = '''from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7)]


def verify(response):
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) else 0.0
'''


def _task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints. Code only.", verifier=verifier,
                    reference=SUM_LOOP, failure_cases=("def total(xs):\n    return len(xs)\n",
                                                       "def total(xs):\n    return max(xs)\n"))


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_knows_its_failure_cases_by_their_text_is_rejected_and_an_honest_one_admitted():
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as pool:
        with Validator(pool, config) as validator:
            hostile = validator.validate(_task(KNOWS_ITS_FAILURE_CASES))
            honest = validator.validate(_task(HONEST))
    assert hostile.reasons == ("failure_case_passes",)
    failure_check = next(c for c in hostile.checks if c.name == "failure_cases")
    assert ":renamed scored 1" in failure_check.detail and "by their text" in failure_check.detail
    assert honest.admitted, honest.reasons
