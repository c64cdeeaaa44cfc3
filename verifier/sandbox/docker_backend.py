"""The ``docker`` backend: one long-lived container per worker (never one per task), the zygote inside.

The container runs the same zygote program as bwrap, talking over the attached stdin/stdout stream (the zygote
moves the protocol off fds 0/1 at once and points them at /dev/null, so untrusted children never see it). It is
created with no network, a read-only root, ``pids_limit``/``mem_limit``, every capability dropped,
``no-new-privileges``, uid 65534 and a size-capped tmpfs at ``/scratch``; the host kills and removes the container
when the worker closes or stops answering. Needs the ``docker`` package (``pip install envsynth[docker]``) and an
engine that answers; :meth:`DockerBackend.unavailable_reason` says which is missing.
"""

from __future__ import annotations

import json
import select
import socket
import struct
import time
from collections.abc import Sequence
from typing import Any

from task_bank.errors import SandboxError
from task_bank.validation import ScoreResult
from verifier.limits import Limits, RunEnv, worker_hash_seed
from verifier.sandbox.base import Backend, SandboxUnavailableError, Worker
from verifier.sandbox.channel import REPLY_CAP, decode_reply, group_request, parse_results
from verifier.sandbox.process_worker import SLACK_S, STARTUP_TIMEOUT_S
from verifier.sandbox.program import zygote_command

DEFAULT_IMAGE = "python:3.11-slim"


class DockerBackend(Backend):
    """Workers in Docker containers started through the ``docker`` SDK."""

    name = "docker"

    def __init__(self, image: str = DEFAULT_IMAGE) -> None:
        self.image = image

    def _client(self) -> Any:
        try:
            import docker
        except ImportError as exc:
            raise SandboxUnavailableError("the 'docker' package is not installed (pip install 'envsynth[docker]')"
                                          ) from exc
        try:
            client = docker.from_env(timeout=5)
            client.ping()
        except Exception as exc:  # the SDK raises several unrelated types when no engine answers
            raise SandboxUnavailableError(f"no Docker engine answers ({type(exc).__name__}: {exc}); "
                                          "start one or use backend 'bwrap'") from exc
        return client

    def unavailable_reason(self) -> str | None:
        try:
            self._client().close()
        except SandboxUnavailableError as exc:
            return str(exc)
        return None

    def start_worker(self, limits: Limits, hash_seed: int | None = None) -> Worker:
        client = self._client()
        config = {"in": 0, "out": 1, "uid": None, "scratch": "/scratch", "site": [], "nproc": True,
                  "response_uid": None, "limits": limits.model_dump(mode="json")}
        memory = f"{limits.memory_mb + limits.scratch_mb + 96}m"
        container = client.containers.create(
            self.image, command=zygote_command("python", config),
            stdin_open=True, tty=False, network_mode="none", read_only=True, pids_limit=limits.max_processes,
            mem_limit=memory, memswap_limit=memory, cap_drop=["ALL"], security_opt=["no-new-privileges"],
            user="65534:65534", tmpfs={"/scratch": f"size={limits.scratch_mb}m,mode=1777"},
            environment={"PYTHONHASHSEED": str(worker_hash_seed(hash_seed))}, working_dir="/scratch")
        stream = container.attach_socket(params={"stdin": 1, "stdout": 1, "stream": 1})
        container.start()
        worker = DockerWorker(container, stream._sock, limits)
        try:
            hello = worker.receive(time.monotonic() + STARTUP_TIMEOUT_S)
        except (OSError, SandboxError) as exc:
            worker.close()
            raise SandboxError(f"docker sandbox worker failed to start: {exc}") from exc
        if hello.get("ready") is not True:
            worker.close()
            raise SandboxError("docker sandbox worker failed to start: unexpected greeting")
        return worker


class DockerWorker(Worker):
    """Host side of one container: writes requests to its stdin, demultiplexes replies from its stdout."""

    def __init__(self, container: Any, sock: socket.socket, limits: Limits) -> None:
        self.container = container
        self.sock = sock
        self.limits = limits
        self._raw = b""
        self._lines = b""
        self._closed = False

    def score_group(self, source: str, responses: Sequence[str], run_env: RunEnv) -> list[ScoreResult]:
        deadline = time.monotonic() + (2 * len(responses) + 1) * (self.limits.wall_s + 0.5) + SLACK_S
        request = group_request(source, responses, self.limits, run_env)
        try:
            self.sock.sendall((json.dumps(request) + "\n").encode())
            return parse_results(self.receive(deadline), len(responses))
        except (OSError, SandboxError) as exc:
            self.close()
            raise SandboxError(f"docker sandbox worker failed: {exc}") from exc

    def receive(self, deadline: float) -> dict[str, Any]:
        """One JSON line from the container's stdout stream (8-byte Docker frame headers removed)."""
        while b"\n" not in self._lines:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise SandboxError("the docker sandbox worker did not answer in time")
            if not select.select([self.sock], [], [], remaining)[0]:
                continue
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise SandboxError("the docker sandbox worker closed its stream (it died)")
            self._raw += chunk
            while len(self._raw) >= 8:
                stream_type, size = struct.unpack(">BxxxL", self._raw[:8])
                if len(self._raw) < 8 + size:
                    break
                if stream_type == 1:
                    self._lines += self._raw[8:8 + size]
                self._raw = self._raw[8 + size:]
            if len(self._lines) > REPLY_CAP:
                raise SandboxError("the docker sandbox worker's reply is too large")
        line, self._lines = self._lines.split(b"\n", 1)
        return decode_reply(line, "docker sandbox worker")

    def alive(self) -> bool:
        return not self._closed

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.sock.close()
        finally:
            try:
                self.container.remove(force=True)
            except Exception:  # the engine may already have removed it; nothing else to release
                pass

