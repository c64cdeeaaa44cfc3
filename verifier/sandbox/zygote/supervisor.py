"""The zygote: the program every sandbox worker runs. Standard library only; it is shipped as source text.

Why a separate program: the trusted side that judges a score must be a different process from the untrusted code.
The zygote is started once per worker (inside bwrap, a container, or as a plain subprocess), marks itself
non-dumpable (so a child cannot read its memory through ``/proc/<pid>/mem``) and a child subreaper, forks the fork
server (``forkserver``: the clean image every verifier and response process starts from, forked before any request
is read), drops to the sandbox uid, and then serves requests from the host, one JSON line each, over two private
pipes. For every group of responses it has the fork server start a verifier process, which reads its request from
a pipe, loads the verifier once and calls ``verify`` on each response in turn. The child reports through its own
pipe, in frames that carry a per-child random nonce; the zygote accepts only well-formed JSON frames with that
nonce and the expected index (NaN, infinities, non-floats and out-of-range scores become ``invalid``), enforces the
wall-time limit, caps stdout/stderr, and kills the child on timeout. When the child dies mid-group, the response it
was on gets its outcome and a fresh child continues with the rest; a child that reports ``full`` (its constant CPU
cap would not hold another call, ``child.CPU_CAP_CALLS``) after scoring at least one response is replaced the same
way, without charging anything to the next response. After each child, every leftover process is
killed (every process of the verifier uid when the zygote is pid 1 of its own pid namespace, the child's session
otherwise), SysV IPC objects are removed and the scratch directory is wiped, so no state survives into the next run.

Host protocol: ``main(config_json)``. The zygote writes ``{"ready": ...}``, then answers each request
``{"source", "responses", "limits", "env", "record"}`` with ``{"results": [{"outcome", "score", "detail",
"duration_ms", "ran_response", "run_digest"}]}`` (the last two: whether a response process ran part of that
response, ``run.Run.ran``, and the digest of what its runs reported, ``run.Run.results``); with ``"record": true``,
each result also carries ``run_requests``, the records of the requests its runs were made with, and
``run_requests_dropped``, how many runs' records were left out (``run.Run.requests``).
The verifier process never sees ``record``: its header holds the source, the limits and the environment only.
"""

import json
import os
import select
import signal
import sys
import time

from verifier.sandbox.zygote import forkserver
from verifier.sandbox.zygote.child import child_main
from verifier.sandbox.zygote.cleanup import arrange, cleanup, libc
from verifier.sandbox.zygote.frames import DETAIL_CAP, judge, make_result, reject_constant
from verifier.sandbox.zygote.response import response_main
from verifier.sandbox.zygote.run import Run, SpawnError

PR_SET_DUMPABLE, PR_SET_CHILD_SUBREAPER = 4, 36
HOST_IN_FD, HOST_OUT_FD = 3, 4  # where the host's request and reply pipes are moved, whatever their numbers
STARVED_ALLOWANCE = 3.0
"""At most this many ``wall_s`` more for a verifier process that waited for a CPU (see :func:`extended_deadline`)."""


def run_delay(pid):
    """Seconds ``pid`` has spent runnable but waiting for a CPU (``/proc/<pid>/schedstat``); 0.0 when unreadable."""
    try:
        with open(f"/proc/{pid}/schedstat", "rb") as stats:
            return int(stats.read().split()[1]) / 1e9
    except (OSError, ValueError, IndexError):
        return 0.0


def extended_deadline(mark, wall_s, waited_s):
    """The deadline of a call that began at ``mark``, for a process that has waited ``waited_s`` for a CPU.

    Why: the wall limit exists to stop verifiers that hang or sleep, not to reject honest ones because the host was
    busy. Every sandbox shares the host's cores, and on a loaded machine an honest IFEval verifier's imports ran
    past 5 s of wall time while using a fraction of a second of CPU, and validation rejected it as ``timeout``. Time
    spent runnable but not running (the scheduler's run delay) is the host's doing, so it is added back, up to
    ``STARVED_ALLOWANCE * wall_s``; sleeping or blocking earns nothing, and the constant CPU cap still holds. The
    wait is the process's whole run delay, read only once a deadline has passed (never per call: scoring is the hot
    path), so it may include waits of earlier calls; the allowance bounds it."""
    return mark + wall_s + min(max(waited_s, 0.0), STARVED_ALLOWANCE * wall_s)


