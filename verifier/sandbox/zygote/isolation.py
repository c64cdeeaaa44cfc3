"""Isolated responses: each ``verify`` call of a group in a fork of the verifier process, and nothing of it left after.

Runs inside the sandbox, standard library only, in a verifier process serving a group with ``isolate_responses``
(``child.serve``). The fork scores one response; the verifier process waits for it, ends every process it left,
relays its frame, waits until the fork server has read what the fork left on the channel, and puts back the state
it had after loading (``load_state``) before the zygote hands over the next response. Red-team rounds 22 to 26 found
each piece missing once (:func:`isolated_call`).
"""

import fcntl
import os
import resource
import select
import signal
import socket
import termios
import time

from verifier.sandbox.zygote.cleanup import drain, flush_streams, reap, wipe
from verifier.sandbox.zygote.fork_protocol import CHANNEL, CHANNEL_BATCH, MESSAGE, STARTED
from verifier.sandbox.zygote.frames import describe_status
from verifier.sandbox.zygote.load_state import put_back
from verifier.sandbox.zygote.plainjson import UnsafeJSON, loads

RESULT_FD, CHANNEL_FD, REQUEST_FD = 3, 4, 5  # as the verifier process arranged them (``child``)


def isolated_call(score, call, send, scratch, workdir, state, channels):
    """Score one response in a fork of its own (``score()`` there), then end everything it left, empty the scratch
    space and put back ``state`` (``load_state.record``) before the zygote can hand over the next response.

    The fork never holds the group's pipes: its frame goes to a pipe of its own, and this process relays it once the
    fork and every process it left are gone (:func:`first_frame`: only the first frame of this call; the zygote
    judges it), and it closes the request pipe. Why: the zygote hands over the next response as soon as it reads the
    current one's frame. A response whose code the verifier executed left an ``os.setsid()`` grandchild, out of the
    reach of ``killpg``, that read the next response's line from the request pipe and wrote a 1.0 for it to the
    result pipe (red-team round 22: an honest wrong answer scored 1.0 in 2 of 3 runs). As pid 1 of its own namespace
    this process ends every other process in it (``kill(-1)``: the verifier's own response processes live in
    namespaces of their own) and reaps them all; elsewhere the fork's process group, and a stray that left it keeps
    no pipe of the group. The fork does not hold this process's channel to the fork server either, but one of its
    own (:class:`ForkChannels`): through a shared one it could end the channel for the rest of the group
    (``shutdown``; red-team round 25). It then waits until the fork server has taken every command the fork left on
    its channel (:func:`channel_drained`), makes the work directory afresh (a response had made it read-only, or renamed
    it, for the rest of the group: red-team round 23) and puts back what the verifier had after loading: its files,
    descriptions and IPC objects (``load_state``)."""
    read_end, write_end = os.pipe()
    own = channels.take()
    pid = os.fork()
    if pid == 0:
        try:
            os.setpgid(0, 0)
            os.close(read_end)
            os.close(REQUEST_FD)
            os.dup2(write_end, RESULT_FD)  # ``send`` writes to RESULT_FD: here, the fork's own pipe
            os.close(write_end)
            channels.keep_only(own)
            if own is None:  # never this process's own channel (round 26): run_response fails in this fork only
                own = os.open(os.devnull, os.O_RDWR)
            os.dup2(own, CHANNEL_FD)  # ``run_response`` uses CHANNEL_FD: here, the fork's own channel
            os.close(own)
            score()
        finally:
            flush_streams()
            os._exit(0)
    os.close(write_end)
    status = os.waitpid(pid, 0)[1]
    end_strays(pid)
    frame = first_frame(drain(read_end, RELAY_CAP), call)
    os.close(read_end)
    channel_drained(CHANNEL_FD if own is None else own)
    channels.done(own)
    fresh_workdir(scratch, workdir)
    put_back(state, scratch)
    if frame is not None:
        send(**frame)
    outcome, detail = describe_status(status)
    send(k="end", i=call, o=outcome, d=detail)


RELAY_CAP = 64 << 10
"""Bytes of a fork's frames relayed: a frame is at most a few KiB (a detail is cut at 1,000 characters)."""


def first_frame(data, call):
    """The first ``val`` or ``exc`` frame of call ``call`` in what a fork wrote (parsed with bounds: the response's
    code ran there and may have written anything), without its nonce (``send`` adds it again); None without one. A
    frame for a later call is never relayed: read in the same batch right after this call's, it would have been
    judged as the next response's."""
    for line in data.split(b"\n"):
        try:
            frame = loads(line)
        except UnsafeJSON:
            continue
        if (isinstance(frame, dict) and frame.get("k") in ("val", "exc") and type(frame.get("i")) is int
                and frame["i"] == call):
            frame.pop("n", None)
            return frame
    return None


