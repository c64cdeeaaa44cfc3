"""A verifier process starts from the same heap on a fresh worker as on one that has served many groups (issue 16
red-team follow-up), through the real bwrap sandbox.

Every verifier and response process is cloned from the fork server. Its heap used to change with the worker's
history: C-library functions resolved the first time a response ended, bookkeeping dicts that grew with the most
responses ever alive at once and never shrank, free lists filled by what the server had freed. A verifier reading
``len(gc.get_objects())``, ``sys.getallocatedblocks()`` or ``sys.getsizeof`` of what gc reaches at load could tell
validation's fresh workers from a long-lived training worker (honest in validation, 1.0 in training), and carry
bits from one task to the next.

Every figure must match exactly, the C allocator's included (the addresses of the first objects a process makes,
``RssAnon``): processes are cloned from templates that never serve (``zygote/template.py``). Cloned from the fork
server itself, ``sys.getallocatedblocks()`` differed by one block now and then, and after a verifier had held 40
response processes at once a later verifier's first ``id([])`` and ``id({})`` differed from a fresh worker's.
"""

from __future__ import annotations

import re

import pytest

from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

PROBE = '''import gc, sys
def _reading():
    objects = gc.get_objects()
    return len(objects), sys.getallocatedblocks(), sum(sys.getsizeof(o) for o in objects)
AT_LOAD = _reading()
def verify(response):
    gc.unfreeze()
    raise RuntimeError(f"heap {AT_LOAD} unfrozen {_reading()}")
'''
REACH = '''import gc, sys
def verify(response):
    names = {type(o).__name__ for o in gc.get_objects()}
    frame = sys._getframe()
    while frame is not None:
        names.update(type(v).__name__ for v in frame.f_locals.values())
        frame = frame.f_back
    return 0.0 if names & {"Server", "Disposer", "poll"} else 1.0
'''
PLAIN = "def verify(response):\n    return 0.0\n"
RUNS_RESPONSE = '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("f", [])], timeout=2.0)
    return 1.0 if run.calls[0].ok else 0.0
'''
RESPONSE = "def f():\n    return 1\n"
HOLDS_RESPONSES = '''import socket, struct
def verify(response):
    channel = socket.socket(fileno=4)
    held = []
    for _ in range(int(response)):  # this many response processes alive at once, each waiting for its request
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)  # the request's own reply socket
        socket.send_fds(channel, [struct.pack("=cI", b"R", 3000)], [theirs.fileno()])
        theirs.close()
        held.append((mine, socket.recv_fds(mine, 16, 4)[1]))
    channel.detach()
    return 0.0
'''


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=5.0, cpu_s=3.0)) as opened:
        yield opened


def reading(detail):
    """(objects, blocks, bytes) at load and after gc.unfreeze(), parsed from a probe's report."""
    assert detail.startswith("RuntimeError: heap"), detail
    return [int(number) for number in re.findall(r"\d+", detail)]


def same_heap(one, other):
    return len(one) == len(other) == 6 and one == other


def probe(pool):
    return reading(pool.score(PROBE, ["x"])[0].detail)


def test_a_verifier_process_heap_is_the_same_on_a_fresh_worker_and_a_used_one(pool):
    fresh = probe(pool)
    pool.score(PLAIN, ["a", "b"])
    pool.score(RUNS_RESPONSE, [RESPONSE] * 3)
    pool.score(HOLDS_RESPONSES, ["12"])
    pool.score(RUNS_RESPONSE, [RESPONSE])
    pool.score(HOLDS_RESPONSES, ["5"])
    assert same_heap(probe(pool), fresh), (probe(pool), fresh)


def test_a_response_process_heap_does_not_count_its_running_siblings(pool):
    source = PROBE.replace("def verify(response):", "def f():").replace("raise RuntimeError(", "return (")
    relay = '''from envsynth_sandbox import run_response
