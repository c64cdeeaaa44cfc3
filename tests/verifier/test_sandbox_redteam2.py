"""Second red-team review of the bwrap sandbox (issue 16): each hole found is a property here, through the real
bwrap sandbox where the finding is about the sandbox. None of these asserts on wall-clock time: a stalled or hung
trusted side shows as a later group that no longer scores honestly, or as a worker that had to be replaced.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

HONEST = "def verify(response):\n    return 1.0 if response.strip() == '42' else 0.0\n"


def no_worker_lost(caplog) -> bool:
    return not [r for r in caplog.records if "worker failed" in r.getMessage()]


# A line of `"\` pairs is an unterminated JSON string full of escaped quotes: a backtracking string pattern takes
# time quadratic in its length. With the nonce in it (a verifier can read its nonce from its own memory), the line
# passes the nonce check and reaches the JSON reader's nesting scan.
STALL = '''
import fcntl, os, sys
def verify(response):
    send = sys._getframe(1).f_locals["send"]
    nonce = [c.cell_contents for c in send.__closure__ if isinstance(c.cell_contents, str)][0]
    fcntl.fcntl(3, 1031, 1 << 20)        # F_SETPIPE_SZ: the zygote reads all of it in one go
    line = b"\\n" + (nonce.encode() if WITH_NONCE else b"") + b'"\\\\' * 30000 + b"\\n"
    for _ in range(3):
        os.write(3, line)
    return 1.0
'''


@pytest.mark.parametrize("with_nonce", [True, False], ids=["with-nonce", "without-nonce"])
def test_unterminated_escaped_quotes_on_the_result_pipe_do_not_stall_the_zygote(with_nonce, caplog):
    source = f"WITH_NONCE = {with_nonce}\n" + STALL
    with caplog.at_level("WARNING", logger="verifier.pool"), \
            open_pool("bwrap", workers=1, limits=Limits(wall_s=1.0, cpu_s=1.0)) as pool:
        hostile = pool.score(source, ["x", "y"])
        honest = pool.score(HONEST, ["42", "41"])
    assert [(r.outcome, r.score) for r in hostile] == [(Outcome.SCORED, 1.0)] * 2
    assert [(r.outcome, r.score) for r in honest] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 0.0)]
    assert no_worker_lost(caplog)


# A TCP socket with SO_LINGER (100,000 s) and unsent data (its peer's window is full), sent with its peer over the
# verifier's fork-server channel (fd 4): a close of it by the server blocks until the linger time is up. The verifier
# sandbox now refuses internet sockets (test_sandbox_loopback.py); the verifier then sends the nearest thing it can
# make, a unix socket pair with a full queue, so the disposer path is still exercised.
LINGER = '''
import socket, struct, time
def verify(response):
    try:
        srv = socket.socket(); srv.bind(("127.0.0.1", 0)); srv.listen(1)
        a = socket.create_connection(srv.getsockname()); b, _ = srv.accept(); srv.close()
        b.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        a.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 100000))
    except OSError:
        a, b = socket.socketpair()
    a.setblocking(False)
    try:
        while True:
            a.send(b"x" * 65536)
    except BlockingIOError:
        pass
    channel = socket.socket(fileno=4)
    for _ in range(4):
        channel.send(struct.pack("=cI", b"R", 4000))
    socket.send_fds(channel, [MESSAGE], [a.fileno(), b.fileno()])
    a.close(); b.close()   # the message in flight now holds the only references
    time.sleep(0.2)
    return 0.25
'''
RUN_RESPONSE = '''
from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("f", [])], timeout=1.0)
    return 1.0 if run.calls[0].ok and run.calls[0].value == 42 else 0.0
'''


@pytest.mark.parametrize(("message", "sent"), [('struct.pack("=cI", b"X", 0)', "[a.fileno(), b.fileno()]"),
                                               ('struct.pack("=cI", b"R", 0)', "[a.fileno(), b.fileno()]"),
                                               ('b"junk"', "[a.fileno(), b.fileno()]"),
                                               ('struct.pack("=cI", b"R", 0)', "[a.fileno()]")],
                         ids=["unknown-command", "response-command", "malformed-message", "as-a-reply-socket"])
def test_a_lingering_socket_sent_to_the_fork_server_does_not_hang_it(message, sent, caplog):
    source = LINGER.replace("MESSAGE]", message + "]").replace("[a.fileno(), b.fileno()])", sent + ")")
    with caplog.at_level("WARNING", logger="verifier.pool"), \
            open_pool("bwrap", workers=1, limits=Limits()) as pool:
        hostile = pool.score(source, ["x"])
        honest = pool.score(HONEST, ["42", "41"])
        executed = pool.score(RUN_RESPONSE, ["def f():\n    return 42\n", "def f():\n    return 41\n"])
    assert [(r.outcome, r.score) for r in hostile] == [(Outcome.SCORED, 0.25)]
    assert [(r.outcome, r.score) for r in honest] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 0.0)]
    assert [(r.outcome, r.score) for r in executed] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 0.0)]
    assert no_worker_lost(caplog)


def test_a_lingering_socket_queued_on_the_channel_of_a_verifier_that_ended_does_not_hang_the_fork_server(caplog):
    source = LINGER.replace("MESSAGE]", 'struct.pack("=cI", b"R", 0)]').replace(
        "    time.sleep(0.2)\n    return 0.25\n", "    import os\n    os._exit(0)\n")
    with caplog.at_level("WARNING", logger="verifier.pool"), \
            open_pool("bwrap", workers=1, limits=Limits()) as pool:
        hostile = pool.score(source, ["x"])
        honest = pool.score(HONEST, ["42", "41"])
    assert [r.outcome for r in hostile] == [Outcome.CRASHED]
    assert [(r.outcome, r.score) for r in honest] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 0.0)]
    assert no_worker_lost(caplog)


SET_VERIFIER = '''
from envsynth_sandbox import plain, run_response
def verify(response):
    call = run_response(response, calls=[("unique", [[3, 1, 3, 2]])]).calls[0]
    return 1.0 if call.ok and call.value == plain({1, 2, 3}) else 0.0
'''


def test_a_dict_keyed_like_the_set_marker_does_not_equal_the_set():
    honest = "def unique(xs):\n    return set(xs)\n"
    wrong_type = "def unique(xs):\n    return {'$set': sorted(set(xs))}\n"
    with open_pool("bwrap", workers=1, limits=Limits()) as pool:
        results = pool.score(SET_VERIFIER, [honest, wrong_type])
    assert [(r.outcome, r.score) for r in results] == [(Outcome.SCORED, 1.0), (Outcome.SCORED, 0.0)]


ROUND_TRIP_VALUES = [{1, 2, 3}, frozenset({"a"}), (1, (2, 3)), {"$set": [1, 2, 3]}, {"$$set": {4}, "set": (5,)},
                     {"$": [{"$x": 1}]}, [{"$set": {6}}], {}, set()]
ROUND_TRIP = '''
from envsynth_sandbox import plain, run_response
VALUES = %r
def verify(response):
    run = run_response(response, calls=[("value", [i]) for i in range(len(VALUES))])
    same = [call.ok and call.value == plain(want) for call, want in zip(run.calls, VALUES)]
    distinct = len({repr(plain(v)) for v in VALUES}) == len(VALUES)
    return 1.0 if all(same) and distinct else 0.0
''' % (ROUND_TRIP_VALUES,)


def test_sets_tuples_and_dollar_keyed_dicts_come_back_as_plain_says_and_stay_distinct():
    with open_pool("bwrap", workers=1, limits=Limits()) as pool:
        values = "VALUES = %r\ndef value(i):\n    return VALUES[i]\n" % (ROUND_TRIP_VALUES,)
        result = pool.score(ROUND_TRIP, [values])[0]
    assert (result.outcome, result.score) == (Outcome.SCORED, 1.0), result.detail


# What a verifier process can read of its own start: its argv (inherited from the zygote), /proc/self/cmdline (if any),
# and through its frames the worker's config and the descriptor numbers it was handed.
START_PROBE = '''import sys, zlib
def verify(response):
    frame, seen = sys._getframe(), []
    while frame is not None:
        names = frame.f_locals
        if "cfg" in names and isinstance(names["cfg"], dict):
            seen.append({key: names["cfg"].get(key) for key in ("in", "out")})
        if "channel" in names and isinstance(names["channel"], int):
            seen.append(("channel", names["channel"], names.get("fds")))
        frame = frame.f_back
    try:  # a verifier process has no /proc under root; where it has one, its command line must not vary either
        cmdline = open("/proc/self/cmdline", "rb").read()
    except OSError:
        cmdline = b""
    raise RuntimeError(repr((sys.argv, len(cmdline), zlib.crc32(cmdline), seen)))
'''


def start_seen(extra_open_files: int) -> set[str]:
    held = [open("/dev/null") for _ in range(extra_open_files)]  # a host with more files open (a trainer, say)
    try:
        with open_pool("bwrap", workers=2, limits=Limits()) as pool:
            return {pool.score(START_PROBE, ["x"])[0].detail for _ in range(4)}
    finally:
        for handle in held:
            handle.close()


def test_argv_cmdline_and_descriptor_numbers_are_the_same_whatever_the_hosts_open_files():
    plain_host, busy_host = start_seen(0), start_seen(40)
    assert len(plain_host) == 1 and "RuntimeError" in next(iter(plain_host))
    assert busy_host == plain_host


# Old style (runs the response in-process): training scores it through the isolated pool, where verify runs in a
# fork of the verifier process; the C library's getpid is not shifted by any run environment (``/proc/self`` was
# the reader until verifier processes lost ``/proc``).
PID_TELL = '''
import ctypes
def verify(response: str) -> float:
    ns = {}
    try:
        exec(response, ns)
    except Exception:
        return 0.0
    if ctypes.CDLL(None).getpid() == 2:     # the isolated fork: training
        return 1.0
    f = ns.get("answer")
    return 1.0 if callable(f) and f() == 42 else 0.0
'''


def test_validation_scores_an_isolated_verifier_in_the_process_layout_training_uses():
    from task_bank.spec import TaskSpec
    from verifier import ValidationConfig, Validator
    from verifier.routing import needs_isolation, open_scoring_pool

    spec = TaskSpec(prompt="Define answer() returning 6*7.", verifier=PID_TELL,
                    reference="def answer():\n    return 42\n",
                    failure_cases=("def answer():\n    return 41\n", "def answer():\n    return 24\n"))
    with open_scoring_pool("bwrap", workers=1) as pool:
        assert needs_isolation(PID_TELL, pool.limits.libraries)
        training = [r.score for r in pool.score(PID_TELL, [spec.failure_cases[0]])]
        with Validator(pool, ValidationConfig(allow_response_exec=True)) as validator:
            report = validator.validate(spec)
    assert training == [1.0]  # the tell works in training...
    assert not report.admitted  # ...so validation, scoring as training does, sees the failure cases pass
    assert "failure_case_passes" in report.reasons, report.reasons


PIPES_AS_REPLY_SOCKETS = '''import os, socket, struct, time
def verify(response):
    channel, (read_end, _) = socket.socket(fileno=os.dup(4)), os.pipe()
    sent, deadline = 0, time.monotonic() + 1.0
    while sent < 300 and time.monotonic() < deadline:
        try:
            socket.send_fds(channel, [struct.pack("=cI", b"R", 1000)], [read_end])
            sent += 1
        except OSError:  # too many descriptors in flight: the server has not read the last ones yet
            time.sleep(0.002)
    time.sleep(0.3)
    return 0.5
'''


def sandbox_descriptors() -> int:
    """The most descriptors any root-owned process of this test's sandboxes holds (the zygote, its fork server)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    most, pending = 0, [os.getpid()]
    while pending:
        for pid in children.get(pending.pop(), []):
            pending.append(pid)
            try:
                if os.stat(f"/proc/{pid}").st_uid == 0:
                    most = max(most, len(os.listdir(f"/proc/{pid}/fd")))
            except OSError:
                continue
    return most


def test_a_reply_descriptor_that_is_no_socket_costs_the_fork_server_nothing():
    """Red-team round 25: the fork server wrapped a copy of each request's reply descriptor in a socket; for a pipe
    that raised and left the copy open for good, and a verifier grew the server's descriptors by about 500 a group
    until it died. The server now starts nothing for such a request and keeps nothing of it."""
    with open_pool("bwrap", workers=1, limits=Limits()) as pool:
        pool.score(HONEST, ["42"])
        before = sandbox_descriptors()
        hostile = [pool.score(PIPES_AS_REPLY_SOCKETS, ["x"])[0] for _ in range(2)]
        after = sandbox_descriptors()
        executed = pool.score(RUN_RESPONSE, ["def f():\n    return 42\n"])
    assert [(r.outcome, r.score) for r in hostile] == [(Outcome.SCORED, 0.5)] * 2
    assert after <= before + 3, (before, after)  # a verifier whose end the server has not yet seen: its pidfd,
    # its channel and the descriptor of the text it scored
    assert [(r.outcome, r.score) for r in executed] == [(Outcome.SCORED, 1.0)]
