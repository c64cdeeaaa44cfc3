"""What a verifier cannot observe (issue 16 follow-up, holes 2 and 3), through the real default backend (bwrap).

A verifier process holds only the response it is scoring: walking the stack or the heap shows neither the group's
size nor a later sibling (validation's failure cases and probes would otherwise be in reach). And every process id
it can read, and every process start time, is the same in every group of a long-lived worker (training) as on a
fresh one (validation): a verifier cannot key its score on how many groups ran before it.
"""

from __future__ import annotations

import time

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0)) as opened:
        yield opened


WALKER = '''import gc, sys
def verify(response):
    mine = int(response.split("-")[1])
    seen = set()
    frame = sys._getframe(1)
    while frame is not None:
        seen.add(repr(frame.f_locals))
        frame = frame.f_back
    for obj in gc.get_objects():
        items = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, (list, tuple)) else ()
        seen.update(item for item in items if isinstance(item, str) and "SIBLING-" in item)
    text = "".join(seen)
    later = [i for i in range(mine + 1, 8) if f"SIBLING-{i}-" in text]
    return 0.0 if later else 1.0
'''


def test_a_verifier_never_holds_a_later_response_of_its_group(pool):
    results = pool.score(WALKER, [f"SIBLING-{i}-text" for i in range(8)])
    assert [(r.outcome.value, r.score) for r in results] == [("scored", 1.0)] * 8


PIDS = '''import os, zlib
def verify(response):
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    libc = __import__("ctypes").CDLL(None)  # the C library's answers, which no run environment shifts
    seen = (os.getpid(), os.getppid(), os.getpgrp(), os.getsid(0), child, libc.getpid(), libc.getppid())
    return zlib.crc32(repr(seen).encode()) / 2 ** 32
'''


def test_every_process_id_a_verifier_reads_is_the_same_in_every_group(pool):
    groups = [[r.score for r in pool.score(PIDS, ["a", "b", "c"])] for _ in range(5)]
    assert None not in groups[0] and groups == [groups[0]] * 5


NO_PROC = '''import os
from envsynth_sandbox import run_response
LOOK = "import os\\ndef look():\\n    return [os.listdir('/proc'), os.path.exists('/proc/self'), os.path.exists('/proc/1/stat')]\\n"
def verify(response):
    ns = {}
    exec(LOOK, ns)
    run = run_response(response, calls=[("look", [])], timeout=2.0)  # the response is LOOK
    return 1.0 if ns["look"]() == run.calls[0].value == [[], False, False] else 0.0
'''


def test_verifier_and_response_processes_see_no_proc(pool):
    """Much of ``/proc`` is the host's whatever the namespace (red-team round 11): ``smaps`` counted the processes
    mapping a page of the shared file image, host-wide (the sandbox workers alive: a training fleet or a validation
    pool), ``loadavg`` and ``stat`` count the host's threads and forks; and start times in ``/proc/<pid>/stat``
    dated the worker."""
    look = ("import os\ndef look():\n"
            "    return [os.listdir('/proc'), os.path.exists('/proc/self'), os.path.exists('/proc/1/stat')]\n")
    assert pool.score(NO_PROC, [look])[0].score == 1.0


SCRATCH = '''import os, zlib
def verify(response):
    with open("made-here", "w") as f:
        f.write(response)
    return zlib.crc32(repr((os.stat("made-here").st_ino, os.stat(".").st_ino)).encode()) / 2 ** 32
'''


def test_a_verifiers_files_carry_no_count_of_earlier_groups(pool):
    groups = [[r.score for r in pool.score(SCRATCH, ["a", "b"])] for _ in range(4)]
    assert None not in groups[0] and groups == [groups[0]] * 4


IDS = """import os
def ids():
    open("made-here", "w").close()
    child = os.fork()
    if child == 0:
        os._exit(0)
    os.waitpid(child, 0)
    return [os.getpid(), os.getppid(), child, os.stat("made-here").st_ino, os.stat(".").st_ino]
"""
THROUGH_A_RESPONSE = '''import zlib
from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("ids", [])], timeout=2.0)
    return zlib.crc32(repr(run.calls[0].value).encode()) / 2 ** 32 if run.calls[0].ok else 0.0
'''


