"""Honest tasks that validation used to reject (QA round 21), through the real default backend (bwrap).

Each test is one property an honest verifier or reference relies on: dates are dates in every run, and a response
process is a program as a shell would run it (standard input on descriptor 0, ``__main__`` for a script,
``exit()``). Each was missing once, and the honest task was rejected as unsolvable or nondeterministic.
"""

from __future__ import annotations

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.limits import RunEnv
from verifier.sandbox.zygote.envsynth_sandbox import plain

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=4.0)) as opened:
        yield opened


DATES = '''from datetime import date, datetime
def verify(response):
    day = datetime.strptime(response.strip(), "%Y-%m-%d").date()
    return 1.0 if isinstance(day, date) and repr(date(2024, 3, 15)) == "datetime.date(2024, 3, 15)" else 0.0
'''


def test_a_parsed_date_is_a_date_under_a_shifted_clock(pool):
    """Validation's varied runs shift the clock by replacing ``date`` and ``datetime``: the replacements must still
    be what an honest verifier checks for."""
    scores = [pool.score(DATES, ["2024-03-15"], env)[0].score
              for env in (RunEnv(), RunEnv(clock_offset_s=86_400.0), RunEnv(clock_offset_s=-94_672_800.0))]
    assert scores == [1.0, 1.0, 1.0]


SCRIPT = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, stdin="2 3\\n", timeout=2.0)
    ended = run.load_error is None or run.load_error.type == "SystemExit"  # a program that ends by exit() is fine
    return 1.0 if ended and run.stdout.strip() == "5" else 0.0
'''


@pytest.mark.parametrize("program", [
    "import sys\na, b = map(int, sys.stdin.buffer.read().split())\nprint(a + b)\n",
    "a, b = map(int, open(0).read().split())\nprint(a + b)\n",
    "import os, sys\nprint(sum(map(int, os.read(sys.stdin.fileno(), 100).split())))\n",
    "def main():\n    a, b = map(int, input().split())\n    print(a + b)\n\n\nif __name__ == '__main__':\n    main()\n",
    "a, b = map(int, input().split())\nprint(a + b)\nexit()\nprint('never')\n",
    "a, b = map(int, input().split())\nprint(a + b)\nquit(0)\n",
    "import sys\na, b = map(int, input().split())\nprint('debug:', a, b, file=sys.stderr)\nprint(a + b)\n",
], ids=["stdin-buffer", "open-0", "stdin-fileno", "main-guard", "exit", "quit", "debug-on-stderr"])
def test_a_stdin_program_runs_as_a_shell_would_run_it(pool, program):
    assert pool.score(SCRIPT, [program])[0].score == 1.0


FUNCTION = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("add", [2, 3])], timeout=2.0)
    return 1.0 if run.loaded and run.calls[0].value == 5 else 0.0
'''


def test_a_function_tasks_demo_block_does_not_run():
    """With calls asked for, the code is a module: a ``__main__`` demo block (which would wait on input) stays out."""
    program = "def add(a, b):\n    return a + b\n\n\nif __name__ == '__main__':\n    print(add(int(input()), 1))\n"
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=4.0)) as opened:
        assert opened.score(FUNCTION, [program])[0].score == 1.0


def test_a_stdin_task_is_admitted_by_validation(pool):
    spec = TaskSpec(prompt="Read two integers from stdin and print their sum.", verifier=SCRIPT,
                    reference="def main():\n    a, b = map(int, input().split())\n    print(a + b)\n\n\n"
                              "if __name__ == '__main__':\n    main()\n",
                    failure_cases=("a, b = map(int, input().split())\nprint(a * b)\n",))
    with Validator(pool, ValidationConfig(), concurrency=1) as validator:
        report = validator.validate(spec)
    assert report.admitted, [(c.name, c.detail) for c in report.checks if c.passed is False]


def test_the_verifiers_plain_refuses_what_no_result_can_carry():
    """A dict with int keys never comes back from a response (JSON keys are text): ``plain(expected)`` says so
    instead of comparing unequal in silence."""
    with pytest.raises(TypeError, match="keys other than str"):
        plain({1: "one"})
    assert plain({"$set": [1], "a": (1, 2)}) == {"$$set": [1], "a": [1, 2]}


STDERR = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, stdin="", timeout=2.0)
    return 1.0 if (run.stdout, run.stderr) == ("out\\n", "err\\nraw") else 0.0
'''


def test_stderr_comes_back_apart_from_stdout(pool):
    program = "import os, sys\nprint('err', file=sys.stderr)\nprint('out')\nsys.stderr.flush()\nos.write(2, b'raw')\n"
    assert pool.score(STDERR, [program])[0].score == 1.0


EMPTY_STDIN = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("read", [])], timeout=2.0)
    return 1.0 if run.calls[0].ok and run.calls[0].value == ["", ""] else 0.0
'''


def test_a_run_without_stdin_reads_an_empty_stream_on_descriptor_0(pool):
    program = "import sys\ndef read():\n    return [sys.stdin.buffer.read().decode(), open(0).read()]\n"
    assert pool.score(EMPTY_STDIN, [program])[0].score == 1.0


WHO_AM_I = '''import getpass
def verify(response):
    return float(response == getpass.getuser())
'''


def test_an_honest_verifier_can_ask_who_it_runs_as(pool):
    """``getpass.getuser()`` raised in the sandbox (no passwd entry for its uid); ``USER`` now names it."""
    assert [r.score for r in pool.score(WHO_AM_I, ["sandbox", "root"])] == [1.0, 0.0]


