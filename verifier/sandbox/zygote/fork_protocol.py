"""The fork server's commands and replies: what a zygote or verifier sends to have a process forked, and what it hears.

Standard library only (shipped into the sandbox). A command is one ``SOCK_SEQPACKET`` message: a one-byte kind and a
timeout in milliseconds (:data:`MESSAGE`), with exactly :data:`FDS` descriptors of that kind:

- *verifier* (from the zygote): the verifier's three pipe ends, and the descriptor of the file that holds the
  response it is scoring (``run.Run.offer``), which the server keeps, never reads, and hands to each response
  process that verifier starts (``response_text.part_of_response``). The zygote hears the verifier's pid, followed by
  :data:`CONFINED` when the process is pid 1 of pid, mount and IPC namespaces of its own, or :data:`FAILED`.
- *response* (from a verifier process or its isolated fork): the socket its reply goes to, made for that one
  request (a reply left queued on a shared channel was taken by the next caller, so one response's code could hand
  the next response's ``run_response`` a process it had already fed; red-team round 23). It hears :data:`STARTED`
  with its four pipe ends, and on the status pipe one JSON line (:func:`write_status`).
- *channel* (from a verifier process): a reply socket too, and in the timeout's place how many further channels
  it wants, one for each of its next isolated forks. It hears :data:`STARTED` with the ends the server made.

Each command on a verifier's channels also tells the server *who* sent it: a channel's receiving end asks the
kernel for a pidfd of each message's sender (``SO_PASSPIDFD``, Linux 6.5+; :func:`pass_sender`). The server starts
nothing for a command whose sender has ended, and ends each response process when the process that asked for it
ends. Why: an isolated response's fork queued a hundred commands whose reply sockets it kept alive in flight, then
died; the server started them all after its death, and the next responses' own ``run_response`` failed (every later
right answer scored 0.0; red-team round 24).
"""

import json
import os
import select
import socket
import stat
import struct
import sys

from verifier.sandbox.zygote.disposer import SCM_MAX_FD

VERIFIER, RESPONSE, CHANNEL = b"V", b"R", b"C"
FDS = {VERIFIER: 4, RESPONSE: 1, CHANNEL: 1}
TEXT_HEADER = struct.Struct("<qQQQ72x")
"""The text file's header: the run's clock shift in nanoseconds (its response processes take it, as the verifier
process does), the length of the UTF-8 text, the text's number within its run, the *ran* slot (:data:`RAN_OFFSET`:
zero until a response process runs part of the text), the *results* slot (:data:`RESULTS_OFFSET`) and the
*requests* slot (:data:`REQUESTS_OFFSET`), zeros until the server writes them. The text itself starts at
:data:`TEXT_OFFSET`, past the region of the requests' records."""
RAN_SLOT = struct.Struct("<Q")
RAN_OFFSET = 24
"""Where a response process writes the number of the text it read, once it knows it will run part of it and before
any of that code runs (``response_text.mark_ran``): the zygote reads it when the verifier reports on that text,
so *whether the verifier ran the response* comes from the trusted side, never from the verifier (red-team round
45, F4: a verifier paid programs by their shape without running them)."""
RESULTS_SLOT = struct.Struct("<QQQQQQ")
RESULTS_OFFSET = 32
"""Where the fork server keeps what the text's response processes reported (``results_slot``): the text's number,
the runs started and not yet ended, the runs ended, whether any ended without a digest, and the sum of their digests
(128 bits, two words). Only the server writes it, after each run has been reaped and before its status line; no
verifier and no response code holds the file."""
REQUESTS_SLOT = struct.Struct("<QQQ")
REQUESTS_OFFSET = 80
"""Where the fork server keeps how much of :data:`RECORDS_OFFSET`'s region holds the records of the requests the
text's runs were made with (``results_slot.end``): the text's number, the bytes used, and how many runs' records
were left out (too large for the region, or for their process's pipe): a replay of the records then knows it is
not whole."""
RECORDS_OFFSET = 104
RECORDS_CAP = 1 << 20
"""The region of the requests' records: each a 4-byte little-endian length and the request without its code
(``run_digest.record``), in the order the runs ended; a record that would not fit is left out, and counted. A fixed
region before the text, not after it: a late run of an earlier text, whose record the server writes as the zygote
offers the next, can only ever write here, never into the text a response process checks code against. 1 MiB, the
largest pipe an unprivileged process may ask for (``/proc/sys/fs/pipe-max-size``), which a response process grows
its digest pipe to when its record needs it: with 32 KiB, a verifier that gave its reference one 40 KB standard
input left no record, and the results rule fell back to digests that the verifier's own choice of requests evades
(red-team round 57, E4: 72 of 72 wrong programs paid). The file has no name and its region is written only as far
as records go: a text file holds a hole, not a MiB, for the most part. Where the host allows smaller pipes
(``/proc/sys/fs/pipe-max-size`` below 1 MiB, or the response uid past ``pipe-user-pages-soft`` with many runs
alive), a large record is recorded shrunk (``run_digest.shrunk``), or left out, and counted, where even that does
not fit: validation rejects, and training flags, a task whose reference's requests were."""
TEXT_OFFSET = RECORDS_OFFSET + RECORDS_CAP
RECORD_TOO_LARGE = 0xFFFFFFFF
"""The length a response process reports for a request it did not record: larger than the region, or than its
pipe could be grown to (a record's JSON is 1 MiB less 20 bytes at most: the pipe holds its length and
the digest too), even shrunk to its small calls and the names of its large ones (``run_digest.shrunk``)."""
DIGEST_BYTES = 16
"""What a response process reports on its digest pipe once its code has run: 16 bytes of a SHA-256 of its request's
calls and standard input, every result line and all it wrote to stdout and stderr (``response``). The record of its
request precedes them, written before any of its code runs."""
CHANNELS_PER_VERIFIER = 2 + 2 * 8
"""Channels the server serves for one verifier process at once: its own and those of its isolated forks (asked for
:data:`CHANNEL_BATCH` at a time; a batch of ended forks' closes before the next is asked for, and the server reads
each to its end)."""
CHANNEL_BATCH = 8
MESSAGE = struct.Struct("=cI")  # kind, timeout in milliseconds
FAILED, STARTED, CONFINED = b"-1", b"ok", b" ns"
SO_PASSPIDFD, SCM_PIDFD = 76, 4  # include/uapi/asm-generic/socket.h (Linux 6.5+); the socket module lacks them
_ANCILLARY = socket.CMSG_SPACE(SCM_MAX_FD * 4) + socket.CMSG_SPACE(4)  # the most descriptors, and a sender's pidfd
REAPED = -1
"""The sender :func:`receive` reports when the kernel named one but made no pidfd of it: the process has ended and
been reaped (kernels before about 6.16 refuse a pidfd of a reaped process)."""


