"""``envsynth_sandbox``: run response code from inside a verifier, in a process of its own. Import it as
``from envsynth_sandbox import run_response`` (the sandbox provides the module; it exists nowhere else).

Why: response code that a verifier ``exec``s runs with the verifier's powers: it can walk ``sys._getframe()`` up to
the harness, return an object whose ``__eq__`` is always true, patch builtins the verifier uses, or end the whole
call with ``SystemExit``. :func:`run_response` runs the code in a fresh process forked from the sandbox's clean
image (not from the verifier: it shares no memory with it), under its own uid, rlimits, seccomp and working
directory, and hands back only plain JSON values: what each named call returned or raised, and its stdout. The
verifier compares those values; nothing of the response ever runs in the verifier's process.

    from envsynth_sandbox import plain, run_response

    CASES = [([1, 2, 3], 6), ([], 0)]

    def verify(response: str) -> float:
        run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
        passed = sum(call.ok and call.value == plain(want) for call, (_, want) in zip(run.calls, CASES))
        return passed / len(CASES)

``run.calls`` always has one :class:`CallResult` per requested call (a call the response never reached, because
it timed out, crashed or exited, fails with ``error.type`` ``Timeout``/``Crashed``/``NoResult``); ``run.outcome``
is ``completed``, ``timeout`` or ``crashed``. Values are plain: tuples come back as lists, sets as
``{"$set": [...]}`` and a dict key that starts with ``$`` with one more ``$`` (so the dict ``{"$set": [1]}`` never
equals the set ``{1}``) — compare with ``plain(expected)``. Anything else (an object, a generator, a value nested
more than 64 levels) fails its call with ``error.type`` ``UnserializableResult``. Arguments must be plain JSON values too.

``code`` must be part of the response being scored: the response itself, a stretch of it (fences, a prefix or a
suffix cut), or whole lines of it in their order (two fenced blocks joined), whitespace aside. Anything else (code
the verifier wrote, or the response with code added) raises :class:`NotTheResponse`: the response process refuses
to run it, before any of it runs. Why: in
a response process code runs without the checks a verifier's own code passes, so a verifier could read the real
clock or the host there and behave in training as it never did in validation.
"""

import fcntl
import itertools
import json
import os
import select
import socket
import struct
import time

from verifier.sandbox.zygote.foreseen import foreseen as _foreseen
from verifier.sandbox.zygote.response_results import (OUTPUT_CAP, RESULT_CAP, CallResult, NotTheResponse,
                                                      ResponseError, ResponseRun, assemble, failed)

__all__ = ["CallResult", "NotTheResponse", "ResponseError", "ResponseRun", "plain", "run_response"]

CHANNEL_FD = 4
SLACK_S = 2.0
CALL_WALL_S = 600.0
"""The wall limit of the ``verify`` call this process serves; the sandbox sets it (``child_main``) before the
verifier loads. :func:`run_response` keeps its timeout plus its slack inside it, so an honest verifier is never
killed for waiting on its own response."""
DRAIN_S = 0.005
PIPE_SIZE = 1 << 20
_MESSAGE = struct.Struct("=cI")


def plain(value):
    """``value`` as the response's results carry it: tuples as lists, sets as ``{"$set": [...]}``, a dict key that
    starts with ``$`` with one more (the same rule as the response process's ``escape_key``)."""
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):  # the response's own side refuses them too
            raise TypeError("a dict with keys other than str is not a plain value (no result can carry one): "
                            "use str keys")
        return {"$" + key if key.startswith("$") else key: plain(item) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((plain(item) for item in value), key=json.dumps)}
    return value


