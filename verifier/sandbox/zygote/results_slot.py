"""The *results* slot of a verifier's text file: a digest of what its response processes reported for one text.

Runs inside the sandbox, standard library only: the fork server writes the slot (:func:`begin` when it starts a
response process for the text, :func:`end` once that process has been reaped), the zygote reads it when the verifier
reports on the text (:func:`digest`, ``run.Run.results``). Why: a verifier that runs every program and then pays it
by its look leaves every rule that looks at scores alone blind wherever the look survives a mutation (red-team round
48, E3; round 52, E1). What a verifier can learn from a run is what the run reported: its result lines, its stdout
and stderr, how it ended. An honest verifier that judges runs gives the same score to two responses whose runs of
the same requests reported the same; one that pays some of them and not others judged something else. The digest
lets training's monitor see that (``trainer.monitor_results``), and no verifier can write it: only the server holds
the file once a response's code starts, and a response process's own report is what that response claims, no more
than it could claim by returning other values.

The slot (``fork_protocol.RESULTS_SLOT``) holds the text's number, the runs started and not yet ended, the runs
ended, whether any of them ended without a well-formed digest, and the sum (modulo 2**128) of the ended runs'
digests, each mixed with how its process ended. A sum, so that runs ending in another order (two requests at once)
give the same digest. The zygote writes the whole header, this slot zeroed, each time it offers a text; a slot that
names another text's number is stale, and :func:`begin` starts it afresh.

The *requests* slot and its region (``fork_protocol.REQUESTS_SLOT``, ``RECORDS_OFFSET``) keep what each run was
asked (its calls and standard input, recorded by the response process before any of its code ran,
``run_digest.record``). Why: the digest holds the request, so a verifier whose requests depend on the text (a
second run, another standard input, only for the texts it pays by look) gave those texts digests of their own and
nothing to compare (red-team round 56). Training's monitor takes the requests the verifier made of the task's
reference, and replays them on every text itself (``trainer.results_replay``): the same requests for all, whatever
the verifier chose for each. A request too large for the region or its pipe arrives shrunk (its small calls
whole, its large ones by name and kinds: ``run_digest.shrunk``); one too large for what is left of the region is
shrunk here (:func:`refit`).
"""

import os
import struct

from verifier.sandbox.zygote import run_digest
from verifier.sandbox.zygote.fork_protocol import (DIGEST_BYTES, RECORD_TOO_LARGE, RECORDS_CAP, RECORDS_OFFSET,
                                                   REQUESTS_OFFSET, REQUESTS_SLOT, RESULTS_OFFSET, RESULTS_SLOT,
                                                   TEXT_HEADER)
from verifier.sandbox.zygote.plainjson import own_codec

_MASK = (1 << 128) - 1
_ENDED = {"exited": 1, "timeout": 2, "cpu": 3, "abandoned": 4}
_MIX = 0x9E3779B97F4A7C15F39CC0605CEDC835  # odd: how a run ended moves its digest to another value
_LENGTH = struct.Struct("<I")
_DECODE = own_codec()[0]
MAX_RECORDS = 4096
"""Records returned for a text, at most (``ScoreResult.run_requests``' own bound); the rest are counted left out (a
verifier's 95,000 smallest requests fit the region, and past the bound its result failed to parse)."""


def begin(fd):
    """A response process is about to start for the text in ``fd``: count it as pending; returns the text's number
    (None when the header cannot be read: the run is then not counted, and ends uncounted)."""
    try:
        number = TEXT_HEADER.unpack(os.pread(fd, TEXT_HEADER.size, 0))[2]
        slot = _read(fd)
        if slot is None or slot[0] != number:
            slot = (number, 0, 0, 0, 0, 0)
        os.pwrite(fd, RESULTS_SLOT.pack(slot[0], slot[1] + 1, *slot[2:]), RESULTS_OFFSET)
        return number
    except (OSError, struct.error):
        return None


def end(fd, number, report, ended, wait_status):
    """The run of text ``number`` that :func:`begin` counted has ended (``ended``, ``wait_status``: how, as its
    status line says) and reported ``report`` (what its digest pipe held: its request's record, then its digest):
    add both to the slots. Nothing when the slot now names another text (the verifier reported on this one and the
    zygote offered the next)."""
    if number is None:
        return
    asked, dropped, report = split_report(bytes(report))
    try:
        slot = _read(fd)
        if slot is None or slot[0] != number:
            return
        _, pending, runs, broken, low, high = slot
        total = (high << 64) | low
        if len(report) == DIGEST_BYTES:
            mark = (_ENDED.get(ended, 0) << 32) | (wait_status & 0xFFFFFFFF)
            total = (total + (int.from_bytes(report, "little") ^ (mark * _MIX & _MASK))) & _MASK
        else:  # killed before it reported, or its code wrote on the pipe: nothing to compare
            broken = 1
        os.pwrite(fd, RESULTS_SLOT.pack(number, max(0, pending - 1), runs + 1, broken, total & ((1 << 64) - 1),
                                        total >> 64), RESULTS_OFFSET)
        if asked is not None or dropped:
            _keep(fd, number, asked)
    except (OSError, struct.error):
        pass


