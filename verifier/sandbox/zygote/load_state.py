"""What a verifier process had once its verifier loaded, recorded before its first isolated fork and put back after
each one (``isolation.isolated_call``).

Runs inside the sandbox, standard library only. A response's fork is a copy of the verifier process: its memory is
its own, but it shares what lives in the kernel: open file descriptions (offsets, status flags, signal owner), the
scratch space, SysV IPC objects. Each of those carried one response's doing into the next once (red-team rounds
23 and 24: ``O_ASYNC`` and ``F_SETOWN`` on the shared output pipe signalled the verifier process to death; a file
the verifier opened at load time was read from where the previous fork had left its offset; seven 64 MiB SysV
segments had every later response killed for memory; a file the verifier wrote at load time was gone after the
first response's wipe). :func:`record` takes the state once; :func:`put_back` restores it after the fork is gone
and the scratch space is empty again.
"""

import fcntl
import os
import stat

from verifier.sandbox.zygote.cleanup import libc

RESULT_FD, REQUEST_FD = 3, 5  # the group's pipes, which a fork does not hold (``isolation``)
F_SETSIG, F_GETSIG = 10, 11  # Linux: the signal sent when I/O is possible (0: SIGIO)
LOADED_CAP = 8 << 20
"""Bytes of files written at load time that are kept for every isolated response (the verifier process holds them
in memory, under its memory limit); a file beyond them is left out."""
# SysV IPC commands (Linux): the highest index in use, an object's id by index (no permission check), removal.
_IPC = (("shm", 14, 15), ("sem", 19, 20), ("msg", 12, 13))  # (kind, *_INFO, *_STAT_ANY)
IPC_RMID = 0


class LoadState:
    """The verifier process's state after loading: its descriptions, its IPC objects, its scratch files."""

    __slots__ = ("descriptions", "ipc", "files", "held")

    def __init__(self, descriptions, ipc, files, held):
        self.descriptions = descriptions  # fd -> (status flags, signal owner, signal, offset or None)
        self.ipc = ipc  # (kind, id) of the SysV objects the verifier made, which stay
        self.files = files  # (path relative to scratch, permission bits, content): see scratch_files
        self.held = held  # fd -> path relative to scratch, for each scratch file the verifier holds open


def record(scratch):
    """The state to put back after every isolated fork (call once, after the verifier loaded, before any fork)."""
    descriptions = open_descriptions()
    files = scratch_files(scratch)
    return LoadState(descriptions, ipc_objects(), files, held_files(scratch, descriptions, files))


def put_back(state, scratch):
    """After a fork is gone and the scratch space is empty: make the load-time files again, point every descriptor
    that held one at its new copy, restore every description, remove the IPC objects the fork made."""
    make_files(scratch, state.files)
    for fd, path in state.held.items():
        reopen(fd, os.path.join(scratch, path), state.descriptions[fd][0])
    restore(state.descriptions)
    remove_ipc_except(state.ipc)


def open_descriptions(highest=1024):
    """``fd -> (status flags, signal owner, signal, offset or None)`` of every open descriptor but the group's pipes:
    stdin, output, the channel and whatever the verifier opened while loading (its descriptor limit is 256;
    ``highest`` bounds the scan; ``/proc`` is covered here)."""
    found = {}
    for fd in range(highest):
        if fd in (RESULT_FD, REQUEST_FD):
            continue
        try:
            state = (fcntl.fcntl(fd, fcntl.F_GETFL), fcntl.fcntl(fd, fcntl.F_GETOWN), fcntl.fcntl(fd, F_GETSIG))
        except OSError:
            continue
        try:
            offset = os.lseek(fd, 0, os.SEEK_CUR)
        except OSError:  # a pipe or a socket
            offset = None
        found[fd] = state + (offset,)
    return found


def restore(descriptions):
    """Put back what :func:`open_descriptions` recorded: status flags (``O_NONBLOCK``, ``O_ASYNC``, ...), signal
    owner, signal and file offset of each description; a descriptor that refuses is left as it is."""
    for fd, (flags, owner, sig, offset) in descriptions.items():
        for command, value in ((fcntl.F_SETOWN, owner), (F_SETSIG, sig), (fcntl.F_SETFL, flags)):
            try:
                fcntl.fcntl(fd, command, value)
            except OSError:
                pass
        if offset is not None:
            try:
                os.lseek(fd, offset, os.SEEK_SET)
            except OSError:
                pass


