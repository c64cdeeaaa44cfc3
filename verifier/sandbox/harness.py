"""The zygote: the program every sandbox worker runs. Standard library only; it is shipped as source text.

Why a separate program: the trusted side that judges a score must be a different process from the untrusted code.
The zygote is started once per worker (inside bwrap, a container, or as a plain subprocess), drops to the
sandbox uid, marks itself non-dumpable (so a child cannot read its memory through ``/proc/<pid>/mem``), and then
serves requests from the host, one JSON line each, over two private pipes. For every group of responses it forks a
child that loads the verifier once and calls ``verify`` on each response in turn. The child reports through its own
pipe, in frames that carry a per-child random nonce; the zygote accepts only well-formed JSON frames with that
nonce and the expected index (NaN, infinities, non-floats and out-of-range scores become ``invalid``), enforces the
wall-time limit, caps stdout/stderr, and kills the child on timeout. When the child dies mid-group, the response it
was on gets its outcome and a fresh child continues with the rest. After each child, every leftover process is
killed (``kill(-1)`` when the zygote is pid 1 of its own pid namespace, the child's session otherwise), SysV IPC
objects are removed and the scratch directory is wiped, so no state survives into the next run.

Host protocol: argv[1] is a JSON config. The zygote writes ``{"ready": ...}``, then answers each request
``{"source", "responses", "limits", "env"}`` with ``{"results": [{"outcome", "score", "detail", "duration_ms"}]}``.
"""

import json
import math
import os
import resource
import select
import shutil
import signal
import sys
import time

FRAME_CAP = 65536
DETAIL_CAP = 1000


def _reject_constant(name):
    raise ValueError(f"non-finite JSON constant {name}")


def _result(outcome, score=None, detail="", duration_ms=0.0):
    return {"outcome": outcome, "score": score, "detail": detail[:DETAIL_CAP], "duration_ms": duration_ms}


def judge(frame):
    """Turn one child frame about a verify call into a result; the only place a score is accepted."""
    if frame.get("k") == "exc":
        return _result("crashed", detail=str(frame.get("d", ""))[:DETAIL_CAP])
    kind, value = frame.get("t"), frame.get("v")
    if kind != "float":
        return _result("invalid", detail=f"verify returned {str(kind)[:80]}, not a float")
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return _result("invalid", detail=f"verify returned a non-finite float ({str(value)[:40]})")
    if not 0.0 <= value <= 1.0:
        return _result("invalid", detail=f"score {value!r} is outside [0, 1]")
    return _result("scored", score=float(value))


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
        used = resource.getrusage(resource.RUSAGE_SELF)
        soft = min(cpu_hard, int(math.ceil(used.ru_utime + used.ru_stime + lim["cpu_s"])))
        resource.setrlimit(resource.RLIMIT_CPU, (soft, cpu_hard))
        try:
            value = verify(req["responses"][index])
        except BaseException as exc:  # includes SystemExit and KeyboardInterrupt raised inside verify
            send(k="exc", i=index, d=describe(exc))
            continue
        kind = type(value)
        if issubclass(kind, float):
            number = float(float.__repr__(value))
            send(k="val", i=index, t="float", v=number if math.isfinite(number) else repr(number))
        else:
            send(k="val", i=index, t=kind.__name__[:80])
    os._exit(0)


class Run:
    """One forked child serving responses ``start..`` of a group, seen from the zygote."""

    def __init__(self, cfg, req, start, proto_fds):
        self.nonce = os.urandom(16).hex()
        self.workdir = os.path.join(cfg["scratch"], "run-" + self.nonce[:12])
        os.mkdir(self.workdir, 0o700)
        self.status = None
        r_res, w_res = os.pipe()
        r_out, w_out = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:
            try:
                for fd in (*proto_fds, r_res, r_out):
                    os.close(fd)
                child_main(cfg, req, start, w_res, w_out, self.nonce, self.workdir)
            finally:
                os._exit(70)
        os.close(w_res)
        os.close(w_out)
        self.r_res, self.r_out = r_res, r_out
        try:
            self.pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        self.buffer = b""
        self.output = bytearray()
        self.output_total = 0

    def frames(self, data):
        """Complete frames carrying this child's nonce; anything else on the channel is ignored."""
        self.buffer += data
        lines = self.buffer.split(b"\n")
        self.buffer = lines.pop()
        if len(self.buffer) > FRAME_CAP:
            self.buffer = b""
        for line in lines:
            if not line or len(line) > FRAME_CAP:
                continue
            try:
                frame = json.loads(line, parse_constant=_reject_constant)
            except ValueError:
                continue
            if isinstance(frame, dict) and frame.get("n") == self.nonce:
                yield frame

    def kill(self):
        try:
            os.killpg(self.pid, signal.SIGKILL)
        except OSError:
            pass
        try:
            os.kill(self.pid, signal.SIGKILL)
        except OSError:
            pass

    def poll_exit(self):
        """True once the child has ended (reaping it, so its status is kept)."""
        if self.status is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def exit_detail(self):
        """Reap the child and describe how it ended."""
        if self.status is None:
            try:
                self.status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                return "the process ended without a result"
        status = self.status
        if os.WIFSIGNALED(status):
            sig = os.WTERMSIG(status)
            name = signal.Signals(sig).name if sig in signal.Signals._value2member_map_ else str(sig)
            if sig == signal.SIGXCPU:
                return "cpu"
            return f"killed by signal {name}"
        return f"exited with status {os.WEXITSTATUS(status)} without a result"

    def close(self):
        for fd in (self.r_res, self.r_out, self.pidfd):
            if fd is not None:
                os.close(fd)


