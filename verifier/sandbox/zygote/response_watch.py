"""The fork server's watch over the response processes it started: each is ended, swept and reported exactly once.

Runs inside the sandbox, standard library only, in the fork server (``forkserver``). A response is ended at its
deadline, when it exits, when the reader of its status pipe is gone, when the process that sent its command ends
(an isolated response's fork; ``fork_protocol`` names each command's sender), or when the verifier process whose
channel it came by ends. Then every process of the response uid is killed, what that uid left in scratch is wiped,
SysV IPC objects are removed, the response is reaped, and only then is ``{"ended": "exited"|"timeout"|"cpu"|
"abandoned", "status": WAIT_STATUS}`` written to its status pipe.

A response cloned into pid, mount and IPC namespaces of its own (privileged sandboxes: ``confine``) is ended by a
SIGKILL to it alone: as pid 1 of its namespace it takes every process of the namespace with it (the kernel reaps them
all before its own end is reported), and its scratch tmpfs and SysV objects go with its mount and IPC namespaces, so
there is nothing to sweep, wipe or remove. (The sweep below, ``kill(-1)`` with the response uid as effective uid,
also reached the disposer: the server's real uid, 0, is the disposer's, and the kernel lets a real uid match; the
disposer was re-forked after every response.) To sweep an unconfined response, the server takes the response uid as
its effective uid for a moment: ``kill(-1)`` then reaches the response's processes at once (a fork bomb cannot
outrun it), and the wipe exactly what they left. Without uids (unprivileged or container sandboxes) the server kills
the response's session and wipes its working directory only (the sandbox docstring says so).
"""

import math
import os
import select
import signal

from verifier.sandbox.zygote import results_slot
from verifier.sandbox.zygote.cleanup import drain, remove_ipc, wipe
from verifier.sandbox.zygote.fork_protocol import write_status
from verifier.sandbox.zygote.response import workdir


class ResponseWatch:
    """The live responses, by the descriptors whose events end them, polled by the server's ``poller``;
    ``unwatch(fd)`` is the server's way to stop polling a descriptor it is about to close."""

    def __init__(self, cfg, poller, unwatch, texts):
        self.cfg, self.poller, self.unwatch = cfg, poller, unwatch
        self.texts = texts  # verifier pidfd -> its text file (the server's ``texts``)
        self.responses = {}  # pidfd -> (pid, status fd, deadline, pidfd of the verifier process whose channel asked
        # for it, confined, pidfd of the process that sent the command or None)
        self.digests = {}  # pidfd -> (the reading end of its digest pipe, the number of the text it was started for)
        self.statuses = {}  # status fd -> pidfd
        self.senders = {}  # a command's sender's pidfd -> the response pidfd it asked for

    def add(self, pidfd, pid, status, deadline, owner, confined, sender, digest):
        """Watch a started response (this takes ``pidfd``, ``status``, ``sender`` and ``digest``: its digest pipe's
        reading end and its text's number, ``results_slot.begin``)."""
        self.responses[pidfd] = (pid, status, deadline, owner, confined, sender)
        self.digests[pidfd] = digest
        self.statuses[status] = pidfd
        if sender is not None:
            self.senders[sender] = pidfd
            self.poller.register(sender, select.POLLIN)
        self.poller.register(pidfd, select.POLLIN)
        self.poller.register(status, 0)  # POLLERR arrives when the verifier (the status reader) is gone

    def ends(self, fd):
        """Whether an event on ``fd`` ends a response (the server handles those before any command)."""
        return fd in self.responses or fd in self.statuses or fd in self.senders

    def on_event(self, fd):
        """End the response an event on ``fd`` is about: it exited, its status reader or its asker is gone."""
        if fd in self.responses:
            self.finish(fd, "exited")
        elif fd in self.statuses:
            self.finish(self.statuses[fd], "abandoned")
        elif fd in self.senders:  # the process that asked for it ended (an isolated response's fork)
            self.finish(self.senders[fd], "abandoned")

    def next_deadline(self):
        """The earliest deadline of a live response (``time.monotonic()`` seconds), or None."""
        return min((entry[2] for entry in self.responses.values()), default=None)

    def expire(self, now):
        """End every response whose deadline has passed."""
        for pidfd in [p for p, entry in self.responses.items() if entry[2] <= now]:
            self.finish(pidfd, "timeout")

    def abandon(self, owner):
        """End every response the verifier process ``owner`` (its pidfd) asked for: it is gone."""
        for pidfd in [p for p, entry in self.responses.items() if entry[3] == owner]:
            self.finish(pidfd, "abandoned")

    def finish(self, pidfd, ended):
        """Kill, sweep and reap the response, add its digest to its text's results slot (``results_slot``), then
        report how it ``ended`` on its status pipe: a verifier that waits for the status finds the slot written."""
        pid, status, _, owner, confined, sender = self.responses.pop(pidfd)
        del self.statuses[status]
        self.unwatch(pidfd)
        self.unwatch(status)
        if sender is not None:
            del self.senders[sender]
            self.unwatch(sender)
            os.close(sender)
        uid = self.cfg.get("response_uid")
        if confined:  # pid 1 of its own namespaces: its end is the end of all of it (module docstring)
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        elif uid is None:
            try:
                os.killpg(pid, signal.SIGKILL)
            except OSError:
                pass
        else:
            os.setresuid(-1, uid, -1)  # effective uid only: kill and wipe as the response, then back
            try:
                os.kill(-1, signal.SIGKILL)
                wipe(self.cfg["scratch"])
                remove_ipc()  # SysV objects outlive processes: none may carry data to a later response
            except OSError:
                pass
            finally:
                os.setresuid(-1, 0, -1)
        _, wait_status, usage = os.wait4(pid, 0)
        if os.WIFSIGNALED(wait_status) and usage.ru_utime + usage.ru_stime >= math.ceil(self.cfg["limits"]["cpu_s"]):
            ended = "cpu"  # pid 1 of its namespace ignores SIGXCPU at the soft cap; the hard cap's SIGKILL ended it
        if uid is None and not confined:
            wipe(workdir(self.cfg, pid))
            try:
                os.rmdir(workdir(self.cfg, pid))
            except OSError:
                pass
        self._digest(pidfd, owner, ended, wait_status)
        write_status(status, ended, wait_status)
        os.close(status)
        os.close(pidfd)

    def _digest(self, pidfd, owner, ended, wait_status):
        """Read what the reaped response left on its digest pipe (its request's record and its digest; every writer
        is gone, so it cannot block) and add it to the slots of the text it was started for, while that verifier's
        text file is still open. Read as far as the record's length says, and a digest (``results_slot.report_size``;
        more is a report broken by the response's own code): a response's code that grows the pipe and fills it
        costs the server a few bytes, not a MiB."""
        fd, number = self.digests.pop(pidfd)
        try:
            report = drain(fd, 4)  # the record's length, written before any code ran: no more than it says, a
            if len(report) == 4:  # digest, and one byte to see more
                report += drain(fd, results_slot.report_size(report) + 1 - len(report))
        except OSError:
            report = b""
        os.close(fd)
        text = self.texts.get(owner)
        if text is not None:
            results_slot.end(text, number, report, ended, wait_status)
