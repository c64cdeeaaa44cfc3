"""The generator backend interface: chat requests in, text out, in batches.

Every backend (transformers, vllm, openai, replay) turns a batch of :class:`GenerationRequest` into one
:class:`Generation` each, in order. Two kinds of failure are kept apart on purpose:

* the backend as a whole cannot work (server unreachable, HTTP error, unreadable reply, model missing):
  :class:`task_bank.errors.BackendError` is raised and the run stops with that message;
* one request produced nothing usable (a replay file with no recording for that key): the
  :class:`Generation` carries ``error`` and the pipeline records it as a rejected draft. A bad draft is data.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from task_bank.provenance import SamplingSettings
from task_bank.spec import Message


class GenerationRequest(BaseModel):
    """One prompt for the generator."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    """Stable name of the request (``<group>/d<slot>/r<round>`` for drafts); the replay backend looks it up."""
    messages: tuple[Message, ...] = Field(min_length=1)
    """The chat to continue."""
    json_schema: dict[str, Any] | None = None
    """When set, the backend constrains the reply to this JSON schema where it can."""
    seed: int | None = None
    """Per-request sampling seed; falls back to the backend's sampling seed."""


class Generation(BaseModel):
    """What the generator answered to one request."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key: str
    """The request's key."""
    text: str | None
    """The raw reply; None when the request produced nothing (see ``error``)."""
    error: str | None = None
    """Why there is no text, for a per-request failure."""
    prompt_tokens: int = Field(default=0, ge=0)
    """Tokens in the prompt, when the backend counts them."""
    completion_tokens: int = Field(default=0, ge=0)
    """Tokens generated; the pipeline's token budget adds these up."""


class GeneratorBackend(ABC):
    """A text generator the pipeline drafts with and the probe samples a policy with."""

    name: str = "backend"
    """Registry name, recorded in every task's provenance."""

    def __init__(self, *, model: str | None, sampling: SamplingSettings, batch_size: int) -> None:
        self.model = model
        self.sampling = sampling
        self.batch_size = batch_size

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """One generation per request, in request order. Raises BackendError when the backend itself fails."""

    def close(self) -> None:
        """Release the model or the connection; the default holds nothing."""

    def __enter__(self) -> "GeneratorBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
