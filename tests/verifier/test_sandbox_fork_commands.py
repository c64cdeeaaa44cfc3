"""The fork server obeys a verifier only as far as ``run_response`` needs (issue 16 follow-up, hole 1), through the
real default backend (bwrap).

A verifier process holds the channel to the fork server. Whatever it sends there, a response process it starts
never outlives the verifier's group, so it can neither end nor watch a later group's responses, and it gets no
descriptor the verifier chose (the server makes the response's pipes itself).
"""

from __future__ import annotations

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

LIMITS = Limits(wall_s=5.0, cpu_s=5.0, max_processes=32, memory_mb=256, scratch_mb=32)


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=LIMITS) as opened:
        yield opened


# A raw fork command with descriptors of the verifier's choosing: the response's stdout is the read end of its own
# status pipe, so the watchdog never sees the verifier go; the response then kills every process of its uid.
FORGER = '''import json, os, socket, struct
KILLER = """import os, time
while True:
    try:
        os.kill(-1, 9)
    except OSError:
        pass
    time.sleep(0.001)
"""
def verify(response):
    request_r, request_w = os.pipe()
    results_r, results_w = os.pipe()
    status_r, status_w = os.pipe()
    with socket.socket(fileno=os.dup(4)) as channel:
        socket.send_fds(channel, [struct.pack("=cI", b"R", 4900)], [request_r, results_w, status_r, status_w])
    os.write(request_w, json.dumps({"code": KILLER, "calls": [], "stdin": ""}).encode())
    os.close(request_w)
    return 0.0
'''
HONEST = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response("import time\\ndef f():\\n    time.sleep(0.5)\\n    return 7\\n", calls=[("f", [])], timeout=3.0)
    return 1.0 if run.outcome == "completed" and run.calls[0].value == 7 else 0.0
'''
ALONE = '''import os
def verify(response):
    return 1.0 if sorted(os.listdir("/scratch")) == [os.path.basename(os.getcwd())] else 0.0
'''


def test_a_forged_fork_command_cannot_end_a_later_groups_response(pool):
    assert pool.score(FORGER, ["forge"])[0].outcome.value == "scored"
    result = pool.score(HONEST, ["honest"])[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0), result.detail


def test_no_response_process_outlives_its_verifiers_group(pool):
    assert pool.score(FORGER, ["forge"])[0].outcome.value == "scored"
    assert pool.score(ALONE, ["next task"])[0].score == 1.0
