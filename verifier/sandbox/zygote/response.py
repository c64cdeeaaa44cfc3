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
prints just before it is killed may be lost. The code runs, and its events are written, in ``response_calls``.

Values are converted to plain JSON (None, bool, int, float, str, lists, str-keyed dicts; a tuple becomes a list, a
set ``{"$set": [...]}``, and a dict key that starts with ``$`` gets one more, so a dict never reads as a set);
anything else fails the call with ``UnserializableResult``.

It runs only code that is part of the response being scored (``response_text``: refused code loads with the error
``NotTheResponse``, which ``run_response`` raises in the verifier). Nothing here is trusted: everything this
process writes is data that the verifier's client parses with caps, and a response that forges lines only claims
values it could as well have returned.
"""

import math
import os
import resource
import sys

from verifier.sandbox.zygote import confine, environment, plainjson, run_digest
from verifier.sandbox.zygote.cleanup import arrange, flush_streams
from verifier.sandbox.zygote.plainjson import own_codec
from verifier.sandbox.zygote.response_calls import (RESULT_FD, capture_stderr, emit, report_stderr, run,
                                                    site_builtins, text_stream)
from verifier.sandbox.zygote.response_text import (NOT_THE_RESPONSE, REFUSAL, exercises, mark_ran,
                                                       part_of_response, scored_text)

REQUEST_FD, TEXT_FD, DIGEST_FD = 4, 5, 6  # after the results pipe (``response_calls.RESULT_FD``, 3)
REQUEST_CAP = 64 << 20

_DECODE = own_codec()[0]  # the request is the verifier's, and harms only this process when malformed


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
        emit({"e": "load", "ok": False, "error": {"type": NOT_THE_RESPONSE, "message": REFUSAL}})
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
        cfg["response_stdin"] = sys.stdin = text_stream()
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
