"""When the fork server cannot start a verifier process, the group's responses are ``error`` (the worker's trouble,
never the response's), and the zygote ends after replying so that the pool starts a fresh worker. Drives the real
``serve_group`` against a fork-server channel whose far end is gone; no sandbox."""

from __future__ import annotations

import socket

from verifier.sandbox.zygote.run import SpawnError
from verifier.sandbox.zygote.supervisor import serve_group

LIMITS = {"wall_s": 5.0, "cpu_s": 5.0, "output_kb": 64, "isolate_responses": False}


def serve_without_a_fork_server(tmp_path):
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    theirs.close()  # the fork server is gone
    request = {"source": "def verify(r):\n    return 1.0\n", "limits": LIMITS, "env": {}, "responses": ["a", "b"]}
    try:
        return serve_group({"scratch": str(tmp_path)}, request, None, (ours, 0))
    finally:
        ours.close()


def test_every_response_is_an_infrastructure_error_when_no_verifier_process_starts(tmp_path):
    results, _, _ = serve_without_a_fork_server(tmp_path)
    assert [r["outcome"] for r in results] == ["error", "error"]
    assert all(r["score"] is None for r in results)


def test_the_zygote_is_told_to_end_the_worker(tmp_path):
    _, last, trouble = serve_without_a_fork_server(tmp_path)
    assert last is None and isinstance(trouble, SpawnError)
