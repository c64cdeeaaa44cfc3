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


MARKER = "ZQX-SECRET-7f3a9c-" * 4
KEY = 0x5A
SECRET_HOLDER = (f"# {MARKER}\nclass Env:\n    def reset(self, seed: int) -> str:\n        return ''\n\n"
                 f"    def score(self, response: str) -> float:\n        return 0.0\n")
MEMORY_READER = f'''
import ctypes

TABLE = bytes(b ^ {KEY} for b in range(256))


class Env:
    def reset(self, seed: int) -> str:
        return ""

    def leaked(self) -> bool:
        """Whether the marker is anywhere in this process's private memory (searched XOR-ed, so the search
        itself never writes the marker)."""
        needle = bytes.fromhex("{bytes(b ^ KEY for b in MARKER.encode()).hex()}")
        with open("/proc/self/maps") as f:
            regions = [line.split() for line in f]
        for fields in regions:
            start, end = (int(x, 16) for x in fields[0].split("-"))
            if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith(("/", "[v"))):
                continue
            try:
                data = ctypes.string_at(start, end - start)
            except Exception:
                continue
            if data.translate(TABLE).find(needle) >= 0:
                return True
        return False

    def score(self, response: str) -> float:
        return 0.0
'''


def test_a_session_cannot_read_earlier_sessions_requests_from_its_memory():
    with SessionPool("bwrap") as pool:
        for _ in range(3):
            with pool.open(SECRET_HOLDER, 0):
                pass
        with pool.open(MEMORY_READER, 0) as reader:
            assert reader.call("leaked", {}).value is False
