"""Frames from the child and the results the zygote makes of them: the only place a score is accepted.

A frame is one JSON line, written with a leading newline so that junk a verifier wrote without a line end cannot
merge into it, and small enough (< PIPE_BUF) to be written atomically. Only frames carrying the child's nonce are
read (a line without it is skipped before any parsing); NaN and infinities are refused by the JSON reader; a score
must be a float in [0, 1]. Frames come from the verifier's process, so they are parsed by :mod:`plainjson`: a
frame nested deeper than a real one is ignored, and an integer too long to be a score becomes infinity (so it is
judged ``invalid``, never an ``OverflowError``).
"""

import math
import os
import signal

from verifier.sandbox.zygote.plainjson import UnsafeJSON, loads

FRAME_CAP = 65536
DETAIL_CAP = 1000
FRAME_DEPTH = 2
SCORE_DIGITS = 40


def reject_constant(name):
    raise ValueError(f"non-finite JSON constant {name}")


def make_result(outcome, score=None, detail="", duration_ms=0.0):
    return {"outcome": outcome, "score": score, "detail": detail[:DETAIL_CAP], "duration_ms": duration_ms}


def judge(frame):
    """Turn one child frame about a verify call into a result; the only place a score is accepted."""
    if frame.get("k") == "exc":
        return make_result("crashed", detail=str(frame.get("d", ""))[:DETAIL_CAP])
    kind, value = frame.get("t"), frame.get("v")
    if kind != "float":
        return make_result("invalid", detail=f"verify returned {str(kind)[:80]}, not a float (return float(...))")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return make_result("invalid", detail=f"verify returned a non-finite float ({str(value)[:40]})")
    if not 0.0 <= value <= 1.0:
        return make_result("invalid", detail=f"score {value!r} is outside [0, 1]")
    return make_result("scored", score=float(value))


def parse_frames(buffer, data, nonce):
    """Split ``buffer + data`` into lines; return (frames with ``nonce``, the unfinished tail)."""
    buffer += data
    lines = buffer.split(b"\n")
    tail = lines.pop()
    if len(tail) > FRAME_CAP:
        tail = b""
    found, key = [], nonce.encode()
    for line in lines:
        if not line or len(line) > FRAME_CAP or key not in line:  # a line without the nonce is never parsed
            continue
        try:
            frame = loads(line, max_depth=FRAME_DEPTH, max_digits=SCORE_DIGITS, huge=math.inf)
        except UnsafeJSON:
            continue
        if isinstance(frame, dict) and frame.get("n") == nonce:
            found.append(frame)
    return found, tail


def describe_status(status):
    """(outcome, detail) for a process that ended, from its wait status, without having reported a result."""
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "timeout", "CPU time limit exceeded"
        name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
        return "crashed", f"killed by signal {name}"
    return "crashed", f"exited with status {os.WEXITSTATUS(status)} without a result"