import socket, struct
def verify(response):
    count, code = response.split("\\n", 1)
    held = []
    channel = socket.socket(fileno=4)
    for _ in range(int(count)):
        mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        socket.send_fds(channel, [struct.pack("=cI", b"R", 3000)], [theirs.fileno()])
        theirs.close()
        held.append((mine, socket.recv_fds(mine, 16, 4)[1]))
    channel.detach()
    run = run_response(code, calls=[("f", [])], timeout=2.0)
    raise RuntimeError(str(run.calls[0].value))
'''
    alone, *beside_siblings = [reading(pool.score(relay, [n + "\n" + source])[0].detail) for n in ("0", "7", "0", "3")]
    assert all(same_heap(other, alone) for other in beside_siblings), (alone, beside_siblings)


def test_a_verifier_cannot_reach_the_fork_server_through_gc_or_its_frames(pool):
    pool.score(RUNS_RESPONSE, [RESPONSE] * 2)
    assert pool.score(REACH, ["x"])[0].score == 1.0


ALLOCATOR = '''import ctypes, sys
class MallInfo2(ctypes.Structure):  # the C allocator's own figures (``/proc/self/status`` is gone: no ``/proc``)
    _fields_ = [(name, ctypes.c_size_t) for name in ("arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
                                                     "fsmblks", "uordblks", "fordblks", "keepcost")]
def status():
    libc = ctypes.CDLL(None)
    libc.mallinfo2.restype = MallInfo2
    info = libc.mallinfo2()
    return [getattr(info, name) for name, _ in MallInfo2._fields_]
AT_LOAD = (id([]), id({}), id(object()), sys.getallocatedblocks(), status())
def verify(response):
    raise RuntimeError(repr(AT_LOAD))
'''


def test_the_allocator_a_verifier_process_starts_from_does_not_follow_the_workers_history(pool):
    """Where its first objects land, and its memory figures, are the same before and after a verifier held 40
    response processes at once (which grew the fork server's own heap)."""
    before = [pool.score(ALLOCATOR, ["x"])[0].detail for _ in range(2)]
    pool.score(HOLDS_RESPONSES, ["40"])
    pool.score(RUNS_RESPONSE, [RESPONSE] * 3)
    after = [pool.score(ALLOCATOR, ["x"])[0].detail for _ in range(2)]
    assert before[0].startswith("RuntimeError: (") and before == after == [before[0]] * 2, (before, after)



GC_STATE = """import gc, sys
AT_LOAD = (gc.get_count(), gc.get_stats(), sys.getallocatedblocks(), id([]), id({}), id(object()))
"""
VERIFIER_GC_STATE = GC_STATE + "def verify(response):\n    raise RuntimeError(repr(AT_LOAD))\n"
RESPONSE_GC_STATE = """from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("f", [])], timeout=2.0)
    raise RuntimeError(run.calls[0].value)
"""
GC_STATE_CODE = GC_STATE + "def f():\n    return repr(AT_LOAD)\n"


def test_no_collection_count_tells_a_process_how_many_processes_came_before_it():
    """The templates collected after every turn, and ``gc.get_stats()`` counts collections: a verifier could read
    how many groups its worker had served (honest while young, 1.0 once old), and a task could pass a number to
    the next through how many response processes it started (red-team finding). The first processes of a fresh
    worker must match those after more turns than the interpreter's free lists hold (80)."""
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=5.0, cpu_s=3.0)) as fresh:
        first = [fresh.score(VERIFIER_GC_STATE, ["x"])[0].detail,
                 fresh.score(RESPONSE_GC_STATE, [GC_STATE_CODE])[0].detail]
        for _ in range(45):
            fresh.score(RUNS_RESPONSE, [RESPONSE, RESPONSE])
        later = [fresh.score(VERIFIER_GC_STATE, ["x"])[0].detail,
                 fresh.score(RESPONSE_GC_STATE, [GC_STATE_CODE])[0].detail]
    assert first[0].startswith("RuntimeError: ((") and first[1].startswith("RuntimeError: ((")
    assert later == first, (first, later)
