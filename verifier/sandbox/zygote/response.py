"""The response process: runs untrusted response code and reports what each named call returned, as JSON lines.

Runs inside the sandbox, forked by the fork server's watchdog (never by the verifier), standard library only.
It confines itself before it reads anything: a pid namespace, ``/proc`` and scratch of its own (``confine``,
privileged sandboxes), its own session, the response uid, rlimits, a fresh private working directory (``HOME`` and
``TMPDIR``), umask 077. Then it reads the request the verifier wrote (code, calls, stdin), execs the code in a fresh
namespace and makes each call in order, writing one line per event to fd 3: ``{"e": "load", "ok": ...}``, then
``{"e": "call", "i": N, "ok": true, "value": ...}`` or ``{"e": "call", "i": N, "ok": false, "error": {"type",
"message"}}``, and last ``{"e": "stderr", "text": ...}`` when it wrote to stderr (a file, read back at the end).
stdout (fd 1) goes to a pipe the verifier reads with a cap; Python's buffers are
flushed when the process ends (not after every call: a flush per call cost a third of a run), so what a response
prints just before it is killed may be lost.

Values are converted to plain JSON (None, bool, int, float, str, lists, str-keyed dicts; a tuple becomes a list, a
set ``{"$set": [...]}``, and a dict key that starts with ``$`` gets one more, so a dict never reads as a set);
anything else fails the call with ``UnserializableResult``.

It runs only code that is part of the response being scored (``response_text``: refused code loads with the error
``NotTheResponse``, which ``run_response`` raises in the verifier). Nothing here is trusted: everything this
process writes is data that the verifier's client parses with caps, and a response that forges lines only claims
values it could as well have returned.
"""

import builtins
import io
import json
import math
import os
import resource
import sys

from verifier.sandbox.zygote import confine, environment, plainjson, run_digest
from verifier.sandbox.zygote.cleanup import arrange, flush_streams
from verifier.sandbox.zygote.plainjson import own_codec
from verifier.sandbox.zygote.response_text import (NOT_THE_RESPONSE, REFUSAL, exercises, mark_ran,
                                                       part_of_response, scored_text)

RESULT_FD, REQUEST_FD, TEXT_FD, DIGEST_FD = 3, 4, 5, 6
REQUEST_CAP = 64 << 20
TEXT_CAP = 1000
STDERR_CAP = 64 << 10
DEPTH_CAP = 64

_DECODE, _ENCODE = own_codec()  # the request is the verifier's, and harms only this process when malformed


def response_main(cfg, fds, uid):
    """Confine, read the request from ``fds[0]``, run it, report its digest on ``fds[4]``; never returns."""
    request, results, output, text, digest = fds
    confine.enter(cfg["mount_plan"], uid)
    devnull = os.open("/dev/null", os.O_RDONLY)
    arrange(((devnull, 0), (output, 1), (output, 2), (results, RESULT_FD), (request, REQUEST_FD), (text, TEXT_FD),
             (digest, DIGEST_FD)))
    home = cfg.get("response_home")  # set by the response template, whose clones are all pid 1 (see ``settle``)
    _limit(cfg, inherited=home is not None)
    if home is None:
        os.umask(0o077)
    work = home if home and os.getpid() == 1 else workdir(cfg, os.getpid())
    os.mkdir(work, 0o700)
    os.chdir(work)
    if work != home:
        confine.home(work)
    errors = capture_stderr()
    limit = sys.getrecursionlimit()
    spec = decode_request(_read_all(REQUEST_FD).decode("utf-8", "surrogatepass"))
    os.close(REQUEST_FD)
    shift, scored, number = scored_text(TEXT_FD)
    runs = part_of_response(spec.get("code") if isinstance(spec, dict) else None, scored)
    if runs and exercises(spec["code"], spec.get("calls")):  # the zygote learns that the verifier ran this
        mark_ran(TEXT_FD, number)  # response, from no word of the verifier's
    os.close(TEXT_FD)
    if runs:
        del scored
        # The verifier's clock, which the zygote wrote beside the text (no verifier chooses it): response processes
        # kept the real clock in validation's varied runs, so a verifier learnt the real date from a reference that
        # returned today's date, and a time bomb built on it was admitted 4 of 4 times (red-team round 38). The
        # image's cached times were forgotten in the template (``settle``).
        environment.set_clock(shift)
        digests = run_digest.start(spec, DIGEST_FD)
        sys.setrecursionlimit(limit)  # (raised for a deep request alone: the response runs under the usual one)
        run(spec, cfg.get("response_stdin"))
        flush_streams()
        report_stderr(errors)
        run_digest.report(digests, DIGEST_FD)
    else:
        _emit({"e": "load", "ok": False, "error": {"type": NOT_THE_RESPONSE, "message": REFUSAL}})
        flush_streams()
        report_stderr(errors)
    os._exit(0)