def run_response(code, calls=(), *, timeout=1.0, stdin=""):
    """Exec ``code`` in a fresh sandboxed process, call each ``(name, args)`` or ``(name, args, kwargs)`` in
    order, and return a :class:`ResponseRun`. ``timeout`` (seconds) covers the whole run; it is capped so that it
    and the time to collect the result fit in the verify call's own wall limit (``wall_s - 2 * slack``, slack
    being ``min(2 s, wall_s / 4)``: 2.5 s under the default 5 s). The default, 1 s, leaves a call that ran into
    it room within validation's 2 s budget for a ``verify`` call: at 2 s, the default, every task with a failure
    case that loops was rejected as ``timeout`` (helper review, round 28). Raises TypeError/ValueError only for a
    bad request from the verifier itself, and :class:`NotTheResponse` for code that is not part of the response."""
    wanted = [_call(item) for item in calls]
    longest, slack = run_limits()
    timeout = min(float(timeout), longest)
    foreseen = _foreseen(str(code), wanted)
    if foreseen is not None:  # the text alone decides what a process would report: none is started
        return foreseen
    request = json.dumps({"code": str(code), "calls": wanted, "stdin": str(stdin)}).encode("utf-8", "surrogatepass")
    timeout_ms = max(1, min(int(timeout * 1000), 3_600_000))
    key = (_SCORING[0], request, timeout_ms)
    remembered = len(request) <= REMEMBERED_BYTES  # (a larger one is never kept: nor is it counted)
    # this call's turn-th run of the request (atomic, for a verifier's threads too); 0: not counted
    turn = next(_USED.setdefault(key, itertools.count(1))) if remembered else 0
    kept = _RAN.get(key, ()) if remembered else ()
    raw = kept[turn - 1] if 0 < turn <= len(kept) else None
    if raw is None:
        ends = _start(timeout_ms)
        if ends is None:
            return failed(len(wanted), "crashed", "the sandbox could not start a response process")
        request_w, results_r, output_r, status_r = ends
        try:
            _send(request_w, request)  # (closes it: each end is closed once, as another thread may reuse its number)
            raw = _collect(results_r, output_r, status_r, time.monotonic() + timeout + slack)
        finally:
            for fd in ends[1:]:
                _close(fd)
    run = assemble(len(wanted), *raw)
    if turn > len(kept) and run.outcome == "completed":
        _remember(key, raw, turn)
    if run.load_error is not None and run.load_error.type == "NotTheResponse":
        raise NotTheResponse(run.load_error.message)
    return run


def run_limits():
    """``(longest, slack)``: the longest timeout :func:`run_response` gives a run (``wall_s - 2 * slack``), and the
    slack it keeps for collecting a run's result (``min(2 s, wall_s / 4)``), under this verify call's wall limit.
    Why a function: the sandbox's own checking verifiers (``verifier.decoy_check``) plan their runs by the same
    bounds, read when called (the sandbox sets ``CALL_WALL_S`` before the verifier loads)."""
    slack = min(SLACK_S, CALL_WALL_S / 4)
    return CALL_WALL_S - 2 * slack, slack


def scoring(text):
    """Called by the sandbox before each ``verify`` call with the response it scores (the text a response process
    checks code against): the runs remembered for a text serve only later calls made while scoring that same
    text, each run at most once in a call (``_remember``)."""
    _SCORING[0] = text
    _SCORING[1] += 1
    _USED.clear()


def _remember(key, raw, turn):
    """Keep a completed run's raw results for ``key`` (scored text, request, timeout) as the next of its runs, so
    that a later ``verify`` call scoring the same text in this process gets, for its k-th run of the same request,
    the k-th run made, without another process; its runs past those kept are new. So no call is ever handed one run
    twice: a verifier that runs a request several times to catch an answer that passes by luck or timing gets as
    many runs as it asks for, in every call (red-team round 38: served from the first run within a call, a response
    that passed by the clock's parity beat an eight-run check in 23 of 48 calls; round 41: served from the first run
    in a later call, a response that passed by a coin's toss beat it in 29 of 48 second copies, 1 of 48 first).

    Why: validation scores every probe twice in one process (its first run), and a training group often holds the
    same completion more than once; a response process is the largest cost of a HumanEval-sized task, and the
    second process only repeats the first (a response that answers otherwise the second time is caught by the
    determinism runs, which run in processes of their own). The answer is assembled anew from the raw bytes on
    every call, so no object the verifier got (and may have changed) is handed out twice. Nothing here lets a
    verifier run code no process checked: a request is remembered only after a process ran it for that text, and a
    verifier that edits the table only changes the answers it gives itself. Bounded: small runs only, and at most
    :data:`REMEMBERED_RUNS` of them; a run that did not complete ends its request's list (the later ones are new
    every time)."""
    text, request, _ = key
    size = sum(map(len, raw)) + len(request) + (len(text) if isinstance(text, str) else 0)
    kept = _RAN.get(key, ())
    if len(kept) == turn - 1 and size <= REMEMBERED_BYTES and sum(map(len, _RAN.values())) < REMEMBERED_RUNS:
        _RAN[key] = kept + (raw,)


