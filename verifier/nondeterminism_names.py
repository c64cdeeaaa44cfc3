"""The names the static nondeterminism pass (``static_determinism``) knows: data only, one table per kind of source.

Why a module of its own: the tables grow with every red-team round (round 20 added the standard library's indirect
clock reads), and reading them apart from the AST walk shows at a glance what is covered. Names are fully
qualified as ``task_bank.response_exec.qualname`` resolves them (``import x as y`` and ``from x import y``
followed).
"""

from __future__ import annotations

RANDOM_MODULES = ("random", "numpy.random")
RANDOM_SAFE = {"Random", "RandomState", "default_rng", "Generator", "seed", "setstate", "SeedSequence",
               "PCG64", "MT19937", "Philox", "SFC64", "BitGenerator"}
SEEDABLE_CTORS = {"random.Random", "numpy.random.RandomState", "numpy.random.default_rng",
                  "numpy.random.SeedSequence"}
CLOCKS = {f"time.{n}" for n in ("time", "time_ns", "monotonic", "monotonic_ns", "perf_counter", "perf_counter_ns",
                                "process_time", "process_time_ns", "thread_time", "thread_time_ns", "clock_gettime",
                                "clock_gettime_ns")}
CLOCKS |= {f"os.path.get{n}time" for n in "mac"} | {f"stat.ST_{n}TIME" for n in "MAC"}
CLOCKS |= {"timeit.default_timer", "logging.makeLogRecord", "logging.LogRecord", "email.utils.make_msgid"}
CLOCKS |= {"signal.getitimer"}  # a timer's time left: a clock (round 32)
CLOCKS |= {f"logging.{n}" for n in ("Handler", "Filter", "Formatter", "StreamHandler", "FileHandler", "NullHandler",
                                    "setLogRecordFactory", "getLogRecordFactory")}
CLOCKS |= {f"logging.handlers.{n}" for n in ("MemoryHandler", "BufferingHandler", "QueueHandler")}
"""Whatever receives log records (a handler or filter of the verifier's own): each carries the time it was made,
read back through ``vars(record)`` where no attribute name says so (red-team round 35)."""
CLOCKS |= {f"mailbox.{n}" for n in ("MaildirMessage", "mboxMessage", "MMDFMessage")}
"""A new message of these dates itself with the current time (``._date``, ``.get_from()``; red-team round 36)."""
CLOCKS |= {"py_compile.compile", "compileall.compile_file", "compileall.compile_dir", "compileall.compile_path"}
"""Byte code written for a file just made holds the file's time in its header (red-team round 35)."""
CLOCKS |= {"linecache.cache", "shutil.make_archive"}
"""The time of a file just written, handed back: ``linecache``'s cache holds each file's time, and an archive made
of a folder dates its entries with their files' (red-team round 40)."""
TIMER_SETTERS = {"signal.alarm", "signal.setitimer"}
"""Set a timer and return the time left on the one before: a clock read when that is used, a timeout guard (as
honest verifiers use them) when the call is a statement of its own."""
TIME_ARGUMENT = {  # reads the clock unless the time is passed: (its position, its keyword)
    "time.localtime": (0, None), "time.gmtime": (0, None), "time.ctime": (0, None), "time.asctime": (0, None),
    "time.strftime": (1, None), "email.utils.formatdate": (0, "timeval"), "email.utils.localtime": (0, "dt"),
    "http.cookiejar.time2isoz": (0, "t"), "http.cookiejar.time2netscape": (0, "t"),
    "gzip.compress": (2, "mtime"), "gzip.GzipFile": (4, "mtime"), "sched.scheduler": (0, "timefunc"),
}
"""Red-team round 20: ``time.strftime('%s')`` and the header of ``gzip.compress(b'')`` carried a time bomb (honest
before a date, paying everything after it) past validation, whose clock shifts missed its window."""
CLOCK_METHODS = {"date_time_string", "log_date_time_string"}
"""Methods (``http.server``'s request handler) that format the current time when called without one (unbound, the
one argument is ``self``)."""
EVENT_LOOPS = {"asyncio.get_event_loop", "asyncio.new_event_loop", "asyncio.get_running_loop"}
"""An event loop's ``.time()`` is a clock."""
FILE_TIMES = frozenset(f"st_{n}time{ns}" for n in ("m", "a", "c", "birth") for ns in ("", "_ns")) | {"_path_mtime"}
"""Attributes of a stat result that hold a file time: a file written during the call carries the real clock; and an
import finder's cached directory time (``FileFinder._path_mtime``, red-team round 37)."""
STAT_CALLS = {"os.stat", "os.lstat", "os.fstat", "posix.stat", "posix.lstat", "posix.fstat"}
STAT_TIME_INDEXES = {7, 8, 9}
"""``os.stat(p)[8]`` is ``st_mtime`` (``stat.ST_ATIME``, ``ST_MTIME``, ``ST_CTIME``)."""
DATETIME_NOW = {"now", "utcnow", "today"}
DATETIME_CLASSES = {"datetime.datetime", "datetime.date"}
"""Whose ``now``/``utcnow``/``today`` read the clock, also when named without a call (``f = datetime.now``)."""
PIDS = {"os.getpid", "os.getppid", "os.getpgrp", "os.getpgid", "os.getsid", "os.times", "os.getloadavg",
        "resource.getrusage", "resource.getrlimit", "resource.prlimit", "threading.get_ident",
        "threading.get_native_id", "_thread.get_ident"}
