"""The templates: the processes every verifier and response process is cloned from, which never serve.

Runs inside the sandbox, standard library only. Why: a clone is a copy of its parent's memory, the C allocator's
state included. Cloned from the fork server itself, a child's heap followed the server's history: after one verifier
had held 40 response processes at once, a later verifier's first ``id([])`` and ``id({})`` differed from the ones a
fresh worker gave (a bit passed from one task to the next, and a sign of a used worker), and each child had to drop
the server's objects and run a full collection before it was clean. A template is forked from the fork server once,
right after the server built its image (``clean_image.warm_up``) and before it serves anything; it drops the server,
collects and freezes once, and then does the same thing on every turn of a loop whose state never grows: receive
the descriptors of one process, clone, and either run the launch (in the clone) or send the pid back and close its
copies. Its first turns fill the interpreter's free lists, so the server rehearses :data:`REHEARSALS` turns through
it before it serves. Every verifier and response process is therefore a copy of the same image, on a fresh worker
and after a thousand groups, and it starts without a collection.

Two templates, because a clone made with ``CLONE_PARENT`` gets its template's parent: the verifier template is
itself cloned with ``CLONE_PARENT`` from the server, so the zygote is its parent and the parent of every verifier
process it clones (the zygote reaps them and reads how they ended); the response template is an ordinary child of
the server, so every response it clones is the server's child (the server is the responses' watchdog, and reaps
them). A template clones into a
pid, mount and IPC namespace of its own (``confine``) and tells the server whether it did. Templates are used only
where the server may make those namespaces (privileged sandboxes, x86_64); elsewhere the server clones children
itself as before.
"""

import gc
import os
import socket
import time

from verifier.sandbox.zygote.confine import CLONE_PARENT, SYS_CLONE, SYS_GETPID, can_clone, clone
from verifier.sandbox.zygote.fork_protocol import pid_reply, read_pid_reply

MAX_FDS = 5  # a verifier process's three pipe ends and its channel to the server; a response's four pipe ends and
# its text
REHEARSALS = 128
"""Turns a template runs, before it serves, in which everything happens except the clone (``getpid`` in its place).
Why: its first turns fill the interpreter's free lists, one item a turn, and a clone is a copy of them. Collecting
after every turn emptied them, but every collection is counted (``gc.get_stats()``), so each clone could read how
many came before it: the worker's age, and a channel from one task to the next. CPython 3.11's list and dict free
lists hold 80 items; measured in the bwrap sandbox, both templates stop changing after their 80th turn."""


class Template:
    """One template process, seen from the fork server: hand it a process's descriptors, get its pid."""

    def __init__(self, sock, pid):
        self.sock, self.pid = sock, pid

    def spawn(self, fds, rehearsal=False):
        """Have the template clone a process holding ``fds`` (the server keeps and closes its own copies); returns
        (pid, confined) or None when it could not. A rehearsal is the same turn with ``getpid`` for the clone."""
        try:
            socket.send_fds(self.sock, [b"r" if rehearsal else b"s"], list(fds))
            return read_pid_reply(self.sock.recv(32))
        except OSError:
            return None

    def rehearse(self, fd_count):
        """Run :data:`REHEARSALS` turns with ``fd_count`` stand-in descriptors, so that the first process the
        template clones starts from the image the thousandth does."""
        read_end, write_end = os.pipe()
        stand_ins = [read_end, write_end] * fd_count
        try:
            for _ in range(REHEARSALS):
                self.spawn(stand_ins[:fd_count], rehearsal=True)
        finally:
            os.close(read_end)
            os.close(write_end)


def fork_for_parent(zygote_pid, namespaces):
    """Fork a process whose parent is the zygote: ``clone(CLONE_PARENT)`` on x86_64, elsewhere a helper that forks
    it and exits, re-parenting it to the zygote (a child subreaper); 0 in the new process, its pid in the caller."""
    if can_clone():
        return clone(CLONE_PARENT, namespaces)
    read_end, write_end = os.pipe()
    helper = os.fork()
    if helper == 0:
        os.close(read_end)
        pid = os.fork()
        if pid != 0:
            os.write(write_end, str(pid).encode())
            os._exit(0)
        os.close(write_end)
        while os.getppid() != zygote_pid:
            time.sleep(0.0001)
        return 0
    os.close(write_end)
    os.waitpid(helper, 0)
    reply = os.read(read_end, 32)
    os.close(read_end)
    if not reply.isdigit():
        raise OSError("the helper could not fork")
    return int(reply)


def serve(sock, flags, launch, namespaces):
    """The template's loop (never returns): for each request from the server, clone with ``flags``; the clone
    lets go of the template's socket and runs ``launch(fds)``; the template replies with its pid and closes its
    copies of the descriptors. The loop's state is the same on every turn (the same few locals, rebound), and after
    the server's rehearsals (:data:`REHEARSALS`) so is the interpreter's: nothing is collected after a turn, so no
    count a clone can read grows with the turns before it."""
    gc.collect()  # once: what dropping the server left behind, and the free lists it filled
    gc.freeze()
    while True:
        try:
            data, fds, _, _ = socket.recv_fds(sock, 1, MAX_FDS)
        except OSError:
            data, fds = b"", []
        if not data:
            os._exit(0)
        try:
            pid = clone(flags, namespaces, SYS_GETPID if data == b"r" else SYS_CLONE)
        except OSError:
            pid = None
        if pid == 0:
            sock.detach()  # the server's channel is not the child's (its ``arrange`` closes the descriptor)
            launch(fds)
            os._exit(70)
        for fd in fds:
            os.close(fd)
        try:
            sock.send(pid_reply(pid, namespaces[0]))
        except OSError:
            os._exit(0)
        del data, fds
