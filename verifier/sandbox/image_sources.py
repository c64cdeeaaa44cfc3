"""What a sandbox's file image copies, and from where: each file's *source* (its host path, size, modification time
and mode, or a link's text), the standard library's tree, the host data it reads, and every shared object the
interpreter and its extension modules load, with the symbolic links on their paths.

Why a module of its own: :mod:`verifier.sandbox.file_image` says why the image is a copy on tmpfs and how one is
named, built, leased and found again; finding what goes into it (walking a tree in a fixed order, asking ``ldd``,
following links as the host resolves them) is a question about the host, and a source is also what tells a built base
from a host that changed since (:func:`verifier.sandbox.file_image.still_current`).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable
from pathlib import Path
from stat import S_ISLNK

from verifier.sandbox.base import SandboxUnavailableError

LEFT_OUT = frozenset({"site-packages", "dist-packages", "test", "idlelib", "tkinter", "turtledemo", "ensurepip"})
"""Top-level entries of the standard library that are not copied (plus ``config-*``, the static library)."""
EXTRAS = ("/usr/share/zoneinfo", "/usr/lib/locale/C.utf8")
"""Host data the standard library reads (``zoneinfo``; ``LANG=C.UTF-8``), copied when present."""
WHEEL_SYSTEM_LIBRARIES = ("libgcc_s.so.1", "libstdc++.so.6", "libpthread.so.0", "libdl.so.2", "librt.so.1",
                          "libutil.so.1", "libz.so.1")
"""System libraries a manylinux wheel's extension may load without vendoring them; copied when the host has them."""


Source = tuple
"""Where an image's file comes from: ``("file", host path, size, mtime_ns, mode)`` or ``("link", text)``."""


def source_of(path: str, entry: os.DirEntry | None = None) -> Source:
    stat = entry.stat(follow_symlinks=False) if entry is not None else os.lstat(path)
    if S_ISLNK(stat.st_mode):
        return ("link", os.readlink(path))
    return ("file", path, stat.st_size, stat.st_mtime_ns, stat.st_mode)


def walk(top: str) -> Iterable[tuple[str, Source]]:
    """Every file and symbolic link under ``top`` (``top`` itself when it is a file), with its source."""
    if not os.path.isdir(top) or os.path.islink(top):
        yield top, source_of(top)
        return
    with os.scandir(top) as entries:
        listed = sorted(entries, key=lambda entry: entry.name)
    for entry in listed:
        if entry.is_dir(follow_symlinks=False):
            yield from walk(entry.path)
        else:
            yield entry.path, source_of(entry.path, entry)


def tree_sources(binary: Path, prefix: Path) -> dict[str, Source]:
    """Sandbox path -> source of what the base copies whole: the binary, the standard library, :data:`EXTRAS`."""
    sources = {str(binary): source_of(str(binary))}
    stdlib = prefix / "lib" / f"python{_version(binary)}"
    for top in sorted(stdlib.iterdir()):
        if top.name in LEFT_OUT or top.name.startswith("config-"):
            continue
        sources.update((path, source) for path, source in walk(str(top))
                       if not path.startswith(f"{stdlib}/lib-dynload/_tkinter"))
    for extra in EXTRAS:
        if os.path.isdir(extra):
            sources.update(walk(extra))
    return sources


def _version(binary: Path) -> str:
    name = binary.name.removeprefix("python")
    if name.count(".") != 1:
        raise SandboxUnavailableError(f"cannot tell the Python version from the interpreter's name {binary}")
    return name


def extension_modules(tree: dict[str, Source]) -> list[str]:
    return [path for path, source in tree.items()
            if source[0] == "file" and "/lib-dynload/" in path and path.endswith(".so")]


def shared_objects(elf_files: list[str]) -> list[str]:
    """Every shared object ``elf_files`` load (``ldd``), the dynamic loader and :data:`WHEEL_SYSTEM_LIBRARIES`."""
    try:
        out = subprocess.run(["ldd", *map(str, elf_files)], capture_output=True, text=True, check=False,
                             env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"}).stdout
    except OSError as exc:
        raise SandboxUnavailableError(f"cannot list the interpreter's shared libraries: {exc} (ldd comes with "
                                      "glibc: apt-get install libc-bin)") from exc
    found: list[str] = []
    for line in out.splitlines():
        words = line.split()
        path = words[2] if len(words) >= 3 and words[1] == "=>" else words[0] if words else ""
        if path.startswith("/") and not path.endswith(":") and path not in found:
            found.append(path)
    libc = next((Path(p) for p in found if Path(p).name.startswith("libc.so")), None)
    if libc is None:
        raise SandboxUnavailableError(f"ldd found no C library for {elf_files[0]}: is it a dynamically linked "
                                      "program?")
    return found + [str(libc.parent / name) for name in WHEEL_SYSTEM_LIBRARIES
                    if (libc.parent / name).exists() and str(libc.parent / name) not in found]


def place(path: str, placed: dict[str, Source], depth: int) -> None:
    """Record what makes ``path`` resolve in the image as on the host: each symlink on the way, then the file."""
    if depth > 40:
        raise SandboxUnavailableError(f"too many symbolic links resolving {path}")
    current = "/"
    parts = Path(path).parts[1:]
    for index, part in enumerate(parts):
        step = os.path.join(current, part)
        if os.path.islink(step):
            placed[step] = source_of(step)
            place(os.path.normpath(os.path.join(current, os.readlink(step), *parts[index + 1:])), placed, depth + 1)
            return
        current = step
    if os.path.isfile(current):
        placed[current] = source_of(current)