def scratch_files(scratch, cap=LOADED_CAP):
    """What the scratch space holds (the verifier's work directory and what it wrote at load time), parents first:
    ``(path relative to scratch, permission bits, content)``, with content None for a directory and a ``str`` (the
    target) for a symbolic link; anything else, and files beyond ``cap`` bytes in all, are left out. Walked without
    recursion: a verifier may nest deep."""
    found, pending = [], [""]
    while pending:
        below = pending.pop()
        try:
            entries = list(os.scandir(os.path.join(scratch, below)))
        except OSError:
            continue
        for entry in entries:
            path = os.path.join(below, entry.name)
            try:
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISDIR(info.st_mode):
                    found.append((path, stat.S_IMODE(info.st_mode), None))
                    pending.append(path)
                elif stat.S_ISLNK(info.st_mode):
                    found.append((path, 0, os.readlink(entry.path)))
                elif stat.S_ISREG(info.st_mode) and info.st_size <= cap:
                    with open(entry.path, "rb") as kept:
                        content = kept.read(cap + 1)
                    if len(content) <= cap:
                        cap -= len(content)
                        found.append((path, stat.S_IMODE(info.st_mode), content))
            except OSError:
                continue
    return found


def make_files(scratch, files):
    """Make again, in the emptied scratch space, what :func:`scratch_files` recorded; what no longer fits is left
    out (the verifier then meets the same error it would meet writing it)."""
    for path, mode, content in files:
        target = os.path.join(scratch, path)
        try:
            if content is None:
                try:
                    os.mkdir(target, mode)
                except FileExistsError:  # the work directory, made already
                    pass
                os.chmod(target, mode)
            elif isinstance(content, str):
                os.symlink(content, target)
            else:
                fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
                try:
                    view = memoryview(content)
                    while view:
                        view = view[os.write(fd, view):]
                finally:
                    os.close(fd)
                os.chmod(target, mode)
        except OSError:
            continue


def held_files(scratch, descriptions, files):
    """``fd -> path`` of each descriptor that holds one of ``files`` open: after a fork, it is pointed at the new
    copy (:func:`reopen`), so that what a fork wrote into the file through it is gone too."""
    by_inode = {}
    for path, _, content in files:
        if isinstance(content, bytes):
            try:
                info = os.stat(os.path.join(scratch, path), follow_symlinks=False)
            except OSError:
                continue
            by_inode[(info.st_dev, info.st_ino)] = path
    held = {}
    for fd, (_, _, _, offset) in descriptions.items():
        if offset is None:
            continue
        try:
            info = os.fstat(fd)
        except OSError:
            continue
        path = by_inode.get((info.st_dev, info.st_ino))
        if path is not None:
            held[fd] = path
    return held


def reopen(fd, path, flags):
    """Point ``fd`` at the file now at ``path``, opened with the access mode and status flags ``flags`` (offset and
    the rest: :func:`restore`); left as it is when the file cannot be opened."""
    keep = flags & (os.O_ACCMODE | os.O_APPEND | os.O_NONBLOCK)
    try:
        inheritable = not fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        fresh = os.open(path, keep | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        os.dup2(fresh, fd, inheritable=inheritable)
    finally:
        os.close(fresh)


def ipc_objects():
    """The SysV shared memory segments, semaphore sets and message queues of this process's IPC namespace, as
    ``(kind, id)`` pairs, found by system call (``/proc/sysvipc`` is covered here); empty without a C library."""
    lib = libc()
    if lib is None:
        return set()
    import ctypes
    buffer = ctypes.create_string_buffer(512)
    found = set()
    for kind, info, stat_any in _IPC:
        call = getattr(lib, kind + "ctl")
        extra = (0,) if kind == "sem" else ()
        highest = call(0, *extra, info, buffer)
        for index in range(max(-1, highest) + 1):
            ident = call(index, *extra, stat_any, buffer)
            if ident >= 0:
                found.add((kind, ident))
    return found


def remove_ipc_except(kept):
    """Remove every SysV IPC object of this namespace that is not in ``kept`` (those the verifier made before its
    first fork): its objects outlive a fork."""
    lib = libc()
    if lib is None:
        return
    for kind, ident in ipc_objects() - kept:
        call = getattr(lib, kind + "ctl")
        call(ident, *((0,) if kind == "sem" else ()), IPC_RMID, None)
