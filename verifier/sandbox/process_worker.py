"""A worker that is one local process tree running the zygote (bwrap and unsafe-local share it).

The host keeps three handles on the tree: the launched process, the two private pipes to the zygote, and (where
available) the worker's cgroup. Timeouts are enforced twice: the zygote kills a child that overruns ``wall_s``, and
the host, if the zygote itself does not answer within the group's whole budget plus slack, kills the entire tree
from outside (SIGKILL to the launcher, whose death takes the sandbox's pid namespace down, then every pid left
in the cgroup) and reports a SandboxError so that the pool replaces the worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable, Sequence

from task_bank.errors import SandboxError
from task_bank.validation import ScoreResult
from verifier.limits import Limits, RunEnv
from verifier.sandbox.base import Worker
from verifier.sandbox.cgroup import Cgroup
from verifier.sandbox.channel import Channel, group_request, parse_results

STARTUP_TIMEOUT_S = 20.0
SLACK_S = 5.0


class ProcessWorker(Worker):
    """Host side of one zygote started as a local process (inside bwrap, or bare)."""

    def __init__(self, proc: subprocess.Popen[bytes], channel: Channel, limits: Limits,
                 cgroup: Cgroup | None = None, on_close: Callable[[], None] | None = None) -> None:
        self.proc = proc
        self.channel = channel
        self.limits = limits
        self.cgroup = cgroup
        self._on_close = on_close
        self._closed = False
        self.sandbox_pid: int | None = None

    def wait_ready(self) -> None:
        """Block until the zygote says it is ready; SandboxError with the launcher's stderr if it never does."""
        try:
            hello = self.channel.receive(time.monotonic() + STARTUP_TIMEOUT_S)
        except SandboxError as exc:
            detail = self._stderr_tail()
            self.close()
            raise SandboxError(f"sandbox worker failed to start: {exc}" + (f"; {detail}" if detail else "")) from exc
        if hello.get("ready") is not True:
            self.close()
            raise SandboxError("sandbox worker failed to start: unexpected greeting")

    def score_group(self, source: str, responses: Sequence[str], run_env: RunEnv) -> list[ScoreResult]:
        if self._closed:
            raise SandboxError("this sandbox worker was closed")
        # Each response may cost a verifier load and a call (a crash restarts the child), plus slack for start-up.
        budget = (2 * len(responses) + 1) * (self.limits.wall_s + 0.5) + SLACK_S
        deadline = time.monotonic() + budget
        request = group_request(source, responses, self.limits, run_env)
        try:
            if self.cgroup is not None:
                self.cgroup.pin()  # one CPU while this group is scored (``cpu_pinning``)
            self.channel.send(request, deadline)
            return parse_results(self.channel.receive(deadline), len(responses))
        except OSError as exc:  # the cpuset refused: never a worker left unlike the others
            self.close()
            raise SandboxError(f"cannot set this worker's CPU: {exc}") from exc
        except SandboxError:
            self.close()
            raise
        finally:  # whatever ended the group (an interrupt too): an idle worker holds no CPU, or it would count
            if self.cgroup is not None and not self._closed:
                self._unpin()

    def _unpin(self) -> None:
        try:
            self.cgroup.unpin()
        except OSError:  # the cpuset is gone (the worker is being closed by another thread)
            pass

    def alive(self) -> bool:
        return not self._closed and self.proc.poll() is None

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        stragglers = descendants(self.proc.pid)
        if self.sandbox_pid is not None:
            # Kill the sandbox's first process so that the launcher reaps it (a zombie left to the host's init
            # would keep the cgroup busy), then let the launcher exit on its own.
            _kill(self.sandbox_pid, signal.SIGKILL)
            _kill(self.proc.pid, signal.SIGCONT)
            try:
                self.proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        _kill(self.proc.pid, signal.SIGKILL)
        for pid in stragglers:
            _kill(pid, signal.SIGKILL)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass
        if self.cgroup is not None:
            self.cgroup.remove()
        self.channel.close()
        if self.proc.stderr is not None:
            self.proc.stderr.close()
        if self._on_close is not None:
            self._on_close()

    def _stderr_tail(self) -> str:
        if self.proc.stderr is None:
            return ""
        os.set_blocking(self.proc.stderr.fileno(), False)
        try:
            data = self.proc.stderr.read(4096) or b""
        except OSError:
            data = b""
        return data.decode("utf-8", "replace").strip()[-500:]


def descendants(pid: int) -> list[int]:
    """Every live descendant of ``pid``, read from /proc (children lists of each thread)."""
    found: list[int] = []
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            tasks = os.listdir(f"/proc/{current}/task")
        except OSError:
            continue
        for tid in tasks:
            try:
                with open(f"/proc/{current}/task/{tid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                continue
            found.extend(kids)
            pending.extend(kids)
    return found


def _kill(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass
