"""The trusted side records what a verifier asked of its runs of a response, through the real default backend (bwrap).

Red-team round 56: a verifier whose requests depend on the text (a second run, another standard input, only for the
texts it pays by look) gave those texts run digests of their own, and the results rule had nothing to compare. The
response process writes the record of its request (calls and standard input) on the pipe only the fork server
holds, before any of the response's code runs; the server keeps the records of each text in the text file's
requests region (``results_slot``), and a call that asks (``RunEnv.record_requests``) gets them back with each
result (``ScoreResult.run_requests``). Training replays the reference's on every text (``trainer.results_replay``).
"""

from __future__ import annotations

import json
import os

import pytest

from verifier import Limits, open_pool
from verifier.limits import RunEnv

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

RECORD = RunEnv(record_requests=True)
TWO_RUNS = '''from envsynth_sandbox import run_response

def verify(response):
    run_response(response, calls=[("f", [1]), ("f", [2], {"y": 3})], timeout=2.0)
    run_response(response, stdin="x\\n", calls=[("f", [len(response)])], timeout=2.0)
    return 1.0
'''
PROGRAM = "def f(x, y=0):\n    return x + y\n"


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0)) as opened:
        yield opened


def _asked(result):
    return [json.loads(record) for record in result.run_requests]


def test_a_call_that_asks_gets_every_request_of_every_run_in_order(pool):
    (result,) = pool.score(TWO_RUNS, [PROGRAM], RECORD)
    assert _asked(result) == [[[["f", [1], {}], ["f", [2], {"y": 3}]], ""], [[["f", [len(PROGRAM)], {}]], "x\n"]]


def test_a_call_that_does_not_ask_gets_no_records(pool):
    (result,) = pool.score(TWO_RUNS, [PROGRAM])
    assert result.run_requests is None and result.run_digest is not None


def test_each_response_gets_the_records_of_its_own_runs(pool):
    longer = PROGRAM + "# a comment\n"
    first, second = pool.score(TWO_RUNS, [PROGRAM, longer], RECORD)
    assert _asked(first)[1][0] == [["f", [len(PROGRAM)], {}]]
    assert _asked(second)[1][0] == [["f", [len(longer)], {}]]


def test_a_response_run_nowhere_has_no_records(pool):
    (result,) = pool.score(TWO_RUNS, ["no code here"], RECORD)
    assert result.run_requests == ()


def test_a_repeated_response_served_from_memory_keeps_its_records(pool):
    first, again = pool.score(TWO_RUNS, [PROGRAM, PROGRAM], RECORD)
    assert first.run_requests and again.run_requests == first.run_requests


def test_a_response_cannot_forge_a_record(pool):
    """Its code runs after the record is on the pipe: what it writes there only follows it (and spoils its own
    digest)."""
    forger = ("import os, struct\nfake = b'[[[\"g\", [9], {}]], \"\"]'\n"
              "os.write(6, struct.pack('<I', len(fake)) + fake)\n" + PROGRAM)
    (result,) = pool.score(TWO_RUNS, [forger], RECORD)
    assert all("g" not in json.loads(record)[0][0] for record in result.run_requests)
    assert result.run_digest is None


def test_a_request_larger_than_the_default_pipe_is_recorded_whole(pool):
    """Red-team round 57, E4: a reference given one 40 KB standard input left no record (the pipe held 64 KiB, the
    region 32 KiB), and the results rule fell back to digests the verifier's own choice of requests evades."""
    large = '''from envsynth_sandbox import run_response

def verify(response):
    run = run_response(response, stdin="7" * 300_000, calls=[("f", [1])], timeout=2.0)
    return 1.0 if run.calls[0].value == 1 else 0.0
'''
    (result,) = pool.score(large, [PROGRAM], RECORD)
    assert result.score == 1.0 and result.run_requests_dropped == 0
    assert _asked(result) == [[[["f", [1], {}]], "7" * 300_000]]


def test_a_request_too_large_to_record_is_recorded_with_what_its_standard_input_held(pool):
    large = '''from envsynth_sandbox import run_response

def verify(response):
    run = run_response(response, stdin="7" * 1_100_000, calls=[("f", [1])], timeout=2.0)
    small = run_response(response, calls=[("f", [2])], timeout=2.0)
    return 1.0 if run.calls[0].value == 1 and small.calls[0].value == 2 else 0.0
'''
    (result,) = pool.score(large, [PROGRAM], RECORD)
    assert result.score == 1.0 and result.run_requests_dropped == 0
    assert sorted(_asked(result), key=len) == [[[["f", [2], {}]], ""], [[["f", [1], {}]], ["number"], True]]


