"""The session child: the forked process that holds one ``Env`` instance for a whole rollout. Standard library only.

Shipped into the sandbox with :mod:`verifier.session_program` (the supervisor, which forks it). Everything after
``exec`` of the environment source is untrusted: the child only *reports* (one JSON frame per request on its result
pipe); the supervisor, another process, bounds and judges what it sends. Before the source loads, the child seeds
``random`` and shifts clocks, file times and pids exactly as the verifier sandbox does for a verifier
(:func:`verifier.sandbox.zygote.environment.apply`, shipped beside these modules), so validation's varied runs
probe an environment as they probe a verifier.
"""

import ctypes
import json
import math
import os
import resource
import signal

from verifier.sandbox.zygote import confine
from verifier.sandbox.zygote import environment as run_environment

RESERVED = ("reset", "score", "solve")
DETAIL_CAP = 1000


def describe(exc):
    """``Type: message`` of an exception raised by environment code, even when its ``__str__`` misbehaves."""
    try:
        text = str(exc)
    except BaseException:
        text = "<unprintable>"
    return f"{type(exc).__name__}: {text}"[:DETAIL_CAP]


def spawner_main(cfg, sock):
    """The spawner: forked by the supervisor before it reads any request, it forks every session's process.

    Why: ``fork()`` copies the parent's heap, freed memory included. Forked from the supervisor, a session could
    read earlier requests of other sessions (sources, tool arguments) out of its own memory; forked from here, a
    process whose heap never held a request, it reads its own request only after the fork, from its pipe. Each
    ``spawn`` message on ``sock`` answers ``"<pid> <workdir>"`` with the session's command-pipe write end and
    result-pipe read end attached (SCM_RIGHTS), and a pidfd of the session's process where it has namespaces of its
    own, or ``"error <why>"``. Exits when the supervisor's end closes.

    In a privileged bwrap worker (``cfg["pid_namespace"]``) the spawner is the only process that keeps uid 0 and
    CAP_SYS_ADMIN: it clones each session into a pid, mount and IPC namespace of its own, as the verifier sandbox's
    fork server clones a verifier (:mod:`verifier.sandbox.zygote.confine`), and the child covers ``/proc``, mounts a
    scratch tmpfs of its own and drops to the sandbox uid before it reads its request. Why: sessions of several
    tasks share a worker, under one uid, and in the worker's namespace one session listed the others in ``/proc``,
    SIGKILLed them (their rollouts ended ``crashed``) and read their scratch directories. The spawner also covers
    ``/dev/pts`` once and touches the sandbox's own directories before each clone, so their times date only that
    session's start, not the worker's (a fresh validation worker from a long-lived training one). Elsewhere
    (unprivileged bwrap, ``unsafe-local``) sessions are forked as before, each with a directory of the shared
    scratch.
    """
    import socket
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # the kernel reaps the sessions; the supervisor kills them
    confine.undumpable()  # no session reads the spawner's memory
    namespaces = [bool(cfg.get("pid_namespace")) and confine.can_clone()]
    plan = confine.mount_plan(cfg["scratch"], cfg.get("scratch_mb", 64), cfg.get("task_filter"))
    dated = ()
    if namespaces[0]:
        plan = confine.cover_terminals(plan)
        dated = confine.worker_start_paths()
    cfg = {**cfg, "mount_plan": plan}
    while True:
        try:
            if not sock.recv(16):
                os._exit(0)
        except OSError:
            os._exit(0)
        try:
            workdir = os.path.join(cfg["scratch"], "session-" + os.urandom(8).hex())
            cmd_r, cmd_w = os.pipe()
            res_r, res_w = os.pipe()
            confine.touch(dated)
            pidfd = ctypes.c_int(-1)
            pid = confine.clone(0, namespaces, pidfd=pidfd) if namespaces[0] else os.fork()
        except OSError as exc:
            sock.send(f"error {exc}"[:900].encode())
            continue
        if pid == 0:
            try:
                sock.close()
                os.close(cmd_w)
                os.close(res_r)
                child_main(cfg, cmd_r, res_w, workdir)
            finally:
                os._exit(70)
        os.close(cmd_r)
        os.close(res_w)
        handles = [cmd_w, res_r]
        if pidfd.value >= 0 and namespaces[0]:  # pid 1 of its own namespace: its end is every member's end
            handles.append(pidfd.value)
        elif pidfd.value >= 0:  # the kernel refused the namespaces: the supervisor kills the session by its members
            os.close(pidfd.value)
        socket.send_fds(sock, [f"{pid} {workdir}".encode()], handles)
        for fd in handles:
            os.close(fd)