def end_strays(group):
    """Kill the fork's process group and, as pid 1 of a namespace of its own, every other process in it; reap them."""
    try:
        os.killpg(group, signal.SIGKILL)
    except OSError:
        pass
    if os.getpid() != 1:
        reap()
        return
    try:
        os.kill(-1, signal.SIGKILL)  # from pid 1: every process of this namespace but itself, nothing outside it
    except OSError:
        pass
    while True:  # orphans are this process's children here: wait until none is left
        try:
            os.waitpid(-1, 0)
        except ChildProcessError:
            return
        except InterruptedError:
            continue


DRAIN_WAIT_S = 2.0
"""The longest an isolated call waits for the fork server to take what a fork left on the channel."""


class ForkChannels:
    """Channels to the fork server, one for each isolated fork alone (the ``channel`` command, ``fork_protocol``),
    asked for :data:`CHANNEL_BATCH` at a time, and those of ended forks closed together before the next request:
    each request is a round trip, and each close wakes the server. Spare and used ones are open in this process
    only: a fork closes every one but its own (:meth:`keep_only`)."""

    def __init__(self):
        self.spare, self.used = [], []

    def take(self):
        """A channel for the next fork, or None where the server gives none (the fork then has no channel: through
        this process's own, it could end it for the rest of the group; red-team round 26 got there with a verifier
        holding 242 descriptors, where the eight channels asked for did not fit)."""
        if not self.spare:
            for fd in self.used:
                os.close(fd)
            self.used = []
            self.spare = _ask_channels(max(1, min(CHANNEL_BATCH, _free_descriptors() - FORK_NEEDS)))
        return self.spare.pop() if self.spare else None

    def done(self, own):
        """The fork that had ``own`` is gone and the server has read what it sent: close it with the next batch."""
        if own is not None:
            self.used.append(own)

    def keep_only(self, own):
        """In the fork: close the spares and the ended forks' channels; only its own can reach the server."""
        for fd in self.spare + self.used:
            if fd != own:
                os.close(fd)


FORK_NEEDS = 8
"""Descriptors left free when channels are asked for: a fork's result pipe and one ``run_response`` (its reply
socket pair and four pipe ends)."""


def _free_descriptors(highest=1024):
    """How many more descriptors this process may open (under its soft limit; ``/proc`` is covered here)."""
    limit = min(resource.getrlimit(resource.RLIMIT_NOFILE)[0], highest)
    used = 0
    for fd in range(limit):
        try:
            fcntl.fcntl(fd, fcntl.F_GETFD)
            used += 1
        except OSError:
            pass
    return limit - used


def _ask_channels(wanted):
    try:
        answer, asker = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    except OSError:
        return []
    fds = []
    try:
        with answer:
            try:
                with socket.socket(fileno=os.dup(CHANNEL_FD)) as channel:
                    socket.send_fds(channel, [MESSAGE.pack(CHANNEL, wanted)], [asker.fileno()])
            finally:
                asker.close()
            reply, fds, _, _ = socket.recv_fds(answer, 16, wanted)  # b"" when the server refused (dropped asker)
    except OSError:
        return []
    if reply == STARTED:  # (fewer than sent where this process had no room: the kernel closed the rest)
        return fds
    for fd in fds:
        os.close(fd)
    return []


def channel_drained(channel, wait_s=DRAIN_WAIT_S):
    """Wait (at most ``wait_s``) until the fork server has received every message sent on ``channel``: the fork held
    it and may have left commands queued, with descriptors in flight that count against this uid's limit (the kernel
    refuses to send more, ``ETOOMANYREFS``). Red-team round 24: a fork queued a hundred ``run_response`` commands
    and died; the next response's own ``run_response`` failed until the server had read them (the server starts
    nothing for a command whose sender has ended, ``fork_protocol``). An honest call pays one ``ioctl``."""
    deadline = time.monotonic() + wait_s
    queued = bytearray(4)
    while time.monotonic() < deadline:
        try:
            fcntl.ioctl(channel, termios.TIOCOUTQ, queued)  # SIOCOUTQ: bytes the server has not yet received
        except OSError:
            return
        if not any(queued):
            return
        select.select([], [], [], 0.001)


def fresh_workdir(scratch, workdir):
    """Empty the scratch space, work directory included, and make the work directory again (mode 0700) as the
    current directory; HOME and TMPDIR name it still."""
    wipe(scratch)
    path = os.path.join(scratch, workdir)
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:  # a part the wipe could not remove: at least the mode is this process's again
        os.chmod(path, 0o700)
    os.chdir(path)
