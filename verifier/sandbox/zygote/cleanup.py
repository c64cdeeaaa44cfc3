"""After every child: kill whatever it left running, remove SysV IPC objects, wipe the scratch space.

``kill(-1)`` is only ever sent when the zygote is pid 1 of its own pid namespace, where it reaches exactly the
sandbox's processes; anywhere else it would reach every process of the user (as root: the whole machine), so a
zygote that is not pid 1 kills only the child's session.
"""

import os
import shutil
import signal


def cleanup(run, scratch):
    """Kill every leftover process, remove SysV IPC objects and wipe the scratch space."""
    for _ in range(3):
        if os.getpid() == 1:
            try:
                os.kill(-1, signal.SIGKILL)
            except OSError:
                pass
        else:
            run.kill()
        while True:
            try:
                os.waitpid(-1, 0)
            except ChildProcessError:
                break
    run.close()
    _remove_ipc()
    wipe(scratch)


def wipe(directory, keep=None):
    """Delete everything under ``directory`` except the entry named ``keep`` (whose contents are wiped too).

    A run may leave entries it made unremovable (a mode-000 directory, a read-only work directory); they belong to
    the sandbox uid, so making each one writable first removes them. Nothing here raises: a wipe that failed must
    not kill the zygote, nor be charged to the next response of an isolated group.
    """
    _writable(directory)
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return
    for entry in entries:
        try:
            if entry.name == keep:
                wipe(entry.path)
            elif entry.is_dir(follow_symlinks=False):
                _writable(entry.path)
                shutil.rmtree(entry.path, onerror=_force_remove)
            else:
                os.unlink(entry.path)
        except (OSError, RecursionError):
            pass


def _writable(path):
    try:
        os.chmod(path, 0o700)
    except OSError:
        pass


def _force_remove(func, path, _exc):
    """rmtree's error hook: make the entry (and its directory, when ours) writable, then remove it."""
    _writable(path)
    _writable(os.path.dirname(path))
    try:
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path, onerror=_force_remove)
        else:
            os.unlink(path)
    except OSError:
        pass


def _remove_ipc():
    """Delete SysV shared memory, semaphores and queues a run left behind (they outlive processes)."""
    lib = libc()
    if lib is None:
        return
    for kind, call in (("shm", lib.shmctl), ("sem", lib.semctl), ("msg", lib.msgctl)):
        try:
            with open(f"/proc/sysvipc/{kind}") as f:
                rows = f.read().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            fields = row.split()
            if len(fields) > 1:
                call(int(fields[1]), *((0, 0, 0) if kind == "sem" else (0, 0)))


_LIBC = []  # the loaded C library, filled once per zygote


def libc():
    if not _LIBC:
        try:
            import ctypes
            _LIBC.append(ctypes.CDLL(None, use_errno=True))
        except (ImportError, OSError):
            _LIBC.append(None)
    return _LIBC[0]
