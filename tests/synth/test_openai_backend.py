"""The openai backend against a real OpenAI-compatible HTTP server on 127.0.0.1, good and misbehaving."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synth.backends import BackendOptions, create_backend
from synth.backends.base import GenerationRequest
from synth.backends.openai_backend import OpenAIBackend
from task_bank.errors import BackendError
from task_bank.provenance import SamplingSettings
from task_bank.spec import Message

REQ = GenerationRequest(key="g/d0/r0", messages=(Message(role="user", content="hi"),),
                        json_schema={"type": "object"})


class _Server:
    """A chat-completions server whose behaviour a test picks through ``mode``."""

    def __init__(self) -> None:
        self.mode = "ok"
        self.bodies: list[dict] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server API)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.bodies.append(body)
                server.handle(self, body)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def handle(self, h: BaseHTTPRequestHandler, body: dict) -> None:
        if h.path != "/v1/chat/completions":
            return self._send(h, 404, b"{}")
        if self.mode == "error":
            return self._send(h, 500, b'{"error": "boom"}')
        if self.mode == "unauthorized":
            return self._send(h, 401, b'{"error": "bad key"}')
        if self.mode == "timeout":
            time.sleep(1.0)
        if self.mode == "malformed":
            return self._send(h, 200, b"<html>not json")
        if self.mode == "no_choices":
            return self._send(h, 200, b'{"id": "x"}')
        if self.mode == "no_structured" and "response_format" in body:
            return self._send(h, 400, b'{"error": "response_format is not supported"}')
        user = body["messages"][-1]["content"]
        reply = {"choices": [{"message": {"role": "assistant", "content": f"echo:{user}"}}],
                 "usage": {"prompt_tokens": 3, "completion_tokens": 2}}
        self._send(h, 200, json.dumps(reply).encode())

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, payload: bytes) -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(payload)))
            h.end_headers()
            h.wfile.write(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server() -> Iterator[_Server]:
    s = _Server()
    yield s
    s.close()


def _backend(url: str, **kw: object) -> OpenAIBackend:
    options = {"base_url": url, "model": "m", "sampling": SamplingSettings(seed=7), "timeout_s": 0.3,
               "retries": 1, "backoff_s": 0.01, **kw}
    return OpenAIBackend(**options)  # type: ignore[arg-type]


def test_batch_generates_in_order_with_schema_seed_and_token_counts(server: _Server) -> None:
    reqs = [REQ.model_copy(update={"key": f"k{i}", "messages": (Message(role="user", content=str(i)),)})
            for i in range(5)]
    with _backend(server.url) as backend:
        gens = backend.generate(reqs)
    assert [g.text for g in gens] == [f"echo:{i}" for i in range(5)]
    assert [g.key for g in gens] == [f"k{i}" for i in range(5)]
    assert gens[0].completion_tokens == 2
    body = server.bodies[0]
    assert body["response_format"]["type"] == "json_schema" and body["seed"] == 7 and body["model"] == "m"


def test_server_without_structured_outputs_falls_back_once(server: _Server) -> None:
    server.mode = "no_structured"
    with _backend(server.url) as backend:
        assert backend.generate([REQ])[0].text == "echo:hi"
        assert backend.generate([REQ])[0].text == "echo:hi"
    assert ["response_format" in b for b in server.bodies] == [True, False, False]


def test_http_error_is_retried_then_backend_error(server: _Server) -> None:
    server.mode = "error"
    with _backend(server.url) as backend, pytest.raises(BackendError, match="HTTP 500"):
        backend.generate([REQ])
    assert len(server.bodies) == 2


def test_unauthorized_fails_at_once_with_a_hint(server: _Server) -> None:
    server.mode = "unauthorized"
    with _backend(server.url) as backend, pytest.raises(BackendError, match="HTTP 401.*check the API key"):
        backend.generate([REQ])
    assert len(server.bodies) == 1


def test_timeout_is_backend_error(server: _Server) -> None:
    server.mode = "timeout"
    with _backend(server.url) as backend, pytest.raises(BackendError, match="did not answer within 0.3s"):
        backend.generate([REQ])


@pytest.mark.parametrize("mode", ["malformed", "no_choices"])
def test_malformed_reply_is_backend_error(server: _Server, mode: str) -> None:
    server.mode = mode
    with _backend(server.url) as backend, pytest.raises(BackendError, match="malformed reply"):
        backend.generate([REQ])


def test_unreachable_server_is_backend_error() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    backend = create_backend("openai", BackendOptions(model="m", base_url=f"http://127.0.0.1:{port}/v1",
                                                      retries=0, timeout_s=1))
    with backend, pytest.raises(BackendError, match="cannot reach"):
        backend.generate([REQ])
