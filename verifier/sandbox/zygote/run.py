"""One verifier process as the zygote sees it: its pipes, its pid (and pidfd), its nonce and its scratch directory.

The process is forked by the fork server (``forkserver``), not by the zygote, so it never inherits the zygote's
heap (earlier requests and results); the zygote hands it its request through a pipe once it exists.
"""

import json
import os
import signal
import socket
import time

from verifier.sandbox.zygote.forkserver import FAILED, MESSAGE, VERIFIER
from verifier.sandbox.zygote.frames import describe_status, parse_frames

SPAWN_TIMEOUT_S = 10.0


class SpawnError(Exception):
    """The fork server could not start a verifier process (process limit, or the server is gone)."""


class Run:
    """One verifier process serving responses ``start..`` of a group, seen from the zygote."""

    def __init__(self, cfg, req, start, server):
        self.nonce = os.urandom(16).hex()
        self.workdir = os.path.join(cfg["scratch"], "run-" + self.nonce[:12])
        self.status = None
        self.pidfd = None
        r_req, w_req = os.pipe()
        r_res, w_res = os.pipe()
        r_out, w_out = os.pipe()
        try:
            self.pid = _spawn(server, (r_req, w_res, w_out))
        finally:
            for fd in (r_req, w_res, w_out):
                os.close(fd)
        self.r_res, self.r_out = r_res, r_out
        try:
            self.pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        body = dict(req, start=start, nonce=self.nonce, workdir=self.workdir)
        data = json.dumps(body).encode()
        try:
            while data:
                data = data[os.write(w_req, data):]
        except OSError:  # the process died before reading its request: its exit status tells the rest
            pass
        finally:
            os.close(w_req)
        self.buffer = b""
        self.output = bytearray()
        self.output_total = 0

    def frames(self, data):
        """Complete frames carrying this child's nonce; anything else on the channel is ignored."""
        found, self.buffer = parse_frames(self.buffer, data, self.nonce)
        return found

    def kill(self):
        """SIGKILL the child and its session (a pid-1 zygote's cleanup also sweeps the whole namespace)."""
        members = [self.pid] if os.getpid() == 1 else session_members(self.pid)
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def poll_exit(self):
        """True once the child has ended (reaping it, so its status is kept)."""
        if self.status is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid:
                self.status = status
        return self.status is not None

    def exit_outcome(self):
        """Reap the child; (outcome, detail) of how it ended."""
        for _ in range(1000):  # until the helper that forked it has exited and it is ours to reap
            if self.status is not None:
                break
            try:
                self.status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                time.sleep(0.001)
        if self.status is None:
            return "crashed", "the process ended without a result"
        return describe_status(self.status)

    def close(self):
        for fd in (self.r_res, self.r_out, self.pidfd):
            if fd is not None:
                os.close(fd)


def _spawn(server, fds):
    """Ask the fork server for a verifier process holding ``fds``; its pid."""
    try:
        socket.send_fds(server, [MESSAGE.pack(VERIFIER, 0)], list(fds))
        server.settimeout(SPAWN_TIMEOUT_S)
        reply = server.recv(32)
    except OSError as exc:
        raise SpawnError(f"the fork server did not answer: {exc}") from exc
    if not reply or reply == FAILED or not reply.isdigit():
        raise SpawnError("the fork server could not start a verifier process")
    return int(reply)


def session_members(sid):
    """Pids whose session id is ``sid`` (the child and every process it started without a new session)."""
    members = [sid]
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            members.append(int(name))
    return members
