"""The host side of one session worker: requests to its session supervisor, one at a time, and their replies.

Why a module of its own: :mod:`verifier.sessions` is what a rollout sees (a pool, its sessions and their limits);
this is the wire under it, where a supervisor that dies, stalls, floods or answers for another session becomes a
:class:`~task_bank.errors.SandboxError` (and the worker is closed), so that the session can classify the step as
``error`` once. It also holds the stand-in for a worker that never started (:class:`NoProcess`).
"""

from __future__ import annotations

import json
import os
import select
import threading
import time
from typing import Any

from pydantic import ValidationError

from task_bank.environment_results import StepResult
from task_bank.errors import SandboxError
from verifier.sandbox.process_worker import ProcessWorker

SLACK_S = 5.0
REPLY_CAP = 64 << 20


class SessionWorker:
    """Host side of one session supervisor: one request at a time under a lock; counts its open sessions."""

    def __init__(self, process: ProcessWorker) -> None:
        self.process = process
        self.lock = threading.Lock()
        self.open_sessions = 0
        self._buffer = b""

    def request(self, message: dict[str, Any], budget_s: float) -> StepResult:
        """Send one request and parse its reply; SandboxError (and the worker closed) when the supervisor fails."""
        with self.lock:
            if not self.process.alive():
                raise SandboxError("the session worker is gone")
            deadline = time.monotonic() + budget_s + SLACK_S
            try:
                self.process.channel.send(message, deadline)
                reply = self._receive(deadline)
            except SandboxError:
                self.process.close()
                raise
        if reply.get("sid") != message["sid"]:
            self.process.close()
            raise SandboxError("the session worker answered for another session")
        try:
            return StepResult(outcome=reply.get("outcome"), value=reply.get("value"), score=reply.get("score"),
                              detail=str(reply.get("detail") or "")[:1000], duration_ms=float(reply.get("ms") or 0))
        except (ValidationError, TypeError, ValueError) as exc:
            self.process.close()
            raise SandboxError(f"the session worker sent an invalid reply: {exc}") from exc


    def _receive(self, deadline: float) -> dict[str, Any]:
        """One reply line from the supervisor (at most REPLY_CAP bytes, before ``deadline``), as a JSON object.

        Read here rather than through the sandbox channel's decoder, whose nesting bound suits score replies but
        not tool returns; the supervisor bounds a value's nesting (64) and cleans lone surrogates before replying."""
        fd = self.process.channel.read_fd
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SandboxError("the session worker did not answer in time")
            if not select.select([fd], [], [], left)[0]:
                continue
            try:
                chunk = os.read(fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise SandboxError("the session worker closed its channel (it died)")
            self._buffer += chunk
            if len(self._buffer) > REPLY_CAP:
                raise SandboxError(f"the session worker's reply exceeds {REPLY_CAP} bytes")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            reply = json.loads(line, parse_constant=_reject_constant)
        except (ValueError, RecursionError) as exc:
            raise SandboxError(f"malformed reply from the session worker: {exc}") from exc
        if not isinstance(reply, dict):
            raise SandboxError("malformed reply from the session worker: not a JSON object")
        return reply


def _reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite JSON constant {name}")



class NoProcess:
    """Stands in for a worker that could not start: never alive, so every step of its session is ``dead``."""

    channel = None

    def alive(self) -> bool:
        return False

    def close(self) -> None:
        return None
