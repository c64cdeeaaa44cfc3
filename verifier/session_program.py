"""The session supervisor: the program a session worker runs inside its sandbox. Standard library only.

Shipped as source text (``python -c``, see :mod:`verifier.session_launch`) with :mod:`verifier.session_child` (the
forked process that holds an ``Env``) and :mod:`verifier.session_process` (the supervisor's handle on one), like the
verifier zygote, because the sandbox mounts no envsynth checkout.
It forks the spawner (which keeps uid 0 where it has it, to give sessions namespaces of their own), drops to the
sandbox uid, marks itself non-dumpable (its children cannot read its memory) and serves the host's requests, one
JSON line each, in order:

``{"op": "open", "sid", "source", "seed", "limits", "env"}``
    have the spawner (forked before the first request, so its heap never held one) fork a child with its own
    session, process group and scratch directory; the child reads the request from its pipe, confines itself,
    seeds ``random``, shifts the clocks, execs the environment source, builds ``Env()`` and calls ``reset(seed)``;
``{"op": "call", "sid", "tool", "args"}`` / ``{"op": "score", "sid", "response"}`` / ``{"op": "solve", "sid"}``
    forwarded to that session's child, which keeps its ``Env`` instance for the whole rollout;
``{"op": "reset", "sid", "seed", "fresh"}``
    ``reset(seed)`` again in the same process, on a new ``Env()`` when ``fresh`` (the validator's probe for state
    shared between instances: class attributes, module globals);
``{"op": "close", "sid"}``
    kill the child and everything it started, wipe its scratch directory.

Every reply is ``{"sid", "outcome", "value", "score", "detail", "ms"}``. The supervisor, a different process from the
environment code, enforces the time limits (``reset_s`` for open, ``call_s`` per call, ``rollout_s`` for all of a
session's own steps together, not the time between them: past any of them the child is SIGKILLed and the session is dead), caps the size of what a child sends
(``value_kb``), and judges scores (a float in [0, 1]; anything else is ``invalid``). Outcomes: ``ok``, ``raised``
(the tool raised: shown to the policy as an error, the session lives on), ``scored``, ``invalid``, ``crashed``,
``timeout``, ``dead`` (a call on a session that already ended).
"""

import json
import math
import os
import signal
import socket
import sys
import time

from verifier.sandbox.zygote import confine
from verifier.session_child import DETAIL_CAP, spawner_main
from verifier.sandbox.zygote.cleanup import reap
from verifier.session_process import Session, exchange, reject_constant


def tame(value, max_depth=64):
    """``value`` with lone surrogates in its strings replaced, or ValueError when nested deeper than ``max_depth`` or
    holding a number JSON cannot carry (``1e999`` parses to infinity, which the reply's encoder refuses: a frame
    holding one took the supervisor down, red-team round 28).

    Iterative, so no input can exhaust the stack; the host then only ever parses bounded, clean JSON."""
    def clean(text):
        if isinstance(text, float) and not math.isfinite(text):
            raise ValueError("the value holds a number that is not finite")
        return text.encode("utf-8", "replace").decode("utf-8") if isinstance(text, str) else text

    root = [clean(value)]
    stack = [(root, 0, 0)]
    while stack:
        container, key, depth = stack.pop()
        item = container[key]
        if isinstance(item, (list, dict)):
            if depth >= max_depth:
                raise ValueError(f"the value is nested deeper than {max_depth} levels")
            if isinstance(item, dict):
                item = {clean(k): clean(v) for k, v in item.items()}
                container[key] = item
                stack.extend((item, k, depth + 1) for k in item)
            else:
                item[:] = [clean(v) for v in item]
                stack.extend((item, i, depth + 1) for i in range(len(item)))
    return root[0]


def judge(frame, op):
    """(outcome, value, score, detail) of one child frame; the only place a score is accepted."""
    kind = frame.get("k")
    if kind == "load_err":
        return "crashed", None, None, "the environment failed to load or reset: " + str(frame.get("d", ""))
    if kind == "raised":
        return "raised", None, None, str(frame.get("d", ""))[:DETAIL_CAP]
    if kind == "bad":
        return "invalid", None, None, str(frame.get("d", ""))[:DETAIL_CAP]
    if op == "score":
        value = frame.get("v")
        if kind != "val" or frame.get("t") != "float":
            return "invalid", None, None, f"score returned {str(frame.get('t'))[:80]}, not a float (return float(...))"
        if isinstance(value, int) and not isinstance(value, bool):  # a frame the child did not write (its own
            try:  # hold floats); a 400-digit integer overflowed ``isfinite`` and took the supervisor down (round 28)
                value = float(value)
            except OverflowError:
                return "invalid", None, None, "score returned a number too large for a float"
        if not isinstance(value, float) or not math.isfinite(value):
            return "invalid", None, None, f"score returned a non-finite float ({str(value)[:40]})"
        if not 0.0 <= value <= 1.0:
            return "invalid", None, None, f"score {value!r} is outside [0, 1]"
        return "scored", None, float(value), ""
    if kind == "ok":
        try:
            return "ok", tame(frame.get("v")), None, ""
        except ValueError as exc:
            return "invalid", None, None, str(exc)
    return "crashed", None, None, "the environment process sent an unexpected frame"


