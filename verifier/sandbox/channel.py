"""The host's end of the private pipes to a worker's zygote: JSON lines, bounded in time and size.

Why strict: the zygote shares a sandbox with untrusted code, so the host believes nothing it cannot parse into
:class:`task_bank.validation.ScoreResult` records (NaN and infinities are refused by the JSON reader, pydantic
refuses scores outside [0, 1] and a score on anything but ``scored``). Replies are parsed by
:mod:`verifier.sandbox.zygote.plainjson` (nesting and numbers bounded, no recursion), and every detail text has its
lone surrogates escaped, so that no byte a verifier wrote can break a JSON or UTF-8 writer downstream. A late,
oversized or malformed reply is an infrastructure failure (:class:`SandboxError`), which the pool answers by
replacing the worker.
"""

from __future__ import annotations

import json
import os
import select
import time
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from task_bank.errors import SandboxError
from task_bank.validation import ScoreResult
from verifier.limits import Limits, RunEnv
from verifier.sandbox.zygote.plainjson import UnsafeJSON, clean_text, loads

REPLY_CAP = 64 << 20
REPLY_DEPTH = 4


def reject_constant(name: str) -> Any:
    raise ValueError(f"non-finite JSON constant {name}")


def decode_reply(line: bytes, who: str = "sandbox worker") -> dict[str, Any]:
    """One reply line as a JSON object; anything else is a SandboxError naming ``who`` sent it."""
    try:
        message = loads(line, max_depth=REPLY_DEPTH, max_digits=40)
    except UnsafeJSON as exc:
        raise SandboxError(f"malformed reply from the {who}: {exc}") from exc
    if not isinstance(message, dict):
        raise SandboxError(f"malformed reply from the {who}: not a JSON object")
    return message


class Channel:
    """Request/reply over two pipe ends owned by the host."""

    def __init__(self, write_fd: int, read_fd: int) -> None:
        self.write_fd = write_fd
        self.read_fd = read_fd
        os.set_blocking(write_fd, False)
        os.set_blocking(read_fd, False)
        self._buffer = b""

    def send(self, message: dict[str, Any], deadline: float) -> None:
        """Write one JSON line, giving up at ``deadline`` (time.monotonic)."""
        data = (json.dumps(message) + "\n").encode()
        while data:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxError("the sandbox worker stopped reading requests (write timed out)")
            _, writable, _ = select.select([], [self.write_fd], [], remaining)
            if writable:
                try:
                    data = data[os.write(self.write_fd, data):]
                except BrokenPipeError as exc:
                    raise SandboxError("the sandbox worker is gone (broken pipe)") from exc

    def receive(self, deadline: float) -> dict[str, Any]:
        """Read one JSON object line, at most :data:`REPLY_CAP` bytes, before ``deadline``."""
        while b"\n" not in self._buffer:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxError("the sandbox worker did not answer in time")
            readable, _, _ = select.select([self.read_fd], [], [], remaining)
            if not readable:
                continue
            try:
                chunk = os.read(self.read_fd, 1 << 20)
            except BlockingIOError:
                continue
            if not chunk:
                raise SandboxError("the sandbox worker closed its channel (it died)")
            self._buffer += chunk
            if len(self._buffer) > REPLY_CAP:
                raise SandboxError(f"the sandbox worker's reply exceeds {REPLY_CAP} bytes")
        line, self._buffer = self._buffer.split(b"\n", 1)
        return decode_reply(line)

    def close(self) -> None:
        for fd in (self.write_fd, self.read_fd):
            try:
                os.close(fd)
            except OSError:
                continue


def group_request(source: str, responses: Sequence[str], limits: Limits, run_env: RunEnv) -> dict[str, Any]:
    """The request a zygote scores one group from (``supervisor``): the verifier's source, the responses, the
    limits, the environment its processes see, and whether to return each response's recorded requests
    (``RunEnv.record_requests``; the zygote keeps that from the verifier process)."""
    return {"source": source, "responses": list(responses), "limits": limits.model_dump(),
            "env": {"clock_offset_s": run_env.clock_offset_s, "rng_seed": run_env.rng_seed,
                    "pid_offset": run_env.pid_offset},
            "record": run_env.record_requests}


def parse_results(message: dict[str, Any], expected: int) -> list[ScoreResult]:
    """Validate a zygote reply into exactly ``expected`` results, or raise SandboxError."""
    raw = message.get("results")
    if not isinstance(raw, list) or len(raw) != expected:
        raise SandboxError(f"the sandbox worker replied with a malformed result list (expected {expected} results)")
    try:
        return [ScoreResult.model_validate({**item, "detail": clean_text(item.get("detail", ""), 1000)})
                if isinstance(item, dict) else ScoreResult.model_validate(item) for item in raw]
    except ValidationError as exc:
        raise SandboxError(f"the sandbox worker sent an invalid result: {exc.errors()[0]['msg']}") from exc
