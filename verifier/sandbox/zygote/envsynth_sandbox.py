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
equals the set ``{1}``) — compare with ``plain(expected)``. Arguments must be plain JSON values too.

``code`` must be part of the response being scored: the response itself, a stretch of it (fences, a prefix or a
suffix cut), or whole lines of it in their order (two fenced blocks joined), whitespace aside. Anything else (code
the verifier wrote, or the response with code added) raises :class:`NotTheResponse`: the response process refuses
to run it, before any of it runs. Why: in
a response process code runs without the checks a verifier's own code passes, so a verifier could read the real
clock or the host there and behave in training as it never did in validation.
"""

import builtins
import fcntl
import json
import os
import re
import select
import socket
import struct
import time
import warnings
from dataclasses import dataclass, field

from verifier.sandbox.zygote.plainjson import UnsafeJSON, clean_text, loads

CHANNEL_FD = 4
RESULT_CAP = 8 << 20
EVENT_SLACK = 16
"""Lines of a run's results read past the ones its events need (``_events``)."""
OUTPUT_CAP = 64 << 10
SLACK_S = 2.0
CALL_WALL_S = 600.0
"""The wall limit of the ``verify`` call this process serves; the sandbox sets it (``child_main``) before the
verifier loads. :func:`run_response` keeps its timeout plus its slack inside it, so an honest verifier is never
killed for waiting on its own response."""
DRAIN_S = 0.005
PIPE_SIZE = 1 << 20
_MESSAGE = struct.Struct("=cI")


class NotTheResponse(ValueError):
    """``run_response`` was given code that is not part of the response being scored (see the module's text)."""


@dataclass(frozen=True)
class ResponseError:
    """An exception the response raised (or the reason a call has no result): its type name and message."""

    type: str
    message: str = ""


@dataclass(frozen=True)
class CallResult:
    """One named call: ``ok`` with a plain ``value``, or not ``ok`` with an ``error``."""

    ok: bool
    value: object = None
    error: ResponseError | None = None


@dataclass(frozen=True)
class ResponseRun:
    """Everything :func:`run_response` learned, as plain values."""

    outcome: str
    """``completed`` (the process ran every call and exited), ``timeout`` or ``crashed``."""
    loaded: bool
    """The code executed without raising."""
    load_error: ResponseError | None
    """What executing the code raised (``SystemExit`` included), when it did."""
    calls: tuple = field(default_factory=tuple)
    """One :class:`CallResult` per requested call, in order."""
    stdout: str = ""
    """What the response printed to stdout, at most 64 KiB, undecodable bytes replaced."""
    stderr: str = ""
    """What it wrote to stderr, likewise (lost when the process is killed: read back at its end)."""
    detail: str = ""
    """How the process ended when it did not complete."""


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
    slack = min(SLACK_S, CALL_WALL_S / 4)
    timeout = min(float(timeout), CALL_WALL_S - 2 * slack)
    foreseen = _foreseen(str(code), wanted)
    if foreseen is not None:  # the text alone decides what a process would report: none is started
        return foreseen
    request = json.dumps({"code": str(code), "calls": wanted, "stdin": str(stdin)}).encode("utf-8", "surrogatepass")
    timeout_ms = max(1, min(int(timeout * 1000), 3_600_000))
    key = (_SCORING[0], request, timeout_ms)
    made, raw = _RAN.get(key, (None, None))
    if made == _SCORING[1]:  # remembered in this very call: a verifier that runs a request again wants a new run
        raw = None
    if raw is None:
        ends = _start(timeout_ms)
        if ends is None:
            return _failed(len(wanted), "crashed", "the sandbox could not start a response process")
        request_w, results_r, output_r, status_r = ends
        try:
            _send(request_w, request)  # (closes it: each end is closed once, as another thread may reuse its number)
            raw = _collect(results_r, output_r, status_r, time.monotonic() + timeout + slack)
        finally:
            for fd in ends[1:]:
                _close(fd)
    run = _assemble(len(wanted), *raw)
    if made is None and run.outcome == "completed":
        _remember(key, raw)
    if run.load_error is not None and run.load_error.type == "NotTheResponse":
        raise NotTheResponse(run.load_error.message)
    return run


