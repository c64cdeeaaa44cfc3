"""One verifier process as the zygote sees it: its pipes, its pid (and pidfd), its nonce and its scratch directory.

The process is forked by the fork server (``forkserver``), not by the zygote, so it never inherits the zygote's
heap (earlier requests and results); the zygote hands it its request through a pipe once it exists: a header
(source, limits, run environment, nonce, working directory; nothing about the group) and then one response at a
time, the next only once the process has reported on the current one (``supervisor.supervise``).

The zygote also keeps the response being scored in a file of the run's own that has no name (:meth:`Run.offer`,
:func:`text_file`). Its descriptor goes to the fork server with the command that starts the process; the server
hands it to each response process the verifier starts, which reads it and closes it before any code runs, and
runs only code that is part of that text (``response_text.part_of_response``). Why: ``run_response`` ran whatever code
a verifier passed, with none of the static checks a verifier's own code gets, so a verifier read the real clock in
a response process and would have been paid in training after a date its validation never reached (admitted 1 of
1, round 34).
"""

import json
import os
import select
import signal
import socket
import time

from verifier.sandbox.zygote import results_slot
from verifier.sandbox.zygote.child import cpu_cap_s
from verifier.sandbox.zygote.environment import shift_ns
from verifier.sandbox.zygote.fork_protocol import (MESSAGE, RAN_OFFSET, RAN_SLOT, TEXT_HEADER, TEXT_OFFSET, VERIFIER,
                                                   read_pid_reply)
from verifier.sandbox.zygote.frames import describe_status, parse_frames

SPAWN_TIMEOUT_S = 10.0


class SpawnError(Exception):
    """The fork server could not start a verifier process (process limit, or the server is gone)."""