COMPLETED = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, stdin="2 3\\n", timeout=2.0)
    return 1.0 if run.outcome == "completed" and run.loaded and run.stdout.strip() == "5" else 0.0
'''


def test_a_script_that_ends_by_os_exit_zero_completed():
    """Red-team round 27: a script ending ``sys.stdout.flush(); os._exit(0)`` (a fast-exit idiom of judges) printed
    the right answer and was reported crashed, "exited before reporting every call", though it asked for none."""
    program = "import os, sys\na, b = map(int, input().split())\nprint(a + b)\nsys.stdout.flush()\nos._exit(0)\n"
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=4.0)) as pool:
        assert pool.score(COMPLETED, [program])[0].score == 1.0


LINE_ENDINGS = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, stdin="ab\\r\\ncd\\rx\\n", timeout=2.0)
    return 1.0 if run.stdout == repr(["ab\\r", "cd\\rx"]) + "\\n" else 0.0
'''


def test_standard_input_keeps_its_line_endings_as_cpythons_does(pool):
    """Red-team round 27: the response's stdin translated ``\\r\\n`` and a lone ``\\r`` to ``\\n``; CPython's own
    stdin on POSIX keeps them (``newline="\\n"``)."""
    assert pool.score(LINE_ENDINGS, ["print([input(), input()])\n"])[0].score == 1.0


GCD_VERIFIER = '''from envsynth_sandbox import plain, run_response
CASES = [((12, 18), 6), ((7, 5), 1), ((0, 9), 9)]
def verify(response: str) -> float:
    run = run_response(response, calls=[("gcd", [a, b]) for (a, b), _ in CASES])
    return 1.0 if all(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) else 0.0
'''


def test_a_task_whose_failure_case_loops_is_admitted_under_run_responses_default_timeout(pool):
    """The subtraction gcd loops on ``gcd(0, 9)``: its run ends at ``run_response``'s default timeout, and the verify
    call must still return within validation's budget (at a 2 s default it took 2,010 ms and the task was rejected
    as ``timeout``: helper review, round 28)."""
    loops = "def gcd(a, b):\n    while a != b:\n        if a > b:\n            a -= b\n        else:\n            b -= a\n    return a\n"
    spec = TaskSpec(prompt="Write gcd(a, b) returning the greatest common divisor of two non-negative ints.",
                    verifier=GCD_VERIFIER, failure_cases=(loops,),
                    reference="def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n")
    with Validator(pool, ValidationConfig()) as validator:
        report = validator.validate(spec)
    assert report.admitted, [c.detail for c in report.checks if c.passed is False]


GCD_REFERENCE = "def gcd(a, b):\n    while b:\n        a, b = b, a % b\n    return a\n"


def test_a_failure_case_that_floods_its_results_descriptor_costs_its_verifier_no_time(pool):
    """Four million malformed lines on the results descriptor (8 MiB, within the cap): the failure case loses its
    own events, and its honest verifier's call returns at once (each line once cost about 5 us to read, 20 s in
    all, and validation rejected the task as ``timeout``: red-team round 30)."""
    floods = "import os\nos.write(3, b'[\\n' * 4_000_000)\ndef gcd(a, b):\n    return a + b\n"
    scores = pool.score(GCD_VERIFIER, [floods])
    assert (scores[0].outcome.value, scores[0].score) == ("scored", 0.0)  # not past the call's wall limit


def test_a_task_whose_failure_case_floods_its_results_descriptor_is_admitted(pool):
    floods = "import os\nos.write(3, b'[\\n' * 500_000)\ndef gcd(a, b):\n    return a + b\n"
    spec = TaskSpec(prompt="Write gcd(a, b) returning the greatest common divisor of two non-negative ints.",
                    verifier=GCD_VERIFIER, failure_cases=(floods,), reference=GCD_REFERENCE)
    with Validator(pool, ValidationConfig()) as validator:
        report = validator.validate(spec)
    assert report.admitted, [c.detail for c in report.checks if c.passed is False]



DATACLASS_REFERENCE = ("from __future__ import annotations\nfrom dataclasses import dataclass\nimport pickle\n\n\n"
                       "@dataclass\nclass Point:\n    x: int\n    y: int\n\n\n"
                       "def make_point(x, y):\n    p = pickle.loads(pickle.dumps(Point(x, y)))\n    return [p.x, p.y]\n")
POINTS = '''from envsynth_sandbox import run_response
def verify(response: str) -> float:
    if "__main__" in response:  # a script: what it prints
        return float(run_response(response, calls=[]).stdout.strip() == "[1, 2]")
    run = run_response(response, calls=[("make_point", [1, 2])])
    return float(run.calls[0].ok and run.calls[0].value == [1, 2])
'''


@pytest.mark.parametrize("script", [False, True])
def test_a_dataclass_under_postponed_annotations_loads_and_pickles_in_a_response(pool, script):
    """``dataclasses`` and ``pickle`` look a class's module up in ``sys.modules``: the response's module is there,
    as ``__response__`` for calls and ``__main__`` for a script (QA round 30: the reference failed to load)."""
    response = DATACLASS_REFERENCE + ("\nif __name__ == '__main__':\n    print(make_point(1, 2))\n" if script else "")
    scores = pool.score(POINTS, [response])
    assert (scores[0].outcome.value, scores[0].score) == ("scored", 1.0)
