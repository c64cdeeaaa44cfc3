"""After every run: kill whatever it left running, remove SysV IPC objects, wipe the scratch space.

Processes: only a zygote that is pid 1 of its own pid namespace sweeps by uid, killing every process of its own
uid (the verifiers') except itself; anywhere else a sweep would reach the host user's processes, so such a zygote
kills only the run's session. Where the fork server has a uid of its own (privileged sandboxes) the sweep is
``kill(-1)``, which the kernel delivers to every process at once, so a fork bomb cannot outrun it; where every
process shares one uid, the sweep reads ``/proc`` and spares the ``spare`` pids (the fork server).

Files: :func:`wipe` deletes depth-first without recursion and without long paths: it holds one open directory at a
time, walks down by name and back up through ``..``, so a 100,000-deep tree or one deeper than ``PATH_MAX`` is
removed as surely as a flat one. An entry it cannot remove (another uid's, in the sticky scratch root) is skipped,
never retried forever, and nothing here raises: a failed wipe must not kill the zygote.
"""

import fcntl
import os
import signal
import stat
import sys
import time

SWEEP_S = 5.0


def cleanup(run, scratch, spare=()):
    """Kill every leftover process of the run, remove SysV IPC objects and wipe the scratch space.

    The run's process is waited for first (on its pidfd, at most ``SWEEP_S``): as pid 1 of its own pid namespace
    it ends only after every process it started, so the sweep then finds nothing left instead of polling ``/proc``
    while the namespace is torn down. A run that was pid 1 of pid, mount and IPC namespaces of its own
    (``run.confined``) and has ended needs no sweep and no IPC removal: the kernel ended every process of its
    namespace before reporting its end, and its SysV objects and scratch tmpfs went with its namespaces (the sweep
    read ``/proc`` and the IPC tables: a quarter of the zygote's work per group). The wipe stays: it costs one
    directory read when there is nothing to wipe."""
    run.kill()
    run.wait_ended(SWEEP_S)
    contained = run.confined and run.status is not None
    if os.getpid() == 1 and not contained:
        sweep(spare)
    else:
        reap()
    run.close()
    if not contained:
        remove_ipc()
    wipe(scratch)


def sweep(spare=()):
    """SIGKILL every live process of this uid but this one and ``spare`` until none is left; reap the dead."""
    me, own = os.getuid(), os.getpid()
    spare_is_safe = all(_uid_of(pid) not in (me, None) for pid in spare)
    deadline = time.monotonic() + SWEEP_S
    while time.monotonic() < deadline:
        if spare_is_safe:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        reap()
        left = [pid for pid in processes_of(me, zombies=True) if pid != own and pid not in spare]
        if not left:  # zombies too: a process whose threads are still exiting is reaped on a later turn
            break
        live = [pid for pid in processes_of(me) if pid in left]
        for pid in live:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.0005)
    reap()