def supervise(run, req, results, start, lifeline=None):
    """Drive one child until it finishes, dies or overruns; fill ``results`` and return the next index to run.

    ``lifeline`` is the host's request pipe: it only becomes readable mid-group when the host has gone, and then
    the zygote stops at once (its exit takes the whole sandbox down) instead of finishing the group for nobody.
    """
    lim = req["limits"]
    total = len(req["responses"])
    output_cap = lim["output_kb"] * 1024
    index, loaded = start, False
    mark = time.monotonic()
    deadline = mark + lim["wall_s"]
    watch = [run.r_res, run.r_out] + [fd for fd in (run.pidfd, lifeline) if fd is not None]

    def finish(outcome, detail, phase=None):
        run.kill()
        phase = phase or ("call" if loaded else "load")  # a crash or hang before the module loaded is the load's
        if not loaded:
            for i in range(index, total):
                results[i] = {**make_result(outcome, detail=detail), "phase": phase}
            return total
        results[index] = make_result(outcome, detail=detail, duration_ms=(time.monotonic() - mark) * 1000)
        return index + 1

    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            deadline = extended_deadline(mark, lim["wall_s"], run_delay(run.pid))
            remaining = deadline - time.monotonic()
        if remaining <= 0:
            return finish("timeout", f"wall time limit of {lim['wall_s']} s exceeded")
        writing = [run.w_req] if run.pending else []
        ready, writable, _ = select.select(watch, writing, [], min(remaining, 0.05 if run.pidfd is None else remaining))
        if writable:
            run.flush()
        if lifeline is not None and lifeline in ready:
            raise SystemExit("the host closed the request pipe")
        exited = run.pidfd in ready or (run.pidfd is None and run.poll_exit())
        if run.r_out in watch and (run.r_out in ready or exited):
            data = _read_available(run.r_out)
            if data is None:
                watch.remove(run.r_out)
            else:
                run.output_total += len(data)
                run.output[:] = (run.output + data)[:1024]
                if run.output_total > output_cap:
                    return finish("crashed", f"output limit of {lim['output_kb']} KiB exceeded")
        if run.r_res in watch and (run.r_res in ready or exited):
            data = _read_available(run.r_res)
            for frame in run.frames(data or b""):
                kind = frame.get("k")
                if kind == "load_err" and not loaded:
                    return finish("crashed", str(frame.get("d", ""))[:DETAIL_CAP], phase="load")
                if kind == "loaded" and not loaded:
                    loaded, mark = True, time.monotonic()
                    deadline = mark + lim["wall_s"]
                elif kind == "full" and loaded and frame.get("i") == index - start and index > start:
                    run.kill()  # near its constant CPU cap; a fresh child goes on (progress: index > start)
                    return index
                elif kind in ("val", "exc", "end") and loaded and frame.get("i") == index - start:
                    ran, digest = run.ran(), run.results()  # (before the next text replaces this one's)
                    asked = run.requests() if req.get("record") else None
                    if index + 1 < total:  # the next response, only now (see ``child.serve``); judged meanwhile
                        run.offer(req["responses"][index + 1])
                    now = time.monotonic()
                    if kind == "end":  # the response's own process ended without reporting
                        outcome, detail = frame.get("o"), str(frame.get("d", ""))
                        result = make_result(outcome if outcome in ("timeout", "crashed") else "crashed", detail=detail)
                    else:
                        result = judge(frame)
                    results[index] = {**result, "duration_ms": (now - mark) * 1000, "ran_response": ran,
                                      "run_digest": digest}
                    if asked is not None:
                        results[index]["run_requests"], results[index]["run_requests_dropped"] = asked
                    index, mark, deadline = index + 1, now, now + lim["wall_s"]
                    run.output_total = 0  # each call gets the whole output budget: counted per process, a
                    # response that made the verifier print 1 MiB less a little crashed the next response (round 28)
                    if lim["isolate_responses"]:  # and a later crash's detail quotes no earlier response's output
                        run.output.clear()  # (round 23); a shared process's crash quotes its own first KiB
                    if index == total:
                        run.kill()
                        return total
            if data is None:
                watch.remove(run.r_res)
                exited = True
        if exited:
            run.kill()  # a zombie keeps its status; a child that only closed its channel is ended here
            outcome, detail = run.exit_outcome()
            if outcome == "timeout":
                return finish("timeout", f"CPU time limit of {lim['cpu_s']} s exceeded")
            stderr_head = bytes(run.output).decode("utf-8", "replace").strip()[-300:]
            return finish("crashed", detail + (f"; output: {stderr_head}" if stderr_head else ""))