def child_main(cfg, cmd_fd, res_fd, workdir):
    """Runs in the forked child: read its request, confine, load the environment, reset it, then serve commands
    until killed. Confined first (:func:`confine.enter`): pid 1 of namespaces of its own, it covers ``/proc``, takes
    a scratch tmpfs of its own as its working directory, and drops to the sandbox uid with the task filter stacked;
    forked without namespaces, it works in its directory of the shared scratch."""
    confine.enter(cfg["mount_plan"], cfg.get("uid"))
    if os.getpid() == 1:
        workdir = cfg["scratch"]
    else:  # made here, after the drop to the sandbox uid: the session's own (the spawner cannot chown)
        os.mkdir(workdir, 0o700)
    os.chdir(workdir)
    devnull = os.open("/dev/null", os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    os.dup2(cmd_fd, 3)
    os.dup2(res_fd, 4)
    os.closerange(5, 65536)
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    reader = os.fdopen(3, "rb")
    req = json.loads(reader.readline())  # read after the fork: no other session's request was ever in this heap
    lim = req["limits"]
    mb = 1 << 20
    cpu = int(math.ceil(lim["rollout_s"])) + 1
    for which, value in ((resource.RLIMIT_AS, lim["memory_mb"] * mb), (resource.RLIMIT_CPU, cpu),
                         (resource.RLIMIT_FSIZE, lim["file_size_mb"] * mb), (resource.RLIMIT_CORE, 0),
                         (resource.RLIMIT_NOFILE, 256)):
        resource.setrlimit(which, (value, value))
    if cfg.get("nproc"):
        resource.setrlimit(resource.RLIMIT_NPROC, (lim["max_processes"], lim["max_processes"]))
    os.environ.clear()
    os.environ.update({"HOME": workdir, "TMPDIR": workdir, "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"})
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.nice(19)  # the supervisor (nice 0) shares the worker's one-core quota: it must win it to enforce limits

    def send(**frame):
        data = (json.dumps(frame, allow_nan=False) + "\n").encode()
        while data:
            data = data[os.write(4, data):]

    run_environment.apply(req["env"], pid_one=os.getpid() == 1)  # the seeding and shifts verifiers get
    try:
        namespace = {"__name__": "environment", "__builtins__": __builtins__}
        exec(compile(req["source"], "<environment>", "exec"), namespace)
        env_class = namespace.get("Env")
        if not isinstance(env_class, type):
            raise TypeError("the source defines no class Env")
        env = env_class()
        observation = env.reset(req["seed"])
    except BaseException as exc:  # the environment's fault, reported as data
        send(k="load_err", d=describe(exc))
        os._exit(0)
    reply_value(send, observation, str_only=True)
    for line in reader:
        command = json.loads(line)
        op = command["op"]
        try:
            if op == "call":
                name = command["tool"]
                method = getattr(env_class, name, None) if not name.startswith("_") and name not in RESERVED else None
                if not callable(method):
                    send(k="raised", d=f"no tool named {name[:80]!r}")
                    continue
                value = getattr(env, name)(**command["args"])
            elif op == "reset":
                if command["fresh"]:
                    env = env_class()
                value = env.reset(command["seed"])
                reply_value(send, value, str_only=True)
                continue
            elif op == "score":
                value = env.score(command["response"])
                kind = type(value)
                if issubclass(kind, float):
                    number = float(float.__repr__(value))
                    send(k="val", t="float", v=number if math.isfinite(number) else repr(number))
                else:
                    send(k="val", t=kind.__name__[:80])
                continue
            else:
                value = env.solve()
        except BaseException as exc:  # SystemExit and KeyboardInterrupt raised by a tool are its errors too
            send(k="raised", d=describe(exc))
            continue
        reply_value(send, value)
    os._exit(0)


def reply_value(send, value, str_only=False):
    """Send a tool's return (or the observation): JSON only, NaN refused."""
    if str_only and value is not None and not isinstance(value, str):
        send(k="bad", d=f"reset returned {type(value).__name__[:80]}, not a str")
        return
    try:
        text = json.dumps(value, allow_nan=False)
    except (TypeError, ValueError, RecursionError) as exc:
        send(k="bad", d=f"returned a value that is not JSON ({type(value).__name__[:80]}): {describe(exc)}")
        return
    data = b'{"k": "ok", "v": ' + text.encode() + b"}\n"
    while data:
        data = data[os.write(4, data):]