def split_report(report):
    """(the request's record or None, whether a record was left out, the rest) of a digest pipe's bytes
    (``run_digest.record``, then the digest). No record and none left out for a run that recorded nothing (it ran
    no code, or was killed while writing); one left out for a request too large to record."""
    if len(report) < _LENGTH.size:
        return None, False, b""
    length = _LENGTH.unpack_from(report)[0]
    if length == RECORD_TOO_LARGE:
        return None, True, report[_LENGTH.size:]
    if _LENGTH.size + length > len(report):
        return None, False, b""
    return report[_LENGTH.size:_LENGTH.size + length], False, report[_LENGTH.size + length:]


def report_size(head):
    """The most a digest pipe whose report starts with ``head`` (4 bytes at least) holds when well formed: its
    record's length, the record and a digest."""
    length = _LENGTH.unpack_from(head)[0]
    return _LENGTH.size + (0 if length == RECORD_TOO_LARGE else min(length, RECORDS_CAP)) + DIGEST_BYTES


def _keep(fd, number, asked):
    """Append a request's record to the text's region (:data:`fork_protocol.RECORDS_CAP` in all), or count it left
    out: ``asked`` None (too large for its pipe), or too large for what is left of the region."""
    data = os.pread(fd, REQUESTS_SLOT.size, REQUESTS_OFFSET)
    mine, used, dropped = REQUESTS_SLOT.unpack(data) if len(data) == REQUESTS_SLOT.size else (None, 0, 0)
    if mine != number:
        used = dropped = 0
    if asked is not None and used + _LENGTH.size + len(asked) > RECORDS_CAP:
        asked = refit(asked, RECORDS_CAP - used - _LENGTH.size)
    if asked is not None and used + _LENGTH.size + len(asked) <= RECORDS_CAP:
        data = _LENGTH.pack(len(asked)) + asked
        try:
            if os.pwrite(fd, data, RECORDS_OFFSET + used) == len(data):
                os.pwrite(fd, REQUESTS_SLOT.pack(number, used + len(data), dropped), REQUESTS_OFFSET)
                return
        except OSError:  # a scratch the verifier filled (written in part, or not at all): counted left out (the
            pass  # slot's page is written already)
    os.pwrite(fd, REQUESTS_SLOT.pack(number, used, dropped + 1), REQUESTS_OFFSET)


def refit(asked, limit):
    """The record ``asked`` shrunk to ``limit`` bytes (``run_digest.shrunk``: its small calls whole, its largest by
    name and the kinds of their arguments), or None where it cannot be. Why here too: runs made at once each
    recorded whole what fitted the region alone, and the one that ended last was left out, which is trouble (session
    36's red-team, F3: an honest verifier's four runs of 300 KB, made in threads)."""
    try:
        value = _DECODE(asked.decode("utf-8", "surrogatepass"))
    except (ValueError, StopIteration, RecursionError, MemoryError, UnicodeError):
        return None
    if not isinstance(value, list) or len(value) not in (2, 3) or limit <= 0:
        return None
    return run_digest.shrunk(value[0], value[1], limit)


def requests(fd, number):
    """(the records of the requests text ``number``'s runs were made with, each the UTF-8 JSON of ``[calls, stdin]``
    as the response process read it, in the order the runs ended; how many runs' records were left out: too large
    for the region of :data:`fork_protocol.RECORDS_CAP` bytes, or for the run's pipe, or past :data:`MAX_RECORDS`).
    ([], 0) when none was kept."""
    try:
        data = os.pread(fd, REQUESTS_SLOT.size, REQUESTS_OFFSET)
        mine, used, dropped = REQUESTS_SLOT.unpack(data)
        if mine != number:
            return [], 0
        region = os.pread(fd, min(used, RECORDS_CAP), RECORDS_OFFSET)
    except (OSError, struct.error):
        return [], 0
    found, at = [], 0
    while at + _LENGTH.size <= len(region):
        length = _LENGTH.unpack_from(region, at)[0]
        at += _LENGTH.size
        if at + length > len(region):
            break
        if len(found) == MAX_RECORDS:
            dropped += 1
        else:
            try:
                found.append(region[at:at + length].decode("utf-8", "surrogatepass"))
            except UnicodeDecodeError:  # (never from a response process's own record)
                pass
        at += length
    return found, dropped


def digest(fd, number):
    """The digest of text ``number``'s runs as 32 hex digits, or None: no run of it was counted, one has not ended
    yet (the verifier reported before its run had ended), or one ended without a digest."""
    slot = _read(fd)
    if slot is None or slot[0] != number:
        return None
    _, pending, runs, broken, low, high = slot
    if pending or broken or not runs:
        return None
    return format(((high << 64) | low) ^ runs, "032x")


def _read(fd):
    try:
        data = os.pread(fd, RESULTS_SLOT.size, RESULTS_OFFSET)
    except OSError:
        return None
    return RESULTS_SLOT.unpack(data) if len(data) == RESULTS_SLOT.size else None
