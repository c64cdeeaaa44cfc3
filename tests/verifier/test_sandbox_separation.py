"""No data of one task in another's reach (issue 16, finding 3), through the real default backend (bwrap).

Verifier processes start from an image that never held a request, the scratch space is wiped without recursion
however deep a run nests it, the zygote's program is not readable from ``/proc``, channels between concurrent
workers through shared read-only files are closed, and filling memory through a descriptor costs only the run.
"""

from __future__ import annotations

import platform
import uuid

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

LIMITS = Limits(wall_s=5.0, cpu_s=5.0, max_processes=32, memory_mb=256, scratch_mb=32)
x86_only = pytest.mark.skipif(platform.machine() != "x86_64", reason="the seccomp filter is built for x86_64 only")


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=LIMITS) as opened:
        yield opened


MEMORY_SCANNER = '''import ctypes, os, re
PATTERN = re.compile(rb"PLANTED-[0-9a-f]{32}")
PAGE, REACH = 4096, 64 << 20
libc = ctypes.CDLL(None, use_errno=True)
libc.sbrk.restype = ctypes.c_void_p
libc.write.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t)


def readable(pipe, page):  # write() from an unmapped page answers EFAULT instead of crashing
    if libc.write(pipe[1], page, PAGE) != PAGE:
        return False
    os.read(pipe[0], PAGE)
    return True


def around(pipe, seed):
    """The run of readable pages around ``seed`` (no /proc/self/maps to list them: verifier processes have no /proc)."""
    start = end = seed - seed % PAGE
    while start > PAGE and seed - start < REACH and readable(pipe, start - PAGE):
        start -= PAGE
    while end - seed < REACH and readable(pipe, end):
        end += PAGE
    return start, end


def verify(response):
    pipe = os.pipe()
    seeds = [libc.sbrk(0) - 1, id(object()), id([]), id(response), id(bytearray(1 << 20))]
    for start, end in {around(pipe, seed) for seed in seeds}:
        if start < end and PATTERN.search(ctypes.string_at(start, end - start)):
            return 1.0
    return 0.0
'''


def test_the_memory_scanner_finds_what_its_own_process_holds(pool):
    assert pool.score(MEMORY_SCANNER, [f"PLANTED-{uuid.uuid4().hex}"])[0].score == 1.0


def test_child_cannot_read_earlier_groups_heap(pool):
    secret = f"PLANTED-{uuid.uuid4().hex}"
    earlier = f"SECRET = {secret!r}\ndef verify(response):\n    return 0.5 if response == SECRET else 0.0\n"
    responses = [secret] + [f"{i} {secret} " * 2000 for i in range(8)]
    assert [r.score for r in pool.score(earlier, responses)] == [0.5] + [0.0] * 8
    assert pool.score(MEMORY_SCANNER, ["later task"])[0].score == 0.0


DEEP = '''import os
def verify(response):
    os.chdir("/tmp")
    for _ in range(int(response)):
        os.mkdir("d" * 40)
        os.chdir("d" * 40)
    open("planted", "w").write("answer")
    return 0.0
'''
CLEAN = "import os\ndef verify(response):\n    return 1.0 if sorted(os.listdir('/scratch')) == [os.path.basename(os.getcwd())] else 0.0\n"


@pytest.mark.parametrize("depth", [1_100, 3_000])
def test_deep_directory_does_not_survive_scratch_wipe(pool, depth):
    assert pool.score(DEEP, [str(depth)])[0].outcome is Outcome.SCORED
    assert pool.score(CLEAN, ["next task"])[0].score == 1.0


def test_zygote_program_is_not_readable_from_proc(pool):
    source = ("import os\ndef verify(response):\n    seen = b''\n    for pid in os.listdir('/proc'):\n"
              "        if pid.isdigit():\n            try:\n"
              "                seen += open(f'/proc/{pid}/cmdline', 'rb').read()\n            except OSError:\n"
              "                pass\n    return 1.0 if b'def supervise' in seen or b'nonce' in seen else 0.0\n")
    assert pool.score(source, ["r"])[0].score == 0.0


@x86_only
def test_exclusive_lock_on_a_shared_install_file_is_denied(pool):
    source = ("import fcntl, os\ndef verify(response):\n    f = open(os.__file__, 'rb')\n    try:\n"
              "        fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)\n        return 1.0\n    except OSError:\n"
              "        fcntl.flock(f, fcntl.LOCK_SH)\n        return 0.0\n")
    assert pool.score(source, ["r"])[0].score == 0.0


@x86_only
def test_watching_a_shared_install_file_is_denied(pool):
    source = ("import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\ndef verify(response):\n"
              "    return 1.0 if libc.inotify_init1(0) >= 0 or libc.syscall(300, 0, 0) >= 0 else 0.0\n")
    assert pool.score(source, ["r"])[0].score == 0.0


@x86_only
def test_memfd_filling_memory_does_not_cost_later_responses(pool, caplog):
    source = ("import os\ndef verify(response):\n    if response == 'fill':\n        held = []\n"
              "        while True:  # many descriptors, each under the file size limit, none mapped\n"
              "            held.append(os.memfd_create('fill'))\n            os.write(held[-1], b'x' * (8 << 20))\n"
              "    return 0.5\n")
    with caplog.at_level("WARNING", logger="verifier.pool"):
        results = pool.score(source, ["fill", "ok", "ok"])
    assert [r.outcome for r in results] == [Outcome.CRASHED, Outcome.SCORED, Outcome.SCORED]
    assert not [r for r in caplog.records if "worker failed" in r.getMessage()]