class Run:
    """One verifier process serving responses ``start..`` of a group, seen from the zygote."""

    def __init__(self, cfg, req, start, server):
        self.nonce = os.urandom(16).hex()
        self.workdir = os.path.join(cfg["scratch"], "run-" + self.nonce[:12])
        self.status = None
        self.pidfd = None
        self.cpu_s, self.cpu_cap = 0.0, cpu_cap_s(req["limits"]["cpu_s"])
        r_req, w_req = os.pipe()
        r_res, w_res = os.pipe()
        r_out, w_out = os.pipe()
        # The header and the first response are in the pipe before the process exists, so its first read finds
        # them whole (when they fit the pipe): how many reads it took, and so its heap, no longer depends on timing.
        self.w_req, self.pending = w_req, bytearray()
        os.set_blocking(w_req, False)
        self.text = text_file(cfg["scratch"])
        self.number = 0  # of the text offered last (``offer``; a response process marks it when it runs part of it)
        self.data = b""  # ... and its bytes
        self.run_texts = set()  # the texts this process has run part of (see ``ran``; only texts the group holds)
        self.digests = {}  # text -> the digest of its runs (see ``results``)
        self.asked = {}  # text -> the records of its runs' requests (see ``requests``)
        self.shift_ns = shift_ns(req["env"])
        header = {key: req[key] for key in ("source", "limits", "env")}
        header.update(nonce=self.nonce, workdir=self.workdir)
        self.feed(header)
        self.offer(req["responses"][start])
        try:
            self.pid, self.confined = _spawn(server, (r_req, w_res, w_out, self.text))
        except BaseException:
            for fd in (w_req, r_res, r_out, self.text):
                os.close(fd)
            raise
        finally:
            for fd in (r_req, w_res, w_out):
                os.close(fd)
        self.r_res, self.r_out = r_res, r_out
        for fd in (r_res, r_out):
            os.set_blocking(fd, False)
        try:
            self.pidfd = os.pidfd_open(self.pid)
        except (AttributeError, OSError):
            self.pidfd = None
        self.buffer = b""
        self.output = bytearray()
        self.output_total = 0

    def feed(self, value):
        """Queue one JSON line for the process (its header, or the one response it is to score next) and write
        what the pipe takes now; :meth:`flush` writes the rest when the pipe has room (never blocking the zygote)."""
        self.pending += (json.dumps(value) + "\n").encode()
        self.flush()

    def offer(self, response):
        """Hand the process the response it is to score next (:meth:`feed`), and make it the text its response
        processes may run (the text file: the UTF-8 bytes at ``TEXT_OFFSET``, then the header: the run's clock
        shift, the text's length and number, empty *ran*, *results* and *requests* slots; no response process of
        this text reads it before the verifier has it, :meth:`feed` below)."""
        data = self.data = str(response).encode("utf-8", "surrogatepass")
        self.number += 1
        try:
            os.pwrite(self.text, data, TEXT_OFFSET)
            os.pwrite(self.text, TEXT_HEADER.pack(self.shift_ns, len(data), self.number, 0), 0)
        except OSError:  # a full scratch: an empty file, whose text no code is part of (the response runs nothing)
            os.ftruncate(self.text, 0)
        self.feed(response)

    def ran(self):
        """Whether this process ran part of the text offered last: a response process did while the verifier scored
        it (its *ran* slot holds that text's number, ``response_text.mark_ran``), or one did for the same text
        earlier in this process. Read when the verifier reports on it, before the next is offered: the verifier
        waited for what it ran, so the mark is there; a verifier cannot write the file (only response processes
        hold it, until their code starts). The same text counts because ``run_response`` serves a later call
        scoring the same text from the runs it made for it (``envsynth_sandbox._remember``): a GRPO group's
        repeated completion is run once, and its copies were seen running all the same."""
        try:
            slot = os.pread(self.text, RAN_SLOT.size, RAN_OFFSET)
        except OSError:
            slot = b""
        if len(slot) == RAN_SLOT.size and RAN_SLOT.unpack(slot)[0] == self.number:
            self.run_texts.add(self.data)
            return True
        return self.data in self.run_texts  # (no hashlib: a module the zygote imports is in every process's image)

    def results(self):
        """The digest of what the runs of the text offered last reported (``results_slot.digest``: 32 hex digits),
        or None: no run of it, a run still going when the verifier reported, or one that left no digest. Read with
        :meth:`ran`, before the next text is offered. A text the process ran earlier in the group and was not run
        again (``run_response`` served the copy from its memory) has that earlier digest."""
        found = results_slot.digest(self.text, self.number)
        if found is not None:
            self.digests[self.data] = found
            return found
        return self.digests.get(self.data)

    def requests(self):
        """(the records of the requests the runs of the text offered last were made with, how many runs' records
        were left out) (``results_slot.requests``: the JSON text of each one's calls and standard input), read with
        :meth:`results`. A text served again from ``run_response``'s memory has its earlier records."""
        found = results_slot.requests(self.text, self.number)
        if found[0] or found[1]:
            self.asked[self.data] = found
            return found
        return self.asked.get(self.data, ([], 0))

    def flush(self):
        try:
            while self.pending:
                del self.pending[:os.write(self.w_req, self.pending)]
        except BlockingIOError:
            pass
        except OSError:  # the process is gone: its exit status tells the rest
            self.pending.clear()

    def frames(self, data):
        """Complete frames carrying this child's nonce; anything else on the channel is ignored."""
        found, self.buffer = parse_frames(self.buffer, data, self.nonce)
        return found

    def kill(self):
        """SIGKILL the child and its session (a pid-1 zygote's cleanup also sweeps the whole namespace)."""
        members = [self.pid] if os.getpid() == 1 else session_members(self.pid)
        for pid in members:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass

    def poll_exit(self):
        """True once the child has ended (reaping it, so its status is kept)."""
        if self.status is None:
            try:
                pid, status, usage = os.wait4(self.pid, os.WNOHANG)
            except ChildProcessError:
                return False
            if pid:
                self.status, self.cpu_s = status, usage.ru_utime + usage.ru_stime
        return self.status is not None

    def wait_ended(self, timeout):
        """Wait (at most ``timeout`` seconds) until the process has ended, and reap it."""
        if self.status is None and self.pidfd is not None:
            select.select([self.pidfd], [], [], timeout)
        self.poll_exit()

    def exit_outcome(self):
        """Reap the child; (outcome, detail) of how it ended."""
        for _ in range(1000):  # until the helper that forked it has exited and it is ours to reap
            if self.status is not None:
                break
            try:
                _, self.status, usage = os.wait4(self.pid, 0)
                self.cpu_s = usage.ru_utime + usage.ru_stime
            except ChildProcessError:
                time.sleep(0.001)
        if self.status is None:
            return "crashed", "the process ended without a result"
        if os.WIFSIGNALED(self.status) and self.cpu_s >= self.cpu_cap:
            # As pid 1 of its namespace the process ignores SIGXCPU at the soft cap (the kernel spares an init
            # without a handler) and the hard cap's SIGKILL ends it: what it used says why
            return "timeout", "CPU time limit exceeded"
        return describe_status(self.status)

    def close(self):
        for fd in (self.r_res, self.r_out, self.w_req, self.pidfd, self.text):
            if fd is not None:
                os.close(fd)


def text_file(directory):
    """A file of no name in ``directory`` (the worker's scratch) for :meth:`Run.offer`: ``O_TMPFILE``, else a
    file removed as soon as it is made. Not a memory file: the sandbox's seccomp filter refuses ``memfd_create``
    to every process in it, the zygote included."""
    try:
        return os.open(directory, os.O_TMPFILE | os.O_RDWR | os.O_CLOEXEC, 0o600)
    except OSError:
        path = os.path.join(directory, ".text-" + os.urandom(8).hex())
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_RDWR | os.O_CLOEXEC, 0o600)
        os.unlink(path)
        return fd


def _spawn(server, fds):
    """Ask the fork server for a verifier process holding ``fds``; (its pid, whether it is pid 1 of pid, mount and
    IPC namespaces of its own)."""
    try:
        socket.send_fds(server, [MESSAGE.pack(VERIFIER, 0)], list(fds))
        server.settimeout(SPAWN_TIMEOUT_S)
        reply = server.recv(32)
    except OSError as exc:
        raise SpawnError(f"the fork server did not answer: {exc}") from exc
    started = read_pid_reply(reply)
    if started is None:
        raise SpawnError("the fork server could not start a verifier process")
    return started


def session_members(sid):
    """Pids whose session id is ``sid`` (the child and every process it started without a new session)."""
    members = [sid]
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == sid:
            members.append(int(name))
    return members
