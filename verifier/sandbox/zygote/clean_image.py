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
from verifier.sandbox.zygote.fork_protocol import MESSAGE, RESPONSE, pass_sender, receive, write_status


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
    pass_sender(theirs)
    socket.send_fds(mine, [MESSAGE.pack(RESPONSE, 1)], [read_end], socket.MSG_DONTWAIT)
    _, _, fds, sender = receive(theirs)
    for fd in fds + ([] if sender is None or sender < 0 else [sender]):
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
    inherit_code_mappings()
    gc.collect()
    gc.freeze()


def fresh_heap():
    """In a forked child, once the Server and the frames that served are gone: collect what they left in cycles
    and clear the interpreter's free lists (a full collection does), whose fill counted the objects the server had
    made and freed. What stays is the image :func:`warm_up` froze plus this launch's few objects."""
    gc.collect()



def inherit_code_mappings(maps="/proc/self/maps", mem="/proc/self/mem", populate=None):
    """Make every clone of this process start with the page-table entries of its read-only file mappings (the
    interpreter's and the C library's code and constants), and with all of the interpreter's own code mapped;
    returns how many mappings were prepared.

    Why: ``fork`` copies page-table entries only for mappings that hold an anonymous page; the others are left for
    the clone to fault in again, page by page (no data is copied, but each fault costs 4-5 us in this VM). A
    ``run_response`` call's process faulted about 1,000 times, 400 of them on code and constants it shared with its
    template (258 on ``libpython``'s code alone), and a verifier process as many. Writing the first byte of each
    such mapping back to itself (through ``/proc/self/mem``, as a debugger sets a breakpoint) gives it one anonymous
    page, identical to the file's, so every later clone copies the entries of the pages this process has mapped.
    The interpreter's code is then mapped whole (``MADV_POPULATE_READ``): a clone runs code paths this process
    never ran (the compiler's, above all). Not the other mappings: each entry a clone copies costs it too, at fork
    and at exit; mapping every page of them (1,900 more entries a clone) saved 20 faults a process and measured
    the same CPU per ``run_response`` call (alternating A/B, within noise), so the smaller image won. A
    response process then faulted about 280 times instead of 765 before its code ran, a verifier process about 330
    instead of 837. Done once, before the templates exist and before any task code: every worker's image is
    prepared alike. Where the kernel refuses the write (``proc_mem.force_override``), nothing changes but the
    speed."""
    populate = populate or _populate()
    try:
        with open(maps) as listing:
            lines = listing.read().splitlines()
        memory = open(mem, "r+b", buffering=0)
    except OSError:
        return 0
    interpreter = _file_holding(lines, _interpreter_address())
    prepared = 0
    with memory:
        for line in lines:
            fields = line.split(maxsplit=5)
            if len(fields) < 6 or not fields[5].startswith("/") or fields[1][:2] != "r-" or fields[1][3] != "p":
                continue  # anonymous, writable (already copied at fork), unreadable or shared mappings
            start, end = (int(bound, 16) for bound in fields[0].split("-"))
            try:
                memory.seek(start)
                first = memory.read(1)
                memory.seek(start)
                if memory.write(first) == 1:
                    prepared += 1
            except (OSError, ValueError, OverflowError):
                continue
            if fields[1] == "r-xp" and fields[5] == interpreter:
                populate(start, end - start)
    return prepared


def _interpreter_address():
    """An address in the interpreter's own code (its eval loop's entry), or None without ctypes."""
    try:
        import ctypes
        return ctypes.cast(ctypes.pythonapi.PyEval_EvalCode, ctypes.c_void_p).value
    except (ImportError, AttributeError, OSError):
        return None


def _file_holding(lines, address):
    """The path of the file mapped at ``address`` in a ``/proc/self/maps`` listing (``libpython``, or the
    ``python`` executable of a static build); None when none is."""
    for line in lines if address is not None else ():
        fields = line.split(maxsplit=5)
        start, end = (int(bound, 16) for bound in fields[0].split("-"))
        if start <= address < end and len(fields) == 6:
            return fields[5]
    return None


def _populate():
    """``madvise(MADV_POPULATE_READ)``: map every page of a range into this process's page table (Linux 5.14+;
    elsewhere a no-op), so that clones copy the entries of pages this process itself never ran."""
    lib = libc()
    if lib is None:
        return lambda start, length: None
    import ctypes
    madvise = lib.madvise
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    return lambda start, length: madvise(start, length, MADV_POPULATE_READ)


MADV_POPULATE_READ = 22
