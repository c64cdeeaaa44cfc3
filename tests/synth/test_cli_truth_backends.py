"""Generator backends tell the truth: a reply's malformed ``usage`` is informational and never ends a run, and a
model written as a local path that does not exist is called missing, under the name its command gives it."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from synth.backends import BackendOptions, create_backend
from synth.backends.base import GenerationRequest, GeneratorSettings
from synth.backends.openai_backend import OpenAIBackend
from task_bank.errors import BackendError
from task_bank.provenance import SamplingSettings
from task_bank.spec import Message

REQ = GenerationRequest(key="g/d0/r0", messages=(Message(role="user", content="hi"),))


@pytest.fixture
def usage_server() -> Iterator[tuple[str, list[object]]]:
    """A chat-completions server answering "ok" with whatever ``usage`` the test appends last."""
    usages: list[object] = [None]

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802 (http.server API)
            self.rfile.read(int(self.headers["Content-Length"]))
            body = ('{"choices": [{"message": {"content": "ok"}}], "usage": ' + str(usages[-1]) + "}").encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1", usages
    httpd.shutdown()
    httpd.server_close()


@pytest.mark.parametrize("usage", ['{"completion_tokens": "12 tokens"}', "[3]", '{"completion_tokens": 1e400}',
                                   '{"completion_tokens": -1000000}', '{"prompt_tokens": true}', '"many"',
                                   '{"completion_tokens": 2.5}', '{"completion_tokens": 100000000000000000000}'])
def test_a_malformed_usage_count_counts_as_zero_and_the_reply_is_kept(usage_server, usage):
    url, usages = usage_server
    usages.append(usage)
    with OpenAIBackend(base_url=url, model="m", sampling=SamplingSettings(), retries=0) as backend:
        [generation] = backend.generate([REQ])
    assert (generation.text, generation.prompt_tokens, generation.completion_tokens) == ("ok", 0, 0)


def test_a_well_formed_usage_count_is_kept_even_as_an_integral_float(usage_server):
    url, usages = usage_server
    usages.append('{"prompt_tokens": 3, "completion_tokens": 12.0}')
    with OpenAIBackend(base_url=url, model="m", sampling=SamplingSettings(), retries=0) as backend:
        [generation] = backend.generate([REQ])
    assert (generation.prompt_tokens, generation.completion_tokens) == (3, 12)


@pytest.mark.parametrize("written", ["{tmp}/no-such-model", "./no-such-model-{name}", "~/no-such-model-{name}"])
def test_a_local_model_path_that_does_not_exist_is_called_missing_not_a_bad_repo_id(tmp_path, written):
    model = written.format(tmp=tmp_path, name=tmp_path.name)
    options = GeneratorSettings(backend="transformers", model=model).options({}, structured=False, role="policy")
    with pytest.raises(BackendError) as caught:
        create_backend("transformers", options)
    message = str(caught.value)
    assert message.startswith(f"cannot load policy '{model}': ") and "does not exist" in message
    assert "Repo id" not in message and "\n" not in message


def test_a_generator_model_that_does_not_exist_is_called_the_model(tmp_path):
    options = BackendOptions(model=str(tmp_path / "gone"), device="cpu")
    with pytest.raises(BackendError, match=rf"^cannot load model '{tmp_path / 'gone'}': .* does not exist"):
        create_backend("transformers", options)