REMEMBERED_RUNS = 64
REMEMBERED_BYTES = 256 << 10
_SCORING = [None, 0]  # the response being scored and the number of its call (``scoring``); one at a time
_RAN = {}  # (scored text, request, timeout ms) -> the raw (results, output, status) of its runs, in order
_USED = {}  # the same key -> a count of the current call's runs of it (``scoring`` clears it)


def _start(timeout_ms):
    """Ask the fork server for a response process; its pipe ends (request to write; results, output and status to
    read), which the server made, or None when it could not start one. The reply comes on a socket made for this
    request alone (``fork_protocol``): nothing another caller left on the shared channel can answer it."""
    try:
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except OSError:
        return None
    try:
        with mine:
            try:
                with socket.socket(fileno=os.dup(CHANNEL_FD)) as channel:
                    socket.send_fds(channel, [_MESSAGE.pack(b"R", timeout_ms)], [theirs.fileno()])
            finally:
                theirs.close()
            reply, fds, flags, _ = socket.recv_fds(mine, 16, 4)
    except (OSError, ValueError):
        return None
    if reply != b"ok" or len(fds) != 4 or flags & socket.MSG_CTRUNC:
        for fd in fds:
            _close(fd)
        return None
    return fds


def _call(item):
    name, args, kwargs = (tuple(item) + ({},))[:3] if len(item) == 2 else tuple(item)
    if not isinstance(name, str) or not isinstance(args, (list, tuple)) or not isinstance(kwargs, dict):
        raise TypeError("each call is (name: str, args: list) or (name, args, kwargs: dict)")
    return [name, list(args), kwargs]


def _send(fd, data):
    """Write ``data`` to the request pipe ``fd``, then close it (always, and only here)."""
    try:
        while data:
            data = data[os.write(fd, data):]
    except OSError:  # the response process is gone before reading all of it: its status says why
        pass
    finally:
        _close(fd)


def _collect(results_r, output_r, status_r, deadline):
    """Read results, output and the watchdog's status line until the status pipe closes (or the deadline).

    Only the status pipe wakes this process; results and output (pipes enlarged to 1 MiB) are drained whenever it
    wakes and at least every few milliseconds, so a response writing a line per call costs no wake-up per line and
    never blocks on a full pipe for long."""
    buffers = {results_r: bytearray(), output_r: bytearray()}
    caps = {results_r: RESULT_CAP, output_r: OUTPUT_CAP}
    for fd in buffers:
        os.set_blocking(fd, False)
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
        except OSError:
            pass
    status = bytearray()
    while time.monotonic() < deadline:
        ready = select.select([status_r], [], [], max(0.0, min(DRAIN_S, deadline - time.monotonic())))[0]
        for fd, buffer in buffers.items():
            _drain(fd, buffer, caps[fd])
        if ready:
            chunk = os.read(status_r, 4096)
            if not chunk:
                break
            status += chunk[:4096]
    for fd, buffer in buffers.items():  # after the status every writer is dead: what is left is buffered
        _drain(fd, buffer, caps[fd])
    return bytes(buffers[results_r]), bytes(buffers[output_r]), bytes(status)


def _drain(fd, buffer, cap):
    """Append what ``fd`` holds now to ``buffer`` up to ``cap`` (the rest is read and dropped)."""
    while True:
        try:
            chunk = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        if not chunk:
            return
        if len(buffer) < cap:
            buffer += chunk[:cap - len(buffer)]


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass
