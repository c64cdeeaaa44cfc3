"""The openai backend: any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, SGLang, llama.cpp, ...).

Requests go out over httpx, up to ``batch_size`` at once. With ``structured`` the request carries
``response_format = {"type": "json_schema", ...}``; a server that answers HTTP 400 naming ``response_format``
is retried once without it, and structured output stays off for the rest of the run.

Failure policy (every one a :class:`task_bank.errors.BackendError` whose message says what to check):
connection refused / DNS failure and timeouts are retried ``retries`` times with exponential backoff, then fail;
HTTP 5xx and 429 are retried likewise; other HTTP errors fail at once; a body that is not JSON or lacks
``choices[0].message`` fails at once (a misbehaving server is not a bad draft).
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from synth.backends.base import BackendOptions, Generation, GenerationRequest, GeneratorBackend
from task_bank.errors import BackendError, ConfigError
from task_bank.provenance import SamplingSettings

_RETRY_STATUS = {429, 500, 502, 503, 504}


class OpenAIBackend(GeneratorBackend):
    """Chat completions against ``base_url`` (which ends in ``/v1``)."""

    name = "openai"

    def __init__(self, *, base_url: str, model: str, sampling: SamplingSettings, api_key: str | None = None,
                 timeout_s: float = 60.0, retries: int = 2, structured: bool = True, batch_size: int = 8,
                 backoff_s: float = 0.5) -> None:
        super().__init__(model=model, sampling=sampling, batch_size=batch_size)
        self.base_url = base_url.rstrip("/")
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_s = backoff_s
        self._structured = structured
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(base_url=self.base_url, headers=headers, timeout=timeout_s)

    @classmethod
    def from_options(cls, options: BackendOptions) -> "OpenAIBackend":
        if not options.model:
            raise ConfigError("the openai backend needs the served model name: pass --model NAME", field="model")
        return cls(base_url=options.base_url, model=options.model, sampling=options.sampling,
                   api_key=options.api_key, timeout_s=options.timeout_s, retries=options.retries,
                   structured=options.structured, batch_size=options.batch_size)

    def close(self) -> None:
        self._client.close()

    def _body(self, request: GenerationRequest, structured: bool) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.model, "messages": [m.model_dump() for m in request.messages],
            "temperature": self.sampling.temperature, "top_p": self.sampling.top_p,
            "max_tokens": self.sampling.max_new_tokens,
        }
        seed = request.seed if request.seed is not None else self.sampling.seed
        if seed is not None:
            body["seed"] = seed
        if structured and request.json_schema is not None:
            body["response_format"] = {"type": "json_schema",
                                       "json_schema": {"name": "task_draft", "schema": request.json_schema}}
        return body

    def _post(self, body: dict[str, Any]) -> httpx.Response:
        """POST with retries on connection errors, timeouts, 429 and 5xx."""
        url = f"{self.base_url}/chat/completions"
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                response = self._client.post("/chat/completions", json=body)
            except httpx.TimeoutException:
                if last:
                    raise BackendError(f"{url} did not answer within {self.timeout_s:g}s "
                                       f"({self.retries + 1} attempts); raise --timeout or check the server") from None
            except httpx.TransportError as exc:
                if last:
                    raise BackendError(f"cannot reach {url}: {exc}; start the server or fix --base-url") from None
            else:
                if response.status_code not in _RETRY_STATUS or last:
                    return response
            time.sleep(self.backoff_s * 2 ** attempt)
        raise BackendError(f"{url}: no attempt was made (retries={self.retries})")

    def _one(self, request: GenerationRequest) -> Generation:
        structured = self._structured
        response = self._post(self._body(request, structured))
        if response.status_code == 400 and structured and "response_format" in response.text:
            self._structured = False
            response = self._post(self._body(request, False))
        if response.status_code != 200:
            hint = "; check the API key" if response.status_code in (401, 403) else ""
            raise BackendError(f"{self.base_url}/chat/completions answered HTTP {response.status_code}: "
                               f"{response.text[:200]!r}{hint}")
        try:
            payload = response.json()
            message = payload["choices"][0]["message"]
            text = message.get("content")
            usage = payload.get("usage") or {}
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
            raise BackendError(f"{self.base_url}/chat/completions returned a malformed reply "
                               f"(expected JSON with choices[0].message): {response.text[:200]!r}") from None
        if not isinstance(text, str):
            return Generation(key=request.key, text=None, error="the server returned no message content")
        return Generation(key=request.key, text=text, prompt_tokens=int(usage.get("prompt_tokens") or 0),
                          completion_tokens=int(usage.get("completion_tokens") or 0))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        if len(requests) <= 1:
            return [self._one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.batch_size, len(requests))) as pool:
            return list(pool.map(self._one, requests))
