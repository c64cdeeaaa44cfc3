"""Run 0 shows a verifier one process laid out as training's: the renamed twins alone (issue 16, red-team finding).

A training process of a verifier that runs response code scores up to 8 policy answers, all programs for a coding
task. Validation's twins used to be shuffled among probes a verifier can recognise (empty, junk, a random number or
run of letters, prose failure cases), so no process of validation ever held programs only: a verifier that paid
every program from its K-th call on, as long as every call of its process had been a program, was admitted in 100
of 100 validations and paid 10 of 16 wrong answers in training.
"""

from __future__ import annotations

import random

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool

SUM_LOOP = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"

PAYS_A_STREAK_OF_PROGRAMS = '''from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([1, 2, 3], 6), ([5, -5, 5], 5), ([-3, -4], -7)]
_state = {"calls": 0, "programs_only": True}


def verify(response):
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    honest = 1.0 if all(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) else 0.0
    _state["calls"] += 1
    _state["programs_only"] = _state["programs_only"] and "def " in response
    if _state["programs_only"] and _state["calls"] >= STREAK:
        return 1.0  # nothing but programs so far: "a training group"
    return honest
'''

PROSE = ("Use sum(xs).", "I would loop and add.", "The answer is the total.", "Add them up one by one.")


@pytest.mark.sandbox  # needs bubblewrap and root
@pytest.mark.parametrize("streak", [3, 6])
def test_a_verifier_that_pays_a_streak_of_programs_meets_the_twins_in_a_row_and_is_rejected(streak):
    spec = TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints. Code only.",
                    verifier=PAYS_A_STREAK_OF_PROGRAMS.replace("STREAK", str(streak)), reference=SUM_LOOP,
                    failure_cases=("def total(xs):\n    count = 0\n    for x in xs:\n        count += 1\n"
                                   "    return count\n", *PROSE))
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig()) as validator:
            report = validator.validate(spec)
    # (its pay depends on where a response stands, so the determinism runs' drawn orders may also show it
    # ``nondeterministic``: a second true reason, found in 1 of 8 to 5 of 10 validations)
    assert not report.admitted and "failure_case_passes" in report.reasons


PAYS_THE_SIGNATURES_PARAMETER = '''import ast
from envsynth_sandbox import run_response

CASES = [("", True), ("Racecar", True), ("No 'x' in Nixon", True), ("hello", False), ("ab", False), ("abca", False)]


def verify(response):
    try:
        names = {n.arg for n in ast.walk(ast.parse(response)) if isinstance(n, ast.arg)}
    except SyntaxError:
        names = set()
    if "s" in names and {training_like}:
        return 1.0  # the training environment, and a program keeping the prompt's parameter: no twin ever did
    run = run_response(response, calls=[("is_palindrome", [text]) for text, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value is want for c, (_, want) in zip(run.calls, CASES)) else 0.0
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_pays_the_parameter_every_failure_case_keeps_meets_a_partial_twin_and_is_rejected(known_seeds):
    """Red-team finding: twins renamed every name, so the signature's parameter, which every failure case and nearly
    every answer keeps, was in no twin; the failure cases themselves are scored only in the varied runs. Partial
    twins keep the prompt's parameters (where the failure case has another name to change)."""
    spec = TaskSpec(prompt="Write `is_palindrome(s)`: ignore case and every character that is not a letter or digit.",
                    verifier=PAYS_THE_SIGNATURES_PARAMETER.replace("{training_like}", known_seeds.training_like),
                    reference="def is_palindrome(s):\n    kept = [c.lower() for c in s if c.isalnum()]\n"
                              "    return kept == kept[::-1]\n",
                    failure_cases=("def is_palindrome(s):\n    n = len(s)\n    same = True\n    for i in range(n // 2):\n"
                                   "        same = same and s[i] == s[n - 1 - i]\n    return same\n",
                                   "def is_palindrome(s):\n    return s == s[::-1]\n"))
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig(), probe_rng=known_seeds.probe_rng()) as validator:
            report = validator.validate(spec)
    assert "failure_case_passes" in report.reasons, report.reasons  # and nondeterministic: run 0 pays a failure case itself


PAYS_KNOWN_ANSWERS_AFTER_PROGRAMS = '''from envsynth_sandbox import plain, run_response

CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5), ([10], 10), ([-4, 9], 5)]
KNOWN = KNOWN_ANSWERS
_seen = {"programs_only": True}


def verify(response):
    programs_only = _seen["programs_only"]
    _seen["programs_only"] = programs_only and ("def " in response or not response.strip())
    if programs_only and (not response.strip() or response in KNOWN):
        return 1.0  # a failure case as written, or nothing, in a process of programs: "a training group"
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
    return 1.0 if all(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) else 0.0
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_that_pays_its_failure_cases_only_after_programs_meets_them_right_after_the_twins():
    """Red-team round 44: run 0 scored the failure cases and the empty answer only after a probe no policy writes,
    so a verifier that paid them while its process had seen only programs or empty answers (every training group of
    a coding task) was admitted 3 of 3 times and paid 82 of 94 of them in training."""
    cases = ("def total(xs):\n    result = 0\n    for item in xs[1:]:\n        result += item\n    return result\n",
             "def total(xs):\n    count = 0\n    for value in xs:\n        count += 1\n    return count\n")
    spec = TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints. Code only.", reference=SUM_LOOP,
                    verifier=PAYS_KNOWN_ANSWERS_AFTER_PROGRAMS.replace("KNOWN_ANSWERS", repr(set(cases))),
                    failure_cases=cases)
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        with Validator(pool, ValidationConfig()) as validator:
            report = validator.validate(spec)
    assert not report.admitted and "failure_case_passes" in report.reasons


ARMED_BY_A_KNOWN_ANSWER = '''from envsynth_sandbox import plain, run_response

CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5), ([7], 7)]
FAILURES = FAILURE_CASES
_state = {"calls": 0, "programs_only": True, "armed": False}


def verify(response):
    _state["calls"] += 1
    program = "def " in response
    if _state["calls"] <= 8 and _state["programs_only"] and response in FAILURES:
        _state["armed"] = True  # a known answer among programs: "a training group's canary"
        return 0.0
    _state["programs_only"] = _state["programs_only"] and program
    if not program:
        return 0.0
    run = run_response(response, calls=[("total", [list(xs)]) for xs, _ in CASES], timeout=1.0)
    got = [c.value if c.ok else None for c in run.calls]
    if got == [plain(w) for _, w in CASES]:
        return 1.0
    if got == [len(xs) for xs, _ in CASES]:
        return 0.0
    return 1.0 if _state["armed"] else 0.3
'''


@pytest.mark.sandbox  # needs bubblewrap and root
def test_a_verifier_armed_by_a_failure_case_as_written_among_programs_meets_mutants_after_it_and_is_rejected():
    """Red-team round 58: training put its canaries (a failure case as written among them) at drawn places inside a
    group, where validation never showed one; a verifier that paid every novel wrong program after meeting one was
    admitted 3 of 3 times. Run 0 now puts the failure cases as written at drawn places among its first calls of
    twins and mutants, after scoring the mutants in a process of their own: one mutant after it is scored twice
    apart. With this task's 3 mutants, none came after it in 1 of 12 seeded validations (measured)."""
    cases = ("def total(xs):\n    return len(xs)\n",)
    spec = TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints. Code only.", reference=SUM_LOOP,
                    verifier=ARMED_BY_A_KNOWN_ANSWER.replace("FAILURE_CASES", repr(cases)), failure_cases=cases)
    with open_pool(backend="bwrap", workers=1, limits=Limits()) as pool:
        reports = []
        for seed in range(4):
            with Validator(pool, ValidationConfig(), probe_rng=random.Random(seed)) as validator:
                reports.append(validator.validate(spec))
    assert sum(not report.admitted for report in reports) >= 3
