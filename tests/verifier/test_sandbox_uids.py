"""Session workers and verifier workers start through the one bwrap start function and draw their uids alike:
even, with uid + 1 left to a worker's responses, so a session never runs under some worker's response uid
(where it could signal that worker's responses, or they it)."""

from __future__ import annotations

import pytest

from verifier import Limits
from verifier.sandbox.bwrap import BwrapBackend
from verifier.session_launch import start_session_worker

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root


def sandbox_uid(worker) -> int:
    with open(f"/proc/{worker.sandbox_pid}/status") as f:
        return int(next(line for line in f if line.startswith("Uid:")).split()[1])


@pytest.mark.parametrize("start", [lambda: start_session_worker("bwrap", Limits()),
                                   lambda: BwrapBackend().start_worker(Limits())], ids=["session", "verifier"])
def test_every_bwrap_worker_runs_under_an_even_uid(start):
    workers = [start() for _ in range(8)]
    try:
        assert [sandbox_uid(w) % 2 for w in workers] == [0] * 8
    finally:
        for worker in workers:
            worker.close()
