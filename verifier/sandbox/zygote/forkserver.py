"""The fork server: the clean image every verifier and response process starts from, and the responses' watchdog.

Why: ``fork()`` copies freed heap too, so a child of a process that once held a request could read it. The zygote
forks this server before it reads anything, and the server never holds task data. Where it may make namespaces
(privileged sandboxes, x86_64) it does not clone children itself either: two templates (``template``), forked from
it once before it serves, clone them, so no child's heap follows the server's own history. It takes only fork
commands (a one-byte kind and a timeout, over ``SOCK_SEQPACKET`` pairs):

- *verifier* (from the zygote, with the verifier's three pipe ends and the descriptor of the text it scores):
  cloned with ``CLONE_PARENT`` (elsewhere than x86_64: by a helper that exits at once), so the zygote is its
  parent and reads its exit status. The server keeps a pidfd of it, and the text's descriptor, which only its
  response processes get (the server never reads it, and holds no task data); the verifier reads its request from
  a pipe, after the fork.
- *channel* (from a verifier process, through its channel): one more channel for that verifier process, which
  its isolated fork uses alone and which ends with that fork (``isolation.ForkChannels``).
- *response* (from a verifier, through a channel the server serves for that verifier process alone;
  ``response_spawn``): the command carries only the socket its reply goes to; the server makes five pipes and
  answers with the verifier's ends of four only (request to write; results, output, status to read; the fifth
  carries the run's digest to the server alone, ``run_digest``), so a verifier cannot hand a response a descriptor of its choosing (its own status pipe as the response's stdout hid the verifier's end
  from the watchdog). At the response's deadline, when it ends, when its status pipe's reader is gone, when the
  process that sent the command ends (an isolated response's fork; the kernel names each command's sender,
  ``fork_protocol``, and a command whose sender has already ended starts nothing), or when the verifier process
  whose channel it came by ends (its pidfd; that verifier's channel then closes, queued commands with it), the
  server ends it (``response_watch``: it sweeps what the response left and reports how it ended on the status pipe).
  Endings are handled before commands: no response outlives its verifier's group, and a sweep only ever reaches the
  responses of the one verifier process running.

Both kinds are cloned into a pid, mount and IPC namespace of their own where the server may (privileged sandboxes:
``confine``). The server keeps uid 0 with only CAP_SETUID/SETGID/KILL/SYS_ADMIN (the last for those namespaces), so
neither a verifier (uid ``uid``) nor a response (``response_uid``) can signal it; responses run under their own
uid, so they cannot signal, trace or read the verifier.

The server never closes a descriptor a verifier chose: ``close()`` of a TCP socket with ``SO_LINGER`` and unsent
data blocks for the linger time, and the last close of a socket whose queue holds such a socket in flight blocks
too (the kernel releases it in the closer's context). Descriptors received on a verifier's channel, and a channel
not read to its end (its queue may hold more), are handed to a ``disposer.Disposer``, which closes them in a
process of its own. Commands are received with room for the most descriptors one message can carry
(``SCM_MAX_FD``), so the kernel never discards surplus ones in the server's own context.
"""

import os
import select
import signal
import socket
import time

from verifier.sandbox.zygote import template
from verifier.sandbox.zygote.channels import Channels
from verifier.sandbox.zygote.child import settle as settle_verifier
from verifier.sandbox.zygote.clean_image import fresh_heap, warm_up
from verifier.sandbox.zygote.confine import (CLONE_PARENT, can_clone, clone, cover_terminals, inherit_filter,
                                             mount_plan, settle_environment, touch, worker_start_paths)
from verifier.sandbox.zygote.disposer import Disposer
from verifier.sandbox.zygote.fork_protocol import (CHANNEL, FAILED, FDS, RESPONSE, VERIFIER, pass_sender, pid_reply,
                                                   receive)
from verifier.sandbox.zygote.response import settle as settle_response
from verifier.sandbox.zygote.response_spawn import close_pending, spawn
from verifier.sandbox.zygote.response_watch import ResponseWatch



def start(cfg, on_verifier, on_response, close=()):
    """Fork the server (call before reading any request); returns (the zygote's command socket, server pid).

    ``on_verifier(cfg, fds, channel_fd)`` and ``on_response(cfg, fds, uid)`` run in the forked processes; the
    server closes the descriptors in ``close`` (the zygote's pipes to the host) first.
    """
    mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            mine.close()
            for fd in close:
                os.close(fd)
            server = Server(cfg, theirs, on_verifier, on_response)
            launch = server.start_templates() or server.serve()
            server = None
            if launch is not None:  # a template, or a forked verifier or response process; the Server is gone
                code = 70
                fresh_heap()
                launch[0](*launch[1])
        finally:
            os._exit(code)
    theirs.close()
    return mine, pid