def decode_request(text):
    """The request ``text`` decoded; where its arguments nest deeper than the interpreter's recursion limit allows
    the C scanner (about 1,000 levels), decoded again under a limit raised by its depth (measured without recursion,
    :func:`plainjson.depth`), which stays raised until the request's record is written (its encoder recurses as
    deep); the caller restores it. Why: a verifier that raised its own limit to pass a 3,000-deep list to an honest
    recursive ``depth(xs)`` had every call end with the process's status 70, before any response code ran, and the
    task was rejected as unsolvable (red-team round 58, D). The request is the verifier's: a hostile depth harms
    only this process."""
    try:
        return _DECODE(text)
    except RecursionError:
        sys.setrecursionlimit(sys.getrecursionlimit() + plainjson.depth(text.encode("utf-8", "surrogatepass")) + 100)
        return _DECODE(text)


def settle(cfg):
    """In the response template, once, what every response it clones inherits: ``HOME`` and ``TMPDIR`` (every
    response it clones is pid 1 of its own namespaces, so its working directory is always ``response-1``), the
    limits that do not count the process's own use (all but ``RLIMIT_CPU`` and ``RLIMIT_NPROC``), the umask, and
    the empty standard input (``/dev/null`` on descriptor 0). Why here: a response process is a copy-on-write
    clone, and every page it writes costs it a fault (4-5 us in this VM, the largest cost of a ``run_response``
    call); each ``os.environ`` write ran a dozen Python functions, and building a text stream ran the ``io``
    module's, a fault apiece, in every fresh process."""
    home = workdir(cfg, 1)
    confine.home(home)
    cfg["response_home"] = home
    site_builtins()  # once here, not in every response
    _limit(cfg, inherited=False, own=False)
    os.umask(0o077)
    try:
        cfg["response_stdin"] = sys.stdin = _text_stream()
    except OSError:  # no descriptor 0 here: each response makes its own
        cfg["response_stdin"] = None
    run_digest.settle()  # stdout through a stream that hashes what it writes, built once here
    # Last, once here rather than in every response (a tenth of a run_response call): each import stats its
    # directory anew, after the response's shift; nothing a response process does before its code runs imports.
    environment.forget_image_times()


def workdir(cfg, pid):
    """The fresh working directory (HOME, TMPDIR) of response process ``pid`` (in its own pid namespace: always 1)."""
    return os.path.join(cfg["scratch"], f"response-{pid}")


def _limit(cfg, inherited, own=True):
    """The response's rlimits: those a clone inherits unless ``inherited`` (its template set them), and, when
    ``own``, those that count the process's own use (CPU time; processes of its uid), which a long-lived template
    cannot carry."""
    lim, mb = cfg["limits"], 1 << 20
    if not inherited:
        for which, soft, hard in ((resource.RLIMIT_AS, lim["memory_mb"] * mb, lim["memory_mb"] * mb),
                                  (resource.RLIMIT_FSIZE, lim["file_size_mb"] * mb, lim["file_size_mb"] * mb),
                                  (resource.RLIMIT_CORE, 0, 0), (resource.RLIMIT_NOFILE, 256, 256)):
            resource.setrlimit(which, (soft, hard))
    if own:
        cpu = int(math.ceil(lim["cpu_s"]))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        if cfg.get("nproc"):
            resource.setrlimit(resource.RLIMIT_NPROC, (lim["max_processes"], lim["max_processes"]))


def _read_all(fd):
    chunks, size = [], 0
    while size <= REQUEST_CAP:
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


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
        _emit({"e": "load", "ok": False, "error": describe(exc)})
        return
    _emit({"e": "load", "ok": True})
    for index, (name, args, kwargs) in enumerate(spec["calls"]):
        try:
            function = namespace[name]
        except KeyError:
            _emit({"e": "call", "i": index, "ok": False,
                   "error": {"type": "NameError", "message": f"the response defines no {name!r}"}})
            continue
        try:
            value = plain(function(*args, **kwargs))
            line = _ENCODE({"e": "call", "i": index, "ok": True, "value": value})
        except BaseException as exc:
            _emit({"e": "call", "i": index, "ok": False, "error": describe(exc)})
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
        return _text_stream()
    except OSError:
        return io.StringIO(text)


def _text_stream():
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
        _emit({"e": "stderr", "text": data.decode("utf-8", "replace")})


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


def _emit(event):
    _write(_ENCODE(event))


def _write(line):
    data = (line + "\n").encode("utf-8", "backslashreplace")
    run_digest.lines.update(data)
    while data:
        data = data[os.write(RESULT_FD, data):]