def pass_sender(sock):
    """Have every later message received on ``sock`` carry a pidfd of the process that sent it (:func:`receive`
    returns it); False where the kernel cannot, and then commands carry no sender."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, SO_PASSPIDFD, 1)
    except OSError:
        return False
    return True


def pid_reply(pid, confined):
    """The reply that reports a started process: its pid, marked :data:`CONFINED` when it is pid 1 of namespaces of
    its own (:data:`FAILED` when ``pid`` is None)."""
    return FAILED if pid is None else str(pid).encode() + (CONFINED if confined else b"")


def read_pid_reply(reply):
    """(pid, confined) from a :func:`pid_reply`; None for a failure or anything malformed."""
    confined = reply.endswith(CONFINED)
    pid = reply[:-len(CONFINED)] if confined else reply
    if not pid.isdigit():
        return None
    return int(pid), confined


def write_status(fd, ended, wait_status):
    try:
        os.write(fd, (json.dumps({"ended": ended, "status": wait_status}) + "\n").encode())
    except OSError:
        pass


def receive(sock):
    """(kind, timeout_ms, fds, sender) of one command: ``sender`` is a pidfd of the process that sent it (the
    caller's to close) on a socket :func:`pass_sender` prepared, :data:`REAPED` for a sender that is gone, else
    None. (None, 0, [], None) at end of file. Malformed commands come back as kind ``?`` with their descriptors,
    which the caller drops as it drops every command it does not take; so does an empty message, which reads as
    end of file but is not (red-team round 25: one closed the verifier's channel for the rest of its group)."""
    try:
        data, ancillary, flags, _ = sock.recvmsg(64, _ANCILLARY)
    except OSError:
        return None, 0, [], None
    fds, sender = [], None
    for level, kind, payload in ancillary:
        if level != socket.SOL_SOCKET:
            continue
        if kind == socket.SCM_RIGHTS:
            fds += [int.from_bytes(payload[i:i + 4], sys.byteorder, signed=True)
                    for i in range(0, len(payload) - 3, 4)]
        elif kind == SCM_PIDFD and len(payload) >= 4:
            if sender is not None and sender >= 0:
                os.close(sender)
            sender = max(REAPED, int.from_bytes(payload[:4], sys.byteorder, signed=True))  # (or a negative errno)
    if not data and not fds and sender is None and _hung_up(sock):
        return None, 0, [], None
    if len(data) != MESSAGE.size or flags & socket.MSG_CTRUNC:  # (an empty message too)
        return b"?", 0, fds, sender  # the caller disposes of the descriptors (never a plain close of a verifier's)
    kind, timeout_ms = MESSAGE.unpack(data)
    return kind, timeout_ms, fds, sender


def _hung_up(sock):
    """Whether the peer of ``sock`` is gone or has shut down writing: what an empty read means only then."""
    poller = select.poll()
    poller.register(sock, select.POLLIN | select.POLLRDHUP)
    return any(events & (select.POLLHUP | select.POLLRDHUP) for _, events in poller.poll(0))


def reply_socket(reply):
    """A socket object on a copy of ``reply`` when it is a Unix seqpacket socket (what a request's reply socket
    is), else None. Checked before anything is started, and without leaving the copy open: wrapping a descriptor
    that is no socket raises, and the copy stayed open in this server for good (red-team round 25: a verifier's
    fork sent pipes as reply sockets, and the server's descriptors grew by about 500 a group until it died)."""
    try:
        if not stat.S_ISSOCK(os.fstat(reply).st_mode):
            return None
        copy = os.dup(reply)
    except OSError:
        return None
    try:
        answer = socket.socket(fileno=copy)
    except OSError:
        os.close(copy)
        return None
    if answer.family != socket.AF_UNIX or answer.type != socket.SOCK_SEQPACKET:
        answer.close()
        return None
    return answer


def nobody_waits(reply, sender):
    """Whether the request's ``sender`` (a pidfd; readable once that process has ended) is gone, or ``reply`` (its
    reply socket, as the verifier sent it) is readable or hung up: nothing is ever written to it, so either means
    that nobody reads the reply. A descriptor that is no socket at all fails the reply later."""
    if sender == REAPED:
        return True
    poller = select.poll()
    poller.register(reply, select.POLLIN)
    if sender is not None:
        poller.register(sender, select.POLLIN)
    return any(events & (select.POLLIN | select.POLLHUP | select.POLLERR | select.POLLNVAL)
               for _, events in poller.poll(0))
