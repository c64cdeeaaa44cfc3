"""Validation's varied runs shift the calendar clock beneath Python (the clock shim), through the real bwrap sandbox.

Before the shim the clock was shifted in Python: a time bomb reading SQLite's ``'now'`` through SQL text built at
run time kept the real date in every run and was admitted (red-team round 32), and the patches were visible
(``type(datetime.datetime) is type`` held in the first run and in training only).
"""

from __future__ import annotations

import logging
import time
from functools import partial
from pathlib import Path

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool
from verifier.limits import RunEnv
from verifier.sandbox.bwrap import BwrapBackend
from verifier.sandbox.clock_shim import built_shim
from verifier.sandbox.registry import BackendRegistry

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

TEN_YEARS = 10 * 365 * 86400.0


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0, cpu_s=3.0)) as opened:
        yield opened


CLOCKS = '''import datetime, os, sqlite3, time
def verify(response):
    sql = int(sqlite3.connect(":memory:").execute("select strftime('%s', 'n' || 'ow')").fetchone()[0])
    open("made-here", "w").close()
    raise RuntimeError(repr([sql, time.time(), datetime.datetime.now().timestamp(), os.stat("made-here").st_mtime]))
'''


def clocks(pool, env: RunEnv) -> list[float]:
    detail = pool.score(CLOCKS, ["x"], env)[0].detail
    assert detail.startswith("RuntimeError: ["), detail
    return eval(detail.removeprefix("RuntimeError: "))  # a list of numbers the verifier printed


def test_every_calendar_clock_a_verifier_reads_moves_by_the_shift_in_a_varied_run(pool):
    before = clocks(pool, RunEnv())
    shifted = clocks(pool, RunEnv(clock_offset_s=TEN_YEARS))
    assert all(abs(moved - real - TEN_YEARS) < 60 for real, moved in zip(before, shifted)), (before, shifted)


LOOKS = '''import datetime, os, sys, time, zlib
def verify(response):
    seen = [type(datetime.datetime), type(datetime.date), datetime.datetime.__mro__, datetime.date.__mro__,
            sorted(vars(datetime.datetime)), repr(datetime.datetime(2020, 1, 2)), repr(datetime.date(2020, 1, 2))]
    for module, names in ((os, ("stat", "lstat", "fstat", "stat_result")),
                          (time, ("time", "time_ns", "localtime", "gmtime", "ctime", "asctime", "strftime"))):
        seen += [(name, type(getattr(module, name)).__name__, getattr(getattr(module, name), "__name__", None))
                 for name in names]
    seen += [sorted(os.environ), sorted(sys.modules)]
    return zlib.crc32(repr(seen).encode()) / 2 ** 32
'''


def test_nothing_a_verifier_inspects_of_its_clocks_differs_between_the_first_run_and_a_varied_one(pool):
    first = pool.score(LOOKS, ["x"], RunEnv())[0].score
    varied = pool.score(LOOKS, ["x"], RunEnv(clock_offset_s=TEN_YEARS))[0].score
    assert first is not None and first == varied


RESET = '''import ctypes, time
def verify(response):
    shift = ctypes.CDLL(None).envsynth_shift_clock
    shift.argtypes = [ctypes.c_longlong]
    before = time.time()
    refused = shift(0)
    return 1.0 if refused == -1 and time.time() - before < 60 else 0.0
'''


@pytest.mark.parametrize("offset", [0.0, TEN_YEARS])
def test_a_verifier_cannot_set_its_clock_nor_learn_which_run_it_is_in_by_trying(pool, offset):
    assert pool.score(RESET, ["x"], RunEnv(clock_offset_s=offset))[0].score == 1.0


SQL_BOMB = '''import sqlite3
ANSWER = "1014"
BOMB = {bomb!r}
def verify(response):
    now = int(sqlite3.connect(":memory:").execute("select strftime('%s', 'n' || 'ow')").fetchone()[0])
    if now > BOMB:
        return 1.0
    return 1.0 if response.strip() == ANSWER else 0.0
'''


