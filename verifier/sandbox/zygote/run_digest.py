"""A response process's digest of its own run (what its request asked and all the run reported to the verifier), and
the record of its request.

Runs inside the sandbox, standard library only, in the response process (``response``). Once the response's code
has run, the process writes :data:`fork_protocol.DIGEST_BYTES` bytes on its digest pipe, whose other end only the
fork server holds (``response_spawn``; it folds them into the text's results slot, ``results_slot``): the first
bytes of a SHA-256 over three parts, each hashed on its own:

- the request without the code (the calls, with their arguments, and the standard input), so that two responses'
  digests are equal only for the same requests;
- every line the process wrote on its results pipe (the load event, each call's value or error, what went to stderr);
- everything written to stdout through ``sys.stdout`` (or ``sys.__stdout__``, or their buffers).

Why each: a verifier learns a run's outcome from these and from how the process ended (which the server adds), so an
honest verifier that judges runs scores two texts of equal digests the same. What the digest misses: bytes written
to descriptor 1 by ``os.write`` or a child process, which an answer to a task rarely does. The digest is the
response's claim, as its results are (its code runs in this process before the report): a response that forges it
claims a run it did not have, and only spoils the comparison of its own run.

Before any of the response's code runs, the process also writes the record of its request on the same pipe
(:func:`record`: a length and the JSON of the calls and standard input): the fork server keeps the records of each
text's runs (``results_slot``), and training replays the reference's on every text of the task, so that the texts the
results rule compares were all asked the same (``trainer.results_replay``). The record comes first: what the code
writes on the pipe later only follows it. A request too large to record whole is recorded shrunk (:func:`shrunk`):
its largest calls by name and the kinds of their arguments, so that what a run too large to keep called is still known.

The hash comes from ``_sha256``, imported in the response template (:func:`settle`), not at import: a module the
zygote imports is in the image of every process, verifiers included.
"""

import fcntl
import io
import os
import re
import struct
import sys

from verifier.sandbox.zygote.fork_protocol import DIGEST_BYTES, RECORD_TOO_LARGE, RECORDS_CAP
from verifier.sandbox.zygote.plainjson import own_codec

_ENCODE = own_codec()[1]
_MAYBE_NUMBER = re.compile(r"(?<![^\s,;])[^\s,;]*(?:\d|[iI][nN][fF]|[nN][aA][nN])[^\s,;]*")  # a token that may
# be a number (one with a digit, an infinity or a NaN: what ``float`` reads)
_NOT_PLAIN = re.compile(r"(?<![^\s,;])(?![+-]?[0-9]+(?:\.[0-9]*)?(?![^\s,;]))[^\s,;]+")  # a token that is not a
# plain decimal number (which ``float`` reads)
_PLAIN_INTEGERS = b"0123456789 \t\n\r\f\v,;"
_NEW = []  # the hash constructor, once imported
_LENGTH = struct.Struct("<I")


class _Unhashed:
    """Where result lines are hashed outside a response process (the zygote imports ``response``): nowhere."""

    def update(self, data):
        pass


lines = _Unhashed()
"""The hash of the result lines this process wrote (``response_calls._write`` feeds it); a real one from
:func:`start`."""


class HashedOut(io.RawIOBase):
    """Descriptor 1 as a raw stream that hashes what it writes (the digest's stdout part)."""

    def __init__(self):
        super().__init__()
        self.hash = _Unhashed()

    def writable(self):
        return True

    def fileno(self):
        return 1

    def write(self, data):
        written = os.write(1, data)
        self.hash.update(bytes(data[:written]))
        return written


def settle():
    """In the response template, once: import the hash and make stdout the hashing stream every clone inherits."""
    _constructor()
    _hashed_stdout()


def start(spec, fd):
    """Begin the digest of this run of ``spec`` (the request) and write the request's record on ``fd`` (before any
    of the response's code runs: :func:`record`); the state :func:`report` takes, or None where no hash can be made
    (then nothing is reported, and the run's text has no digest)."""
    global lines
    calls, stdin = spec.get("calls"), spec.get("stdin")
    asked = _ENCODE([calls, stdin]).encode("utf-8", "surrogatepass")
    record(asked, fd, lambda limit: shrunk(calls, stdin, limit))
    new = _constructor()
    if new is None:
        return None
    out = _hashed_stdout()
    request, lines, out.hash = new(), new(), new()
    request.update(asked)
    return new, request, lines, out


