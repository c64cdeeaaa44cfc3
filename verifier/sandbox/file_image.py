"""The files a sandbox sees: a copy of the interpreter, its standard library, the shared objects they load and each
allowed verifier library, kept in shared memory (tmpfs) and bound read-only in place of the host's ``/usr``.

Why a copy. Every process that reads a file of the host shares the host's page cache, and whether a page is cached
is state that any process can set (read the page), test and, under memory pressure, clear. Red-team round 10 tested
it without setting it: map two pages of a file and touch the first; the kernel's fault-around maps the second too
only when it is cached, and the mapping's resident size (``/proc/self/smaps``) shows which. A first read's time and
a major-fault count tell the same. With the host's ``/usr`` bound, one large file nobody else reads held thousands of
bits that outlived their process, their task and their worker: a verifier marked validation's runs and recognised
training (4,000 of 4,000 bits read back by another pool). Hiding the counters cannot help while timing remains.

A file on tmpfs has every page in memory from the moment it is written until it is removed; with no swap, no page
of it can be evicted, and reading, mapping or ``posix_fadvise`` change nothing. So no page of any file a sandbox
can open has a state to set, clear or test: fault-around always maps the neighbour, a first read never waits on a
disk. tmpfs also keeps no negative dentries, so looking up a missing name leaves no trace, where a disk filesystem's
dentry cache would remember it.

What is copied (found by ``image_sources.py``):

- the base (:func:`base_image`): the interpreter binary; its install's standard library without ``site-packages``
  and what a verifier never imports (``image_sources.LEFT_OUT``: the test suite, IDLE, tkinter, turtledemo,
  ensurepip, the static library); the time-zone database and the C.UTF-8 locale; every shared object the interpreter
  and its extension modules load (``ldd``), with the symlinks on their paths; and the system libraries a manylinux
  wheel may assume (``image_sources.WHEEL_SYSTEM_LIBRARIES``: ``libgcc_s``, ``libstdc++``, ...). A wheel's own shared
  objects come with it (``numpy.libs``, a layer of its own);
- a layer per allowed verifier library (:func:`library_layer`, ``verifier/libraries.py``): its package directory or
  module file.

Where: under ``ENVSYNTH_IMAGE_DIR`` or else ``/dev/shm/envsynth-images`` (:func:`image_root`); a directory that is
not on tmpfs is refused with that fix in the message, never used with the channel open. Each image is named by a
hash of its sources (path, size, modification time, mode), so a pip upgrade or another interpreter makes a new one
and a running pool keeps its own. An image is built in a directory of its own and renamed into place, so a
concurrent start never sees half of one. The shared objects a base holds are found once, when it is built, and
checked against the host's on every use: a system library upgraded in place makes a new base.

Cost, measured here (Python 3.11, 2-core VM): the base is 115 MB of memory, held once per host, not per worker,
and the default libraries add 20 MB; the first build takes about 0.6 s, and every later worker start spends about
25 ms on ``stat`` calls to find it.

Removal: every worker leases the images it mounts, and a process that has just built an image removes every image
no worker holds (``image_leases.py``).

Not covered: on a host with swap, global memory pressure may swap a tmpfs page out, which reopens the channel while
it lasts. Pressure within a worker cannot, because the pages are charged to the host process that wrote them, not to
the worker's cgroup.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from verifier.libraries import LibraryMount
from verifier.sandbox.base import SandboxUnavailableError
from verifier.sandbox.image_leases import Leases, prune
from verifier.sandbox.image_sources import (Source, extension_modules, place, shared_objects, source_of,
                                            tree_sources, walk)

FORMAT = 3
"""Bumped when the layout changes, so an image of an older layout is never reused (2: unchecked byte code, 3: and
no source time in its header, :func:`unchecked_pyc`)."""
UNCHECKED_HASH_PYC = b"\x01\x00\x00\x00" + bytes(8)
"""Bytes 4-16 of a ``.pyc`` header (PEP 552): the flags word that marks it hash-based and never checked against its
source, and a source hash of zeros (never read) in place of the source's time and size."""

