"""Closing a session ends that session's processes, and never a process that took its number.

A session that is pid 1 of a pid namespace of its own is killed through a pidfd the spawner made with the clone
(``CLONE_PIDFD``), not by its pid: if it died while idle and the worker's pid counter gave its number to another
session, a kill by number (or a listing of its session's members) would reach that one.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time

from verifier.session_process import Session, session_members


def _dead_pidfd() -> int:
    """A pidfd of a process that has exited and been reaped."""
    child = subprocess.Popen(["true"])
    pidfd = os.pidfd_open(child.pid)
    child.wait()
    return pidfd


def _closed_session(pid: int, pidfd: int | None, tmp_path) -> Session:
    session = Session.__new__(Session)
    session.pid, session.pidfd, session.killed = pid, pidfd, False
    session.cmd_w, session.res_r = os.pipe()
    session.workdir = str(tmp_path / "session")
    return session


def test_a_session_known_by_its_pidfd_is_never_killed_by_the_number_another_process_now_holds(tmp_path):
    bystander = subprocess.Popen(["sleep", "30"], start_new_session=True)  # a group and session leader, as a
    try:                                                                    # session's process is
        session = _closed_session(bystander.pid, _dead_pidfd(), tmp_path)  # its number, reused by the bystander
        session.kill(str(tmp_path))
        time.sleep(0.05)
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_a_session_known_by_its_pidfd_is_killed_through_it(tmp_path):
    target = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        session = _closed_session(target.pid, os.pidfd_open(target.pid), tmp_path)
        session.kill(str(tmp_path))
        assert target.wait(timeout=5) == -signal.SIGKILL
    finally:
        target.kill()
        target.wait()


def test_a_session_without_a_pidfd_is_killed_with_every_process_of_its_session(tmp_path):
    leader = subprocess.Popen(["sh", "-c", "sleep 30 & sleep 30 & wait"], start_new_session=True)
    try:
        time.sleep(0.2)  # its two children started
        assert len(session_members(leader.pid)) == 3
        session = _closed_session(leader.pid, None, tmp_path)
        session.kill(str(tmp_path))
        assert session_members(leader.pid) == []
    finally:
        leader.kill()
        try:
            leader.wait(timeout=5)
        except ChildProcessError:  # reaped by the kill (the supervisor reaps its orphans)
            pass


DAEMON = '''
import ctypes, os, time


class Env:
    def reset(self, seed: int) -> str:
        return "ready"

    def daemon(self) -> str:
        """Leave a process behind that has left this session's process group and session."""
        if os.fork() == 0:
            os.setsid()
            if os.fork() == 0:
                ctypes.CDLL(None).prctl(15, b"envsynth-daemon", 0, 0, 0)  # PR_SET_NAME: the host can find it
                while True:
                    time.sleep(1)
            os._exit(0)
        return "left"

    def score(self, response: str) -> float:
        return 0.0
'''


def _daemons() -> int:
    found = 0
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/comm") as comm:
                found += comm.read().strip() == "envsynth-daemon"
        except OSError:
            pass
    return found


def test_closing_a_session_ends_a_daemon_that_left_its_group_and_session(sessions):
    with sessions.open(DAEMON, 0) as session:
        assert session.call("daemon", {}).value == "left"
        deadline = time.monotonic() + 5
        while not _daemons() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _daemons() == 1
    deadline = time.monotonic() + 5
    while _daemons() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _daemons() == 0
