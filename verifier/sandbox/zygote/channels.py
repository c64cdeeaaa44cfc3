"""The channels the fork server serves: one per verifier process, and more for that process's isolated forks.

Runs inside the sandbox, standard library only, in the fork server (``forkserver``). Every channel is made by the
server and tied to the one verifier process it serves (that process's pidfd, its *owner*): commands arrive on it,
and it closes when its owner ends, queued commands with it. Why a table of their own: the server's loop only needs
to know whether a ready descriptor is a channel, which verifier owns it, and how to close it; opening further
channels for an isolated fork (a round trip of its own, with its cap) and letting go of them all in a forked child
are the channel's concerns, not the loop's.
"""

import select
import socket

from verifier.sandbox.zygote.fork_protocol import CHANNELS_PER_VERIFIER, STARTED, pass_sender, reply_socket


class Channels:
    """Channel descriptor -> (socket, pidfd of the one verifier process it serves), polled by the server."""

    def __init__(self, poller, unwatch, disposer):
        self._poller, self._unwatch, self._disposer = poller, unwatch, disposer
        self._table = {}

    def __contains__(self, fd):
        return fd in self._table

    def socket(self, fd):
        return self._table[fd][0]

    def owner(self, sock):
        """The pidfd of the verifier process ``sock`` (one of these channels) serves."""
        return self._table[sock.fileno()][1]

    def add(self, sock, owner):
        """Serve ``sock`` (made by the server, its peer already sent) for the verifier process ``owner``."""
        self._table[sock.fileno()] = (sock, owner)
        self._poller.register(sock, select.POLLIN)

    def close(self, fd, emptied=False):
        """Stop serving channel ``fd``. One ``emptied`` (read to its end: its peer is gone and its queue empty) holds
        nothing whose release could block, and is closed here; else the disposer closes it (its queue may hold
        descriptors in flight)."""
        sock, _ = self._table.pop(fd)
        self._unwatch(fd)
        if emptied:
            sock.close()
        else:
            self._disposer.close([sock.detach()])

    def close_owned(self, owner):
        """Stop serving every channel of the verifier process ``owner`` (it has ended)."""
        for fd in [fd for fd, (_, each_owner) in self._table.items() if each_owner == owner]:
            self.close(fd)

    def forget(self):
        """In a forked child: let go of every channel without closing it (the child's ``arrange`` closes every
        descriptor it does not keep; a socket object freed open warns, and the warning's heap blocks told whether
        another verifier's channel was open when the child was cloned)."""
        for sock, _ in self._table.values():
            sock.detach()

    def open_more(self, sock, reply, wanted):
        """Serve ``wanted`` further channels, made here, for the verifier process ``sock`` serves, each for one of
        its isolated forks alone: their ends go to the request's ``reply`` socket with :data:`STARTED` (fewer, or
        none, past :data:`CHANNELS_PER_VERIFIER` at once). Why: a fork that shared the verifier's own channel could
        end it for the rest of the group (``shutdown``; red-team round 25); a fork's own channel ends with the fork.
        Several per request, because each request is a round trip that every isolated response would otherwise pay.
        The caller disposes of ``reply``."""
        owner = self.owner(sock)
        held = sum(each_owner == owner for _, each_owner in self._table.values())
        count = max(0, min(wanted, CHANNELS_PER_VERIFIER - held))
        answer = reply_socket(reply) if count else None
        if answer is None:
            return
        made = []
        try:
            for _ in range(count):
                made.append(socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET))
        except OSError:
            pass
        for channel, _ in made:
            pass_sender(channel)  # before the fork can send on it
        try:
            socket.send_fds(answer, [STARTED], [theirs.fileno() for _, theirs in made], socket.MSG_DONTWAIT)
            sent = bool(made)
        except OSError:
            sent = False
        answer.close()
        for channel, theirs in made:
            theirs.close()
            if sent:
                self.add(channel, owner)
            else:
                channel.close()
