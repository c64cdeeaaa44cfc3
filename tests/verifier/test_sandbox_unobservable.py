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
    seen = (os.readlink("/proc/self"), os.getpid(), os.getppid(), child, open("/proc/self/stat").read().split()[:8])
    return zlib.crc32(repr(seen).encode()) / 2 ** 32
'''


def test_every_process_id_a_verifier_reads_is_the_same_in_every_group(pool):
    groups = [[r.score for r in pool.score(PIDS, ["a", "b", "c"])] for _ in range(5)]
    assert None not in groups[0] and groups == [groups[0]] * 5


AGE = '''import zlib
def started(pid):
    return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[19])
def verify(response):
    oldest = min(started(pid) for pid in __import__("os").listdir("/proc") if pid.isdigit())
    return zlib.crc32(str(started("self") - oldest).encode()) / 2 ** 32
'''


def test_a_verifier_cannot_read_how_long_its_worker_has_lived(pool):
    first = pool.score(AGE, ["a"])[0].score
    time.sleep(0.3)  # the worker ages by 30 clock ticks; a verifier must not see it
    later = pool.score(AGE, ["b"])[0].score
    assert first is not None and first == later
