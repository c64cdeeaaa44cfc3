"""The host's page cache is no channel: every file a sandbox can open is a copy on tmpfs (``file_image.py``).

Red-team round 10 read the cache without any call the seccomp filter denies: map two pages of a file and touch the
first; the kernel's fault-around maps the second too only when it is cached, and ``/proc/self/smaps`` showed which.
A page that one pool read was a bit another pool read back (4,000 of 4,000). Verifier processes have no ``/proc``
now, so these tests look from the host, at the very file the sandbox sees (through ``/proc/<pid>/root``): on the
host's own files a verifier's reads left their pattern in the cache; on the image every page is cached before and
after, whatever was read, and dropping a page is a no-op.
"""

from __future__ import annotations

import ctypes
import mmap
import os
import random
from pathlib import Path

import pytest

from verifier import Limits
from verifier.limits import RunEnv
from verifier.sandbox.bwrap import BwrapBackend

pytestmark = [pytest.mark.sandbox]

BITS = 40
STRIDE = 4  # pages between two bits: a bit's mapping covers two pages, and fault-around never crosses a mapping

WRITER = f'''
import mmap, os, pydoc_data
PATH = os.path.join(os.path.dirname(pydoc_data.__file__), "topics.py")  # about 170 pages nothing else reads


def verify(response):
    fd = os.open(PATH, os.O_RDONLY)
    for i, bit in enumerate(response):
        if bit == "1":
            view = mmap.mmap(fd, 2 * mmap.PAGESIZE, prot=mmap.PROT_READ, offset=i * {STRIDE} * mmap.PAGESIZE)
            view.madvise(mmap.MADV_RANDOM)
            view[mmap.PAGESIZE]
            view.close()
    os.close(fd)
    return 1.0
'''


@pytest.fixture
def worker():
    opened = BwrapBackend().start_worker(Limits(libraries=()))
    yield opened
    opened.close()


def seen_by(pid: int) -> Path:
    """The host path of the ``topics.py`` that the sandbox whose first process is ``pid`` sees."""
    import pydoc_data

    return Path(f"/proc/{pid}/root") / Path(pydoc_data.__file__).parent.relative_to("/") / "topics.py"


def evict(path: Path) -> None:
    """Drop the file's cached pages, as memory pressure would (a no-op on tmpfs)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def cached(path: Path) -> str:
    """For each bit's second page, '1' when it is in the page cache (``mincore``, asked by the host)."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mmap.restype = ctypes.c_void_p
    libc.mmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long)
    libc.mincore.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_char_p)
    libc.munmap.argtypes = (ctypes.c_void_p, ctypes.c_size_t)
    size = BITS * STRIDE * mmap.PAGESIZE
    vector = ctypes.create_string_buffer(size // mmap.PAGESIZE)
    fd = os.open(path, os.O_RDONLY)
    try:
        address = libc.mmap(None, size, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
        if address in (None, ctypes.c_void_p(-1).value):
            raise OSError(ctypes.get_errno(), "mmap")
        try:
            if libc.mincore(address, size, vector) != 0:
                raise OSError(ctypes.get_errno(), "mincore")
        finally:
            libc.munmap(address, size)
    finally:
        os.close(fd)
    return "".join(str(vector.raw[i * STRIDE + 1] & 1) for i in range(BITS))


def test_a_verifiers_reads_leave_no_pattern_in_the_cache_of_any_file_it_sees(worker):
    path = seen_by(worker.sandbox_pid)
    evict(path)
    pattern = "".join(random.choice("01") for _ in range(BITS)).replace("1" * BITS, "0" + "1" * (BITS - 1))
    results = worker.score_group(WRITER, [pattern], RunEnv())
    assert [r.score for r in results] == [1.0]
    assert cached(path) == "1" * BITS


def test_every_page_of_a_file_a_sandbox_sees_is_cached_and_stays_cached(worker):
    path = seen_by(worker.sandbox_pid)
    evict(path)
    assert cached(path) == "1" * BITS


def test_no_file_a_sandbox_can_open_lives_on_a_disk_filesystem(worker):
    kinds = {line.split(" - ", 1)[1].split()[0]
             for line in Path(f"/proc/{worker.sandbox_pid}/mountinfo").read_text().splitlines()}
    assert kinds <= {"tmpfs", "proc", "devtmpfs", "devpts"}, kinds