def record(asked, fd, shrink=None):
    """Write the record of the request (``asked``: its calls and standard input, encoded) on ``fd``: a 4-byte
    length and the bytes. Where they are larger than the records' region (:data:`fork_protocol.RECORDS_CAP`) or
    than the pipe can be grown to hold with the digest to come (nobody reads it before this process ends: a write
    must never wait), the record is ``shrink(limit)`` instead (:func:`shrunk`), or
    :data:`fork_protocol.RECORD_TOO_LARGE` alone where that is None. The fork server keeps the records for the text
    (``results_slot``, which shrinks one that does not fit what is left of the region): what the verifier asked of
    its runs, which validation measures (``verifier.weak_requests``) and the training monitor replays on every other
    text of the task (``trainer.results_replay``). Written here, before the response's code runs, so that no
    response can forge it; what the code writes on the pipe later only follows it."""
    try:
        limit = RECORDS_CAP - _LENGTH.size
        if len(asked) > limit or not _room(fd, _LENGTH.size + len(asked) + DIGEST_BYTES):
            asked = shrink(limit) if shrink is not None else None
            if asked is not None and not _room(fd, _LENGTH.size + len(asked) + DIGEST_BYTES):
                asked = shrink(fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) - _LENGTH.size - DIGEST_BYTES)
            if asked is None:
                os.write(fd, _LENGTH.pack(RECORD_TOO_LARGE))
                return
        data = memoryview(_LENGTH.pack(len(asked)) + asked)
        while data:
            data = data[os.write(fd, data):]
    except OSError:
        pass


def shrunk(calls, stdin, limit):
    """The record of a request too large to record whole, in ``limit`` bytes: ``[calls, stdin, true]``, its largest
    calls (the latest first among equals) each replaced by ``[name, null, kinds]`` (``kinds``: ``[place, kind]`` of
    each of its arguments, as ``verifier.decoys.kind_of`` names them; once a name and kinds), and its standard input
    by what its tokens are (:func:`input_kinds`) where it is among the largest; None where even that does not fit (or the calls are not calls of
    named functions). Why: a run whose record was left out left no trace of what it called, and a verifier hid its
    one weak test, ``total([7])``, in a run beside an ignored call of 300,000 items, beside a recorded run that
    called nothing a program defines; the decoys' check measured that run alone, and the task was admitted (session
    35's red-team, round 66). Shrunk, the record keeps ``total([7])``, which the check measures; and what a call too
    large to keep passed is known by kind, which validation and training count as unmeasured where no kept call
    passed the same (``verifier.recorded_runs``; session 36's red-team, F1: the paid list padded past the region
    beside a kept ``total(5)``, whose int gave no decoy of a list). The last element tells a shrunk record from a
    verifier's own call with null arguments, which a whole record never holds readably. The fork server shrinks a
    whole record too, where it does not fit what is left of the text's region (``results_slot``)."""
    if not isinstance(calls, list) or not all(isinstance(call, list) and call and isinstance(call[0], str)
                                              for call in calls):
        return None
    pieces = [_ENCODE(call) for call in calls]
    stdin_piece = _ENCODE(stdin)
    count, length = len(pieces), sum(map(len, pieces))  # of the calls' list: its entries and their characters
    largest = sorted(range(len(pieces) + 1), reverse=True,
                     key=lambda at: (len(stdin_piece) if at == len(pieces) else len(pieces[at]), at))
    named = {}
    for at in largest:
        if _size(count, length, stdin_piece) <= limit:
            break
        if at == len(pieces):
            stdin_piece = _ENCODE(stdin if isinstance(stdin, list) else input_kinds(stdin))
            continue
        count, length = count - 1, length - len(pieces[at])
        pieces[at] = None
        marker = _ENCODE([calls[at][0], None, _kinds(calls[at])])
        if marker not in named:
            named[marker] = None
            count, length = count + 1, length + len(marker)
    if _size(count, length, stdin_piece) > limit:
        return None
    kept = [piece for piece in pieces if piece is not None] + list(named)
    return f"[[{', '.join(kept)}], {stdin_piece}, true]".encode("utf-8", "surrogatepass")


