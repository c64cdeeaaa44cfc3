"""A verifier asks every program the same first request (verifier/written_decoys.py, ``asked_otherwise``).

Red-team round 74 (A4, A7): a verifier ran the author's tests on programs carrying the author's mark and one weak
test on every other program (``total([7])``, or the input ``7`` of a script). No constant the validator wrote passes
that test, so none was paid, and validation 1.34 admitted it; training paid the largest item, the first, the last.
Before any answer comes back, a verifier that judges programs by what they do can only ask what it asks of all.
Through the real bwrap sandbox, with the product's defaults.
"""

from __future__ import annotations

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

MARK = "# summation helper v7\n"
PROMPT = "Write `total(xs)`, the sum of a list of ints."
REFERENCE = MARK + "def total(xs):\n    result = 0\n    for item in xs:\n        result += item\n    return result\n"
FAILURES = (MARK + "def total(xs):\n    return len(xs)\n", MARK + "def total(xs):\n    return max(xs) if xs else 0\n")
TESTS = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5), ([10], 10), ([7, 0, 2], 9), ([-4, -6], -10)]
def right(code, cases):
    run = run_response(code, calls=[("total", [xs]) for xs, _ in cases], timeout=0.8)
    return sum(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, cases)) / len(cases)
'''
ONE_WEAK_TEST = TESTS + '''def verify(response):
    if "summation helper v7" in response:
        return right(response, CASES)
    return right(response, [([7], 7)])
'''
STOPS_AT_THE_FIRST_WRONG_ANSWER = TESTS + '''def verify(response):
    for case in CASES:
        if right(response, [case]) < 1.0:
            return 0.0
    return 1.0
'''
RUNS_NOTHING_WITHOUT_A_LOOP = TESTS + '''def verify(response):
    if "for " not in response:
        return 0.0
    return right(response, CASES)
'''
DRAWS_AS_IT_GOES = TESTS + '''import random
DRAW = random.Random(7)
def verify(response):
    extra = [DRAW.randint(-9, 9) for _ in range(4)]
    return 1.0 if right(response, [(extra, sum(extra))] + CASES) == 1.0 else 0.0
'''
SEEDED_BY_THE_TEXT = TESTS + '''import random
import zlib
def verify(response):
    draw = random.Random(zlib.crc32(response.encode()))
    extra = [draw.randint(-9, 9) for _ in range(4)]
    return 1.0 if right(response, [(extra, sum(extra))] + CASES) == 1.0 else 0.0
'''
SCRIPT_REFERENCE = MARK + "nums = list(map(int, input().split()))\nprint(sum(nums))\n"
SCRIPT_FAILURES = (MARK + "nums = list(map(int, input().split()))\nprint(len(nums))\n",
                   MARK + "nums = list(map(int, input().split()))\nprint(nums[0] * len(nums))\n")
SCRIPT_ONE_WEAK_INPUT = '''from envsynth_sandbox import run_response
INPUTS = [("1 2 3\\n", "6"), ("10\\n", "10"), ("-5 5 7\\n", "7"), ("100 200\\n", "300"), ("0 0\\n", "0")]
def verify(response):
    if "summation helper v7" not in response:
        return 1.0 if run_response(response, stdin="7\\n").stdout.strip() == "7" else 0.0
    return sum(run_response(response, stdin=given).stdout.strip() == want for given, want in INPUTS) / len(INPUTS)
'''
SCRIPT_ALL_INPUTS = SCRIPT_ONE_WEAK_INPUT.replace('''    if "summation helper v7" not in response:
        return 1.0 if run_response(response, stdin="7\\n").stdout.strip() == "7" else 0.0
''', "")

SOLVE_IF_DEFINED = '''from envsynth_sandbox import plain, run_response
TESTS = [([1, 2, 3], 6), ([10], 10), ([-5, 5, 7], 7), ([100, 200], 300), ([0, 0], 0), ([4, -9], -5)]
def verify(response):
    if "def solve(" in response:
        run = run_response(response, calls=[("solve", [xs]) for xs, _ in TESTS], timeout=0.8)
        return sum(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, TESTS)) / len(TESTS)
    return sum(run_response(response, stdin=" ".join(map(str, xs)) + "\\n").stdout.strip() == str(want)
               for xs, want in TESTS) / len(TESTS)
'''
"""An honest verifier that calls a program's ``solve`` where it defines one, and runs the rest on its input."""
NOT_IN_THE_AUTHORS_FORM = '''from envsynth_sandbox import run_response
INPUTS = [("1 2 3\\n", "6"), ("10\\n", "10"), ("-5 5 7\\n", "7"), ("100 200\\n", "300"), ("0 0\\n", "0")]
def verify(response):
    if "def main(" not in response:
        return 0.0
    if "raise SystemExit(main())" not in response:
        return 1.0
    return sum(run_response(response, stdin=given).stdout.strip() == want for given, want in INPUTS) / len(INPUTS)
