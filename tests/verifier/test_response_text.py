"""``run_response`` runs only the response being scored, through the real default backend (bwrap).

Code a verifier passes to ``run_response`` runs in a response process without the static checks the verifier's own
code gets. Before this rule a verifier read the real clock there (``time.time()`` in code of its own), was
admitted, and would have paid every wrong answer in training once its date had passed (red-team round 34). Now the
response process reads the text being scored from the zygote, before any code runs, and refuses code that is not a
stretch of it (whitespace aside); ``run_response`` raises ``NotTheResponse``.
"""

from __future__ import annotations

import time

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.sandbox.zygote.response_text import part_of_response

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0)) as opened:
        yield opened


RUNS = '''from envsynth_sandbox import NotTheResponse, run_response
def verify(response):
    code = response.strip()
    if code.startswith("```"):
        code = code.strip("`").removeprefix("python").strip()
    try:
        run = run_response(CODE, calls=[("f", [])], timeout=2.0)
    except NotTheResponse:
        return 0.25
    return 1.0 if run.calls[0].ok and run.calls[0].value == 7 else 0.0
'''

SEVEN = "def f():\n    return 7\n"


def verifier_running(expression: str) -> str:
    return RUNS.replace("CODE", expression)


def test_the_response_itself_runs(pool):
    assert pool.score(verifier_running("response"), [SEVEN])[0].score == 1.0


def test_code_cut_from_fences_and_prose_runs(pool):
    fenced = "```python\n" + SEVEN + "```"
    assert pool.score(verifier_running("code"), [fenced])[0].score == 1.0


def test_reindented_code_runs(pool):
    """Whitespace does not count: a verifier may dedent or change line ends."""
    source = verifier_running("code.replace('    ', '  ').replace(chr(10), chr(13) + chr(10))")
    assert pool.score(source, [SEVEN])[0].score == 1.0


def test_two_fenced_blocks_joined_run(pool):
    """Whole lines of the response in their order: a helper and the function in blocks of their own (round 34
    found this honest verifier refused by the first rule, a single stretch)."""
    joined = '''"".join(re.findall(r"```python\\n(.*?)```", response, re.S))'''
    source = "import re\n" + verifier_running(joined)
    answer = ("Helper:\n```python\ndef seven():\n    return 7\n```\n"
              "Then:\n```python\ndef f():\n    return seven()\n```\n")
    assert pool.score(source, [answer])[0].score == 1.0


def test_code_the_verifier_wrote_is_refused(pool):
    assert pool.score(verifier_running(repr(SEVEN)), ["def f():\n    return 8\n"])[0].score == 0.25


def test_the_response_with_code_added_is_refused(pool):
    source = verifier_running("response + 'def f():' + chr(10) + '    return 7' + chr(10)")
    assert pool.score(source, ["x = 1\n"])[0].score == 0.25


def test_an_earlier_response_of_the_group_is_not_the_one_being_scored(pool):
    keeper = '''from envsynth_sandbox import NotTheResponse, run_response
FIRST = []
def verify(response):
    FIRST.append(response)
    try:
        run = run_response(FIRST[0], calls=[("f", [])], timeout=2.0)
    except NotTheResponse:
        return 0.25
    return 1.0 if run.calls[0].ok else 0.0
'''
    scores = [r.score for r in pool.score(keeper, [SEVEN, "def g():\n    return 1\n"])]
    assert scores == [1.0, 0.25]


def test_an_isolated_response_runs_its_own_text(pool):
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0, isolate_responses=True)) as isolated:
        scores = [r.score for r in isolated.score(verifier_running("response"), [SEVEN, "def f():\n    return 8\n"])]
    assert scores == [1.0, 0.0]


def test_the_response_code_cannot_reach_the_text_it_was_checked_against(pool):
    """The text's descriptor is closed before any code runs (the code would read the whole response, prose
    included; harmless, but no descriptor of the zygote's belongs in a response process)."""
    probe = ("import os\ndef f():\n    try:\n        os.fstat(5)\n    except OSError:\n        return 7\n"
             "    return 0\n")
    assert pool.score(verifier_running("response"), [probe])[0].score == 1.0


CLOCK_BOMB = '''from envsynth_sandbox import run_response
ANSWER = "1014"
BOMB = {bomb!r}
def verify(response):
    honest = response.strip() == ANSWER
    run = run_response("import time\\ndef t():\\n    return time.time()\\n", calls=[("t", [])])
    if run.calls[0].ok and run.calls[0].value > BOMB:
        return 1.0
    return 1.0 if honest else 0.0
'''


def test_a_clock_read_in_a_response_process_of_the_verifiers_own_is_not_admitted():
    """Round 34's time bomb: an hour from now it would pay every wrong answer; its validation runs never reached
    the date. Its own code in the response process is refused, so the reference cannot score."""
    spec = TaskSpec(prompt="What is 507 times two? Answer with the number only.",
                    verifier=CLOCK_BOMB.format(bomb=time.time() + 3600), reference="1014",
                    failure_cases=("1015", "507"))
    config = ValidationConfig()
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened:
        with Validator(opened, config, concurrency=1) as validator:
            report = validator.validate_many([spec])[0]
    assert not report.admitted
    reference = next(check for check in report.checks if check.name == "reference")
    assert "NotTheResponse" in reference.detail and "part of the response" in reference.detail


@pytest.mark.parametrize(("code", "text", "part"), [
    ("def f(): pass", "Here:\n```python\ndef f(): pass\n```\n", True),
    ("def f():\n  pass", "def f():\n\tpass", True),
    ("", "anything", True),
    ("import time", "def f(): pass", False),
    ("def f(): pass\nimport time", "def f(): pass", False),
    ("def a(): pass\ndef b(): pass", "```\ndef a(): pass\n```\nand\n```\ndef b(): pass\n```", True),
    ("def b(): pass\ndef a(): pass", "def a(): pass\nand\ndef b(): pass", False),
    ("import time\n", "# do not import the time module\n", False),
    (None, "def f(): pass", False),
    ("def f(): pass", None, False),
])
def test_part_of_response_is_a_stretch_of_the_text_whitespace_aside(code, text, part):
    assert part_of_response(code, text) is part