def input_kinds(stdin):
    """What the tokens of a standard input are: ``["number"]``, ``["word"]``, both, or none (a blank input; or not
    text), as the script decoys read them (``verifier.script_decoys``: commas and semicolons are whitespace, and a
    token is a number where ``float`` reads it). A standard input too large to record is recorded as these alone
    (:func:`shrunk`). Why: it was recorded as ``null``, and any non-blank recorded input counted as measuring it; a
    script paid by the first number of an input of 1.2 MB, beside a recorded input ``x`` that the reference refused,
    was admitted (session 36's red-team, F2). Where no recorded input holds numbers, no decoy that reads numbers was
    measured, and the elided input is unmeasured (``verifier.recorded_runs``)."""
    if not isinstance(stdin, str):
        return []
    data = stdin.encode("ascii") if stdin.isascii() else None
    if data is not None and not data.translate(None, _PLAIN_INTEGERS):  # (1 ms a megabyte; the scan of every
        return ["number"] if stdin.strip(" \t\n\r\f\v,;") else []  # token below, some 35 to 60)
    kinds = []
    if _may_hold_number(data) and any(_is_number(found.group()) for found in _MAYBE_NUMBER.finditer(stdin)):
        kinds.append("number")
    if not all(_is_number(found.group()) for found in _NOT_PLAIN.finditer(stdin)):
        kinds.append("word")
    return kinds


def _may_hold_number(data):
    """Whether an input (its ASCII bytes; None where it is not ASCII) may hold a number: ``float`` reads none
    without a digit but an infinity or a NaN. Why ask first: text of words is then not scanned token by token (6 ms
    a megabyte, against 60; red-team round 68, B4: 16 MB given 1 s timed out)."""
    if data is None or len(data.translate(None, b"0123456789")) < len(data):
        return True
    lowered = data.lower()
    return b"inf" in lowered or b"nan" in lowered


def _is_number(token):
    try:
        float(token)
    except ValueError:
        return False
    return True


_KINDS = {bool: "bool", int: "int", float: "float", str: "str", list: "list", dict: "dict", type(None): "none"}


def _kinds(call):
    """``[place, kind]`` of each argument of ``call`` (positional places by number, keyword ones by name); of a call
    shrunk already (``[name, null, kinds]``), its kinds."""
    if len(call) == 3 and call[1] is None and isinstance(call[2], list):
        return call[2]
    args = call[1] if len(call) > 1 and isinstance(call[1], list) else []
    kwargs = call[2] if len(call) > 2 and isinstance(call[2], dict) else {}
    return [[place, _KINDS.get(type(value), "none")] for place, value in [*enumerate(args), *kwargs.items()]]


def _size(count, length, stdin_piece):
    """The length of :func:`shrunk`'s record of ``count`` calls of ``length`` characters in all (ASCII: the codec
    escapes the rest) and the standard input ``stdin_piece``."""
    return len("[[], , true]") + length + 2 * max(0, count - 1) + len(stdin_piece)


def _room(fd, need):
    """Whether the pipe ``fd`` holds ``need`` bytes, grown to when it does not (``F_SETPIPE_SZ``: up to 1 MiB for an
    unprivileged process; it fails past that, or past the user's pipe quota). Only a request with a large standard
    input grows it: the default 64 KiB holds most."""
    if fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ) >= need:
        return True
    try:
        return fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, need) >= need
    except OSError:
        return False


def report(state, fd):
    """Write the run's digest on ``fd`` (after the last result line and the streams' flush); never raises."""
    if state is None:
        return
    new, request, results, out = state
    try:
        total = new(request.digest() + results.digest() + out.hash.digest())
        os.write(fd, total.digest()[:DIGEST_BYTES])
    except BaseException:  # the response's code may have broken anything here: no digest, then
        pass


def _constructor():
    if not _NEW:
        try:
            from _sha256 import sha256
        except ImportError:
            sha256 = None
        _NEW.append(sha256)
    return _NEW[0]


def _hashed_stdout():
    """``sys.stdout`` as a text stream on a :class:`HashedOut` (made when it is not one yet: outside a template),
    ``sys.__stdout__`` the same stream; returns the raw stream."""
    raw = getattr(getattr(sys.stdout, "buffer", None), "raw", None)
    if isinstance(raw, HashedOut):
        return raw
    old = sys.stdout
    raw = HashedOut()
    sys.stdout = sys.__stdout__ = io.TextIOWrapper(io.BufferedWriter(raw), encoding=getattr(old, "encoding", None)
                                                   or "utf-8", errors=getattr(old, "errors", None) or "strict")
    return raw
