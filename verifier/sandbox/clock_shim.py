"""The clock shim: a small C library preloaded into the bwrap sandbox that shifts the calendar clock beneath Python.

Why: validation's varied runs show a verifier another date, so that one whose score depends on the date scores
differently across runs and is rejected as nondeterministic (a time bomb, honest until a day after its validation,
is caught). Shifting in Python (patched ``time.time``, a stand-in ``datetime`` class, a wrapped ``os.stat``) had
two holes. Clocks read in C were not shifted: SQLite's ``'now'`` in SQL text built at run time kept the real date,
and such a bomb was admitted 3 of 3 times and paid 48 of 48 wrong answers after its date (red-team round 32). And
the patches could be seen: ``type(datetime.datetime) is type`` and ``os.stat.__name__`` told a varied run from
the first run and from training, which no static check flags. The shim (``clock_shim.c``) shifts the C library's
``clock_gettime`` on the calendar clocks, ``gettimeofday``, ``time`` and the file times of the ``stat`` family for
the whole process, and nothing in Python changes. It is built once per machine and source, with the system's C
compiler, into the sandbox's image directory; where no compiler is found the sandbox shifts in Python as before
(``zygote/environment.py``), which the log says once.

Since session 14 the shim shifts the monotonic clocks too (by the shift when it is ahead; an uptime below zero
is one no machine shows) and takes the shift off every absolute deadline the C library waits on (``clock_nanosleep``,
``sem_clockwait``/``sem_timedwait``, ``pthread_cond_timedwait`` by the condition variable's clock, and the mutex and
join waits), so Python's sleeps, lock timeouts and GIL switches last as long in every run. Before, the monotonic
clocks were patched in Python in the varied runs alone, and a profile hook (``sys.setprofile``: the patches' frames),
``gc.get_count()`` (their objects) or ``timeit``'s timer told such a run from training with no name the static pass
flags; two time bombs built so were admitted 4 of 4 times (red-team round 36). Not shifted: clocks read by system
call without the C library, and absolute ``timerfd``/POSIX timers (which Python's standard library does not make).
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
from importlib import resources
from pathlib import Path

logger = logging.getLogger(__name__)

SANDBOX_PATH = "/.clock/envsynth-clock.so"
"""Where the shim is mounted inside the sandbox (read-only) and what ``LD_PRELOAD`` names there."""
BUILD_TIMEOUT_S = 60.0
_WARNED: list[bool] = []  # the fallback is logged once per process


def source() -> bytes:
    return resources.files("verifier.sandbox").joinpath("clock_shim.c").read_bytes()


def built_shim(root: Path, compiler: str | None = None) -> Path | None:
    """The shim built from :func:`source` under ``root`` (the sandbox's image directory), built now if missing;
    None where it cannot be built (no C compiler, or it failed), after one warning in the log."""
    code = source()
    final = root / f"clock-{hashlib.sha256(code).hexdigest()[:16]}.so"
    if final.exists():
        return final
    compiler = compiler or shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        return _fallback("no C compiler (cc or gcc) was found")
    partial = root / f".build-clock-{os.getpid()}-{os.urandom(4).hex()}"
    partial.mkdir(mode=0o755)
    try:
        (partial / "clock_shim.c").write_bytes(code)
        built = partial / "clock.so"
        try:
            done = subprocess.run([compiler, "-shared", "-fPIC", "-O2", "-o", str(built), str(partial / "clock_shim.c"),
                                   "-ldl"], capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return _fallback(f"{compiler} could not run: {exc}")
        if done.returncode != 0 or not built.exists():
            return _fallback(f"{compiler} failed: {(done.stderr or done.stdout).strip()[-300:]}")
        built.chmod(0o755)
        os.replace(built, final)  # atomic: a concurrent build of the same source writes the same bytes
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return final


def bwrap_args(shim: Path | None) -> list[str]:
    """The bwrap arguments that mount ``shim`` and preload it into the sandbox's programs (none without one)."""
    if shim is None:
        return []
    return ["--ro-bind", str(shim), SANDBOX_PATH, "--setenv", "LD_PRELOAD", SANDBOX_PATH]


def _fallback(reason: str) -> None:
    if not _WARNED:
        _WARNED.append(True)
        logger.warning("the sandbox's clock shim cannot be built (%s); validation's varied runs shift the clock in "
                       "Python only, which clocks read in C (SQLite's 'now') escape", reason)
    return None
