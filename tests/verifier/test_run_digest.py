"""What a verifier's runs of a response reported is known to the trusted side as a digest, through the real default
backend (bwrap).

Red-team rounds 48 (E3) and 52 (E1): a verifier that runs every program and then pays it by a look no mutation
changes was paid unflagged. Its tell is that it scores two responses whose runs reported the same differently. The
response process reports a digest of its request (without the code), its result lines, stdout and stderr on a pipe
only the fork server holds; the server adds how the process ended and keeps the sum in the text's results slot
(``results_slot``), which the zygote reads when the verifier reports (``ScoreResult.run_digest``).
"""

from __future__ import annotations

import os

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

CALLS = '''from envsynth_sandbox import run_response

def verify(response):
    run_response(response, calls=[("f", [1]), ("f", [2])], timeout=2.0)
    return 1.0 if "while" in response else 0.0
'''
SCRIPT = '''from envsynth_sandbox import run_response

def verify(response):
    run = run_response(response, stdin="3\\n", timeout=2.0)
    return 1.0 if run.stdout.strip() == "9" else 0.0
'''
DOUBLE = "def f(x):\n    return x * 2\n"
TWICE = "def f(x):\n    return x + x\n"
TRIPLE = "def f(x):\n    return x * 3\n"


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0)) as opened:
        yield opened


def _digests(pool, source, texts):
    return [r.run_digest for r in pool.score(source, texts)]


def test_two_programs_whose_runs_report_the_same_have_one_digest(pool):
    double, twice = _digests(pool, CALLS, [DOUBLE, TWICE])
    assert double is not None and double == twice


def test_a_program_that_returns_something_else_has_another_digest(pool):
    double, triple = _digests(pool, CALLS, [DOUBLE, TRIPLE])
    assert double != triple


def test_the_digest_holds_the_request(pool):
    """Two verifiers asking for other calls of the same program see other runs."""
    other = CALLS.replace('("f", [2])', '("f", [3])')
    assert _digests(pool, CALLS, [DOUBLE]) != _digests(pool, other, [DOUBLE])


def test_the_digest_holds_what_a_script_printed_however_it_printed_it(pool):
    square, power, doubled, written = _digests(pool, SCRIPT, [
        "n = int(input())\nprint(n * n)\n", "n = int(input())\nprint(n ** 2)\n", "n = int(input())\nprint(n + n)\n",
        "import sys\nn = int(input())\nsys.stdout.write(str(n * n) + '\\n')\n"])
    assert square is not None and square == power == written != doubled


def test_the_digest_holds_what_went_to_stderr(pool):
    quiet, noisy = _digests(pool, CALLS, [DOUBLE, "import sys\ndef f(x):\n    print('hm', file=sys.stderr)\n"
                                                  "    return x * 2\n"])
    assert quiet != noisy


def test_a_verifier_that_ran_nothing_reports_no_digest(pool):
    looks = "def verify(response):\n    return 1.0 if 'def' in response else 0.0\n"
    assert _digests(pool, looks, [DOUBLE]) == [None]


def test_a_run_killed_before_it_reported_leaves_no_digest(pool):
    short = CALLS.replace("timeout=2.0", "timeout=0.3")
    assert _digests(pool, short, ["def f(x):\n    while True:\n        pass\n"]) == [None]


def test_a_response_that_writes_on_its_digest_pipe_spoils_only_its_own_digest(pool):
    forger = "import os\nos.write(6, bytes(16))\ndef f(x):\n    return x * 2\n"
    forged, honest = _digests(pool, CALLS, [forger, DOUBLE])
    assert forged is None and honest == _digests(pool, CALLS, [TWICE])[0]


def test_a_verifier_that_reports_before_its_run_ended_gets_no_digest(pool):
    hurried = '''import threading
import time
from envsynth_sandbox import run_response

def verify(response):
    threading.Thread(target=run_response, args=(response,), kwargs={"calls": [("f", [1])], "timeout": 2.0},
                     daemon=True).start()
    time.sleep(0.2)  # the run has started (and marked the text), not ended
    return 1.0
'''
    slow = "import time\ntime.sleep(0.5)\ndef f(x):\n    return x\n"
    results = pool.score(hurried, [slow, slow + "\n"])
    assert [(r.ran_response, r.run_digest) for r in results] == [(True, None), (True, None)]


def test_a_repeated_response_served_from_memory_keeps_its_digest(pool):
    first, again = _digests(pool, CALLS, [DOUBLE, DOUBLE])
    assert first is not None and first == again


def test_isolated_responses_get_digests_too():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0, isolate_responses=True)) as isolated:
        double, twice, triple = _digests(isolated, CALLS, [DOUBLE, TWICE, TRIPLE])
    assert double is not None and double == twice != triple


def _report(digest, asked=b'[[], ""]'):
    """What a response process leaves on its digest pipe: its request's record, then its digest."""
    return len(asked).to_bytes(4, "little") + asked + digest


def test_a_late_run_of_an_earlier_text_never_writes_into_a_later_texts_slot(tmp_path):
    """The server adds a run to the slot only while the slot names the text the run was started for."""
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 1, 0), 0)
        stale = results_slot.begin(fd)
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 2, 0), 0)  # the zygote offers text 2
        current = results_slot.begin(fd)
        results_slot.end(fd, current, _report(b"\x01" * 16), "exited", 0)
        results_slot.end(fd, stale, _report(b"\x02" * 16), "exited", 0)
        alone = results_slot.digest(fd, 2)
        assert alone is not None and results_slot.digest(fd, 1) is None
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 3, 0), 0)
        results_slot.end(fd, results_slot.begin(fd), _report(b"\x01" * 16), "exited", 0)
        assert results_slot.digest(fd, 3) == alone
    finally:
        os.close(fd)


def test_runs_that_end_in_another_order_sum_to_one_digest(tmp_path):
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    found = []
    try:
        for number, order in ((1, (b"a" * 16, b"b" * 16)), (2, (b"b" * 16, b"a" * 16))):
            os.pwrite(fd, TEXT_HEADER.pack(0, 0, number, 0), 0)
            runs = [results_slot.begin(fd), results_slot.begin(fd)]
            assert results_slot.digest(fd, number) is None  # runs still going
            for run, report in zip(runs, order):
                results_slot.end(fd, run, _report(report), "exited", 0)
            found.append(results_slot.digest(fd, number))
    finally:
        os.close(fd)
    assert found[0] is not None and found[0] == found[1]
