"""Who uses which file image, and removing the images nobody uses.

Every change of the interpreter, a library or a system library makes a new image (``file_image.py``), and a test
suite that allows a package of its own makes a layer per run: without removal, shared memory fills up with copies
no pool will mount again. An image cannot simply be removed when a newer one exists, because a worker that mounted
it may still run: removing its files under a running sandbox would break every import there.

So each worker holds a *lease* on every image it mounts, a shared ``flock`` on ``<name>.lock`` beside the image,
from before it checks that the image is complete until the worker closes (:class:`Leases`). Whenever a process has
just built an image, it removes every other image whose lock it can take exclusively, that is, which no worker of
any process holds (:func:`prune`), and build directories left behind by a build that died more than an hour ago.

Races, and why they are safe: the remover takes the exclusive lock, renames the image out of the way, deletes the
lock file and only then releases the lock. A process that opened the lock file just before waits for the release,
then finds its lock is on a file no longer in the directory (another inode, or none), and starts over; so a lease
is always on the lock file that guards the image's current name.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import time
from collections.abc import Iterable
from pathlib import Path

STALE_BUILD_S = 3600.0
"""A build directory this old belongs to a build that died (a base builds in about a second)."""


class Leases:
    """Shared locks on the images one worker mounts; :meth:`close` releases them all (safe to call twice)."""

    def __init__(self) -> None:
        self._held: dict[str, int] = {}

    def take(self, root: Path, name: str) -> None:
        """Hold a shared lock on image ``name`` under ``root`` (blocks while that image is being removed)."""
        if name in self._held:
            return
        path = root / f"{name}.lock"
        while True:
            fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
            fcntl.flock(fd, fcntl.LOCK_SH)
            try:
                if os.stat(path).st_ino == os.fstat(fd).st_ino:
                    self._held[name] = fd
                    return
            except FileNotFoundError:
                pass
            os.close(fd)  # the image was removed while we waited: lock the lock file that guards its name now

    def release(self, name: str) -> None:
        fd = self._held.pop(name, None)
        if fd is not None:
            os.close(fd)

    def names(self) -> frozenset[str]:
        return frozenset(self._held)

    def close(self) -> None:
        for name in list(self._held):
            self.release(name)


def prune(root: Path, now: float | None = None, listing: Iterable[Path] | None = None) -> list[str]:
    """Remove every image under ``root`` that no worker holds, and stale build directories; the names removed.

    ``listing`` (the entries of ``root``, read here by default) may be stale: another process prunes at the same
    time, and an image it removed after this listing was read is skipped, not an error (two pools starting at once
    once failed ``synth.generate`` with a rename of an image that was already gone)."""
    now = time.time() if now is None else now
    removed = []
    for entry in sorted(root.iterdir()) if listing is None else listing:
        try:
            if entry.name.startswith(".build-") and entry.is_dir():
                if now - entry.stat().st_mtime > STALE_BUILD_S:
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry.name)
                continue
        except FileNotFoundError:
            continue
        if not entry.name.startswith(("base-", "lib-")) or entry.name.endswith(".lock"):
            continue  # (whether it is still there is only asked by the rename, under the lock)
        if _remove_unheld(root, entry):
            removed.append(entry.name)
    return removed


def _remove_unheld(root: Path, entry: Path) -> bool:
    """Remove image ``entry`` when no worker holds it; False when one does or another process removed it first."""
    lock = root / f"{entry.name}.lock"
    fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False  # a worker holds it
        trash = root / f".build-removed-{entry.name}-{os.getpid()}"
        try:
            if os.stat(lock).st_ino != os.fstat(fd).st_ino:
                return False  # removed while we waited, and its lock file with it
            os.rename(entry, trash)
        except FileNotFoundError:  # another process removed it after our listing: the lock file we just made
            os.unlink(lock)  # guards nothing (we hold it exclusively; a lease taken on it later starts over)
            return False
        except NotADirectoryError:
            return False
        os.unlink(lock)
        shutil.rmtree(trash, ignore_errors=True)
        return True
    finally:
        os.close(fd)
