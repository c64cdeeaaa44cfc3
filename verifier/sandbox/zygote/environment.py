"""What a verifier can observe of its run, pinned for training and shifted for validation's varied runs.

Runs inside the sandbox, standard library only. Training runs in the pinned environment (offsets 0): nothing is
patched, so validation's first run, which uses the same pinned environment, is indistinguishable from training.
Validation's other runs shift every clock the verifier can read through Python (``time``, ``datetime``,
``time.clock_gettime*``, file times from ``os.stat``/``lstat``/``fstat``, which covers ``/proc/self``'s mtime) by
``clock_offset_s``, and every process id (``os.getpid``/``getppid``/``getpgrp``/``getpgid``/``getsid``) by
``pid_offset``, so a verifier whose score depends on them scores differently across runs and is rejected as
nondeterministic. Reads that bypass Python's functions (ctypes, ``/proc/self/stat`` fields, ``/proc/uptime``) are
not shifted; the sandbox docstring lists that.
"""

import os
import time


def apply(env):
    """Seed ``random`` and apply the offsets of ``env`` (a dict: rng_seed, clock_offset_s, pid_offset)."""
    import random
    random.seed(env.get("rng_seed"))
    shift_clocks(env.get("clock_offset_s") or 0.0)
    shift_pids(int(env.get("pid_offset") or 0))


def shift_pids(offset):
    """Add ``offset`` to every process id the ``os`` module reports (0: leave the functions untouched)."""
    if not offset:
        return
    for name in ("getpid", "getppid", "getpgrp"):
        original = getattr(os, name)
        setattr(os, name, lambda _f=original: _f() + offset)
    for name in ("getpgid", "getsid"):
        original = getattr(os, name)
        setattr(os, name, lambda pid, _f=original: _f(pid - offset if pid else 0) + offset)


def shift_clocks(offset):
    """Shift every common clock by ``offset`` seconds before the verifier loads (0: leave them untouched)."""
    import datetime as dt
    if not offset:
        return
    for name in ("time", "monotonic", "perf_counter"):
        original = getattr(time, name)
        setattr(time, name, lambda _f=original: _f() + offset)
    for name in ("time_ns", "monotonic_ns", "perf_counter_ns"):
        original = getattr(time, name)
        setattr(time, name, lambda _f=original: _f() + int(offset * 1e9))
    gettime, gettime_ns = time.clock_gettime, time.clock_gettime_ns
    time.clock_gettime = lambda clock: gettime(clock) + offset
    time.clock_gettime_ns = lambda clock: gettime_ns(clock) + int(offset * 1e9)
    for name in ("localtime", "gmtime", "ctime"):
        original = getattr(time, name)
        setattr(time, name, lambda secs=None, _f=original: _f(time.time() if secs is None else secs))
    strftime, asctime = time.strftime, time.asctime
    time.strftime = lambda fmt, t=None: strftime(fmt, time.localtime() if t is None else t)
    time.asctime = lambda t=None: asctime(time.localtime() if t is None else t)
    shift_file_times(offset)

    original_date, original_datetime = dt.date, dt.datetime

    class Stands(type):
        """The classes below stand in for ``date`` and ``datetime``: an object of the originals (``strptime(...)
        .date()`` makes a plain ``date``) is an instance of them, and they are subclasses of each other as the
        originals are. Without this, ``isinstance(day, date)`` was False in the varied runs alone, and an honest
        verifier was rejected as unsolvable and nondeterministic."""

        def __instancecheck__(cls, obj):
            return isinstance(obj, cls.stands_for)

        def __subclasscheck__(cls, sub):
            return issubclass(sub, cls.stands_for)

    class ShiftedDatetime(dt.datetime, metaclass=Stands):
        stands_for = original_datetime

        def __repr__(self):  # the C repr names the heap type ("datetime(...)"), not "datetime.datetime(...)"
            return repr(original_datetime.combine(self, self.timetz()))

        @classmethod
        def now(cls, tz=None):
            return dt.datetime.fromtimestamp(time.time(), tz)

        @classmethod
        def utcnow(cls):
            return dt.datetime.utcfromtimestamp(time.time())

        @classmethod
        def today(cls):
            return dt.datetime.fromtimestamp(time.time())

    class ShiftedDate(dt.date, metaclass=Stands):
        stands_for = original_date

        def __repr__(self):
            return repr(original_date(self.year, self.month, self.day))

        @classmethod
        def today(cls):
            return dt.date.fromtimestamp(time.time())

    for shifted, original in ((ShiftedDatetime, original_datetime), (ShiftedDate, original_date)):
        shifted.__name__, shifted.__qualname__, shifted.__module__ = original.__name__, original.__name__, "datetime"
    dt.datetime, dt.date = ShiftedDatetime, ShiftedDate


def shift_file_times(offset):
    """File times as the shifted clock would have written them (``os.stat('/proc/self').st_mtime`` included)."""
    nanos = int(offset * 1e9)

    def shifted(st):
        extra = {name: getattr(st, name) for name in ("st_blksize", "st_blocks", "st_rdev") if hasattr(st, name)}
        for which in ("atime", "mtime", "ctime"):
            extra[f"st_{which}"] = getattr(st, f"st_{which}") + offset
            extra[f"st_{which}_ns"] = getattr(st, f"st_{which}_ns") + nanos
        fields = list(st)
        for at in (7, 8, 9):
            fields[at] = int(fields[at] + offset)
        return os.stat_result(tuple(fields), extra)

    for name in ("stat", "lstat", "fstat"):
        original = getattr(os, name)
        setattr(os, name, lambda *a, _f=original, **k: shifted(_f(*a, **k)))