def test_a_response_process_reads_the_same_ids_in_every_group(pool):
    scores = [pool.score(THROUGH_A_RESPONSE, [IDS])[0].score for _ in range(4)]
    assert scores[0] not in (None, 0.0) and scores == [scores[0]] * 4


def test_a_response_alone_in_its_namespace_still_times_out_on_cpu():
    # pid 1 of a namespace ignores SIGXCPU; the hard cap's SIGKILL ends it, and the run still says why. The wall
    # limits are roomy so that a loaded host cannot end the verifier call before the response spent its CPU.
    burner = ("from envsynth_sandbox import run_response\ndef verify(response):\n"
              "    run = run_response(response, calls=[('f', [])], timeout=25)\n"
              "    return 1.0 if (run.outcome, run.detail) == ('timeout', 'CPU time limit exceeded') else 0.0\n")
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=30.0, cpu_s=1.0)) as small:
        result = small.score(burner, ["def f():\n    while True:\n        pass\n"])[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0), result.detail


def test_responses_handed_over_one_at_a_time_arrive_whole(pool):
    # larger than a pipe holds: the zygote writes the rest as the verifier process reads, never blocking
    source = "def verify(response):\n    return 1.0 if response in ('42', 'x' * 3_000_000) else 0.0\n"
    results = pool.score(source, ["x" * 3_000_000, "42", "x" * 3_000_000])
    assert [(r.outcome.value, r.score) for r in results] == [("scored", 1.0)] * 3


TIMES = '''import ctypes, os, struct, time, zlib
def birth(path):
    buffer = ctypes.create_string_buffer(256)
    done = ctypes.CDLL(None, use_errno=True).syscall(332, -100, path.encode(), 0x100, 0x800, buffer)
    return struct.unpack_from("q", buffer, 0x50)[0] if done == 0 and struct.unpack_from("I", buffer, 0)[0] & 0x800 else 0
def recent(now, stamp):  # an inode made in the last ten minutes: by the sandbox, not the host's install
    return round(now - stamp) if now - stamp < 600 else None
def verify(response):
    now, ages = time.time(), []
    image = os.lstat("/usr").st_dev  # the file image (built once per host: it dates the host, as /proc/uptime does)
    for top, dirs, files in os.walk("/"):  # every mount but the image: /dev/pts and its ptmx too (round 20)
        dirs[:] = sorted(d for d in dirs if os.lstat(os.path.join(top, d)).st_dev != image
                         and os.path.join(top, d) != "/scratch")  # fresh per process, its own directory named at random
        for path in [top] + [os.path.join(top, name) for name in sorted(files)]:
            st = os.lstat(path)
            if st.st_dev == image:  # a file of the image bound on its own (a one-file library: /verifier-libs/six.py)
                continue
            ages.append((path, recent(now, st.st_mtime), recent(now, st.st_ctime), recent(now, birth(path))))
    return zlib.crc32(repr(ages).encode()) / 2 ** 32
'''


def test_no_file_time_a_verifier_reads_dates_its_worker(pool):
    first = pool.score(TIMES, ["a"])[0].score
    time.sleep(2.0)  # the worker ages by two seconds; the times a verifier reads must not show it
    later = pool.score(TIMES, ["b"])[0].score
    assert first is not None and first == later


OPENS = '''import os
def opens():
    try:
        os.close(os.open("/dev/ptmx", os.O_RDWR | os.O_NOCTTY))
        return True
    except OSError:
        return False
'''
PSEUDO_TERMINAL = OPENS + '''def verify(response):
    from envsynth_sandbox import run_response
    run = run_response(response, calls=[("opens", [])])  # the response is this verifier's own opens()
    assert run.calls[0].ok, run
    return 0.5 * opens() + 0.25 * run.calls[0].value
'''


def test_no_verifier_or_response_process_can_open_a_pseudo_terminal(pool):
    # Round 20: a write to a pseudo-terminal set the mtime of the worker's ptmx node, which a later task read
    result = pool.score(PSEUDO_TERMINAL, [OPENS])[0]
    assert (result.outcome.value, result.score) == ("scored", 0.0), result.detail
