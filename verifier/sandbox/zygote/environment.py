"""What a verifier can observe of its run, pinned for training and shifted for validation's varied runs.

Runs inside the sandbox, standard library only. Training runs with offsets 0 and the global ``random`` seeded from
the operating system in every verifier process (no seed a verifier could test for), and so does validation's first
run: the two are indistinguishable. Validation's other runs shift every clock a verifier can
read by ``clock_offset_s`` and, where a verifier's pids are not those of pid 1 of a namespace of its own, every
process id (``os.getpid``/``getppid``/``getpgrp``/``getpgid``/``getsid``) by ``pid_offset``, so a verifier whose
score depends on them scores differently across runs and is rejected as nondeterministic.

Where the sandbox preloads the clock shim (``verifier/sandbox/clock_shim.py``), every clock is shifted in the C
library, beneath Python, for the whole process: the calendar clock and file times by the shift, the monotonic clocks
by the shift when it is ahead, and absolute waits on them unshifted again, so sleeps and timeouts last as long. No
function of ``time``, ``datetime`` or ``os`` changes, in any run: SQLite's and every other C reader's ``now``
moves too, and every verifier process sets its shift once, 0 included, after which it cannot change. (The
monotonic clocks were patched in Python until session 14; the patches existed in the varied runs alone, and a
profile hook or ``gc.get_count()`` told such a run from training: red-team round 36.) Without the shim every clock
is shifted in Python (``time``, ``datetime``, ``time.clock_gettime*``, file times from ``os.stat``/``lstat``/
``fstat``), which clocks read in C escape and which a verifier can see (``type(datetime.datetime)``). Reads that
bypass both (system calls made directly) are not shifted; the sandbox docstring lists that.
"""

import os
import time


def _shim_setter():
    """The clock shim's ``envsynth_shift_clock`` where the sandbox preloaded it, else None; looked up once, in the
    image every verifier process is cloned from."""
    try:
        import ctypes
        setter = ctypes.CDLL(None).envsynth_shift_clock
    except (ImportError, OSError, AttributeError):
        return None
    setter.argtypes, setter.restype = [ctypes.c_longlong], ctypes.c_int
    return setter


SHIFT_IN_C = _shim_setter()


def apply(env, pid_one=False):
    """Seed ``random`` and apply the offsets of ``env`` (a dict: rng_seed, clock_offset_s, pid_offset).

    ``pid_one``: the process is pid 1 of a pid namespace of its own, in every run alike (a privileged sandbox), so
    its pids carry nothing and are left as they are. Shifting them there only showed: ``logging``'s
    ``record.process`` and ``multiprocessing.current_process().pid``, which no static check flags, read 1 in the
    first run and in training and 1,398,102 in a varied run, and a time bomb that read the clock only at pid 1 was
    admitted (red-team round 34)."""
    import random
    random.seed(env.get("rng_seed"))
    set_clock(shift_ns(env))
    forget_image_times()
    if not pid_one:
        shift_pids(int(env.get("pid_offset") or 0))


def shift_ns(env):
    """The clock shift of run environment ``env`` (a dict with ``clock_offset_s``), in nanoseconds: what its verifier
    process sets, and what the zygote hands that process's response processes (``run.Run.offer``)."""
    return int(round((env.get("clock_offset_s") or 0.0) * 1e9))


def set_clock(ns):
    """Shift this process's clocks by ``ns`` nanoseconds: in the shim, once and sealed (0 too, in every process),
    else in Python (:func:`shift_clocks`). Verifier processes call it through :func:`apply`; response processes
    with their verifier's shift, before any code of the response runs (``response.response_main``)."""
    if SHIFT_IN_C is not None:
        SHIFT_IN_C(ns)
    else:
        shift_clocks(ns / 1e9)


def forget_image_times():
    """Drop what the image cached of file times before the shift was set, in every run alike.

    The image every verifier process is cloned from stats directories while it imports (each ``FileFinder`` of
    ``sys.path_importer_cache`` keeps its directory's ``_path_mtime``), before any shift is set: real times, beside
    which a fresh stat through the shim reads shifted. A verifier that compared the two learnt the shift, and with
    it the real date, in every run, with no name any static rule knew; such a time bomb was admitted 4 of 4 times and
    paid 16 of 16 wrong answers after its date (red-team round 37). Invalidated, every finder stats anew, in the
    process's own (shifted) world; ``linecache`` keeps file times too and is emptied."""
    import importlib
    import linecache
    importlib.invalidate_caches()
    linecache.clearcache()


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
    """Shift every common clock by ``offset`` seconds in Python, before the verifier loads (0: leave them
    untouched); where the sandbox has no clock shim."""
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