RNG_STATE = {"random.getstate", "numpy.random.get_state", "numpy.random.mtrand.get_state"}
INTERPRETER_VIEWS = {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "gc.get_count", "gc.get_stats",
              "gc.get_freeze_count", "sys.getallocatedblocks", "sys.setprofile", "sys.settrace", "threading.setprofile",
              "threading.settrace", "sys._current_frames", "sys.path_importer_cache"}
"""Views of the interpreter's own workings: walks and counts of the heap, and profile and trace hooks, which see
every frame the harness runs. The monotonic clocks' Python patches of the varied runs were found through each of
them (red-team rounds 35 and 36); whatever else the harness does differently would be too, so their only use in a
verifier is telling runs apart."""


def views_interpreter(qual: str) -> bool:
    """``qual`` is one of :data:`INTERPRETER_VIEWS` or a member of one (``sys.path_importer_cache.items``)."""
    return qual in INTERPRETER_VIEWS or qual.rpartition(".")[0] in INTERPRETER_VIEWS
ADDRESSES = {"object.__repr__": "object_id", "object.__str__": "object_id", "object.__format__": "object_id",
             "object.__hash__": "hash", "builtins.id": "object_id", "builtins.hash": "hash"}
PROC_PREFIXES = ("/proc/", "/sys/", "/dev/urandom", "/dev/random")
ENTROPY = {"os.urandom", "os.getrandom", "uuid.uuid1", "uuid.uuid4", "random.SystemRandom", "ssl.RAND_bytes",
           "ssl.RAND_pseudo_bytes"}
SET_CTORS = {"set", "frozenset"}
SET_METHODS = {"union", "intersection", "difference", "symmetric_difference", "copy"}
ORDER_FREE = {"sorted", "len", "any", "all", "min", "max", "sum", "set", "frozenset"}
ORDER_CONSUMERS = {"list", "tuple", "iter", "enumerate", "zip", "map", "filter", "next", "str", "repr", "print",
                   "format", "ascii"}
ANY_ARGUMENT = {"zip", "map", "filter", "print"}  # the set may be any argument: map(str, S), zip(A, S)
NATIVE = frozenset({"ctypes", "_ctypes", "ctypeslib"})
"""Modules that call C directly (``numpy.ctypeslib`` reaches ``ctypes`` too): through them a verifier reads the
real clock (``libc.time``), its pid and addresses, none of which validation's varied runs shift, so a time bomb read
through ctypes was invisible to every run. Verifiers score text and need none of it."""
CLOCK_NAMES = frozenset({"now", "utcnow", "today", "time", "time_ns", "monotonic", "monotonic_ns", "perf_counter",
                         "perf_counter_ns", "clock_gettime", "clock_gettime_ns"})
"""Names of clocks, fetched as ``getattr(datetime.datetime, 'now')``: any such ``getattr`` is a clock read."""
CLOCK_TEXT = {"sqlite3": r"'now'|\bcurrent_(?:timestamp|date|time)\b"
                         r"|\b(?:strftime|date|time|datetime|julianday|unixepoch|timediff)\s*\([^)]*(?:\?|[:@$]\w|$)",
              "logging": r"%\((?:asctime|created|msecs|relativeCreated)\)|{(?:asctime|created|msecs)}"}
"""Text that asks a library for the current time, by the module that would read it (counted only where the
module is imported): SQL (``strftime('%s', 'now')``: sqlite3 reads the clock in C; a date function given a bound
parameter, or whose arguments the text leaves open, to be joined at run time, either of which may be ``'now'``:
rounds 35 and 40; text a verifier joins from constants is read whole, ``verifier.plain_values``) and logging formats
(a record's creation time)."""
RECORD_TIMES = frozenset({"created", "msecs", "relativeCreated"})
"""Attributes of a log record that hold its creation time (also as text: ``vars(record)['created']``, round 40)."""
RECORD_MAKERS = frozenset({"makeRecord"})
"""Methods that make a log record, dated now (``logging.root.makeRecord(...)``: red-team round 40)."""
RECORD_RECEIVERS = frozenset({"addFilter", "addHandler", "setLogRecordFactory"})
"""Methods that hand log records to code of the verifier's own (a filter may be any callable)."""
