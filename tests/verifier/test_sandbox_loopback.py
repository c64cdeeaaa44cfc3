"""Adversarial suite for issue 16 (the worker's shared network namespace), through the real default backend (bwrap).

A worker's network namespace lives as long as the worker, so its loopback was a place where one group left a trace
for the next: packet counters that only grow (a channel between tasks, and a count telling a long-lived training
worker from validation's fresh ones) and ports left in TIME_WAIT (a later ``bind`` fails). No verifier or response
process can open an internet socket, so the loopback never carries a packet; ``AF_UNIX`` sockets still work. Nor can
any such process read the loopback's counters: it has no ``/proc`` (``/proc/net/dev``), no ``/sys`` and no netlink
socket, so the tests state that no reader is left, and that a previous group's traffic never got a socket.
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
# Every reader of the loopback's counters there was: /proc/net/dev (and /proc/self/net/dev), /sys's statistics, and
# an rtnetlink dump (RTM_GETLINK answers with each link's rtnl_link_stats).
READERS = '''import socket, struct
def readers():
    """The readers of the loopback's counters that answer this process."""
    found = []
    for path in ("/proc/net/dev", "/proc/self/net/dev", "/sys/class/net/lo/statistics/rx_bytes"):
        try:
            with open(path) as f:
                found.append((path, f.read(64)))
        except OSError:
            pass
    try:
        with socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0) as link:  # NETLINK_ROUTE
            link.send(struct.pack("=IHHII", 32, 18, 0x301, 1, 0) + bytes(16))  # RTM_GETLINK, NLM_F_REQUEST|DUMP
            found.append(("netlink", len(link.recv(65536))))
    except OSError:
        pass
    return found
'''
COUNTERS = READERS + '''def verify(response):
    """1.0 when this verifier finds no reader of the loopback's counters, else raising with those it found."""
    if readers():
        raise AssertionError(repr(readers()))
    return 1.0
'''
RESPONSE_COUNTERS = '''from envsynth_sandbox import run_response
def verify(response):
    """1.0 when a response process finds no reader of the loopback's counters."""
    run = run_response(response, calls=[("readers", [])], timeout=1.0)
    return 1.0 if run.calls[0].ok and run.calls[0].value == [] else 0.0
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


def test_the_loopback_readers_find_counters_where_there_are_some():
    """The readers are no empty check: in this test process (the host's /proc and network) they find counters."""
    namespace = {}
    exec(READERS, namespace)
    assert {name for name, _ in namespace["readers"]()} >= {"/proc/net/dev", "netlink"}


def test_the_loopback_counts_nothing_a_previous_group_sent(pool):
    """A previous group gets no internet socket to send with, and a later one no reader of the counters at all."""
    sent = pool.score(TRAFFIC, ["x"])
    assert [(r.outcome, r.score) for r in sent] == [(Outcome.SCORED, 0.0)]
    counted = pool.score(COUNTERS, ["x"])
    assert [r.score for r in counted] == [1.0], counted[0].detail


def test_no_response_process_can_open_an_internet_socket(pool):
    """No response process gets an internet socket, and none can read the counters (no /proc, no netlink)."""
    assert [r.score for r in pool.score(RUN_RESPONSE_TRAFFIC, [SENDER])] == [1.0]
    assert [r.score for r in pool.score(RESPONSE_COUNTERS, [READERS])] == [1.0]
    counted = pool.score(COUNTERS, ["x"])
    assert [r.score for r in counted] == [1.0], counted[0].detail


def test_unix_sockets_still_work(pool):
    assert [r.score for r in pool.score(UNIX, ["hello"])] == [1.0]