def serve(cfg, req, sessions, spawner):
    """One request in, one reply dict out."""
    op, sid = req.get("op"), req.get("sid")
    start = time.monotonic()
    if op == "open":
        try:
            session = sessions[sid] = Session(req["limits"], spawner)
        except OSError as exc:  # no process or pipe left in the worker's budget: the sandbox's state, not the env's
            return {"sid": sid, "outcome": "error", "detail": f"cannot start the session: {exc}"[:DETAIL_CAP]}
        deadline = start + min(session.limits["reset_s"], session.rollout_left)
        request = {k: req[k] for k in ("source", "seed", "limits", "env")}
        frame, failure = exchange(session, request, deadline, session.limits["value_kb"] << 10)
        limit_name = "reset"
    elif op == "close":
        session = sessions.pop(sid, None)
        if session is not None:
            session.kill(cfg["scratch"])
        return {"sid": sid, "outcome": "ok", "ms": (time.monotonic() - start) * 1000}
    elif op not in ("call", "score", "solve", "reset"):
        return {"sid": sid, "outcome": "invalid", "detail": f"unknown operation {str(op)[:40]!r}"}
    else:
        session = sessions.get(sid)
        if session is None or session.dead:
            return {"sid": sid, "outcome": "dead", "detail": session.dead if session else "no such session"}
        step_s = session.limits["reset_s" if op == "reset" else "call_s"]
        limit_name = "rollout" if session.rollout_left < step_s else op
        deadline = start + min(step_s, session.rollout_left)
        command = {"op": op, **{k: req[k] for k in ("tool", "args", "response", "seed", "fresh") if k in req}}
        frame, failure = exchange(session, command, deadline, session.limits["value_kb"] << 10)
    ms = (time.monotonic() - start) * 1000
    # The rollout limit counts this session's own steps, not the time between them: TRL runs every rollout's tools
    # in one thread, and counted from open, other tasks' slow tools and the policy's generation ran out a correct
    # rollout's clock, whose answer then scored 0 (red-team round 28).
    session.rollout_left -= ms / 1000
    if failure is not None:
        outcome, detail = failure
        if outcome == "timeout" and detail is None:
            seconds = session.limits["reset_s" if limit_name == "reset" else "call_s"]
            detail = (f"the rollout time limit of {session.limits['rollout_s']} s was exceeded"
                      if limit_name == "rollout" else f"the {limit_name} time limit of {seconds} s was exceeded")
        session.dead = f"{outcome}: {detail}"[:DETAIL_CAP]
        session.kill(cfg["scratch"])
        return {"sid": sid, "outcome": outcome, "detail": str(detail)[:DETAIL_CAP], "ms": ms}
    outcome, value, score, detail = judge(frame, op)
    if op == "open" and outcome == "ok" and value is None:
        value = ""
    if outcome != "ok" and op == "open":
        session.dead = detail
        session.kill(cfg["scratch"])
    return {"sid": sid, "outcome": outcome, "value": value, "score": score, "detail": tame(detail), "ms": ms}


def main(config_json):
    """Serve the host until it closes the request pipe."""
    cfg = json.loads(config_json)
    sys.path.extend(cfg.get("site", []))
    for name in ("random", "datetime", "collections", "dataclasses", "itertools", "functools", "re", "string",
                 "copy", "shutil"):
        __import__(name)  # imported once here, so no forked session pays for it
    fd_in, fd_out = os.dup(cfg["in"]), os.dup(cfg["out"])
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for fd in {cfg["in"], cfg["out"], devnull} - {0, 1, 2}:
        os.close(fd)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    os.makedirs(cfg["scratch"], exist_ok=True)
    spawner, spawner_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if os.fork() == 0:  # before the first request: the spawner's heap never holds one; it keeps uid 0 (if it has
        try:  # it) to give each session namespaces of its own (session_child.spawner_main)
            spawner.close()
            os.close(fd_in)
            os.close(fd_out)
            spawner_main(cfg, spawner_end)
        finally:
            os._exit(0)
    spawner_end.close()
    if cfg.get("uid") is not None and os.getuid() == 0:  # the supervisor itself needs no privilege
        os.setgroups([])
        os.setresgid(cfg["uid"], cfg["uid"], cfg["uid"])
        os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
    confine.undumpable()
    sessions = {}
    write(fd_out, {"ready": True})
    for line in os.fdopen(fd_in, "rb"):
        try:
            req = json.loads(line, parse_constant=reject_constant)
        except (ValueError, RecursionError) as exc:  # the host sends clean JSON (sessions.py); never die of a line
            write(fd_out, {"sid": None, "outcome": "error", "detail": f"malformed request: {exc}"[:DETAIL_CAP]})
            continue
        try:
            reply = serve(cfg, req, sessions, spawner)
            data = (json.dumps(reply, allow_nan=False) + "\n").encode()
        except Exception as exc:  # a bug here must cost one session, not the worker and all its sessions
            session = sessions.get(req.get("sid")) if isinstance(req, dict) else None
            if session is not None:
                session.dead = f"error: the supervisor failed: {exc}"[:DETAIL_CAP]
                session.kill(cfg["scratch"])
            data = (json.dumps({"sid": req.get("sid") if isinstance(req, dict) else None, "outcome": "error",
                                "detail": f"the supervisor failed: {type(exc).__name__}: {exc}"[:DETAIL_CAP]})
                    + "\n").encode()
        while data:
            data = data[os.write(fd_out, data):]
        reap()


def write(fd, obj):
    data = (json.dumps(obj, allow_nan=False) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]