def test_a_request_too_large_to_record_keeps_its_small_calls_and_names_its_large_ones(pool):
    """Session 35's red-team (round 66): a run of ``total([7])`` beside an ignored call of 300,000 items left no
    record, and no trace of what it called."""
    large = '''from envsynth_sandbox import run_response

def verify(response):
    run = run_response(response, calls=[("f", [7]), ("f", [list(range(300_000))]), ("g", ["x" * 2_000_000])],
                       timeout=2.0)
    return 1.0 if run.calls[0].value == 7 else 0.0
'''
    (result,) = pool.score(large, [PROGRAM], RECORD)
    assert result.score == 1.0 and result.run_requests_dropped == 0
    assert _asked(result) == [[[["f", [7], {}], ["f", None, [[0, "list"]]], ["g", None, [[0, "str"]]]], "", True]]


def test_a_request_larger_than_what_is_left_of_the_region_is_recorded_shrunk(pool):
    """The region holds 1 MiB of records a text: a run asked after 900 KB of them keeps its small calls."""
    filled = '''from envsynth_sandbox import run_response

def verify(response):
    run_response(response, stdin="7" * 900_000, calls=[("f", [1])], timeout=2.0)
    run = run_response(response, calls=[("f", [3]), ("f", [list(range(40_000))])], timeout=2.0)
    return 1.0 if run.calls[0].value == 3 else 0.0
'''
    (result,) = pool.score(filled, [PROGRAM], RECORD)
    assert result.score == 1.0 and result.run_requests_dropped == 0
    assert _asked(result)[1] == [[["f", [3], {}], ["f", None, [[0, "list"]]]], "", True]


def test_runs_made_at_once_past_the_region_are_each_recorded_whole_or_shrunk(pool):
    """Session 36's red-team (F3): four runs of 300 KB made in threads each recorded whole what fitted the region
    alone, and the one that ended last was left out, which made an honest task trouble."""
    threads = '''from concurrent.futures import ThreadPoolExecutor
from envsynth_sandbox import run_response

def verify(response):
    def one(i):
        return run_response(response, calls=[("f", [i]), ("f", [list(range(50_000))])], timeout=3.0)
    with ThreadPoolExecutor(4) as pool:
        runs = list(pool.map(one, range(4)))
    return 1.0 if all(run.calls[0].value == i for i, run in enumerate(runs)) else 0.0
'''
    (result,) = pool.score(threads, [PROGRAM], RECORD)
    assert result.score == 1.0 and result.run_requests_dropped == 0 and len(result.run_requests) == 4
    assert sum(len(record) < 100 for record in result.run_requests) >= 1


def test_a_request_too_large_to_record_even_by_name_is_counted_left_out(pool):
    named = '''from envsynth_sandbox import run_response

def verify(response):
    run_response(response, calls=[("f" * 1_100_000, [1])], timeout=2.0)
    small = run_response(response, calls=[("f", [2])], timeout=2.0)
    return 1.0 if small.calls[0].value == 2 else 0.0
'''
    (result,) = pool.score(named, [PROGRAM], RECORD)
    assert result.score == 1.0
    assert _asked(result) == [[[["f", [2], {}]], ""]] and result.run_requests_dropped == 1


def _report(asked, digest=b"\x01" * 16):
    return len(asked).to_bytes(4, "little") + asked + digest


def test_a_late_run_of_an_earlier_text_never_records_into_a_later_texts_region(tmp_path):
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 1, 0), 0)
        stale = results_slot.begin(fd)
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 2, 0), 0)  # the zygote offers text 2
        current = results_slot.begin(fd)
        results_slot.end(fd, current, _report(b"[2]"), "exited", 0)
        results_slot.end(fd, stale, _report(b"[1]"), "exited", 0)
        assert results_slot.requests(fd, 2) == (["[2]"], 0) and results_slot.requests(fd, 1) == ([], 0)
    finally:
        os.close(fd)


def test_records_beyond_the_region_are_left_out_whole_and_counted(tmp_path):
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import RECORDS_CAP, TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    big = b'"' + b"a" * (RECORDS_CAP // 3) + b'"'
    try:
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 1, 0), 0)
        for _ in range(4):
            results_slot.end(fd, results_slot.begin(fd), _report(big), "exited", 0)
        results_slot.end(fd, results_slot.begin(fd), _report(b"[0]"), "exited", 0)
        assert results_slot.requests(fd, 1) == ([big.decode()] * 2 + ["[0]"], 2)
    finally:
        os.close(fd)


