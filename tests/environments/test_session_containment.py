"""Adversarial environments: what one session does cannot take down its worker or reach other sessions."""

from __future__ import annotations

from task_bank.environment_results import StepOutcome
from verifier.sessions import SessionLimits, SessionPool

from .conftest import CART

HOSTILE = '''
import os, signal


class Env:
    def reset(self, seed: int) -> str:
        return "ready"

    def kill_supervisor(self) -> str:
        """Signal pid 1 (the session supervisor)."""
        os.kill(1, signal.SIGKILL)
        return "sent"

    def eat_memory(self) -> int:
        """Allocate without end."""
        blocks = []
        while True:
            blocks.append(bytearray(64 << 20))

    def fork_bomb(self) -> int:
        """Fork without end."""
        while True:
            try:
                os.fork()
            except OSError:
                pass

    def score(self, response: str) -> float:
        return 0.0
'''


def still_serves(pool: SessionPool) -> bool:
    with pool.open(CART, 0) as session:
        return session.call("add", {"name": "apple", "qty": 1}).outcome is StepOutcome.OK


def test_a_session_cannot_kill_its_supervisor(sessions):
    with sessions.open(HOSTILE, 0) as session:
        session.call("kill_supervisor", {})
    assert still_serves(sessions)


def test_a_memory_bomb_crashes_only_its_session(sessions):
    with sessions.open(HOSTILE, 0) as session:
        # MemoryError under RLIMIT_AS (raised), or the call limit while the pages are zeroed (timeout)
        assert session.call("eat_memory", {}).outcome in (StepOutcome.RAISED, StepOutcome.TIMEOUT)
    assert still_serves(sessions)


def test_a_fork_bomb_is_killed_by_the_call_limit_and_the_worker_serves_on():
    with SessionPool("bwrap", limits=SessionLimits(call_s=1.0)) as pool:
        with pool.open(HOSTILE, 0) as session:
            assert session.call("fork_bomb", {}).outcome is StepOutcome.TIMEOUT
        assert still_serves(pool)
