"""The openai backend: any OpenAI-compatible ``/v1/chat/completions`` endpoint (vLLM, SGLang, llama.cpp, ...).

Requests go out over httpx, up to ``batch_size`` at once. With ``structured`` the request carries
``response_format = {"type": "json_schema", ...}``; a server that answers HTTP 400 naming ``response_format``
is retried once without it, and structured output stays off for the rest of the run.

Failure policy (every one a :class:`task_bank.errors.BackendError` whose message says what to check):
connection refused / DNS failure and timeouts are retried ``retries`` times with exponential backoff, then fail;
HTTP 5xx and 429 are retried likewise; other HTTP errors fail at once; a body that is not JSON or lacks
``choices[0].message`` fails at once (a misbehaving server is not a bad draft). ``usage`` is informational: a
token count that is not a whole number from 0 to 2**62 (text, a list, 1e400, a negative number) counts as 0, as a
missing one does (:func:`token_count`), never a crash.
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


MAX_TOKEN_COUNT = 2 ** 62
"""The largest token count a reply's ``usage`` is believed for (the bank stores counts as SQLite integers)."""


def token_count(value: object) -> int:
    """A ``usage`` token count as the server sent it: a whole number from 0 to :data:`MAX_TOKEN_COUNT` (an integral
    float such as ``12.0`` included); anything else (absent, text, a list, ``true``, ``1e400``, a negative or
    fractional number) is 0, as an absent count is. Why: usage only informs the token budget, and ``int()`` on a
    malformed value ended a run with an internal error (red-team finding)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0
    if isinstance(value, float) and not value.is_integer():  # nan and inf are not integers either
        return 0
    return int(value) if 0 <= value <= MAX_TOKEN_COUNT else 0


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
            usage = payload.get("usage")
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, AttributeError):
            raise BackendError(f"{self.base_url}/chat/completions returned a malformed reply "
                               f"(expected JSON with choices[0].message): {response.text[:200]!r}") from None
        if not isinstance(text, str):
            return Generation(key=request.key, text=None, error="the server returned no message content")
        usage = usage if isinstance(usage, dict) else {}
        return Generation(key=request.key, text=text, prompt_tokens=token_count(usage.get("prompt_tokens")),
                          completion_tokens=token_count(usage.get("completion_tokens")))

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        if len(requests) <= 1:
            return [self._one(r) for r in requests]
        with ThreadPoolExecutor(max_workers=min(self.batch_size, len(requests))) as pool:
            return list(pool.map(self._one, requests))
