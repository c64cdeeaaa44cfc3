"""Whether a verifier ran a response is known to the trusted side, through the real default backend (bwrap).

Red-team round 45 (F4): a verifier ran the programs shaped like a failure case and paid every other program without
running it, by its shape alone. Canaries could not reach it (it undid their reshaping). What gives it away is that
it pays programs it never ran, and only the trusted side may say so: a response process marks the text it was
handed before any code of it runs (``response_text.mark_ran``), and the zygote reads the mark when the verifier
reports on that response (``ScoreResult.ran_response``).
"""

from __future__ import annotations

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

SEVEN = "def f():\n    return 7\n"


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0)) as opened:
        yield opened


RUNS = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("f", [])], timeout=2.0)
    return 1.0 if run.calls[0].ok and run.calls[0].value == 7 else 0.0
'''

LOOKS = '''def verify(response):
    return 1.0 if "def f" in response else 0.0
'''

FIRST_ONLY = '''from envsynth_sandbox import run_response
SEEN = []
def verify(response):
    SEEN.append(1)
    if len(SEEN) == 1:
        run_response(response, calls=[("f", [])], timeout=2.0)
    return 1.0
'''

OWN_CODE = '''from envsynth_sandbox import NotTheResponse, run_response
def verify(response):
    try:
        run_response("def f():\\n    return 8\\n", calls=[("f", [])], timeout=2.0)
    except NotTheResponse:
        pass
    return 1.0
'''


def test_a_verifier_that_runs_the_response_is_seen_running_it(pool):
    assert [r.ran_response for r in pool.score(RUNS, [SEVEN, SEVEN.replace("7", "8")])] == [True, True]


def test_a_verifier_that_only_reads_the_response_is_seen_not_running_it(pool):
    result = pool.score(LOOKS, [SEVEN])[0]
    assert (result.score, result.ran_response) == (1.0, False)


def test_each_response_of_a_shared_process_is_marked_on_its_own(pool):
    """One verifier process scores the group in turn: running the first response says nothing of the next."""
    eight, nine = SEVEN.replace("7", "8"), SEVEN.replace("7", "9")
    assert [r.ran_response for r in pool.score(FIRST_ONLY, [SEVEN, eight, nine])] == [True, False, False]


def test_code_refused_as_not_the_response_does_not_count_as_running_it(pool):
    assert pool.score(OWN_CODE, [SEVEN])[0].ran_response is False


FRAGMENT = '''from envsynth_sandbox import run_response
def verify(response):
    run_response(CODE, calls=CALLS, timeout=2.0)
    return 1.0
'''
SCRIPT = "import math\nprint(math.floor(7.5))\n"


def _fragment(code: str, calls: str) -> str:
    return FRAGMENT.replace("CODE", code).replace("CALLS", calls)


def test_a_fragment_that_runs_nothing_of_the_program_is_not_running_it(pool):
    """Red-team round 46: ``run_response("import math")`` (one line of the response) started a process and marked
    the program run, though none of its logic ran."""
    assert pool.score(_fragment("'import math'", "[]"), [SCRIPT])[0].ran_response is False


def test_the_module_with_a_call_to_no_function_of_it_is_not_running_it(pool):
    assert pool.score(_fragment("response", "[('nowhere', [])]"), [SEVEN])[0].ran_response is False


def test_a_script_run_as_a_script_is_running_it(pool):
    assert pool.score(_fragment("response", "[]"), [SCRIPT])[0].ran_response is True


def test_a_call_to_a_name_the_code_assigns_is_running_it(pool):
    assert pool.score(_fragment("response", "[('f', [])]"), ["f = lambda: 7\n"])[0].ran_response is True


def test_a_repeated_response_run_once_counts_as_run_each_time(pool):
    """``run_response`` serves a later call scoring the same text from the run it made (no second process): the
    copy was run all the same, by the same verifier process."""
    assert [r.ran_response for r in pool.score(RUNS, [SEVEN, SEVEN, SEVEN])] == [True, True, True]


def test_isolated_responses_are_marked_too():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0, isolate_responses=True)) as isolated:
        assert [r.ran_response for r in isolated.score(RUNS, [SEVEN, SEVEN])] == [True, True]


def test_a_late_mark_for_an_earlier_text_never_overwrites_a_later_ones(tmp_path):
    """Red-team round 46: a response process slowed between reading text n and marking it wrote n over the mark of
    text n+1, and a response that ran read as not run."""
    import os

    from verifier.sandbox.zygote.fork_protocol import RAN_OFFSET, RAN_SLOT, TEXT_HEADER
    from verifier.sandbox.zygote.response_text import mark_ran

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 2, 0), 0)
        mark_ran(fd, 2)
        mark_ran(fd, 1)  # the stale one, late
        assert RAN_SLOT.unpack(os.pread(fd, RAN_SLOT.size, RAN_OFFSET))[0] == 2
    finally:
        os.close(fd)
