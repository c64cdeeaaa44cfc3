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
import ctypes, os

TABLE = bytes(b ^ {KEY} for b in range(256))
PAGE, REACH = 4096, 64 << 20
libc = ctypes.CDLL(None, use_errno=True)
libc.sbrk.restype = ctypes.c_void_p
libc.write.argtypes = (ctypes.c_int, ctypes.c_void_p, ctypes.c_size_t)


def readable(pipe, page):  # write() from an unmapped page answers EFAULT instead of crashing
    if libc.write(pipe[1], page, PAGE) != PAGE:
        return False
    os.read(pipe[0], PAGE)
    return True


def around(pipe, seed):
    """The run of readable pages around ``seed`` (a session has no /proc/self/maps to list them)."""
    start = end = seed - seed % PAGE
    while start > PAGE and seed - start < REACH and readable(pipe, start - PAGE):
        start -= PAGE
    while end - seed < REACH and readable(pipe, end):
        end += PAGE
    return start, end


class Env:
    def reset(self, seed: int) -> str:
        return ""

    def leaked(self, plant: str = "") -> bool:
        """Whether the marker is in this process's heap (searched XOR-ed, so the search itself never writes the
        marker; ``plant`` puts it there, for the scanner's own check)."""
        needle = bytes.fromhex("{bytes(b ^ KEY for b in MARKER.encode()).hex()}")
        pipe = os.pipe()
        seeds = [libc.sbrk(0) - 1, id(object()), id([]), id(plant), id(bytearray(1 << 20))]
        for start, end in {{around(pipe, seed) for seed in seeds}}:
            if start < end and ctypes.string_at(start, end - start).translate(TABLE).find(needle) >= 0:
                return True
        return False

    def score(self, response: str) -> float:
        return 0.0
'''


def test_the_memory_reader_finds_what_its_own_session_holds(sessions):
    with sessions.open(MEMORY_READER, 0) as reader:
        assert reader.call("leaked", {"plant": MARKER}).value is True


def test_a_session_cannot_read_earlier_sessions_requests_from_its_memory():
    with SessionPool("bwrap") as pool:
        for _ in range(3):
            with pool.open(SECRET_HOLDER, 0):
                pass
        with pool.open(MEMORY_READER, 0) as reader:
            assert reader.call("leaked", {}).value is False


NEIGHBOUR = '''
import os, signal, time


class Env:
    def reset(self, seed: int) -> str:
        with open("notes.txt", "w") as f:
            f.write("NEIGHBOUR-PRIVATE-" + str(seed))
        return ""

    def kill_everyone(self) -> int:
        """SIGKILL every pid it can name, listed in /proc or not; how many it reached."""
        listed = {int(name) for name in os.listdir("/proc") if name.isdigit()} if os.path.isdir("/proc") else set()
        reached = 0
        for pid in sorted(listed | set(range(1, 512))):
            if pid != os.getpid():
                try:
                    os.kill(pid, signal.SIGKILL)
                    reached += 1
                except OSError:
                    pass
        return reached

    def find_notes(self) -> list:
        """Every file under the scratch root (and its own directory) that holds another session's notes."""
        found = []
        for top in {"/scratch", "/tmp/", os.getcwd()}:
            for root, _, files in os.walk(top):
                for name in files:
                    try:
                        with open(os.path.join(root, name)) as f:
                            if "NEIGHBOUR-PRIVATE-1" in f.read():
                                found.append(os.path.join(root, name))
                    except OSError:
                        pass
        return found

    def worker_age_s(self) -> float:
        """How long ago the sandbox's own root directory and /dev were changed: the worker's age, if never touched."""
        return time.time() - max(os.stat("/").st_ctime, os.stat("/dev").st_ctime)

    def terminals(self) -> list:
        return sorted(os.listdir("/dev/pts"))

    def score(self, response: str) -> float:
        return 0.0
'''


def test_a_session_cannot_kill_another_session_of_its_worker(sessions):
    with sessions.open(CART, 0) as victim, sessions.open(NEIGHBOUR, 0) as hostile:
        assert victim.call("add", {"name": "apple", "qty": 1}).outcome is StepOutcome.OK
        hostile.call("kill_everyone", {})
        assert victim.call("add", {"name": "apple", "qty": 1}).outcome is StepOutcome.OK
        assert victim.score(str(2 * __import__("random").Random(0).randrange(1, 9))).score == 1.0


def test_a_session_sees_no_process_of_its_worker(sessions):
    with sessions.open(CART, 0), sessions.open(NEIGHBOUR, 0) as hostile:
        assert hostile.call("kill_everyone", {}).value == 0


def test_a_session_cannot_read_another_sessions_files(sessions):
    with sessions.open(NEIGHBOUR, 1), sessions.open(NEIGHBOUR, 2) as reader:
        assert reader.call("find_notes", {}).value == []


def test_a_session_cannot_tell_how_old_its_worker_is():
    with SessionPool("bwrap") as pool:
        with pool.open(CART, 0):
            pass
        __import__("time").sleep(3)
        with pool.open(NEIGHBOUR, 0) as session:
            assert session.call("worker_age_s", {}).value < 2


def test_a_session_sees_no_pseudo_terminal(sessions):
    with sessions.open(NEIGHBOUR, 0) as session:
        assert session.call("terminals", {}).value == []