DEFAULT_ROOT = "/dev/shm/envsynth-images"
TMPFS_TYPES = frozenset({"tmpfs", "ramfs"})


class FileImage(BaseModel):
    """A built image: a directory laid out as the sandbox's root (``/usr``, ``/lib`` links, the Python prefix)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    root: str
    """Host path of the directory whose entries become the sandbox's top-level directories and links."""

    def bwrap_args(self) -> list[str]:
        """One read-only bind per top-level directory of the image, and its top-level links as links."""
        args: list[str] = []
        for entry in sorted(Path(self.root).iterdir()):
            if entry.is_symlink():
                args += ["--symlink", os.readlink(entry), f"/{entry.name}"]
            else:
                args += ["--ro-bind", str(entry), f"/{entry.name}"]
        return args


def image_root(environ: dict[str, str] | None = None, mountinfo: str = "/proc/self/mountinfo",
               uid: int | None = None) -> Path:
    """Where images live: ``ENVSYNTH_IMAGE_DIR``, else :data:`DEFAULT_ROOT` for root and ``DEFAULT_ROOT-<uid>`` for
    another user (``environ`` and ``uid``: this process's unless given), created if missing; it must be on tmpfs
    (read from ``mountinfo``) and writable (leases are lock files in it)."""
    environ = dict(os.environ) if environ is None else environ
    uid = os.geteuid() if uid is None else uid
    root = Path(environ.get("ENVSYNTH_IMAGE_DIR") or (DEFAULT_ROOT if uid == 0 else f"{DEFAULT_ROOT}-{uid}"))
    try:
        root.mkdir(mode=0o755, parents=True, exist_ok=True)
        if not os.access(root, os.W_OK | os.X_OK):
            raise PermissionError(f"[Errno 13] Permission denied: '{root}'")
    except OSError as exc:
        raise SandboxUnavailableError(f"cannot create the sandbox's file image directory {root}: {exc}; set "
                                      "ENVSYNTH_IMAGE_DIR to a writable directory on tmpfs") from exc
    kind = filesystem_type(root, mountinfo)
    if kind not in TMPFS_TYPES:
        raise SandboxUnavailableError(
            f"the sandbox's file image directory {root} is on {kind}, not tmpfs: its page cache would let one "
            "sandbox signal another; set ENVSYNTH_IMAGE_DIR to a directory on tmpfs (for example under /dev/shm)")
    return root


def filesystem_type(path: Path, mountinfo: str = "/proc/self/mountinfo") -> str:
    """The filesystem type of the mount holding ``path`` (the longest mount point above it)."""
    target = str(path.resolve())
    best, kind = "", "unknown"
    for line in Path(mountinfo).read_text().splitlines():
        fields = line.split(" - ", 1)
        if len(fields) != 2:
            continue
        point = fields[0].split()[4].encode().decode("unicode_escape")
        if (target == point or target.startswith(point.rstrip("/") + "/")) and len(point) >= len(best):
            best, kind = point, fields[1].split()[0]
    return kind


def base_image(binary: Path, prefix: Path, root: Path, leases: Leases) -> FileImage:
    """The base image for this interpreter under ``root``, leased in ``leases`` (``image_leases.py``): reused when
    one of the same sources exists, else built, after which images nobody holds are removed."""
    tree = tree_sources(binary, prefix)
    tree_key = _fingerprint(tree)
    for candidate in sorted(root.glob(f"base-{tree_key}-*")):
        if candidate.name.endswith(".lock"):
            continue
        leases.take(root, candidate.name)
        if still_current(candidate):
            return FileImage(root=str(candidate / "fs"))
        leases.release(candidate.name)
    closure: dict[str, Source] = {}
    for path in shared_objects([binary, *extension_modules(tree)]):
        place(path, closure, depth=0)
    final = root / f"base-{tree_key}-{_fingerprint(closure)}"
    record = {"closure": [[path, *source] for path, source in closure.items()]}
    leases.take(root, final.name)
    if _build(final, {f"fs{path}": source for path, source in {**tree, **closure}.items()}, record):
        prune(root)
    return FileImage(root=str(final / "fs"))


