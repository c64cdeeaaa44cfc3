"""The host's page cache is no channel: every file a sandbox can open is a copy on tmpfs (``file_image.py``).

Red-team round 10 read the cache without any call the seccomp filter denies: map two pages of a file and touch the
first; the kernel's fault-around maps the second too only when it is cached, and ``/proc/self/smaps`` shows which.
A page that one pool read was a bit another pool read back (4,000 of 4,000). These tests run that read-out through
the real sandbox: on the host's files it recovers the written pattern; on the image every page reads as cached,
before and after, whatever was written.
"""

from __future__ import annotations

import os
import random

import pytest

from verifier import Limits, open_pool

pytestmark = [pytest.mark.sandbox]

TARGET = "pydoc_data/topics.py"
"""A standard-library file of about 170 pages that no import at start-up reads."""
BITS = 40
STRIDE = 4  # pages between two bits: a bit's mapping covers two pages, and fault-around never crosses a mapping

FAULT_AROUND = f'''
import mmap, os, pydoc_data
PATH = os.path.join(os.path.dirname(pydoc_data.__file__), "topics.py")


def spans():
    return [i * {STRIDE} * mmap.PAGESIZE for i in range({BITS})]


def write(bits):
    fd = os.open(PATH, os.O_RDONLY)
    for offset, bit in zip(spans(), bits):
        if bit == "1":
            view = mmap.mmap(fd, 2 * mmap.PAGESIZE, prot=mmap.PROT_READ, offset=offset)
            view.madvise(mmap.MADV_RANDOM)
            view[mmap.PAGESIZE]
            view.close()
    os.close(fd)


def read():
    fd = os.open(PATH, os.O_RDONLY)
    views = []
    for offset in spans():
        view = mmap.mmap(fd, 2 * mmap.PAGESIZE, prot=mmap.PROT_READ, offset=offset)
        view.madvise(mmap.MADV_RANDOM)
        view[0]
        views.append(view)
    resident, offset = {{}}, None
    for line in open("/proc/self/smaps"):
        if line.rstrip().endswith("/topics.py"):
            offset = int(line.split()[2], 16)
        elif line.startswith("Rss:") and offset is not None:
            resident[offset] = int(line.split()[1])
            offset = None
    for view in views:
        view.close()
    os.close(fd)
    return "".join("1" if resident.get(offset) == 2 * mmap.PAGESIZE // 1024 else "0" for offset in spans())


def verify(response):
    if response == "read":
        raise RuntimeError("bits:" + read())
    write(response)
    return 1.0
'''


def host_evict(path: str) -> None:
    """Drop the host file's cached pages, as memory pressure would (a no-op on tmpfs)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    finally:
        os.close(fd)


def read_bits(limits: Limits) -> str:
    with open_pool("bwrap", workers=1, limits=limits) as reader:
        detail = reader.score(FAULT_AROUND, ["read"])[0].detail
    assert "bits:" in detail, detail
    return detail.split("bits:", 1)[1][:BITS]


def test_pages_one_pool_reads_are_invisible_to_the_next_pool():
    import pydoc_data

    limits = Limits(libraries=())
    host_evict(os.path.join(os.path.dirname(pydoc_data.__file__), "topics.py"))
    pattern = "".join(random.choice("01") for _ in range(BITS)).replace("1" * BITS, "0" + "1" * (BITS - 1))
    with open_pool("bwrap", workers=1, limits=limits) as writer:
        assert writer.score(FAULT_AROUND, [pattern])[0].score == 1.0
    assert read_bits(limits) == "1" * BITS


def test_every_page_of_every_file_a_sandbox_opens_reads_as_cached_from_the_start():
    import pydoc_data

    host_evict(os.path.join(os.path.dirname(pydoc_data.__file__), "topics.py"))
    assert read_bits(Limits(libraries=())) == "1" * BITS


MOUNTS = '''
def verify(response):
    kinds = set()
    for line in open("/proc/self/mountinfo"):
        kinds.add(line.split(" - ", 1)[1].split()[0])
    raise RuntimeError("kinds:" + ",".join(sorted(kinds)))
'''


def test_no_file_a_sandbox_can_open_lives_on_a_disk_filesystem():
    with open_pool("bwrap", workers=1, limits=Limits()) as pool:
        detail = pool.score(MOUNTS, ["x"])[0].detail
    kinds = set(detail.split("kinds:", 1)[1].split()[0].split(","))
    assert kinds <= {"tmpfs", "proc", "devtmpfs", "devpts"}, kinds
