"""One forked child as the zygote sees it: its pipes, its pid (and pidfd), its nonce and its scratch directory."""

import os
import signal

from verifier.sandbox.zygote.child import child_main
from verifier.sandbox.zygote.frames import describe_status, parse_frames


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
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
        return self.status is not None

    def exit_outcome(self):
        """Reap the child; (outcome, detail) of how it ended."""
        if self.status is None:
            try:
                self.status = os.waitpid(self.pid, 0)[1]
            except ChildProcessError:
                return "crashed", "the process ended without a result"
        return describe_status(self.status)

    def close(self):
        for fd in (self.r_res, self.r_out, self.pidfd):
            if fd is not None:
                os.close(fd)


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
