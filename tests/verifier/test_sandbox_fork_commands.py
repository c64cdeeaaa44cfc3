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
# Through the real primitive: a thread runs the killer with ``run_response``; the verifier hands every descriptor it
# holds (the response's status pipe among them) to the response over an abstract socket, so the response keeps its
# own status pipe open, and returns while the run goes on. A verifier has no /proc/self/fd: it finds its descriptors
# by probing every number below its RLIMIT_NOFILE with fstat, and crashes (failing the test) unless it finds the
# pipes ``run_response`` opened, which it did not hold before. Since task code may bind no socket name (red-team
# round 13), the handoff has no rendezvous left, and the verifier returns at once.
HANDOFF = '''import os, resource, socket, threading
from envsynth_sandbox import run_response
KILLER = """import array, os, socket, time
with socket.socket(socket.AF_UNIX) as link:
    for _ in range(200):
        try:
            link.connect("\\\\0envsynth-handoff")
            break
        except OSError:
            time.sleep(0.01)
    kept = socket.recv_fds(link, 16, 64)[1]
while True:
    try:
        os.kill(-1, 9)
    except OSError:
        pass
    time.sleep(0.001)
"""
def verify(response):
    with socket.socket(socket.AF_UNIX) as server:
        try:
            server.bind("\\0envsynth-handoff")
        except PermissionError:  # task code may bind no name (round 13): no way left to reach the response
            return 0.0
        server.listen(1)
        before = _held()
        threading.Thread(target=run_response, args=(KILLER,), kwargs={"timeout": 4.9}, daemon=True).start()
        link, _ = server.accept()
        fds = [fd for fd in _held() if fd != link.fileno()]
        if not set(fds) - before:
            raise AssertionError("the response's pipes were not found")
        socket.send_fds(link, [b"x"], fds)
        link.close()
    return 0.0
def _held():
    return {fd for fd in range(3, min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], 4096)) if _alive(fd)}
def _alive(fd):
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False
'''
HONEST = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("f", [])], timeout=3.0)
    return 1.0 if run.outcome == "completed" and run.calls[0].value == 7 else 0.0
'''
SLEEPS = "import time\ndef f():\n    time.sleep(0.5)\n    return 7\n"
ALONE = '''import os
def verify(response):
    return 1.0 if sorted(os.listdir("/scratch")) == [os.path.basename(os.getcwd())] else 0.0
'''


@pytest.mark.parametrize("attack", [FORGER, HANDOFF], ids=["forged-command", "status-pipe-handed-over"])
def test_a_verifiers_response_cannot_end_a_later_groups_response(pool, attack):
    assert pool.score(attack, ["attack"])[0].outcome.value == "scored"
    result = pool.score(HONEST, [SLEEPS])[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0), result.detail


def test_no_response_process_outlives_its_verifiers_group(pool):
    assert pool.score(FORGER, ["forge"])[0].outcome.value == "scored"
    assert pool.score(ALONE, ["next task"])[0].score == 1.0
