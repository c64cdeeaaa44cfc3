"""The response's code run in the response process, and what it reports: one JSON line per event on the results pipe.

Runs inside the sandbox, standard library only, in the response process once ``response.response_main`` has confined
it, read the request and found its code part of the response. :func:`run` execs the code as a program run from a
shell would (its own module, standard input on descriptor 0, ``exit`` and ``quit``) and makes each call in order;
each event goes to :data:`RESULT_FD` as a line of plain JSON (:func:`plain`: a tuple becomes a list, a set
``{"$set": [...]}``, a key starting with ``$`` gets one more), hashed for the run's digest (``run_digest``) as it
is written. Standard error goes to a file read back at the end (:func:`capture_stderr`, :func:`report_stderr`).

Why a module of its own: ``response`` is how the process is made safe to run code in (confinement, limits, its
working directory, which request it reads and whether it may run it); this is what running it means and what a
verifier's client reads back. Nothing here is trusted: a response that forges lines only claims values it could as
well have returned.
"""

import builtins
import io
import json
import os
import sys

from verifier.sandbox.zygote import run_digest
from verifier.sandbox.zygote.plainjson import own_codec

RESULT_FD = 3
TEXT_CAP = 1000
STDERR_CAP = 64 << 10
DEPTH_CAP = 64

_ENCODE = own_codec()[1]


def run(spec, empty_stdin=None):
    """Exec the code, then make each call; one result line per event.

    As a program run from a shell would: the code runs as ``__main__`` when no call is asked for (a script: its
    ``if __name__ == "__main__":`` block is the program), as ``__response__`` otherwise (a module whose functions
    are called: a demo block must not run, and would block on input); standard input is file descriptor 0
    (``sys.stdin.buffer``, ``open(0)`` and ``sys.stdin.fileno()`` work, :func:`stdin_file`); ``exit()`` and
    ``quit()`` exist (:func:`site_builtins`). Each was missing once, and an honest stdin task was rejected as
    unsolvable (QA round 21). The code runs in a module registered under its name in ``sys.modules``, as an
    imported module or a script is: ``dataclasses`` (under ``from __future__ import annotations``), ``pickle`` and
    ``typing.get_type_hints`` look a class's module up there, and an honest reference with a dataclass failed to
    load (QA round 30)."""
    sys.stdin = stdin_file(spec.get("stdin") or "", empty_stdin)
    site_builtins()
    module = type(sys)("__response__" if spec["calls"] else "__main__")
    module.__builtins__ = builtins
    sys.modules[module.__name__] = module  # as an imported module or a script is: see the docstring
    namespace = module.__dict__
    try:
        exec(compile(spec["code"], "<response>", "exec", dont_inherit=True), namespace)
    except BaseException as exc:  # SystemExit and KeyboardInterrupt included: the response's doing, reported
        emit({"e": "load", "ok": False, "error": describe(exc)})
        return
    emit({"e": "load", "ok": True})
    for index, (name, args, kwargs) in enumerate(spec["calls"]):
        try:
            function = namespace[name]
        except KeyError:
            emit({"e": "call", "i": index, "ok": False,
                   "error": {"type": "NameError", "message": f"the response defines no {name!r}"}})
            continue
        try:
            value = plain(function(*args, **kwargs))
            line = _ENCODE({"e": "call", "i": index, "ok": True, "value": value})
        except BaseException as exc:
            emit({"e": "call", "i": index, "ok": False, "error": describe(exc)})
            continue
        _write(line)


def stdin_file(text, empty=None):
    """A text stream on descriptor 0 that holds ``text``: a file of this process's fresh working directory
    (:func:`_unlinked_file`; ``/dev/null``, already there, when ``text`` is empty: most runs call functions and read
    nothing, and then ``empty``, the template's stream on it, serves where there is one). Where the file cannot be
    written (its size past the file size limit), an in-memory stream."""
    if not text and empty is not None:
        return empty
    try:
        if text:
            writer, reader = _unlinked_file(".stdin")
            try:
                data = text.encode("utf-8", "surrogatepass")
                while data:
                    data = data[os.write(writer, data):]
            finally:
                os.close(writer)
            os.dup2(reader, 0)
            os.close(reader)
        return text_stream()
    except OSError:
        return io.StringIO(text)


