"""The clean image every verifier and response process is forked from: built once, frozen, then collected per child.

Standard library only (shipped into the sandbox). Why: a forked child inherits its parent's heap, caches and free
lists. Whatever the fork server builds lazily the first time it does something (resolve a C function, pass a
descriptor, reap a child) would otherwise appear in the image of every child forked after that first time, and tell
a verifier whether its worker had served before. :func:`warm_up` does each of those things once at the server's
start; :func:`fresh_heap` clears, in the child, what the serving loop left.
"""

import gc
import math
import os
import select
import socket
import time

from verifier.sandbox.zygote.cleanup import libc, remove_ipc
from verifier.sandbox.zygote.fork_protocol import MESSAGE, RESPONSE, receive, write_status


def warm_up():
    """Build what the server builds lazily on first use (the C library, its IPC functions, ``syscall``; a first
    descriptor passed, pidfd polled, child waited for, status written, OSError raised), then move
    every object there is into the collector's permanent generation: every later verifier and response process
    starts from this image, and a cache filled by the first response (``CDLL`` caches each function it resolved)
    told whether the worker had ever served ``run_response``. Frozen objects stay out of ``gc.get_objects()`` and
    out of every collection (which the children then run cheaply)."""
    lib = libc()
    if lib is not None:
        getattr(lib, "syscall")
    remove_ipc()
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    read_end, write_end = os.pipe()
    socket.send_fds(mine, [MESSAGE.pack(RESPONSE, 1)], [read_end], socket.MSG_DONTWAIT)
    for fd in receive(theirs)[2]:
        os.close(fd)
    poller = select.poll()
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    pidfd = os.pidfd_open(pid)
    for fd, flags in ((pidfd, select.POLLIN), (write_end, 0)):
        poller.register(fd, flags)
    poller.poll(-1)
    for fd in (pidfd, write_end):
        poller.unregister(fd)
    math.ceil(sum(os.wait4(pid, 0)[2][:2]) + time.monotonic())
    write_status(write_end, "exited", 0)
    for fd in (pidfd, read_end, write_end, theirs.detach()):
        os.close(fd)
    mine.close()
    try:  # the first OSError of a process keeps a block; the server's first one came when a sweep found nothing
        os.close(-1)
    except OSError:
        pass
    del mine, theirs, poller
    gc.collect()
    gc.freeze()


def fresh_heap():
    """In a forked child, once the Server and the frames that served are gone: collect what they left in cycles
    and clear the interpreter's free lists (a full collection does), whose fill counted the objects the server had
    made and freed. What stays is the image :func:`warm_up` froze plus this launch's few objects."""
    gc.collect()