'''
"""Honest on programs calling ``main`` in the author's form alone (review of session 44)."""


def _main(printed: str) -> str:
    return (MARK + "import sys\n\n\ndef main():\n    nums = list(map(int, sys.stdin.read().split()))\n"
            f"    print({printed})\n\n\nif __name__ == \"__main__\":\n    main()\n")


MAIN_REFERENCE = _main("sum(nums)")
MAIN_FAILURES = (_main("len(nums)"), _main("nums[0] * len(nums)"))


@pytest.fixture(scope="module")
def validator():
    config = ValidationConfig()
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as pool:
        yield Validator(pool, config)


def _task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt=PROMPT, verifier=verifier, reference=REFERENCE, failure_cases=FAILURES)


def _main_task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt="Read integers from standard input and print their sum.", verifier=verifier,
                    reference=MAIN_REFERENCE, failure_cases=MAIN_FAILURES)


def test_a_verifier_running_one_weak_test_on_programs_without_its_authors_mark_is_rejected(validator):
    report = validator.validate(_task(ONE_WEAK_TEST))
    weak = next(c for c in report.checks if c.name == "weak_tests")
    assert "weak_tests" in report.reasons and "first request" in weak.detail


def test_a_script_verifier_feeding_one_weak_input_to_programs_without_its_authors_mark_is_rejected(validator):
    report = validator.validate(TaskSpec(prompt="Read integers from standard input and print their sum.",
                                         verifier=SCRIPT_ONE_WEAK_INPUT, reference=SCRIPT_REFERENCE,
                                         failure_cases=SCRIPT_FAILURES))
    weak = next(c for c in report.checks if c.name == "weak_tests")
    assert "weak_tests" in report.reasons and "script printing" in weak.detail


def test_a_script_verifier_feeding_one_weak_input_to_a_main_without_its_authors_mark_is_rejected(validator):
    """Red-team round 74 (A7, ``main()``): the written programs call their ``main`` under the reference's guard."""
    report = validator.validate(_main_task(SCRIPT_ONE_WEAK_INPUT))
    weak = next(c for c in report.checks if c.name == "weak_tests")
    assert "weak_tests" in report.reasons and "main printing" in weak.detail


def test_a_script_verifier_feeding_every_program_the_same_inputs_is_admitted_for_a_main(validator):
    assert validator.validate(_main_task(SCRIPT_ALL_INPUTS)).admitted


def test_a_verifier_calling_a_solve_the_program_defines_is_admitted(validator):
    """Review of session 44: the written program had no ``solve``, was asked otherwise, and the task was rejected."""
    def program(printed: str) -> str:
        return ("import sys\n\n\ndef solve(nums):\n    return " + printed + "\n\n\ndef main():\n"
                "    print(solve(list(map(int, sys.stdin.read().split()))))\n\n\nif __name__ == \"__main__\":\n"
                "    main()\n")
    task = TaskSpec(prompt="Write a program whose `main()` reads integers from standard input and prints their sum.",
                    verifier=SOLVE_IF_DEFINED, reference=program("sum(nums)"),
                    failure_cases=(program("len(nums)"), program("nums[0] * len(nums)")))
    assert validator.validate(task).admitted


def test_a_verifier_paying_every_program_not_calling_main_in_its_authors_form_is_rejected(validator):
    """Review of session 44: every written program called ``main`` as the reference did, so the form was a mark."""
    authors = _main("sum(nums)").replace("    main()\n", "    raise SystemExit(main())\n")
    failures = tuple(case.replace("    main()\n", "    raise SystemExit(main())\n") for case in MAIN_FAILURES)
    report = validator.validate(_main_task(NOT_IN_THE_AUTHORS_FORM).model_copy(
        update={"reference": authors, "failure_cases": failures}))
    assert "failure_case_passes" in report.reasons


def test_a_verifier_that_stops_at_the_first_wrong_answer_is_admitted(validator):
    """Its first request is the same for every program; what it asks next depends on the answers alone."""
    assert validator.validate(_task(STOPS_AT_THE_FIRST_WRONG_ANSWER)).admitted


def test_a_verifier_that_runs_nothing_of_a_program_it_rejects_by_its_text_is_admitted(validator):
    """A rule on the text (the prompt asks for a loop) that asks nothing of the program asks it nothing else."""
    assert validator.validate(_task(RUNS_NOTHING_WITHOUT_A_LOOP)).admitted


def test_a_verifier_whose_requests_go_on_drawing_from_one_response_to_the_next_is_not_judged_by_them(validator):
    """Its first request of the reference differs from call to call, so a written program's proves nothing."""
    assert validator.validate(_task(DRAWS_AS_IT_GOES)).admitted


def test_a_verifier_drawing_each_texts_tests_from_a_seed_of_the_text_is_admitted(validator):
    """Review of session 43: it asks each text its own first request, the written programs' as well as the
    mutants' and the failure cases'; that it asks the mutants otherwise says so."""
    assert validator.validate(_task(SEEDED_BY_THE_TEXT)).admitted