def supervise(run, req, results, start):
    """Drive one child until it finishes, dies or overruns; fill ``results`` and return the next index to run."""
    lim = req["limits"]
    total = len(req["responses"])
    output_cap = lim["output_kb"] * 1024
    index, loaded = start, False
    mark = time.monotonic()
    deadline = mark + lim["wall_s"]
    watch = [run.r_res, run.r_out] + ([run.pidfd] if run.pidfd is not None else [])

    def finish(outcome, detail):
        run.kill()
        if not loaded:
            for i in range(index, total):
                results[i] = _result(outcome, detail=detail)
            return total
        results[index] = _result(outcome, detail=detail, duration_ms=(time.monotonic() - mark) * 1000)
        return index + 1

    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return finish("timeout", f"wall time limit of {lim['wall_s']} s exceeded")
        ready, _, _ = select.select(watch, [], [], min(remaining, 0.05 if run.pidfd is None else remaining))
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
                    return finish("crashed", str(frame.get("d", ""))[:DETAIL_CAP])
                if kind == "loaded" and not loaded:
                    loaded, mark = True, time.monotonic()
                    deadline = mark + lim["wall_s"]
                elif kind in ("val", "exc") and loaded and frame.get("i") == index:
                    now = time.monotonic()
                    results[index] = {**judge(frame), "duration_ms": (now - mark) * 1000}
                    index, mark, deadline = index + 1, now, now + lim["wall_s"]
                    if index == total:
                        run.kill()
                        return total
            if data is None:
                watch.remove(run.r_res)
                exited = True
        if exited:
            run.kill()  # a zombie keeps its status; a child that only closed its channel is ended here
            detail = run.exit_detail()
            if detail == "cpu":
                return finish("timeout", f"CPU time limit of {lim['cpu_s']} s exceeded")
            stderr_head = bytes(run.output).decode("utf-8", "replace").strip()[-300:]
            return finish("crashed", detail + (f"; output: {stderr_head}" if stderr_head else ""))


def _read_available(fd):
    """What the pipe holds now (at most 1 MiB), b"" when nothing is waiting, None at end of file."""
    os.set_blocking(fd, False)
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
    return b"".join(chunks)


def cleanup(run, scratch):
    """Kill every leftover process, remove SysV IPC objects and wipe the scratch space."""
    for _ in range(3):
        if os.getpid() == 1:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        else:
            run.kill()
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
    run.close()
    _remove_ipc()
    for entry in os.scandir(scratch):
        if entry.is_dir(follow_symlinks=False):
            shutil.rmtree(entry.path, onerror=_force_remove)
        else:
            os.unlink(entry.path)


def _force_remove(func, path, _exc):
    os.chmod(os.path.dirname(path), 0o700)
    if os.path.isdir(path) and not os.path.islink(path):
        os.chmod(path, 0o700)
        shutil.rmtree(path, onerror=_force_remove)
    else:
        os.unlink(path)


def _remove_ipc():
    """Delete SysV shared memory, semaphores and queues a run left behind (they outlive processes)."""
    libc = _libc()
    if libc is None:
        return
    for kind, call in (("shm", libc.shmctl), ("sem", libc.semctl), ("msg", libc.msgctl)):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 1:
                call(int(fields[1]), *((0, 0, 0) if kind == "sem" else (0, 0)))


_LIBC = []


def _libc():
    if not _LIBC:
        try:
            import ctypes
            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except (ImportError, OSError):
            _LIBC.append(None)
    return _LIBC[0]


def serve_group(cfg, req, proto_fds):
    """Score one group; returns the results and the last run, whose cleanup the caller does after replying."""
    results = [None] * len(req["responses"])
    start, run = 0, None
    while start < len(results):
        if run is not None:
            cleanup(run, cfg["scratch"])
        run = Run(cfg, req, start, proto_fds)
        try:
            start = supervise(run, req, results, start)
        except BaseException:
            cleanup(run, cfg["scratch"])
            raise
    return results, run


def main():
    cfg = json.loads(sys.argv[1])
    if cfg.get("uid") is not None and os.getuid() == 0:
        os.setgroups([])
        os.setresgid(cfg["uid"], cfg["uid"], cfg["uid"])
        os.setresuid(cfg["uid"], cfg["uid"], cfg["uid"])
    libc = _libc()
    if libc is not None:
        libc.prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE = 0: no ptrace, no /proc/<pid>/mem for the children
    sys.path.extend(cfg.get("site", []))
    import datetime  # noqa: F401  imported once here, so no forked child pays for it (random alone costs ~10 ms)
    import random  # noqa: F401
    fd_in, fd_out = os.dup(cfg["in"]), os.dup(cfg["out"])
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    for fd in {cfg["in"], cfg["out"], devnull} - {0, 1, 2}:
        os.close(fd)
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGPIPE):
        signal.signal(sig, signal.SIG_IGN)
    os.makedirs(cfg["scratch"], exist_ok=True)
    reader = os.fdopen(fd_in, "rb")
    _write(fd_out, {"ready": True, "pid": os.getpid()})
    for line in reader:
        req = json.loads(line, parse_constant=_reject_constant)
        results, last = serve_group(cfg, req, (fd_in, fd_out))
        _write(fd_out, {"results": results})
        if last is not None:  # cleaned before the next request is read, while the host digests this reply
            cleanup(last, cfg["scratch"])


def _write(fd, obj):
    data = (json.dumps(obj) + "\n").encode()
    while data:
        data = data[os.write(fd, data):]


if __name__ == "__main__":
    main()
