"""Closing descriptors a verifier chose, in a process of its own, so that no such close ever blocks the fork server.

Why: ``close()`` of a TCP socket with ``SO_LINGER`` and unsent data blocks for the linger time, and the last close of
a socket whose queue holds such a socket in flight blocks too (the kernel releases it in the closer's context). A
verifier can hand the single-threaded fork server both over its channel. The server instead sends them to the
disposer (a child forked at the server's start, so it never held task data), closes its own copies, then sends a
commit; only then does the disposer close them, so its close is the last one. A disposer stuck in a lingering close
stops taking more: once its queue is full it is killed (a process that exits never lingers on its sockets,
``socket(7)``) and replaced.
"""

import os
import signal
import socket

HOLD, COMMIT = b"h", b"c"  # to the disposer: descriptors to hold; close what you hold
SCM_MAX_FD = 253  # the most descriptors one message carries (include/net/scm.h)


class Disposer:
    """The disposer process, seen from the fork server."""

    def __init__(self):
        self.sock, self.pid = None, None
        self._start()

    def _start(self):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            pid = os.fork()
        except OSError:
            mine.close()
            theirs.close()
            return
        if pid == 0:
            try:
                keep = theirs.fileno()  # and nothing else of the server's (its command socket above all)
                os.closerange(3, keep)
                os.closerange(keep + 1, os.sysconf("SC_OPEN_MAX"))
                held = []
                while True:
                    data, fds, _, _ = socket.recv_fds(theirs, 1, SCM_MAX_FD)
                    if not data and not fds:
                        break
                    held += fds
                    if data == COMMIT:  # the server has closed its copies: these closes are the last ones
                        for fd in held:
                            os.close(fd)
                        held = []
            finally:
                os._exit(0)
        theirs.close()
        mine.setblocking(False)
        self.sock, self.pid = mine, pid

    def close(self, fds):
        """Close ``fds`` here once the disposer holds them, then let it close its copies: ours is never the last
        close (the disposer's could come first if it did not wait for the commit)."""
        for _ in range(2):
            if not fds or self.sock is None:
                break
            try:
                socket.send_fds(self.sock, [HOLD], fds)
                break
            except OSError:  # stuck in a lingering close (its queue is full), or gone: replace it
                self._replace()
        for fd in fds:
            try:
                os.close(fd)
            except OSError:
                pass
        if self.sock is not None:
            try:
                self.sock.send(COMMIT)
            except OSError:  # a later commit closes them; a full queue replaces the disposer at the next send
                pass

    def _replace(self):
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        self.sock.close()
        self.sock, self.pid = None, None
        self._start()

    def forget(self):
        """In a forked verifier or response: drop the server's end (never the disposer's business there)."""
        if self.sock is not None:
            self.sock.close()
