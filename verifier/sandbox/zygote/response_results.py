"""What a response process reported, as the plain values ``run_response`` hands a verifier.

Runs inside the sandbox, in the verifier's process, standard library only. The response process writes one JSON line
per event to its results pipe (``response``); everything in it is untrusted, so it is parsed here with caps
(:func:`events`) and assembled into a :class:`ResponseRun` whose every field is a plain value (:func:`assemble`),
beside the fork server's status line that says how the process ended (:func:`ending`). The classes are
``envsynth_sandbox``'s (it exports them); they live here so that ``foreseen`` can build the same answers without a
process.
"""

import os
from dataclasses import dataclass, field

from verifier.sandbox.zygote.plainjson import UnsafeJSON, clean_text, loads

RESULT_CAP = 8 << 20
EVENT_SLACK = 16
"""Lines of a run's results read past the ones its events need (:func:`events`)."""
OUTPUT_CAP = 64 << 10


class NotTheResponse(ValueError):
    """``run_response`` was given code that is not part of the response being scored (``envsynth_sandbox``'s text)."""


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



def events(data, count):
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


def assemble(count, data, output, status):
    """The :class:`ResponseRun` of a process that was asked for ``count`` calls: its results (``data``), what it
    printed (``output``) and the fork server's status line (``status``); every byte of the first two untrusted."""
    found = events(data, count)
    try:
        ended = loads(status.strip() or b"null")
    except UnsafeJSON:
        ended = None
    outcome, detail = ending(ended)
    load = next((e for e in found if e.get("e") == "load"), None)
    errors = next((e.get("text") for e in found if e.get("e") == "stderr"), None)
    calls = {}
    for event in found:
        index = event.get("i")
        if event.get("e") == "call" and type(index) is int and 0 <= index < count and index not in calls:
            calls[index] = CallResult(ok=True, value=event.get("value")) if event.get("ok") is True else \
                CallResult(ok=False, error=error_of(event.get("error")))
    missing = ResponseError({"timeout": "Timeout", "crashed": "Crashed"}.get(outcome, "NoResult"), detail)
    ran_out = count == 0 and load is None and outcome == "completed"  # a script that ended with os._exit(0)
    if not ran_out and outcome == "completed" and (load is None or (load.get("ok") is True and len(calls) < count)):
        outcome, detail = "crashed", "the response process exited before reporting every call"
    return ResponseRun(outcome=outcome, loaded=ran_out or (load is not None and load.get("ok") is True),
                       load_error=error_of(load.get("error")) if load and load.get("ok") is not True else None,
                       calls=tuple(calls.get(i, CallResult(ok=False, error=missing)) for i in range(count)),
                       stdout=output.decode("utf-8", "replace"),
                       stderr=clean_text(errors, OUTPUT_CAP) if isinstance(errors, str) else "", detail=detail)


def ending(ended):
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


def error_of(raw):
    if not isinstance(raw, dict):
        return ResponseError("MalformedResult", "the response process reported an unreadable error")
    return ResponseError(clean_text(raw.get("type", "Error"), 100), clean_text(raw.get("message", ""), 1000))


def failed(count, outcome, detail):
    error = ResponseError("Crashed", detail)
    return ResponseRun(outcome=outcome, loaded=False, load_error=None,
                       calls=tuple(CallResult(ok=False, error=error) for _ in range(count)), detail=detail)



def load_failed(count, error):
    return ResponseRun(outcome="completed", loaded=False, load_error=error, calls=tuple(
        CallResult(ok=False, error=ResponseError("NoResult")) for _ in range(count)))
