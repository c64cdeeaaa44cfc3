"""A verifier process remembers the runs of ``run_response`` it made while scoring a response, for that response only.

Why it exists: validation scores every probe twice in one process, and a training group often holds the same
completion twice; the second response process only repeated the first. What must hold, through the real bwrap
sandbox: the same request for the same scored text in a later call is answered alike without another process, with
fresh objects; within one call every run is new; nothing remembered ever serves another scored text (code no process
checked for it still raises ``NotTheResponse``); and a run that did not complete is run again.
"""
from __future__ import annotations

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

LIMITS = Limits(wall_s=5.0, cpu_s=5.0, max_processes=32, memory_mb=256, scratch_mb=16)
TOTAL = "def total(xs):\n    return sum(xs)\n"

AGAIN_WITHOUT_A_PROCESS = '''import envsynth_sandbox
from envsynth_sandbox import run_response
FIRST = []
def verify(response):
    calls = [("total", [[1, 2]]), ("pairs", [])]
    if not FIRST:
        FIRST.append(run_response(response, calls=calls, timeout=1.0))
        FIRST[0].calls[1].value.append("changed by the verifier")
        return 1.0
    def refuse(timeout_ms):
        raise AssertionError("a second process was asked for")
    envsynth_sandbox._start = refuse
    again = run_response(response, calls=calls, timeout=1.0)
    fresh = again.calls[1].value == [[1, 2]] and again.calls[0] is not FIRST[0].calls[0]
    if fresh and again.calls[0] == FIRST[0].calls[0] and again.outcome == FIRST[0].outcome == "completed":
        return 1.0
    raise AssertionError(repr((FIRST[0], again)))
'''
TOTAL_AND_PAIRS = TOTAL + "def pairs():\n    return [(1, 2)]\n"


def test_the_same_request_for_the_same_response_in_a_later_call_is_answered_alike_without_a_process():
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        results = pool.score(AGAIN_WITHOUT_A_PROCESS, [TOTAL_AND_PAIRS, TOTAL_AND_PAIRS])
    assert [r.score for r in results] == [1.0, 1.0], [r.detail for r in results]


COUNTED_RUNS = '''import envsynth_sandbox
from envsynth_sandbox import run_response
def runs(count, response, calls, timeout):
    """``count`` runs of one request, and how many response processes they asked for."""
    started = []
    real = envsynth_sandbox._start
    def counted(timeout_ms):
        started.append(timeout_ms)
        return real(timeout_ms)
    envsynth_sandbox._start = counted
    try:
        return [run_response(response, calls=calls, timeout=timeout) for _ in range(count)], len(started)
    finally:
        envsynth_sandbox._start = real
'''
"""A verifier's helper: runs of one request, counting the response processes asked for."""
NEW_RUN_EACH_TIME = COUNTED_RUNS + '''def verify(response):
    done, started = runs(3, response, [("total", [[1, 2]])], 1.0)
    return 1.0 if started == 3 and all(run.calls[0].value == 3 for run in done) else 0.0
'''


def test_a_verifier_that_runs_a_request_again_within_one_call_gets_a_new_run_each_time():
    """Red-team round 38: served from the first run, a response that passed by the clock's parity beat a check
    that asked for eight passing runs in 23 of 48 calls."""
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        result = pool.score(NEW_RUN_EACH_TIME, [TOTAL])[0]
    assert result.score == 1.0, result.detail


CARRIED_OVER = '''from envsynth_sandbox import NotTheResponse, run_response
KEPT = []
def verify(response):
    if not KEPT:
        KEPT.append(response)
        return 1.0 if run_response(response, calls=[("total", [[2]])], timeout=1.0).calls[0].ok else 0.0
    try:
        run_response(KEPT[0], calls=[("total", [[2]])], timeout=1.0)
    except NotTheResponse:
        return 1.0
    return 0.0
'''


def test_a_run_remembered_for_one_response_never_serves_another():
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        results = pool.score(CARRIED_OVER, [TOTAL, "The answer is 2."])
    assert [r.score for r in results] == [1.0, 1.0], [r.detail for r in results]


RAN_AGAIN = COUNTED_RUNS + '''def verify(response):
    done, started = runs(1, response, [("spin", [])], 0.2)
    return 1.0 if started and done[0].outcome == "timeout" else 0.0
'''


def test_a_run_that_did_not_complete_is_run_again_in_a_later_call():
    spin = "def spin():\n    while True:\n        pass\n"
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        results = pool.score(RAN_AGAIN, [spin, spin])
    assert [r.score for r in results] == [1.0, 1.0], [r.detail for r in results]


EACH_RUN_ONCE_A_CALL = COUNTED_RUNS + '''SEEN = []
def verify(response):
    done, started = runs(3 if not SEEN else 5, response, [("ident", [])], 1.0)
    SEEN.append(([run.calls[0].value for run in done], started))
    if len(SEEN) < 3:
        return 1.0
    (first, made1), (second, made2), (third, made3) = SEEN
    if (made1, made2, made3) == (3, 2, 0) and len(set(second)) == 5 and second[:3] == first and third == second:
        return 1.0
    raise AssertionError(repr(SEEN))
'''


def test_a_later_call_gets_each_run_made_at_most_once_and_new_runs_past_them():
    """Red-team round 41: a later call was served the first run for every repeat of a request, so a response that
    passed by a coin's toss beat an honest eight-run check in 29 of 48 second copies (1 of 48 first copies). Now
    the k-th repeat in any call gets the k-th run made, and the repeats past those are new processes."""
    ident = "import os\ndef ident():\n    return os.urandom(8).hex()\n"
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        results = pool.score(EACH_RUN_ONCE_A_CALL, [ident, ident, ident])
    assert [r.score for r in results] == [1.0, 1.0, 1.0], [r.detail for r in results]
