"""Adversarial suite for issue 16 (the worker's shared network namespace), through the real default backend (bwrap).

A worker's network namespace lives as long as the worker, so its loopback was a place where one group left a trace
for the next: packet counters that only grow (a channel between tasks, and a count telling a long-lived training
worker from validation's fresh ones) and ports left in TIME_WAIT (a later ``bind`` fails). No verifier or response
process can open an internet socket, so the loopback never carries a packet; ``AF_UNIX`` sockets still work.
"""

from __future__ import annotations

import platform

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool

pytestmark = [pytest.mark.sandbox,  # needs bubblewrap and root
              pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is built for x86_64 only")]

TRAFFIC = '''import socket
def verify(response):
    """Send what it can over the loopback; the score says how many families let it open a socket."""
    opened = 0
    for family, address in ((socket.AF_INET, ("127.0.0.1", 0)), (socket.AF_INET6, ("::1", 0))):
        try:
            server = socket.socket(family, socket.SOCK_DGRAM)
        except OSError:
            continue
        opened += 1
        server.bind(address)
        sender = socket.socket(family, socket.SOCK_DGRAM)
        for _ in range(100):
            sender.sendto(b"x" * 1000, server.getsockname())
    return opened / 2
'''
COUNTERS = '''def verify(response):
    """1.0 when the loopback has never carried a byte (every counter of /proc/net/dev's lo row is zero)."""
    with open("/proc/net/dev") as f:
        row = next(line for line in f if line.strip().startswith("lo:"))
    return 1.0 if all(int(field) == 0 for field in row.split(":", 1)[1].split()) else 0.0
'''
FAMILIES = '''import errno, socket
def verify(response):
    refused = []
    for family in (socket.AF_INET, socket.AF_INET6, socket.AF_NETLINK, socket.AF_PACKET):
        try:
            socket.socket(family, socket.SOCK_DGRAM).close()
        except OSError as exc:
            refused.append(exc.errno == errno.EAFNOSUPPORT)
    return 1.0 if refused == [True] * 4 else 0.0
'''
UNIX = '''import socket
def verify(response):
    a, b = socket.socketpair()
    a.sendall(response.encode())
    return 1.0 if b.recv(64) == response.encode() else 0.0
'''
RUN_RESPONSE_TRAFFIC = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("send", [])], timeout=1.0)
    return 1.0 if run.calls[0].ok and run.calls[0].value == "refused" else 0.0
'''
SENDER = '''import socket
def send():
    try:
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    except OSError:
        return "refused"
    s.sendto(b"x" * 1000, ("127.0.0.1", 9))
    return "sent"
'''


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits()) as opened:
        yield opened


def test_no_verifier_can_open_an_internet_socket(pool):
    assert [r.score for r in pool.score(FAMILIES, ["x"])] == [1.0]


def test_the_loopback_counts_nothing_a_previous_group_sent(pool):
    sent = pool.score(TRAFFIC, ["x"])
    assert [(r.outcome, r.score) for r in sent] == [(Outcome.SCORED, 0.0)]
    assert [r.score for r in pool.score(COUNTERS, ["x"])] == [1.0]


def test_no_response_process_can_open_an_internet_socket(pool):
    assert [r.score for r in pool.score(RUN_RESPONSE_TRAFFIC, [SENDER])] == [1.0]
    assert [r.score for r in pool.score(COUNTERS, ["x"])] == [1.0]


def test_unix_sockets_still_work(pool):
    assert [r.score for r in pool.score(UNIX, ["hello"])] == [1.0]