def _uid_of(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("Uid:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def processes_of(uid, zombies=False):
    """Pids of processes whose real uid is ``uid`` (zombies only when asked), read from /proc."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status") as f:
                text = f.read(1024)  # State is on line 3, Uid on line 9
        except OSError:
            continue
        state, uids = text.partition("\nState:")[2], text.partition("\nUid:")[2]
        if not uids or (not zombies and state.lstrip().startswith("Z")):
            continue
        if int(uids.split()[0]) == uid:
            found.append(int(name))
    return found


def arrange(pairs):
    """dup2 each (source, target) fd pair and close every other descriptor above the targets.

    Sources are first moved above every target, so a source whose number is another pair's target survives."""
    moved = [(fcntl.fcntl(source, fcntl.F_DUPFD, 64), target) for source, target in pairs]
    for source, target in moved:
        os.dup2(source, target)
    os.closerange(max(target for _, target in pairs) + 1, 65536)


def reap():
    """Collect every child that has ended, without waiting for those still running."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def wipe(directory, keep=None):
    """Delete everything under ``directory`` except the entry named ``keep`` (whose contents are wiped too).

    ``directory`` itself keeps its mode (the scratch root stays sticky and shared); every directory below it is
    made writable first, so entries a run made unremovable (mode 000, a read-only work directory) go too.
    """
    targets = [(directory, keep)] + ([(os.path.join(directory, keep), None)] if keep is not None else [])
    for path, skip in targets:
        try:
            top = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
        except OSError:
            continue
        try:
            _empty(top, skip)
        finally:
            os.close(top)


def _empty(top, keep):
    fd, trail, skipped = top, [], set()
    while True:
        below = None
        try:
            with os.scandir(fd) as entries:
                for entry in entries:
                    if (not trail and entry.name == keep) or entry.inode() in skipped:
                        continue
                    if entry.is_dir(follow_symlinks=False):
                        below = _open_dir(entry.name, fd)
                        if below is None:
                            skipped.add(entry.inode())
                            continue
                        trail.append((entry.name, entry.inode()))
                        break
                    try:
                        os.unlink(entry.name, dir_fd=fd)
                    except OSError:
                        skipped.add(entry.inode())
        except OSError:
            below = None
        if below is not None:
            if fd != top:
                os.close(fd)
            fd = below
            continue
        if not trail:
            break
        name, inode = trail.pop()
        try:
            parent = top if not trail else os.open("..", os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        except OSError:
            break
        if fd != top:
            os.close(fd)
        fd = parent
        try:
            os.rmdir(name, dir_fd=fd)
        except OSError:
            skipped.add(inode)
    if fd != top:
        os.close(fd)


def _open_dir(name, parent):
    """An fd of the directory ``name`` under ``parent``, made writable; None when it cannot be entered."""
    flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW
    try:
        fd = os.open(name, flags, dir_fd=parent)
    except PermissionError:
        try:
            os.chmod(name, stat.S_IRWXU, dir_fd=parent)
            fd = os.open(name, flags, dir_fd=parent)
        except OSError:
            return None
    except OSError:
        return None
    try:
        os.fchmod(fd, stat.S_IRWXU)
    except OSError:
        pass
    return fd


def remove_ipc():
    """Delete SysV shared memory, semaphores and queues a run left behind (they outlive processes)."""
    lib = libc()
    if lib is None:
        return
    for kind, call in (("shm", lib.shmctl), ("sem", lib.semctl), ("msg", lib.msgctl)):
        rows = _read_bytes(f"/proc/sysvipc/{kind}").splitlines()[1:]
        for row in rows:
            fields = row.split()
            if len(fields) > 1:
                call(int(fields[1]), *((0, 0, 0) if kind == "sem" else (0, 0)))


def _read_bytes(path):
    """The whole file as bytes (empty when unreadable), read without a text layer: in the fork server every text
    ``open`` kept a block of heap for good (CPython 3.11), so the heap every later verifier process is cloned from
    counted the responses served before."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return b""
    chunks = []
    try:
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    except OSError:
        pass
    finally:
        os.close(fd)
    return b"".join(chunks)


_LIBC = []  # the loaded C library, filled once per zygote


def libc():
    if not _LIBC:
        try:
            import ctypes
            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except (ImportError, OSError):
            _LIBC.append(None)
    return _LIBC[0]


def flush_streams():
    """Flush ``sys.stdout`` and ``sys.stderr`` before a process ends by ``os._exit`` (which flushes nothing); task
    code may have replaced or broken either, so nothing raised here gets out."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def drain(fd, cap):
    """What a pipe holds now, at most ``cap`` bytes, without waiting for writers that may still hold it open (what a
    finished run left: an isolated fork's frame, a response's digest report)."""
    os.set_blocking(fd, False)
    data = bytearray()
    while len(data) < cap:
        try:
            chunk = os.read(fd, cap - len(data))
        except BlockingIOError:
            break
        if not chunk:
            break
        data += chunk
    return bytes(data)
