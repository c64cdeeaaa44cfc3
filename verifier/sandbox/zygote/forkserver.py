"""The fork server: the clean image every verifier and response process starts from.

Why: ``fork()`` copies freed heap too, so a child of a process that once held a request could read it. The zygote
reads requests; so, before it reads anything, it forks this server, which never holds task data. The server
receives only fork commands (a one-byte kind, a timeout and pipe descriptors, over a ``SOCK_SEQPACKET`` pair) and
answers each by forking a short-lived helper, which forks the real process:

- a *verifier* process (command from the zygote): the helper forks it and exits at once, so the verifier is
  re-parented to the zygote (pid 1, or a child subreaper), which waits for it and reads its exit status. The
  verifier then reads its request from a pipe: after the fork, from a parent that never held one.
- a *response* process (command from a verifier, through the channel the server opened for that verifier process
  alone; it closes when the verifier dies, and pending commands with it): the helper stays as the response's
  watchdog. It kills the response at its deadline, or as soon as the verifier is gone, then every process of the
  response uid, wipes what that uid left in the scratch space, and only then writes the final status.

Identities (privileged sandbox): the server and helpers keep uid 0 with only CAP_SETUID/SETGID/KILL, so neither
a verifier (uid ``uid``) nor a response (uid ``response_uid``) can signal them; responses run under their own uid,
so they cannot signal, trace or read the verifier or its files. Without uids (unprivileged or container sandboxes)
everything shares one uid and the watchdog kills the response's session only (the sandbox docstring says so).
"""

import json
import os
import select
import signal
import socket
import struct

from verifier.sandbox.zygote.cleanup import processes_of, wipe

VERIFIER, RESPONSE = b"V", b"R"
FDS = {VERIFIER: 3, RESPONSE: 4}
MESSAGE = struct.Struct("=cI")  # kind, timeout in milliseconds
FAILED = b"-1"


def start(cfg, on_verifier, on_response, close=()):
    """Fork the server (call before reading any request); returns (the zygote's command socket, server pid).

    ``on_verifier(cfg, fds, channel_fd)`` and ``on_response(cfg, fds, uid)`` run in the forked processes; the
    server closes the descriptors in ``close`` (the zygote's pipes to the host) first.
    """
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        try:
            mine.close()
            for fd in close:
                os.close(fd)
            serve(cfg, theirs, on_verifier, on_response)
        finally:
            os._exit(0)
    theirs.close()
    return mine, pid


def serve(cfg, commands, on_verifier, on_response):
    """The server loop: fork on command until the zygote's end of the command socket closes."""
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # helpers are reaped by the kernel
    channels = []
    while True:
        ready = select.select([commands] + channels, [], [])[0]
        for sock in ready:
            kind, timeout_ms, fds = _receive(sock)
            if kind is None:
                if sock is commands:
                    return
                channels.remove(sock)
                sock.close()
                continue
            if sock is commands and kind == VERIFIER and len(fds) == FDS[VERIFIER]:
                channel = _spawn_verifier(cfg, commands, fds, on_verifier)
                if channel is not None:
                    channels.append(channel)
            elif sock is not commands and kind == RESPONSE and len(fds) == FDS[RESPONSE]:
                _spawn(lambda: watchdog(cfg, timeout_ms / 1000, fds, on_response))
            for fd in fds:
                os.close(fd)


def _receive(sock):
    """(kind, timeout_ms, fds) of one command; (None, 0, []) at end of file. Malformed commands are dropped."""
    try:
        data, fds, flags, _ = socket.recv_fds(sock, 64, 8)
    except OSError:
        return None, 0, []
    if not data and not fds:
        return None, 0, []
    if len(data) != MESSAGE.size or flags & socket.MSG_CTRUNC:
        for fd in fds:
            os.close(fd)
        return b"?", 0, []
    kind, timeout_ms = MESSAGE.unpack(data)
    return kind, timeout_ms, fds


def _spawn(body):
    """Fork a helper running ``body``; a failed fork (process limit) only drops this command."""
    try:
        pid = os.fork()
    except OSError:
        return False
    if pid == 0:
        try:
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            body()
        finally:
            os._exit(0)
    return True


def _spawn_verifier(cfg, commands, fds, on_verifier):
    """Fork a verifier process with a fresh response channel; the helper tells the zygote its pid."""
    channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)

    def helper():
        try:
            pid = os.fork()
        except OSError:
            commands.send(FAILED)
            return
        if pid == 0:
            try:
                commands.close()
                channel.close()
                on_verifier(cfg, fds, theirs.fileno())
            finally:
                os._exit(70)
        commands.send(str(pid).encode())

    started = _spawn(helper)
    theirs.close()
    if not started:
        commands.send(FAILED)
        channel.close()
        return None
    return channel


def watchdog(cfg, timeout_s, fds, on_response):
    """Run one response under a deadline; its status goes to ``fds[3]`` once nothing of it is left."""
    request, results, output, status = fds
    limit = max(0.001, min(timeout_s, cfg["limits"]["wall_s"]))
    uid = cfg.get("response_uid")
    pid = os.fork()
    if pid == 0:
        try:
            os.close(status)
            on_response(cfg, (request, results, output), uid)
        finally:
            os._exit(70)
    for fd in (request, results, output):
        os.close(fd)
    pidfd = os.pidfd_open(pid)
    poller = select.poll()
    poller.register(pidfd, select.POLLIN)
    poller.register(status, 0)  # POLLERR arrives when the verifier (the status reader) is gone
    events = poller.poll(limit * 1000)
    ended = "timeout" if not events else ("exited" if any(fd == pidfd for fd, _ in events) else "abandoned")
    _kill_response(pid, uid)
    wait_status = os.waitpid(pid, 0)[1]
    if uid is not None:  # drop to the response uid: what it left anywhere in scratch is removable, nothing else
        _kill_response(pid, uid)
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        wipe(cfg["scratch"])
    else:
        wipe(workdir(cfg, pid))
        try:
            os.rmdir(workdir(cfg, pid))
        except OSError:
            pass
    try:
        os.write(status, (json.dumps({"ended": ended, "status": wait_status}) + "\n").encode())
    except OSError:
        pass


def workdir(cfg, pid):
    """The fresh working directory (HOME, TMPDIR) of response process ``pid``."""
    return os.path.join(cfg["scratch"], f"response-{pid}")


def _kill_response(pid, uid):
    """SIGKILL the response: every process of its uid where it has one, else its session."""
    if uid is None:
        try:
            os.killpg(pid, signal.SIGKILL)
        except OSError:
            pass
        return
    for _ in range(10_000):
        live = processes_of(uid)
        if not live:
            return
        for target in live:
            try:
                os.kill(target, signal.SIGKILL)
            except OSError:
                pass
