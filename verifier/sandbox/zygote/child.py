"""The forked child: confine itself, load the verifier once, call ``verify`` per response, report by frames.

Runs inside the sandbox, standard library only. Everything after ``exec`` of the verifier is untrusted; the child
therefore only *reports* (a typed description of each return value, in a frame carrying the nonce the zygote
gave it); judging whether that is a score happens in the zygote (``frames.judge``), another process.

With ``isolate_responses`` (off by default) each ``verify`` call runs in its own fork of the loaded child, so a
response cannot change what later responses of the group see (monkeypatched verifier, globals, files in scratch):
the child waits for it, kills its process group, wipes the scratch space and reports how it ended.
"""

import json
import math
import os
import resource
import signal
import time

from verifier.sandbox.zygote.cleanup import wipe
from verifier.sandbox.zygote.frames import describe_status

DETAIL_CAP = 1000


def describe(exc):
    """``Type: message`` of an exception raised by untrusted code, even when its ``__str__`` misbehaves."""
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}"[:DETAIL_CAP]


def patch_clocks(offset):
    """Shift every common clock by ``offset`` seconds before the verifier loads (determinism probing)."""
    import datetime as dt
    if not offset:
        return
    for name in ("time", "monotonic", "perf_counter"):
        original = getattr(time, name)
        setattr(time, name, lambda _f=original: _f() + offset)
    for name in ("time_ns", "monotonic_ns", "perf_counter_ns"):
        original = getattr(time, name)
        setattr(time, name, lambda _f=original: _f() + int(offset * 1e9))
    for name in ("localtime", "gmtime", "ctime"):
        original = getattr(time, name)
        setattr(time, name, lambda secs=None, _f=original: _f(time.time() if secs is None else secs))

    class ShiftedDatetime(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime.fromtimestamp(time.time(), tz)

        @classmethod
        def utcnow(cls):
            return dt.datetime.utcfromtimestamp(time.time())

        @classmethod
        def today(cls):
            return dt.datetime.fromtimestamp(time.time())

    class ShiftedDate(dt.date):
        @classmethod
        def today(cls):
            return dt.date.fromtimestamp(time.time())

    dt.datetime, dt.date = ShiftedDatetime, ShiftedDate


def child_main(cfg, req, start, w_res, w_out, nonce, workdir):
    """Runs in the forked child: confine, load the verifier, score responses from ``start``, report by frames."""
    os.setsid()
    os.chdir(workdir)
    devnull = os.open("/dev/null", os.O_RDWR)
    os.dup2(devnull, 0)
    os.dup2(w_out, 1)
    os.dup2(w_out, 2)
    os.dup2(w_res, 3)
    os.closerange(4, 65536)
    w_res = 3
    lim = req["limits"]
    count = len(req["responses"]) - start
    cpu_hard = int(math.ceil(lim["cpu_s"] * (count + 1))) + 1
    mb = 1 << 20
    for which, value in ((resource.RLIMIT_AS, lim["memory_mb"] * mb), (resource.RLIMIT_CPU, cpu_hard),
                         (resource.RLIMIT_FSIZE, lim["file_size_mb"] * mb), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NOFILE, 256)):
        resource.setrlimit(which, (value, value))
    if cfg.get("nproc"):
        resource.setrlimit(resource.RLIMIT_NPROC, (lim["max_processes"], lim["max_processes"]))
    try:
        with open("/proc/self/oom_score_adj", "w") as f:
            f.write("1000")
    except OSError:
        pass
    os.environ.clear()
    os.environ.update({"HOME": os.getcwd(), "TMPDIR": os.getcwd(), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def send(**frame):
        data = ("\n" + json.dumps({"n": nonce, **frame}) + "\n").encode()
        os.write(w_res, data)

    env = req["env"]
    import random
    random.seed(env["rng_seed"])
    patch_clocks(env["clock_offset_s"])
    try:
        namespace = {"__name__": "verifier", "__builtins__": __builtins__}
        exec(compile(req["source"], "<verifier>", "exec"), namespace)
        verify = namespace.get("verify")
        if not callable(verify):
            raise TypeError("the verifier defines no callable 'verify'")
    except BaseException as exc:  # the verifier's fault, reported as data
        send(k="load_err", d="verifier failed to load: " + describe(exc))
        os._exit(0)
    send(k="loaded")
    for index in range(start, len(req["responses"])):
        if not lim["isolate_responses"]:
            score_one(verify, req["responses"][index], index, send, lim["cpu_s"], cpu_hard)
            continue
        pid = os.fork()
        if pid == 0:
            try:
                os.setpgid(0, 0)
                score_one(verify, req["responses"][index], index, send, lim["cpu_s"], cpu_hard)
            finally:
                os._exit(0)
        status = os.waitpid(pid, 0)[1]
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        wipe(cfg["scratch"], keep=os.path.basename(workdir))
        outcome, detail = describe_status(status)
        send(k="end", i=index, o=outcome, d=detail)
    os._exit(0)


def score_one(verify, response, index, send, cpu_s, cpu_hard):
    """Call ``verify`` once under a fresh CPU budget and report what it returned (judging is the zygote's job)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    soft = min(cpu_hard, int(math.ceil(used.ru_utime + used.ru_stime + cpu_s)))
    resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
    try:
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