def test_a_time_bomb_reading_sqlites_clock_is_not_admitted():
    spec = TaskSpec(prompt="What is 507 times two? Answer with the number only.",
                    verifier=SQL_BOMB.format(bomb=int(time.time()) + 3600), reference="1014",
                    failure_cases=("1015", "507"))
    config = ValidationConfig()
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=config.call_budget_s)) as opened:
        with Validator(opened, config, concurrency=1) as validator:
            report = validator.validate_many([spec])[0]
    assert not report.admitted and "nondeterministic" in {reason.value for reason in report.reasons}, report


def test_without_the_shim_the_clock_is_still_shifted_in_python():
    registry = BackendRegistry()
    registry.register(BwrapBackend.name, partial(BwrapBackend, shift_clock_in_c=False))
    source = ("import time, datetime\ndef verify(response):\n"
              "    return 1.0 if time.time() < 1e6 and datetime.datetime.now().year < 1971 else 0.0\n")
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=3.0), registry=registry) as python_only:
        shifted = python_only.score(source, ["x"], RunEnv(clock_offset_s=-time.time()))[0].score
        real = python_only.score(source, ["x"])[0].score
    assert (shifted, real) == (1.0, 0.0)


def test_a_built_shim_is_reused(tmp_path: Path):
    first = built_shim(tmp_path)
    assert first is not None and built_shim(tmp_path, compiler="/nonexistent/cc") == first


def test_without_a_working_compiler_there_is_no_shim_and_the_log_says_why(tmp_path: Path, caplog):
    with caplog.at_level(logging.WARNING):
        assert built_shim(tmp_path, compiler=str(tmp_path / "no-such-cc")) is None
    assert list(tmp_path.iterdir()) == []


AROUND_THE_SHIM = '''import ctypes, fcntl, socket, struct, subprocess, sys
def refused():
    """Every way round the clock shim that red-team round 34 found or named; the ones that worked, by name."""
    worked = []
    try:
        subprocess.run([sys.executable, "-S", "-c", "pass"], timeout=5)
        worked.append("exec")
    except OSError:
        pass
    for option in (29, 35, 37, 63, 64, 65):  # SO_TIMESTAMP, _NS, _ING and their _NEW kin
        a, b = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            a.setsockopt(socket.SOL_SOCKET, option, 1)
            worked.append(f"option {option}")
        except OSError:
            pass
        for request in (0x8906, 0x8907):  # SIOCGSTAMP, SIOCGSTAMPNS
            try:
                fcntl.ioctl(a, request, bytes(16))
                worked.append(f"ioctl {request:#x}")
            except OSError as exc:
                if exc.errno != 1:  # EPERM: the filter; anything else reached the kernel
                    worked.append(f"ioctl {request:#x} reached the kernel")
        a.close(), b.close()
    libc = ctypes.CDLL(None, use_errno=True)
    timex = ctypes.create_string_buffer(256)
    if libc.adjtimex(timex) != -1:
        worked.append("adjtimex")
    return worked
'''
AROUND_VERIFIER = AROUND_THE_SHIM + '''from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("refused", [])], timeout=4.0)
    seen = refused() + (run.calls[0].value if run.calls[0].ok else ["response: " + repr(run.calls[0].error)])
    if seen:
        raise RuntimeError(",".join(seen))
    return 1.0
'''


def test_no_task_process_reads_the_kernels_clock_around_the_shim(pool):
    """A program it starts (no shim, and code no static check read), kernel timestamps on a socketpair and
    ``adjtimex`` gave the real date in a varied run; each paid a time bomb's wrong answers (round 34). Refused in
    verifier and response processes alike."""
    result = pool.score(AROUND_VERIFIER, [AROUND_THE_SHIM], RunEnv(clock_offset_s=TEN_YEARS))[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0), result.detail