def _read_available(fd):
    """What the pipe (non-blocking: ``Run`` sets it) holds now, at most 1 MiB; b"" when nothing is waiting, None at
    end of file. A read shorter than asked for emptied the pipe: no second read (and no EAGAIN) is needed to know."""
    chunks, size = [], 0
    while size < (1 << 20):
        try:
            data = os.read(fd, 65536)
        except BlockingIOError:
            break
        if not data:
            return b"".join(chunks) if chunks else None
        chunks.append(data)
        size += len(data)
        if len(data) < 65536:
            break
    return b"".join(chunks)


def serve_group(cfg, req, lifeline, server):
    """Score one group; returns the results, the last run (whose cleanup the caller does after replying) and the
    :class:`SpawnError` that stopped it, if one did: then every response not yet scored is ``error``, and the
    caller ends the worker after replying, so that the pool starts a fresh one."""
    results = [None] * len(req["responses"])
    start, run = 0, None
    spare = (server[1],)
    while start < len(results):
        if run is not None:
            cleanup(run, cfg["scratch"], spare)
            run = None
        try:
            run = Run(cfg, req, start, server[0])
        except SpawnError as exc:  # the worker's trouble (its process limit, a slow or lost fork server), never
            for i in range(start, len(results)):  # the response's: ``error``, so no response is blamed for it
                results[i] = make_result("error", detail=str(exc))
            return results, None, exc
        try:
            start = supervise(run, req, results, start, lifeline=lifeline)
        except BaseException:
            cleanup(run, cfg["scratch"], spare)
            raise
    return results, run, None


def main(config_json):
    """Serve the host until it closes the request pipe."""
    cfg = json.loads(config_json) if isinstance(config_json, str) else config_json
    # The host's pipe numbers vary with how many files the host had open: before anything else, they move to fixed
    # numbers (and any other inherited descriptor closes), so no descriptor number and no ``cfg`` value that a
    # verifier process could read (its frames reach ``cfg``) tells one host from another.
    arrange(((cfg["in"], HOST_IN_FD), (cfg["out"], HOST_OUT_FD)))
    cfg["in"], cfg["out"] = HOST_IN_FD, HOST_OUT_FD
    cfg["zygote_pid"] = os.getpid()
    os.environ.pop("LD_PRELOAD", None)  # the clock shim stays loaded; no process of the sandbox sees it named
    lib = libc()
    if lib is not None:
        lib.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)  # no ptrace, no /proc/<pid>/mem for the children
        lib.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)  # verifier processes are re-parented to the zygote
    # ``python -c`` puts the working directory (the shared scratch) first on sys.path: a verifier that wrote the
    # response to ``colorsys.py`` would import it as the standard module and run it in its own process.
    sys.path[:] = [p for p in sys.path if p not in ("", ".")]
    sys.path.extend(cfg.get("site", []))
    import datetime  # noqa: F401  imported once here, so no forked child pays for it (random alone costs ~10 ms)
    import random  # noqa: F401
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    os.makedirs(cfg["scratch"], exist_ok=True)
    server = forkserver.start(cfg, child_main, response_main, close=(cfg["in"], cfg["out"]))
    if cfg.get("uid") is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(cfg["uid"], cfg["uid"], cfg["uid"])
        os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
    fd_in, fd_out = os.dup(cfg["in"]), os.dup(cfg["out"])
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for fd in {cfg["in"], cfg["out"], devnull} - {0, 1, 2}:
        os.close(fd)
    reader = os.fdopen(fd_in, "rb")
    _write(fd_out, {"ready": True, "pid": os.getpid()})
    for line in reader:
        req = json.loads(line, parse_constant=reject_constant)
        results, last, trouble = serve_group(cfg, req, fd_in, server)
        _write(fd_out, {"results": results})
        if last is not None:  # cleaned before the next request is read, while the host digests this reply
            cleanup(last, cfg["scratch"], (server[1],))
        if trouble is not None:
            raise SystemExit(f"ending the worker: {trouble}")


def _write(fd, obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]