def test_a_broken_report_records_nothing(tmp_path):
    """A run killed while writing its record (a length longer than what follows) keeps no record and no digest."""
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 1, 0), 0)
        results_slot.end(fd, results_slot.begin(fd), (1000).to_bytes(4, "little") + b"[1]", "exited", 0)
        assert results_slot.requests(fd, 1) == ([], 0) and results_slot.digest(fd, 1) is None
    finally:
        os.close(fd)


def test_a_run_whose_request_was_too_large_for_its_pipe_is_counted_left_out(tmp_path):
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import RECORD_TOO_LARGE, TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 1, 0), 0)
        results_slot.end(fd, results_slot.begin(fd), RECORD_TOO_LARGE.to_bytes(4, "little") + b"\x01" * 16,
                         "exited", 0)
        results_slot.end(fd, results_slot.begin(fd), _report(b"[0]"), "exited", 0)
        assert results_slot.requests(fd, 1) == (["[0]"], 1) and results_slot.digest(fd, 1) is not None
    finally:
        os.close(fd)


def test_the_server_reads_no_more_of_a_report_than_its_record_says():
    """A response's code may grow its pipe and fill it: the server reads the record, a digest and one byte more."""
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import RECORD_TOO_LARGE

    assert results_slot.report_size(_report(b"[1]")) == 4 + 3 + 16
    assert results_slot.report_size(RECORD_TOO_LARGE.to_bytes(4, "little")) == 4 + 16


def test_records_past_the_results_bound_are_counted_left_out(tmp_path):
    """``ScoreResult.run_requests`` holds 4,096 records at most; a verifier that made more failed its own result."""
    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(fd, TEXT_HEADER.pack(0, 0, 1, 0), 0)
        for _ in range(results_slot.MAX_RECORDS + 5):
            results_slot.end(fd, results_slot.begin(fd), _report(b"[0]"), "exited", 0)
        found, dropped = results_slot.requests(fd, 1)
        assert len(found) == results_slot.MAX_RECORDS and dropped == 5
    finally:
        os.close(fd)


def test_a_record_the_scratch_has_no_room_for_is_counted_left_out(tmp_path):
    """The text file lies in the verifier's scratch, which the verifier can fill."""
    import resource
    import signal

    from verifier.sandbox.zygote import results_slot
    from verifier.sandbox.zygote.fork_protocol import TEXT_HEADER

    fd = os.open(tmp_path / "text", os.O_RDWR | os.O_CREAT, 0o600)
    os.pwrite(fd, TEXT_HEADER.pack(0, 0, 1, 0), 0)
    pid = os.fork()
    if pid == 0:  # a file size limit stands for the full scratch: the region's write fails, the slot's does not
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))
        results_slot.end(fd, results_slot.begin(fd), _report(b'"' + b"a" * 8000 + b'"'), "exited", 0)
        os._exit(0)
    os.waitpid(pid, 0)
    try:
        assert results_slot.requests(fd, 1) == ([], 1)
    finally:
        os.close(fd)


def test_a_shrunk_record_names_argument_kinds_as_the_decoys_do():
    """The sandbox names them (standard library only) and the host reads them (``verifier.decoys.kind_of``): a
    kind named two ways would count every large call unmeasured."""
    from verifier.decoys import kind_of
    from verifier.sandbox.zygote.run_digest import shrunk

    values = [True, 3, 2.5, "s", [1], {"k": 1}, None]
    record = json.loads(shrunk([["f", values, {"key": [0] * 100}]], "", 40 + 20 * len(values)))
    (name, args, kinds), = record[0]
    assert args is None and kinds == [[place, kind_of(value)] for place, value in
                                      [*enumerate(values), ("key", [0])]]


@pytest.mark.parametrize("stdin", ["", "  \n", "3 9 1\n", "7,", "4;2", "x", "3 apples", "inf nan", "1_000 -2.5e3",
                                   "\u0663 x", "a1 b2", "[1, 2]", "12abc", "the quick fox", "to Infinity and",
                                   "naN", "-1.5 2.25"])
def test_the_sandbox_reads_a_standard_input_s_numbers_and_words_as_the_script_decoys_do(stdin):
    """What an input too large to record held is known by these alone (``run_digest.input_kinds``); named
    otherwise than the decoys read it, an input of numbers would count as measured where no decoy read a number."""
    from verifier.decoys import answers_source
    from verifier.sandbox.zygote.run_digest import input_kinds

    namespace: dict = {}
    exec(answers_source(), namespace)
    numbers = int(namespace["script_answer"]("len(n)", stdin)[1])
    tokens = len(stdin.replace(",", " ").replace(";", " ").split())
    assert input_kinds(stdin) == [*(["number"] if numbers else []), *(["word"] if tokens > numbers else [])]