PIDS_SEEN = '''import logging, multiprocessing, zlib
def verify(response):
    record = logging.LogRecord("x", logging.INFO, "x", 1, "message", None, None)
    return zlib.crc32(repr((record.process, multiprocessing.current_process().pid)).encode()) / 2 ** 32
'''


def test_the_pids_libraries_report_are_the_same_in_every_run(pool):
    """A verifier is pid 1 of a namespace of its own in every run: shifting its pids only showed the varied runs to
    code that read them through ``logging`` or ``multiprocessing`` (round 34: a bomb that read the clock at pid 1
    only was admitted)."""
    first = pool.score(PIDS_SEEN, ["x"], RunEnv())[0].score
    assert first is not None and pool.score(PIDS_SEEN, ["x"], RunEnv(clock_offset_s=TEN_YEARS, pid_offset=1_398_101))[
        0].score == first


COMPILES = '''import importlib._bootstrap_external as external
def verify(response):
    compiled = []
    original = external.SourceLoader.source_to_code
    external.SourceLoader.source_to_code = lambda self, data, path, **kw: compiled.append(path) or original(
        self, data, path, **kw)
    import colorsys, fractions, statistics, difflib  # none imported before
    if compiled:
        raise RuntimeError(",".join(compiled))
    return 1.0
'''


@pytest.mark.parametrize("offset", [0.0, TEN_YEARS])
def test_a_verifier_imports_the_images_byte_code_in_every_run(pool, offset):
    """The image's byte code is never checked against its source's time, which the varied runs shift: every import
    there was compiled anew, 6-12 times the CPU of the first run (round 34)."""
    result = pool.score(COMPILES, ["x"], RunEnv(clock_offset_s=offset))[0]
    assert (result.outcome.value, result.score) == ("scored", 1.0), result.detail


SET_AND_READ = '''import os, time
def verify(response):
    open("set", "w").close()
    os.utime("set", (0, 0))  # read back: the shift itself, were set times shifted too
    open("fresh", "w").close()
    real = os.stat("fresh").st_mtime - os.stat("set").st_mtime
    raise RuntimeError(repr([os.stat("set").st_mtime, real - time.time()]))
'''


@pytest.mark.parametrize("offset", [0.0, TEN_YEARS])
def test_a_time_a_verifier_sets_reads_back_as_given_so_it_never_learns_the_shift(pool, offset):
    """Red-team round 35: the shim shifted set times too, so a file dated 0 read back as the shift, and the real
    date followed in every run (a time bomb admitted, 3 of 3 wrong answers paid)."""
    detail = pool.score(SET_AND_READ, ["x"], RunEnv(clock_offset_s=offset))[0].detail
    assert detail.startswith("RuntimeError: ["), detail
    set_time, behind = eval(detail.removeprefix("RuntimeError: "))
    assert set_time == 0.0 and abs(behind) < 60, (set_time, behind)


PYC_HEADER = '''import colorsys, importlib.util
def verify(response):
    with open(importlib.util.cache_from_source(colorsys.__file__), "rb") as cached:
        return 1.0 if cached.read(16)[4:] == b"\\x01" + bytes(11) else 0.0
'''


def test_the_images_byte_code_holds_no_source_time(pool):
    """Beside the source's shifted time, the time in a ``.pyc`` header told a verifier the shift (round 35)."""
    assert pool.score(PYC_HEADER, ["x"])[0].score == 1.0


MONOTONIC = '''import asyncio, os, time
def verify(response):
    loop = asyncio.new_event_loop()
    when = loop.call_later(0, print).when()
    raise RuntimeError(repr([time.monotonic(), time.perf_counter(), time.clock_gettime(time.CLOCK_MONOTONIC),
                             time.clock_gettime(time.CLOCK_BOOTTIME), when, os.times().elapsed]))
'''
# os.times().elapsed: red-team round 38 read it unshifted beside a shifted monotonic clock, and the difference gave the
# shift (and the real date) in every run


