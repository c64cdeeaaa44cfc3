"""Kernel state a namespace numbers per worker (issue 16 red-team follow-up), through the real bwrap sandbox.

SysV IPC ids come from a sequence per IPC namespace that removing the objects does not reset: while every verifier
process shared the worker's namespace, the id of a new queue told how many objects earlier groups (other tasks) had
made, a channel between tasks and a count that tells a long-lived training worker from a fresh validation one.
Every verifier and response process now gets an IPC namespace of its own from the fork server.
"""

from __future__ import annotations

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

QUEUES = '''import ctypes
libc = ctypes.CDLL(None, use_errno=True)
IPC_PRIVATE, IPC_CREAT, IPC_RMID = 0, 0o1000, 0
def make_and_remove():
    ident = libc.msgget(IPC_PRIVATE, IPC_CREAT | 0o600)
    libc.msgctl(ident, IPC_RMID, None)
    return ident
def verify(response):
    ids = [make_and_remove() for _ in range(int(response))]
    return (ids[-1] % 997) / 997
'''

RESPONSE_QUEUES = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("f", [])], timeout=2.0)
    return (run.calls[0].value % 997) / 997 if run.calls[0].ok else 0.0
'''
RESPONSE_CODE = '''import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def f():
    ident = libc.msgget(0, 0o1000 | 0o600)
    libc.msgctl(ident, 0, None)
    return ident
'''


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=5.0, cpu_s=3.0)) as opened:
        yield opened


def test_a_sysv_ipc_id_does_not_count_the_objects_of_earlier_groups(pool):
    first = pool.score(QUEUES, ["1"])[0]
    pool.score(QUEUES, ["37"])
    after_one = pool.score(QUEUES, ["1"])[0]
    pool.score(QUEUES, ["100"])
    after_two = pool.score(QUEUES, ["1"])[0]
    assert first.outcome.value == "scored"
    assert [after_one.score, after_two.score] == [first.score, first.score]


def test_a_response_process_sysv_ipc_id_does_not_count_its_siblings(pool):
    results = pool.score(RESPONSE_QUEUES, [RESPONSE_CODE] * 4)
    assert [r.outcome.value for r in results] == ["scored"] * 4
    assert len({r.score for r in results}) == 1


def test_a_verifier_cannot_make_an_ipc_namespace_of_its_own(pool):
    """The seccomp filter lets ``CLONE_NEWIPC`` through for the fork server; a verifier has dropped the capability."""
    src = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\ndef verify(r):\n"
           "    pid = libc.syscall(56, 0x08000000 | 17, 0, 0, 0, 0)\n    if pid == 0:\n        os._exit(0)\n"
           "    return 1.0 if pid > 0 else 0.0\n")
    assert pool.score(src, ["r"])[0].score == 0.0
