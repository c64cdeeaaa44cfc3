"""The verifier process: confine itself, read its request, load the verifier once, call ``verify`` per response.

Runs inside the sandbox, standard library only, forked from the fork server's clean image (never from the zygote,
which holds requests): it reads its own request from a pipe after the fork, and then the responses from that pipe
one at a time: the zygote writes the next only after this process reported on the current one, so nothing in
the process (its stack, its heap, its pipe) holds the group's size or a later response (a verifier in validation
would see the failure cases and probes beside it). Frames number calls by this process's own count, which a
verifier can keep itself. Everything after ``exec`` of the
verifier is untrusted; the process therefore only *reports* (a typed description of each return value, in a frame
carrying the nonce the zygote gave it); judging whether that is a score happens in the zygote (``frames.judge``),
another process. fd 4 is its channel to the fork server, through which ``envsynth_sandbox.run_response`` starts
response processes.

With ``isolate_responses`` (off by default) each ``verify`` call runs in its own fork of the loaded child, so a
response cannot change what later responses of the group see (monkeypatched verifier, globals, files in scratch,
processes it left, the group's pipes): :mod:`verifier.sandbox.zygote.isolation`.
"""

import math
import os
import resource
import signal
import sys

from verifier.sandbox.zygote import confine, environment, envsynth_sandbox
from verifier.sandbox.zygote.cleanup import arrange
from verifier.sandbox.zygote.isolation import ForkChannels, isolated_call
from verifier.sandbox.zygote.load_state import record
from verifier.sandbox.zygote.plainjson import own_codec

RESULT_FD, CHANNEL_FD, REQUEST_FD = 3, 4, 5
CPU_CAP_CALLS = 2
"""A verifier process's RLIMIT_CPU is this many calls' ``cpu_s`` plus one second, whatever the group size.

Why a constant: the limit is readable (``getrlimit``, ``/proc/self/limits``); one that grew with the group told a
verifier whether it was scored in validation's probe groups or in training's. The per-call budget is enforced from
outside instead (the zygote's wall timer, the cgroup's CPU quota); before a call that could reach the cap the
process ends with a ``full`` frame and a fresh one continues the group."""

DETAIL_CAP = 1000
_DECODE, _ENCODE = own_codec()  # the zygote's lines, and this process's own frames


def describe(exc):
    """``Type: message`` of an exception raised by untrusted code, even when its ``__str__`` misbehaves."""
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}"[:DETAIL_CAP]


def child_main(cfg, fds, channel):
    """Runs in the verifier process: confine, read the request, load the verifier, score, report by frames."""
    request, w_res, w_out = fds
    confine.enter(cfg["mount_plan"], cfg.get("uid"))
    devnull = os.open("/dev/null", os.O_RDWR)
    arrange(((devnull, 0), (w_out, 1), (w_out, 2), (w_res, RESULT_FD), (channel, CHANNEL_FD), (request, REQUEST_FD)))
    w_res = RESULT_FD
    reader = request_lines(REQUEST_FD)
    req = _DECODE(next(reader, b"").decode())
    nonce, workdir = req["nonce"], req["workdir"]
    os.umask(0o077)
    os.mkdir(workdir, 0o700)
    os.chdir(workdir)
    lim = req["limits"]
    cpu_cap = cpu_cap_s(lim["cpu_s"])
    mb = 1 << 20
    for which, value in ((resource.RLIMIT_AS, (lim["memory_mb"] * mb,) * 2),
                         (resource.RLIMIT_CPU, (cpu_cap, cpu_cap + 1)),  # SIGXCPU (timeout) first, SIGKILL after
                         (resource.RLIMIT_FSIZE, (lim["file_size_mb"] * mb,) * 2), (resource.RLIMIT_CORE, (0, 0)),
                         (resource.RLIMIT_NOFILE, (256, 256))):
        resource.setrlimit(which, value)
    if cfg.get("nproc"):
        resource.setrlimit(resource.RLIMIT_NPROC, (lim["max_processes"], lim["max_processes"]))
    confine.home(workdir)
    if not cfg.get("verifier_settled"):
        settle()

    def send(**frame):
        data = ("\n" + _ENCODE({"n": nonce, **frame}) + "\n").encode()
        os.write(w_res, data)

    sys.modules["envsynth_sandbox"] = envsynth_sandbox
    envsynth_sandbox.CALL_WALL_S = float(lim["wall_s"])
    environment.apply(req["env"], pid_one=os.getpid() == 1)
    try:
        namespace = {"__name__": "verifier", "__builtins__": __builtins__}
        exec(compile(req["source"], "<verifier>", "exec"), namespace)
        verify = namespace.get("verify")
        if not callable(verify):
            raise TypeError("the verifier defines no callable 'verify'")
    except BaseException as exc:  # the verifier's fault, reported as data
        send(k="load_err", d="verifier failed to load: " + describe(exc))
        os._exit(0)
    del req
    send(k="loaded")
    serve(verify, reader, lim, send, cfg["scratch"], os.path.basename(workdir))


