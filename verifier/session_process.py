"""One session's process, seen from the session supervisor: started by the spawner, spoken to, killed.

Shipped into the sandbox with :mod:`verifier.session_program` (the supervisor's loop), standard library only. The
spawner (:mod:`verifier.session_child`) clones the process and hands the supervisor its pipes, and, where the
session is pid 1 of namespaces of its own, a pidfd; here are the supervisor's handle on it (:class:`Session`), the
exchange of one command and its frame (bounded in time and size), and its end (:meth:`Session.kill`).
"""

import json
import os
import select
import signal
import socket
import time

from verifier.sandbox.zygote.cleanup import reap


def reject_constant(name):
    raise ValueError(f"non-finite JSON constant {name}")


class Session:
    """One environment instance: a forked child with a command pipe, a result pipe and a scratch directory."""

    def __init__(self, limits, spawner):
        self.limits = limits
        spawner.send(b"spawn")
        message, fds, _, _ = socket.recv_fds(spawner, 1024, 3)
        if not message:  # the spawner died (a session may signal it): end the worker, the host replaces it
            raise SystemExit("the session spawner is gone")
        text = message.decode("utf-8", "replace")
        if text.startswith("error") or len(fds) not in (2, 3):
            for fd in fds:
                os.close(fd)
            raise OSError(text)
        pid, self.workdir = text.split(" ", 1)
        self.pid = int(pid)
        self.cmd_w, self.res_r = fds[:2]
        self.pidfd = fds[2] if len(fds) == 3 else None  # pid 1 of namespaces of its own (session_child.spawner_main)
        os.set_blocking(self.cmd_w, False)
        os.set_blocking(self.res_r, False)
        self.rollout_left = float(self.limits["rollout_s"])  # charged with its own steps' time only (serve)
        self.buffer = b""
        self.dead = None
        self.killed = False

    def kill(self, scratch_root):
        """SIGKILL the child and every process it started until none is left, wipe the scratch directory. Once: a
        session that failed is killed then, and its ``close`` comes later; by then its descriptor numbers and its
        pid may be another session's (red-team round 28: closed twice, a crashed session's pipe numbers, already
        reused, cut a later session off from its own process and sent its calls and its score to a third
        session's).

        A session that is pid 1 of a pid namespace of its own is killed through its pidfd, never by number: the
        kernel ends every process of the namespace with it, and the pidfd names that process alone, even when it
        died while idle and the worker's pid counter has since given its number to another session (a kill by
        number, or a listing of its session's members, would then reach that session). Elsewhere (no namespaces)
        by number: its process group, then whatever left the group but not the session, until none is left (a
        fork loop keeps making new ones between a listing and the kills)."""
        if self.killed:
            return
        self.killed = True
        if self.pidfd is not None:
            end_namespace(self.pidfd)
        else:
            kill_members(self.pid)
        for fd in (self.cmd_w, self.res_r):
            try:
                os.close(fd)
            except OSError:
                pass
        import shutil
        shutil.rmtree(self.workdir, ignore_errors=True)


def end_namespace(pidfd):
    """SIGKILL the process ``pidfd`` names (pid 1 of its own pid namespace: the kernel kills and reaps every other
    process of it before that process's end shows) and wait until it has ended, at most a second; close the pidfd."""
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
        select.select([pidfd], [], [], 1.0)  # readable once it has exited (the spawner's kernel reaps it)
    except OSError:  # already gone
        pass
    finally:
        os.close(pidfd)


def kill_members(leader):
    """SIGKILL the process group of ``leader`` and every process of its session until none is left; reap."""
    if leader <= 1:  # never kill(-1), killpg(0) or this supervisor (pid 1): only the spawner names a session
        return
    try:  # the child leads its own process group: one kill reaches every member at once, forks in flight too
        os.killpg(leader, signal.SIGKILL)
    except OSError:
        pass
    for _ in range(200):  # then whatever left the group (setpgid) but not the session
        for pid in {leader, *session_members(leader)}:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        reap()
        if not session_members(leader):
            break
        time.sleep(0.005)  # killed processes need a slice of the worker's CPU quota to exit


def session_members(sid):
    """Pids whose session id is ``sid`` (the child and whatever it started without a new session)."""
    members = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid and fields[0] != "Z":  # a zombie is already dead (reap collects it)
            members.append(int(name))
    return members


def exchange(session, command, deadline, cap):
    """Send ``command`` (None: only wait) and read one frame before ``deadline``; (frame, None) or (None, failure)."""
    data = (json.dumps(command) + "\n").encode() if command is not None else b""
    while data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([], [session.cmd_w], [], left)[1]:
            return None, ("timeout", "the environment stopped reading commands")
        try:
            data = data[os.write(session.cmd_w, data):]
        except BrokenPipeError:
            return None, ("crashed", "the environment process ended")
    while b"\n" not in session.buffer:
        left = deadline - time.monotonic()
        if left <= 0:
            return None, ("timeout", None)
        if not select.select([session.res_r], [], [], left)[0]:
            continue
        try:
            chunk = os.read(session.res_r, 1 << 16)
        except BlockingIOError:
            continue
        if not chunk:
            return None, ("crashed", exit_detail(session.pid))
        session.buffer += chunk
        if len(session.buffer) > cap:
            return None, ("invalid", f"the environment sent more than {cap >> 10} KiB at once")
    line, session.buffer = session.buffer.split(b"\n", 1)
    try:
        frame = json.loads(line, parse_constant=reject_constant)
    except (ValueError, RecursionError):
        return None, ("crashed", "the environment process wrote a malformed frame")
    return (frame, None) if isinstance(frame, dict) else (None, ("crashed", "malformed frame"))


def exit_detail(pid):
    try:
        _, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return "the environment process ended"
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig == signal.SIGXCPU:
            return "CPU time limit exceeded"
        return f"the environment process was killed by signal {sig}"
    return f"the environment process exited with status {os.WEXITSTATUS(status)}"
