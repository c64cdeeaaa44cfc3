"""The fork server's *response* command: make a response process's pipes, fork it, hand the verifier its ends.

Runs inside the sandbox, standard library only, in the fork server (``forkserver``), whose loop calls
:func:`spawn` for each response command that came by a verifier's channel. A module of its own because it is the
one place where a response process is made: the pipes are the server's (a verifier never chooses a descriptor a
response gets), only the verifier's ends go back, on the command's own reply socket and without blocking, and the
new process is put under the server's watch (``response_watch``) with its deadline, its verifier and the process
that sent the command, so it is ended when any of them ends. The digest pipe's reading end stays here: the watch
reads the run's digest once the process has been reaped (``results_slot``), and no verifier ever holds it.
"""

import os
import signal
import socket
import time

from verifier.sandbox.zygote import results_slot
from verifier.sandbox.zygote.fork_protocol import REAPED, RESPONSE, STARTED, nobody_waits, reply_socket, write_status


def spawn(server, sock, reply, timeout_s, sender):
    """Fork a response process with pipes made here; send its ends to the request's own ``reply`` socket (or end
    it at once). None, and nothing forked, when nobody waits for the reply any more: the process that sent the
    request (``sender``, a pidfd, or None where the kernel names no sender) has ended, or nobody holds the other
    end of ``reply``. A request queued by a process that has since been killed (an isolated response's fork or
    its stray, ``isolation``) starts nothing, even when it kept its reply socket alive in flight. Nothing either
    when ``reply`` is no Unix seqpacket socket, or this server is out of descriptors. The response is ended when
    ``sender`` ends (this takes ``sender``); the caller disposes of ``reply``."""
    owner = server.channels.owner(sock)
    answer = reply_socket(reply)
    if answer is None or nobody_waits(reply, sender):
        close_pending(sender, answer)
        return None
    try:
        pipes = _pipes(5)  # request, results, output, status, digest (``run_digest``: the server's alone)
    except OSError:  # out of descriptors: this request fails, the server serves on
        close_pending(sender, answer)
        return None
    limit = max(0.001, min(timeout_s, server.cfg["limits"]["wall_s"]))
    child_ends = (pipes[0][0], pipes[1][1], pipes[2][1], server.texts[owner], pipes[4][1])
    theirs = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
    status, digest = pipes[3][1], pipes[4][0]
    number = results_slot.begin(server.texts[owner])  # before the process exists: the zygote never sees it unlisted
    pid, confined = server.fork_child(RESPONSE, child_ends)
    if pid == 0:
        answer.detach()
        server.shed()
        return server.on_response, (server.cfg, child_ends, server.cfg.get("response_uid"))
    for fd in child_ends[:3] + child_ends[4:]:
        os.close(fd)
    os.set_blocking(digest, False)
    pidfd = None
    if pid is not None:
        try:
            pidfd = os.pidfd_open(pid)
        except OSError:  # without a handle on its life it cannot be watched: not started
            os.kill(pid, signal.SIGKILL)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    if pidfd is None:
        write_status(status, "abandoned", -1)
    try:  # never blocks: a verifier that stops reading its replies only loses its own responses
        socket.send_fds(answer, [STARTED], theirs, socket.MSG_DONTWAIT)
        sent = True
    except OSError:
        sent = False
    for fd in theirs:
        os.close(fd)
    answer.close()
    if pidfd is None:
        results_slot.end(server.texts[owner], number, b"", "abandoned", -1)
        close_pending(sender, None)
        os.close(status)
        os.close(digest)
        return None
    server.watch.add(pidfd, pid, status, time.monotonic() + limit, owner, confined, sender, (digest, number))
    if not sent:
        server.watch.finish(pidfd, "abandoned")
    return None


def _pipes(count):
    """``count`` new pipes; none left open when the last cannot be made."""
    made = []
    try:
        for _ in range(count):
            made.append(os.pipe())
    except OSError:
        for pair in made:
            for fd in pair:
                os.close(fd)
        raise
    return made


def close_pending(sender, answer):
    """Close a command's sender pidfd (unless the kernel reaped it) and its reply socket; either may be None."""
    if sender is not None and sender != REAPED:
        os.close(sender)
    if answer is not None:
        answer.close()