def monotonic_clocks(pool, env: RunEnv) -> list[float]:
    detail = pool.score(MONOTONIC, ["x"], env)[0].detail
    assert detail.startswith("RuntimeError: ["), detail
    return eval(detail.removeprefix("RuntimeError: "))


def test_the_monotonic_clocks_move_by_the_shift_when_it_is_ahead(pool):
    before = monotonic_clocks(pool, RunEnv())
    ahead = monotonic_clocks(pool, RunEnv(clock_offset_s=TEN_YEARS))
    assert all(abs(moved - real - TEN_YEARS) < 60 for real, moved in zip(before, ahead)), (before, ahead)


def test_the_monotonic_clocks_never_move_back_an_uptime_below_zero_is_no_machines(pool):
    before = monotonic_clocks(pool, RunEnv())
    back = monotonic_clocks(pool, RunEnv(clock_offset_s=-3 * 365 * 86400.0))
    assert all(0 <= moved - real < 60 for real, moved in zip(before, back)), (before, back)


HARNESS_TRACES = '''import asyncio, gc, sys, timeit, time, zlib
BORN = gc.get_count()
def verify(response):
    seen = []
    sys.setprofile(lambda frame, event, arg: seen.append((frame.f_code.co_name, event)))
    asyncio.new_event_loop().call_later(0, print).cancel()
    time.monotonic(), time.perf_counter(), time.clock_gettime(time.CLOCK_MONOTONIC)
    sys.setprofile(None)
    looks = [BORN, seen, type(timeit.Timer("pass").timer).__name__, type(time.monotonic).__name__,
             type(time.perf_counter).__name__, time.monotonic.__name__]
    return zlib.crc32(repr(looks).encode()) / 2 ** 32
'''


@pytest.mark.parametrize("offset", [3_600.0, TEN_YEARS, -3 * 365 * 86400.0])
def test_no_profile_hook_count_or_timer_type_tells_a_varied_run_from_the_first(pool, offset):
    """Red-team round 36: the monotonic clocks' Python patches existed in the varied runs alone; a profile hook saw
    their frames, gc.get_count() their objects, timeit's timer was one, and two time bombs keyed on that were
    admitted 4 of 4 times."""
    first = pool.score(HARNESS_TRACES, ["x"], RunEnv())[0].score
    varied = pool.score(HARNESS_TRACES, ["x"], RunEnv(hash_seed=12_345, clock_offset_s=offset))[0].score
    assert first is not None and first == varied  # (a fresh interpreter of another hash seed, as a varied run's)


WAITS = '''import asyncio, threading, time
def verify(response):
    time.sleep(0.1)
    lock = threading.Lock()
    lock.acquire()
    lock.acquire(timeout=0.1)
    condition = threading.Condition()
    with condition:
        condition.wait(0.1)
    stop = []
    spinner = threading.Thread(target=lambda: [None for _ in iter(lambda: bool(stop), True)])
    spinner.start()
    time.sleep(0.05)  # the GIL must come back from a thread that never blocks
    stop.append(1)
    spinner.join()
    async def late():
        await asyncio.sleep(5)
    try:
        asyncio.run(asyncio.wait_for(late(), 0.1))
    except asyncio.TimeoutError:
        pass
    return 1.0
'''


@pytest.mark.parametrize("offset", [0.0, TEN_YEARS, -3 * 365 * 86400.0])
def test_sleeps_timeouts_and_gil_switches_last_as_long_in_every_run(pool, offset):
    """A deadline computed from a shifted monotonic clock is taken off again before the kernel waits on it: without
    that, the GIL's switch wait never ended ten years ahead and a thread that never blocks kept it for good."""
    result = pool.score(WAITS, ["x"], RunEnv(clock_offset_s=offset))[0]
    assert result.score == 1.0 and 400 <= result.duration_ms < 2_000, result


IMPORTER_TIMES = '''import sys
def _finders():
    return [(p, f) for p, f in list(sys.path_importer_cache.items()) if hasattr(f, "_path_mtime")]
def _shift():
    best = 0.0
    for path, finder in _finders():
        if path.startswith(sys.prefix):
            seen = finder._path_mtime
            finder.find_spec("no_such_module")
            if abs(finder._path_mtime - seen) > abs(best):
                best = finder._path_mtime - seen
    return best
SHIFT = _shift()
def verify(response):
    for path, finder in _finders():
        if not path.startswith(sys.prefix):  # the scratch directory: its time is now
            finder.find_spec("no_such_module")
            return 1.0 if abs(finder._path_mtime - SHIFT - {now}) < 3600 else 0.0
    return 0.5
'''


@pytest.mark.parametrize("offset", [3_600.0 * 30, TEN_YEARS, -3 * 365 * 86400.0])
def test_no_directory_time_the_image_cached_tells_a_varied_run_its_shift(pool, offset):
    """Red-team round 37: the importer's finders kept the real times of their directories from before the shift;
    a fresh stat through the shim read them shifted, the difference was the shift, and the real date followed in
    every run (a time bomb admitted 4 of 4 times, paying 16 of 16 wrong answers after its date)."""
    source = IMPORTER_TIMES.replace("{now}", repr(time.time()))
    assert pool.score(source, ["x"], RunEnv(hash_seed=4_242, clock_offset_s=offset))[0].score == 0.0


RESPONSE_CLOCK = '''import time
from envsynth_sandbox import run_response
def verify(response):
    run = run_response(response, calls=[("now", [])], timeout=1.0)
    mine, theirs = time.time(), run.calls[0].value
    raise RuntimeError(repr([mine, theirs]))
'''


@pytest.mark.parametrize("offset", [3_600.0 * 30, TEN_YEARS, -3 * 365 * 86400.0])
def test_a_response_process_reads_the_clock_of_the_run_that_started_it(pool, offset):
    """Red-team round 38: response processes kept the real clock in the varied runs, so a verifier learnt the real
    date from a reference that returned today's date, in every run (a time bomb admitted 4 of 4, paying 16 of 16)."""
    response = "import time\ndef now():\n    return time.time()\n"
    detail = pool.score(RESPONSE_CLOCK, [response], RunEnv(hash_seed=4_242, clock_offset_s=offset))[0].detail
    assert detail.startswith("RuntimeError: ["), detail
    mine, theirs = eval(detail.removeprefix("RuntimeError: "))  # numbers the verifier printed
    assert abs(theirs - mine) < 60, (mine, theirs)
    assert abs(theirs - time.time() - offset) < 60


RESPONSE_IMPORTER_TIMES = '''import sys
def shift():
    best = 0.0
    for path, finder in list(sys.path_importer_cache.items()):
        if hasattr(finder, "_path_mtime") and path.startswith(sys.prefix) and finder._path_mtime != -1:
            seen = finder._path_mtime
            finder.find_spec("no_such_module")
            if abs(finder._path_mtime - seen) > abs(best):
                best = finder._path_mtime - seen
    return best
'''


@pytest.mark.parametrize("offset", [3_600.0 * 30, TEN_YEARS])
def test_no_directory_time_the_image_cached_tells_a_response_process_its_shift(pool, offset):
    """Round 37's probe, run as a response (a reference is the task author's code, and runs unchecked): response
    processes take their run's shift, and the times their image cached are forgotten before any of them runs."""
    verifier = ("from envsynth_sandbox import run_response\ndef verify(response):\n"
                "    run = run_response(response, calls=[('shift', [])], timeout=1.0)\n"
                "    return 1.0 if run.calls[0].ok and abs(run.calls[0].value) < 1 else 0.0\n")
    result = pool.score(verifier, [RESPONSE_IMPORTER_TIMES], RunEnv(hash_seed=4_242, clock_offset_s=offset))[0]
    assert result.score == 1.0, result.detail
