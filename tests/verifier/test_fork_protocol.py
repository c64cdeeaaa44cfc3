"""The fork server's command protocol: a command names the process that sent it, so that nothing starts for a sender
that has ended (red-team round 24). Plain sockets and forks, no sandbox."""

from __future__ import annotations

import os
import select
import socket

import pytest

from verifier.sandbox.zygote.fork_protocol import MESSAGE, RESPONSE, pass_sender, receive


@pytest.fixture
def channel():
    server_end, verifier_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    if not pass_sender(server_end):
        pytest.skip("this kernel names no sender (SO_PASSPIDFD needs Linux 6.5)")
    yield server_end, verifier_end
    server_end.close()
    verifier_end.close()


def ended(pidfd: int) -> bool:
    return bool(select.select([pidfd], [], [], 0)[0])


def send_command(sock: socket.socket) -> None:
    reply, peer = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with reply, peer:
        socket.send_fds(sock, [MESSAGE.pack(RESPONSE, 1000)], [reply.fileno()])


def test_a_command_names_its_live_sender(channel):
    server_end, verifier_end = channel
    send_command(verifier_end)
    kind, timeout_ms, fds, sender = receive(server_end)
    try:
        assert (kind, timeout_ms, len(fds)) == (RESPONSE, 1000, 1)
        assert sender is not None and not ended(sender)
    finally:
        for fd in fds + [sender]:
            os.close(fd)


def test_a_command_whose_sender_has_ended_names_an_ended_sender(channel):
    server_end, verifier_end = channel
    pid = os.fork()
    if pid == 0:
        send_command(verifier_end)
        os._exit(0)
    os.waitpid(pid, 0)  # gone and reaped before the server reads its command
    _, _, fds, sender = receive(server_end)
    try:
        assert sender is not None and ended(sender)
    finally:
        for fd in fds + [sender]:
            os.close(fd)


def test_an_unprepared_socket_names_no_sender():
    server_end, verifier_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with server_end, verifier_end:
        send_command(verifier_end)
        kind, _, fds, sender = receive(server_end)
        for fd in fds:
            os.close(fd)
    assert (kind, sender) == (RESPONSE, None)


def test_end_of_file_is_no_command_and_leaves_no_descriptor(channel):
    server_end, verifier_end = channel
    verifier_end.close()
    before = set(os.listdir("/proc/self/fd"))
    assert receive(server_end) == (None, 0, [], None)
    assert set(os.listdir("/proc/self/fd")) <= before


def test_a_malformed_command_keeps_its_descriptors_for_disposal(channel):
    server_end, verifier_end = channel
    socket.send_fds(verifier_end, [b"xx"], [0])
    kind, _, fds, sender = receive(server_end)
    try:
        assert kind == b"?" and len(fds) == 1
    finally:
        for fd in fds + ([] if sender is None else [sender]):
            os.close(fd)


def test_an_empty_message_is_not_end_of_file(channel):
    """Red-team round 25: an empty message read as end of file, and the server closed the verifier's channel."""
    server_end, verifier_end = channel
    verifier_end.send(b"")
    kind, _, fds, sender = receive(server_end)
    try:
        assert kind == b"?" and fds == []
    finally:
        if sender is not None and sender >= 0:
            os.close(sender)


def test_an_empty_message_is_not_end_of_file_where_no_sender_is_named():
    server_end, verifier_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    with server_end, verifier_end:
        verifier_end.send(b"")
        assert receive(server_end)[0] == b"?"
        verifier_end.shutdown(socket.SHUT_WR)
        assert receive(server_end) == (None, 0, [], None)
