"""A verifier process remembers the runs of ``run_response`` it made while scoring a response, for that response only.

Why it exists: validation scores every probe twice in one process, and a training group often holds the same
completion twice; the second response process only repeated the first. What must hold, through the real bwrap
sandbox: the same request for the same scored text is answered alike without another process, with fresh objects;
nothing remembered ever serves another scored text (code no process checked for it still raises
``NotTheResponse``); and a run that did not complete is run again.
"""

from __future__ import annotations

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

LIMITS = Limits(wall_s=5.0, cpu_s=5.0, max_processes=32, memory_mb=256, scratch_mb=16)
TOTAL = "def total(xs):\n    return sum(xs)\n"

AGAIN_WITHOUT_A_PROCESS = '''import envsynth_sandbox
from envsynth_sandbox import run_response
def verify(response):
    first = run_response(response, calls=[("total", [[1, 2]])], timeout=1.0)
    first.calls[0].value  # an int: nothing to change; a list below
    listed = run_response(response, calls=[("total", [[3]]), ("total", [[4, 5]])], timeout=1.0)
    def refuse(timeout_ms):
        raise AssertionError("a second process was asked for")
    envsynth_sandbox._start = refuse
    again = run_response(response, calls=[("total", [[1, 2]])], timeout=1.0)
    listed_again = run_response(response, calls=[("total", [[3]]), ("total", [[4, 5]])], timeout=1.0)
    fresh = listed_again.calls is not listed.calls and again.calls[0] is not first.calls[0]
    if again == first and listed_again == listed and fresh and first.calls[0].value == 3:
        return 1.0
    raise AssertionError(repr((first, again)))
'''


def test_the_same_request_for_the_same_response_is_answered_alike_without_a_second_process():
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        result = pool.score(AGAIN_WITHOUT_A_PROCESS, [TOTAL])[0]
    assert result.score == 1.0, result.detail


FRESH_VALUES = '''from envsynth_sandbox import run_response
def verify(response):
    first = run_response(response, calls=[("pairs", [])], timeout=1.0)
    first.calls[0].value.append("changed by the verifier")
    again = run_response(response, calls=[("pairs", [])], timeout=1.0)
    return 1.0 if again.calls[0].value == [[1, 2], [3, 4]] else 0.0
'''


def test_a_remembered_run_hands_out_values_the_verifier_has_not_changed():
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        result = pool.score(FRESH_VALUES, ["def pairs():\n    return [(1, 2), (3, 4)]\n"])[0]
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


RAN_AGAIN = '''import envsynth_sandbox
from envsynth_sandbox import run_response
def verify(response):
    started = []
    real = envsynth_sandbox._start
    def counted(timeout_ms):
        started.append(timeout_ms)
        return real(timeout_ms)
    envsynth_sandbox._start = counted
    try:
        runs = [run_response(response, calls=[("spin", [])], timeout=0.2) for _ in range(2)]
    finally:
        envsynth_sandbox._start = real
    return 1.0 if len(started) == 2 and all(run.outcome == "timeout" for run in runs) else 0.0
'''


def test_a_run_that_did_not_complete_is_run_again():
    with open_pool("bwrap", workers=1, limits=LIMITS) as pool:
        result = pool.score(RAN_AGAIN, ["def spin():\n    while True:\n        pass\n"])[0]
    assert result.score == 1.0, result.detail