class Server:
    """The loop: fork on command, watch live responses and the verifiers that asked for them, until the zygote's
    command socket closes."""

    def __init__(self, cfg, commands, on_verifier, on_response):
        self.cfg, self.commands = cfg, commands
        self.on_verifier, self.on_response = on_verifier, on_response
        self.poller = select.poll()
        self.poller.register(commands, select.POLLIN)
        self.verifiers = {}  # verifier pidfd -> True while it lives
        self.texts = {}  # verifier pidfd -> descriptor of the response it is scoring (``run.Run.offer``)
        self.watch = ResponseWatch(cfg, self.poller, self._unwatch, self.texts)
        self.retired = set()  # descriptors no longer polled since this batch of events began
        self.namespaces = [bool(cfg.get("pid_namespace"))]  # (a list: ``confine.clone`` clears it when refused)
        self.templates = {}  # kind -> template.Template, once started
        cfg["mount_plan"] = (cover_terminals(mount_plan(cfg["scratch"], cfg["limits"]["scratch_mb"],
                                                        cfg.get("task_filter")))
                             if self.namespaces[0] else None)
        self.dated = worker_start_paths() if cfg.get("undated") else []  # touched before every clone (confine)
        self.disposer = Disposer()
        self.channels = Channels(self.poller, self._unwatch, self.disposer)  # one per verifier process, and more
        settle_environment()
        warm_up()

    def start_templates(self):
        """Start the verifier and the response template (``template``) where the server may make namespaces on
        x86_64; None in the server, the template's loop (a launch) in a template."""
        if not (self.namespaces[0] and can_clone()):
            return None
        for kind, flags in ((VERIFIER, CLONE_PARENT), (RESPONSE, 0)):  # a verifier template is the zygote's
            mine, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
            try:  # the template itself lives in the worker's namespaces: the pids it reports are the server's view
                pid = clone(flags, [False])
            except OSError:
                mine.close()
                theirs.close()
                continue
            if pid == 0:
                mine.close()
                self.shed()
                cfg, on_verifier, on_response = self.cfg, self.on_verifier, self.on_response
                cfg["mount_plan"] = inherit_filter(cfg["mount_plan"])
                if kind == VERIFIER:
                    settle_verifier(cfg)

                    def launch(fds):
                        on_verifier(cfg, fds[:3], fds[3])
                else:
                    settle_response(cfg)

                    def launch(fds):
                        on_response(cfg, fds, cfg.get("response_uid"))
                return template.serve, (theirs, CLONE_PARENT, launch, [True])  # its clones: its parent's
            theirs.close()
            self.templates[kind] = template.Template(mine, pid)
            # a verifier's descriptors (three pipes, a channel), a response's (three pipes, the text it may run,
            # its digest pipe)
            self.templates[kind].rehearse(4 if kind == VERIFIER else 5)
        return None

    def serve(self):
        """Serve until the zygote's command socket closes (None); in a forked child, return its launch: (the
        function to run, its arguments), so that the child runs it only after this Server and every frame of the
        loop are gone (``gc`` and ``f_back`` reached them: the sizes of its dicts carried the history of the
        worker)."""
        while True:
            now = time.monotonic()
            deadline = self.watch.next_deadline()
            wait = -1 if deadline is None else max(0, int((deadline - now) * 1000) + 1)
            # Endings first: a response whose verifier died is swept (kill(-1) as the response uid) before any
            # command of this batch can start the next verifier's responses, which that sweep would reach.
            events = sorted(self.poller.poll(wait),
                            key=lambda event: not self.watch.ends(event[0]) and event[0] not in self.verifiers)
            self.retired = set()
            for fd, _ in events:
                if fd in self.retired:  # stopped watching it earlier in this batch: its number may be a new one's
                    continue
                if fd == self.commands.fileno():
                    launch = self._command(self.commands)
                    if launch is not True:
                        return launch or None
                elif fd in self.channels:
                    launch = self._command(self.channels.socket(fd))
                    if launch is not True:
                        return launch
                elif self.watch.ends(fd):
                    self.watch.on_event(fd)
                elif fd in self.verifiers:
                    self._verifier_ended(fd)
            self.watch.expire(time.monotonic())

    def _command(self, sock):
        """Handle one command from ``sock``; False when the zygote's command socket reached end of file, a launch in
        a forked child, True otherwise."""
        kind, timeout_ms, fds, sender = receive(sock)
        if kind is None:
            if sock is self.commands:
                return False
            self.channels.close(sock.fileno(), emptied=True)
            return True
        launch = None
        try:
            if sock is self.commands and kind == VERIFIER and len(fds) == FDS[VERIFIER]:
                launch = self._spawn_verifier(fds)
            elif sock is not self.commands and kind == RESPONSE and len(fds) == FDS[RESPONSE]:
                launch, sender = self._spawn_response(sock, fds[0], timeout_ms / 1000, sender), None  # (it owns it)
            elif sock is not self.commands and kind == CHANNEL and len(fds) == FDS[CHANNEL]:
                self.channels.open_more(sock, fds[0], timeout_ms)  # (the number wanted, in the timeout's place)
        finally:
            close_pending(sender, None)
            if launch is None and sock is self.commands:  # (in a launched child the descriptors are its own now)
                for fd in fds:
                    os.close(fd)
            elif launch is None:
                self.disposer.close(fds)
        return launch or True

    def _unwatch(self, fd):
        """Stop polling ``fd`` (about to be closed). Its number can come back at once, for a channel or pipe made
        later in the same batch of events, where an event polled for the old one would be taken for the new one's:
        a stale end-of-file event had this server block reading a fresh, empty channel for good (every later
        ``run_response`` of the worker hung). The loop skips the rest of the batch's events for it; polling is
        level-triggered, so the new one's come again."""
        self.poller.unregister(fd)
        self.retired.add(fd)

    def _verifier_ended(self, pidfd):
        """The verifier process is gone: end every response it started and drop its channels (queued commands too)."""
        del self.verifiers[pidfd]
        os.close(self.texts.pop(pidfd))
        self.watch.abandon(pidfd)
        self.channels.close_owned(pidfd)
        self._unwatch(pidfd)
        os.close(pidfd)

    def _spawn_verifier(self, fds):
        """A verifier process with a fresh response channel, made the zygote's child; the zygote gets its pid."""
        channel, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        pass_sender(channel)  # before the verifier can send: each command names its sender (fork_protocol)
        touch(self.dated)  # once per verifier process: a response started later sees times of its verifier's start
        pid, confined = self.fork_child(VERIFIER, list(fds[:3]) + [theirs.fileno()])
        if pid == 0:
            channel.close()
            self.shed()
            return self.on_verifier, (self.cfg, fds[:3], theirs.detach())
        theirs.close()
        pidfd = None
        if pid is not None:
            try:
                pidfd = os.pidfd_open(pid)
                text = os.dup(fds[3])  # (the command's own copies are closed by the caller)
            except OSError:  # without a handle on its life (or its text), no response could be tied to it
                if pidfd is not None:
                    os.close(pidfd)
                    pidfd = None
                os.kill(pid, signal.SIGKILL)
        if pidfd is None:
            self.commands.send(FAILED)
            channel.close()
            return
        self.commands.send(pid_reply(pid, confined))
        self.channels.add(channel, pidfd)
        self.verifiers[pidfd] = True
        self.texts[pidfd] = text
        self.poller.register(pidfd, select.POLLIN)

    def fork_child(self, kind, fds):
        """(pid, confined) of a new process of ``kind`` holding ``fds``: cloned by its template where there is one,
        else by this server (pid 0 in the clone, None when it could not be made)."""
        if kind in self.templates:
            return self.templates[kind].spawn(fds) or (None, False)
        try:
            if kind == VERIFIER:
                pid = template.fork_for_parent(self.cfg["zygote_pid"], self.namespaces)
            else:
                pid = clone(0, self.namespaces) if can_clone() else os.fork()
        except OSError:
            return None, False
        return pid, self.namespaces[0]

    def shed(self):
        """In a forked child, before the Server is freed: close the zygote's command socket and let go of every
        other socket of the server's without closing it (the child's ``arrange`` closes every descriptor it does
        not keep). A socket object freed open warns, and the first warning left blocks on the heap for good: the
        child's heap told whether another verifier's channel was still open when it was cloned."""
        self.commands.close()
        self.disposer.forget()
        self.channels.forget()
        for started in self.templates.values():
            started.sock.close()

    def _spawn_response(self, sock, reply, timeout_s, sender):
        """A response process for the verifier whose channel is ``sock`` (``response_spawn.spawn``)."""
        return spawn(self, sock, reply, timeout_s, sender)