def _foreseen(code, wanted):
    """The :class:`ResponseRun` a process would report for ``code``, when the text alone decides it; else None.

    Why: a response that is prose, not code (most wrong answers to a coding task, and validation's junk, echo and
    random probes), cost a whole sandboxed process only to fail at its first line. Three cases are certain without
    running anything of the response: code that does not compile (a ``SyntaxError`` or ``ValueError`` with no
    warning on the way; not a recursion or memory error, which depend on this process), code that does nothing
    (empty, comments, a bare constant: the calls find no function), and code that only names one unknown name (a
    bare word: ``NameError`` when executed). The answers are the process's own, field for field (a test compares
    them), so a verifier sees the same run either way, in validation and in training alike.

    Left to the process: code longer than :data:`FORESEEN_CHARS` that does not fail early (:func:`_fails_early`:
    compiling it here would spend the verifier's own time, outside the run's timeout: an f-string of 90 KB took a
    second), code holding surrogate code units (the request's JSON joins a split pair, so the process would compile
    other text), and a bare name longer than 200 UTF-8 bytes (CPython cuts the name in its message there)."""
    if (len(code) > FORESEEN_CHARS and not _fails_early(code)) or _SURROGATE.search(code):
        return None
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        try:
            compiled = compile(code, "<response>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            try:
                message = None if seen else str(exc)
            except Exception:
                message = None
            if message is None:
                return None
            return _load_failed(len(wanted), ResponseError(clean_text(type(exc).__name__, 100),
                                                           clean_text(message, 1000)))
        except Exception:
            return None
    if seen or compiled.co_consts != (None,):
        return None
    if compiled.co_code == _INERT.co_code and not compiled.co_names:
        if any(name in _PRESET_NAMES for name, _, _ in wanted):
            return None
        return ResponseRun(outcome="completed", loaded=True, load_error=None, calls=tuple(
            CallResult(ok=False, error=ResponseError("NameError", clean_text(f"the response defines no {name!r}",
                                                                              1000)))
            for name, _, _ in wanted))
    if compiled.co_code == _BARE_NAME.co_code and len(compiled.co_names) == 1:
        name = compiled.co_names[0]
        if name in _PRESET_NAMES or name in _BUILTIN_NAMES or len(name.encode("utf-8")) > 200:
            return None
        return _load_failed(len(wanted), ResponseError("NameError", clean_text(f"name {name!r} is not defined", 1000)))
    return None


def scoring(text):
    """Called by the sandbox before each ``verify`` call with the response it scores (the text a response process
    checks code against): the runs remembered for a text serve only later calls made while scoring that same
    text."""
    _SCORING[0] = text
    _SCORING[1] += 1


def _remember(key, raw):
    """Keep a completed run's raw results for ``key`` (scored text, request, timeout), so that the same request
    in a later ``verify`` call scoring the same text in this process gets the same answer without another process.
    Never in the same call: a verifier that runs a request several times to catch an answer that passes by luck or
    timing gets a new run each time (red-team round 38: served from the first run, a response that passed by the
    clock's parity beat an eight-run check in 23 of 48 calls, 0 of 48 with new runs).

    Why: validation scores every probe twice in one process (its first run), and a training group often holds the
    same completion more than once; a response process is the largest cost of a HumanEval-sized task, and the
    second process only repeats the first (a response that answers otherwise the second time is caught by the
    determinism runs, which run in processes of their own). The answer is assembled anew from the raw bytes on
    every call, so no object the verifier got (and may have changed) is handed out twice. Nothing here lets a
    verifier run code no process checked: a request is remembered only after a process ran it for that text, and a
    verifier that edits the table only changes the answers it gives itself. Bounded: small runs only, and at most
    :data:`REMEMBERED_RUNS` of them."""
    text, request, _ = key
    size = sum(map(len, raw)) + len(request) + (len(text) if isinstance(text, str) else 0)
    if size <= REMEMBERED_BYTES and len(_RAN) < REMEMBERED_RUNS:
        _RAN[key] = (_SCORING[1], raw)


REMEMBERED_RUNS = 64
REMEMBERED_BYTES = 256 << 10
_SCORING = [None, 0]  # the response being scored and the number of its call (``scoring``); one at a time
_RAN = {}  # (scored text, request, timeout ms) -> (call, (results, output, status)): ``_remember``


def _fails_early(code):
    """Whether compiling the whole of ``code`` (at most :data:`FORESEEN_LONG_CHARS`) is certain to be cheap: its first
    :data:`PREFIX_CHARS` characters fail to parse with CPython's generic ``invalid syntax`` at a token of the first
    line that lies well before the cut. That message names the furthest token the parser read, so the parser never
    looked past it, and on the whole text it reads the same tokens and fails at the same place; what is left is the
    tokenizer's pass over the rest (linear, about 10 us a kilobyte here). Only the cost is decided here: the answer
    still comes from compiling the whole text. Why: validation's junk probe (20,000 characters of words and numbers)
    cost a response process in every run, only to fail at its second word."""
    if len(code) > FORESEEN_LONG_CHARS:
        return False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(code[:PREFIX_CHARS], "<response>", "exec", dont_inherit=True)
        except SyntaxError as exc:
            return exc.msg == "invalid syntax" and exc.lineno == 1 and 0 < (exc.offset or 0) <= PREFIX_CHARS // 2
        except Exception:
            return False
    return False


def _load_failed(count, error):
    return ResponseRun(outcome="completed", loaded=False, load_error=error, calls=tuple(
        CallResult(ok=False, error=ResponseError("NoResult")) for _ in range(count)))


FORESEEN_CHARS = 16_384
FORESEEN_LONG_CHARS = 256 << 10
PREFIX_CHARS = 2_048
_SURROGATE = re.compile("[\ud800-\udfff]")
_INERT = compile("", "<response>", "exec", dont_inherit=True)
_BARE_NAME = compile("name", "<response>", "exec", dont_inherit=True)
_PRESET_NAMES = frozenset({"__name__", "__builtins__"})  # what the response process's namespace starts with
_BUILTIN_NAMES = frozenset(dir(builtins)) | {"exit", "quit"}  # read at the sandbox's start, before any verifier ran;
# exit and quit: the response process has them (``response.site_builtins``)


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


def _events(data, count):
    """The JSON objects among the first lines of ``data`` (the response process's results; untrusted): parsed as
    one array when every line is well formed (one pass of the bounded reader instead of one per call), line by line
    otherwise, skipping the lines that are not. The same events either way.

    Only the first ``count`` + 2 + :data:`EVENT_SLACK` lines count: a run writes one line per event (its load,
    each call, its stderr), so a response that writes lines of its own on the results descriptor loses its own events,
    and its calls fail with ``NoResult``. Why: every line once counted, and the line-by-line reading costs about
    5 us a line; a failure case that wrote four million malformed lines (8 MiB, within the cap) held its honest
    verifier's call for 20 s after its own timeout, and validation rejected the task as ``timeout`` (red-team
    round 30)."""
    keep = count + 2 + EVENT_SLACK  # the load, each call, the stderr: the most lines a run itself writes
    lines = [line for line in data.split(b"\n", keep)[:keep] if line.strip()]
    try:
        parsed = loads(b"[" + b",".join(lines) + b"]", max_depth=81, allow_nan=True)
    except UnsafeJSON:
        parsed = []
        for line in lines:
            try:
                parsed.append(loads(line, max_depth=80, allow_nan=True))
            except UnsafeJSON:
                pass
    return [event for event in parsed if isinstance(event, dict)]


def _assemble(count, data, output, status):
    events = _events(data, count)
    try:
        ended = loads(status.strip() or b"null")
    except UnsafeJSON:
        ended = None
    outcome, detail = _ending(ended)
    load = next((e for e in events if e.get("e") == "load"), None)
    errors = next((e.get("text") for e in events if e.get("e") == "stderr"), None)
    calls = {}
    for event in events:
        index = event.get("i")
        if event.get("e") == "call" and type(index) is int and 0 <= index < count and index not in calls:
            calls[index] = CallResult(ok=True, value=event.get("value")) if event.get("ok") is True else \
                CallResult(ok=False, error=_error(event.get("error")))
    missing = ResponseError({"timeout": "Timeout", "crashed": "Crashed"}.get(outcome, "NoResult"), detail)
    ran_out = count == 0 and load is None and outcome == "completed"  # a script that ended with os._exit(0)
    if not ran_out and outcome == "completed" and (load is None or (load.get("ok") is True and len(calls) < count)):
        outcome, detail = "crashed", "the response process exited before reporting every call"
    return ResponseRun(outcome=outcome, loaded=ran_out or (load is not None and load.get("ok") is True),
                       load_error=_error(load.get("error")) if load and load.get("ok") is not True else None,
                       calls=tuple(calls.get(i, CallResult(ok=False, error=missing)) for i in range(count)),
                       stdout=output.decode("utf-8", "replace"),
                       stderr=clean_text(errors, OUTPUT_CAP) if isinstance(errors, str) else "", detail=detail)


def _ending(ended):
    """(outcome, detail) from the watchdog's status line."""
    if not isinstance(ended, dict) or type(ended.get("status")) is not int:
        return "crashed", "the response's watchdog gave no status"
    status = ended["status"]
    if status < 0:
        return "crashed", "the sandbox could not start a response process (process limit)"
    if ended.get("ended") == "timeout":
        return "timeout", "the response ran past its time limit"
    if ended.get("ended") == "cpu":
        return "timeout", "CPU time limit exceeded"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        return ("timeout", "CPU time limit exceeded") if sig == 24 else ("crashed", f"killed by signal {sig}")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    return ("completed", "") if code == 0 else ("crashed", f"exited with status {code}")


def _error(raw):
    if not isinstance(raw, dict):
        return ResponseError("MalformedResult", "the response process reported an unreadable error")
    return ResponseError(clean_text(raw.get("type", "Error"), 100), clean_text(raw.get("message", ""), 1000))


def _failed(count, outcome, detail):
    error = ResponseError("Crashed", detail)
    return ResponseRun(outcome=outcome, loaded=False, load_error=None,
                       calls=tuple(CallResult(ok=False, error=error) for _ in range(count)), detail=detail)


def _close(fd):
    try:
        os.close(fd)
    except OSError:
        pass
