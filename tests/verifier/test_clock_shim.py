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