def library_layer(mount: LibraryMount, root: Path, leases: Leases) -> LibraryMount:
    """``mount`` with its source replaced by a copy in the image directory (a layer of its own, reused by content,
    leased in ``leases``)."""
    name = Path(mount.target).name
    files = {name + path.removeprefix(mount.source): source for path, source in walk(mount.source)}
    final = root / f"lib-{_fingerprint(files)}"
    leases.take(root, final.name)
    if _build(final, files, {"source": mount.source}):
        prune(root)
    return mount.model_copy(update={"source": str(final / name)})


def _fingerprint(sources: dict[str, Source]) -> str:
    payload = json.dumps([FORMAT, sorted(sources.items())], separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()[:24]


def still_current(base: Path) -> bool:
    """Whether every host file and link a built base copied its shared objects from is as it was then (no when the
    base is incomplete or its record unreadable)."""
    try:
        closure = json.loads((base / "manifest.json").read_text())["closure"]
        return all(list(source_of(str(path))) == source for path, *source in closure)
    except (OSError, ValueError, TypeError, KeyError):
        return False


def unchecked_pyc(path: Path) -> None:
    """Mark the cached byte code at ``path`` as never checked against its source (PEP 552: the import system then
    loads it without reading the source's time). Why: validation's varied runs shift file times (the clock shim,
    ``clock_shim``), so every timestamp-checked ``.pyc`` looked stale there, and a read-only image cannot take a
    new one: every import was compiled anew, 6-12 times the CPU of the first run (the standard library 0.02 s
    against 0.24 s, an IFEval verifier's imports 0.16 s against 0.92 s; red-team round 34), a timing difference
    between runs and a timeout for an honest verifier on a loaded host. The image never changes, so nothing is
    lost by not checking. The source's time goes too: read beside the source's shifted time, it told a verifier
    the shift, and with it the real date (red-team round 35). A file too short to be byte code is left as it is."""
    with open(path, "r+b") as cached:
        header = cached.read(16)
        if len(header) == 16:
            cached.seek(4)
            cached.write(UNCHECKED_HASH_PYC)


def _build(final: Path, sources: dict[str, Source], record: dict[str, object]) -> bool:
    """Copy ``sources`` (path in the image -> source) into a fresh directory, write its manifest last and rename it
    to ``final``. Files are readable by all and writable by none. A concurrent build that lands first wins, and
    ours is removed. False when ``final`` was already there."""
    if (final / "manifest.json").is_file():
        return False
    work = Path(tempfile.mkdtemp(prefix=".build-", dir=final.parent))
    try:
        os.chmod(work, 0o755)
        for path, source in sorted(sources.items()):
            target = work / path
            target.parent.mkdir(mode=0o755, parents=True, exist_ok=True)
            if source[0] == "link":
                target.symlink_to(source[1])
            else:
                shutil.copyfile(source[1], target)
                if target.suffix == ".pyc":
                    unchecked_pyc(target)
                os.chmod(target, 0o555 if source[4] & 0o111 else 0o444)
                os.utime(target, ns=(source[3], source[3]))  # a file's times are its source's, not the build's
        (work / "manifest.json").write_text(json.dumps(record))
        try:
            os.rename(work, final)
        except OSError:
            if not (final / "manifest.json").is_file():
                raise
            return False
    except OSError as exc:
        raise SandboxUnavailableError(f"cannot build the sandbox's file image in {final.parent}: {exc}; it needs "
                                      "about 150 MB of tmpfs: set ENVSYNTH_IMAGE_DIR to a directory on a larger "
                                      "one") from exc
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return True