def text_stream():
    """Descriptor 0 as standard input reads it: UTF-8, undecodable bytes kept as surrogates, and line endings as
    they are (``newline="\\n"``, as CPython's own stdin on POSIX: ``input()`` on ``"ab\\r\\n"`` keeps the ``\\r``;
    red-team round 27 found them translated)."""
    return open(0, "r", encoding="utf-8", errors="surrogateescape", newline="\n", closefd=False)


def capture_stderr():
    """Descriptor 2 becomes a file of this process's working directory (:func:`_unlinked_file`); returns a
    descriptor that reads it back, or None where it cannot be made (stderr then shares stdout's pipe). Why: a
    program that wrote debugging lines to stderr, as judges of programs allow, mixed them into ``stdout``, and a
    right answer failed its check (QA round 21). Read back when the process ends (:func:`report_stderr`); a
    process killed before then reports none."""
    try:
        writer, reader = _unlinked_file(".stderr")
    except OSError:
        return None
    os.dup2(writer, 2)
    os.close(writer)
    return reader


def _unlinked_file(name):
    """(writer, reader): two descriptors of a new file ``name`` of the working directory, unlinked once both are
    open, so nothing of it is left to find by name."""
    writer = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        reader = os.open(name, os.O_RDONLY)
    except OSError:
        os.close(writer)
        raise
    finally:
        os.unlink(name)
    return writer, reader


def report_stderr(reader):
    """One ``{"e": "stderr", "text": ...}`` event with what was written to stderr (at most :data:`STDERR_CAP`
    bytes, undecodable bytes replaced); none when nothing was."""
    if reader is None:
        return
    try:
        data = os.pread(reader, STDERR_CAP, 0)
    except OSError:
        return
    if data:
        emit({"e": "stderr", "text": data.decode("utf-8", "replace")})


def site_builtins():
    """``exit`` and ``quit``, which ``site`` would have made (the sandbox's interpreter runs without it)."""
    if not hasattr(builtins, "exit"):
        from _sitebuiltins import Quitter
        builtins.exit, builtins.quit = Quitter("exit", "Ctrl-D (i.e. EOF)"), Quitter("quit", "Ctrl-D (i.e. EOF)")


def plain(value, depth=0):
    """``value`` as plain JSON data; TypeError (reported as ``UnserializableResult``) for anything else."""
    if depth > DEPTH_CAP:
        raise TypeError("the result is nested too deeply")
    if value is None or type(value) in (bool, str):
        return value
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, (list, tuple)):
        return [plain(item, depth + 1) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("a dict with keys other than str is not a plain value")
        return {escape_key(str.__str__(key)): plain(item, depth + 1) for key, item in value.items()}
    if isinstance(value, (set, frozenset)):
        items = [plain(item, depth + 1) for item in value]
        return {"$set": sorted(items, key=json.dumps)}
    raise TypeError(f"a {type(value).__name__} is not a plain value")


def escape_key(key):
    """A dict key as plain data carries it: ``$`` doubled at the start (``"$set"`` -> ``"$$set"``), so no key of a
    dict equals the set marker; the same rule as ``envsynth_sandbox.plain``."""
    return "$" + key if key.startswith("$") else key


def describe(exc):
    """``{"type", "message"}`` of an exception, even when its ``__str__`` misbehaves."""
    if isinstance(exc, TypeError) and "plain value" in str(exc):
        kind = "UnserializableResult"
    else:
        kind = type(exc).__name__
    try:
        message = str(exc)
    except BaseException:
        message = "<unprintable>"
    return {"type": kind[:100], "message": message[:TEXT_CAP]}


def emit(event):
    _write(_ENCODE(event))


def _write(line):
    data = (line + "\n").encode("utf-8", "backslashreplace")
    run_digest.lines.update(data)
    while data:
        data = data[os.write(RESULT_FD, data):]