def settle(cfg=None):
    """What a verifier process needs that its clones inherit: SIGINT and SIGTERM end it. Once in the verifier
    template (``cfg`` given, which then records it), where there is one; else in each verifier process."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if cfg is not None:
        cfg["verifier_settled"] = True


def request_lines(fd):
    """The lines the zygote writes to ``fd`` (the header, then one response at a time), without their newline; ends
    when the pipe does. Plain ``os.read``: a buffered file object cost each fresh process about 80 page faults to
    build (see ``plainjson.own_codec``)."""
    pending, scanned = bytearray(), 0
    while True:
        end = pending.find(b"\n", scanned)
        if end >= 0:
            line = bytes(memoryview(pending)[:end])
            del pending[:end + 1]
            scanned = 0
            yield line
            continue
        scanned = len(pending)  # no newline up to here: a long line is scanned once, not once per read
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return
        pending += chunk


def serve(verify, reader, lim, send, scratch, workdir):
    """Score the responses the zygote hands over one at a time (the next only after this one's frame), numbered
    by this process's own call count; nothing here knows the group's size or holds a later response."""
    cpu_cap = cpu_cap_s(lim["cpu_s"])
    state = record(scratch) if lim["isolate_responses"] else None  # as loaded: put back after each fork
    channels = ForkChannels()  # one of its own for each fork
    call = 0
    while True:
        if call > 0 and cpu_used_s() + lim["cpu_s"] > cpu_cap:
            send(k="full", i=call)  # a fresh process scores the rest, under the same constant cap
            os._exit(0)
        line = next(reader, None)
        if line is None:
            os._exit(0)
        response = _DECODE(line.decode())
        if not lim["isolate_responses"]:
            score_one(verify, response, call, send)
            call += 1
            continue
        isolated_call(lambda: score_one(verify, response, call, send), call, send, scratch, workdir, state, channels)
        call += 1


def cpu_cap_s(cpu_s):
    """The RLIMIT_CPU soft limit of every verifier process: a function of ``cpu_s`` alone (see CPU_CAP_CALLS)."""
    return int(math.ceil(cpu_s * CPU_CAP_CALLS)) + 1


def cpu_used_s():
    used = resource.getrusage(resource.RUSAGE_SELF)
    return used.ru_utime + used.ru_stime


def score_one(verify, response, index, send):
    """Call ``verify`` once and report what it returned (judging is the zygote's job)."""
    try:
        envsynth_sandbox.scoring(response)  # (the verifier's to change: it changes only what it tells itself)
        value = verify(response)
    except BaseException as exc:  # includes SystemExit and KeyboardInterrupt raised inside verify
        send(k="exc", i=index, d=describe(exc))
        return
    kind = type(value)
    if issubclass(kind, float):
        number = float(float.__repr__(value))
        send(k="val", i=index, t="float", v=number if math.isfinite(number) else repr(number))
    else:
        send(k="val", i=index, t=kind.__name__[:80])
