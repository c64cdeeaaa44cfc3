"""The fork server's commands and replies: what a zygote or verifier sends to have a process forked, and what it hears.

Standard library only (shipped into the sandbox). A command is one ``SOCK_SEQPACKET`` message: a one-byte kind and a
timeout in milliseconds (:data:`MESSAGE`), with exactly :data:`FDS` descriptors of that kind (a *verifier* command
carries the verifier's three pipe ends; a *response* command the socket its reply goes to, made for that one
request: a reply left queued on the verifier's shared channel was taken by the next caller, so one response's code
could hand the next response's ``run_response`` a process it had already fed; red-team round 23). The zygote hears a
verifier's pid, followed by :data:`CONFINED` when the process is pid 1 of pid, mount and IPC namespaces of its own,
or :data:`FAILED`; a verifier hears, on its request's own reply socket, :data:`STARTED` with its four pipe ends, and
on the status pipe one JSON line (:func:`write_status`).
"""

import json
import os
import socket
import struct

from verifier.sandbox.zygote.disposer import SCM_MAX_FD

VERIFIER, RESPONSE = b"V", b"R"
FDS = {VERIFIER: 3, RESPONSE: 1}
MESSAGE = struct.Struct("=cI")  # kind, timeout in milliseconds
FAILED, STARTED, CONFINED = b"-1", b"ok", b" ns"


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
    """(kind, timeout_ms, fds) of one command; (None, 0, []) at end of file. Malformed commands come back as kind
    ``?`` with their descriptors, which the caller drops as it drops every command it does not take."""
    try:
        data, fds, flags, _ = socket.recv_fds(sock, 64, SCM_MAX_FD)
    except OSError:
        return None, 0, []
    if not data and not fds:
        return None, 0, []
    if len(data) != MESSAGE.size or flags & socket.MSG_CTRUNC:
        return b"?", 0, fds  # the caller disposes of the descriptors (never a plain close of a verifier's)
    kind, timeout_ms = MESSAGE.unpack(data)
    return kind, timeout_ms, fds
