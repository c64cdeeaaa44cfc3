"""The generator backend interface: chat requests in, text out, in batches; and the options every backend is built from.

Every backend (transformers, vllm, openai, replay) turns a batch of :class:`GenerationRequest` into one
:class:`Generation` each, in order. Two kinds of failure are kept apart on purpose:

* the backend as a whole cannot work (server unreachable, HTTP error, unreadable reply, model missing):
  :class:`task_bank.errors.BackendError` is raised and the run stops with that message;
* one request produced nothing usable (a replay file with no recording for that key): the
  :class:`Generation` carries ``error`` and the drafting loop records it as ``no_output``. A bad draft is data.

:class:`BackendOptions` lives here, beside the base class, because it is what every backend's ``from_options``
reads; :class:`GeneratorSettings` is the one shape a user writes them in (grow config, command-line flags).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from task_bank.errors import ConfigError
from task_bank.provenance import SamplingSettings
from task_bank.spec import Message


def missing_local_path(model: str) -> Path | None:
    """The path ``model`` names when it is written as a local path (it starts with ``/``, ``.`` or ``~``) and
    nothing is there; else None (a hub id, or a path that exists). Why: the hub's loader answered a missing folder
    with its repo-id rules ("Repo id must be in the form ..."), which never said the path does not exist."""
    if not model.startswith(("/", ".", "~")):
        return None
    path = Path(model).expanduser()
    return None if path.exists() else path


class BackendOptions(BaseModel):
    """Everything a backend factory may need; each factory says which fields it requires."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    """Local path or hub id (transformers, vllm), or the served model name (openai)."""
    sampling: SamplingSettings = Field(default_factory=SamplingSettings)
    """Sampling settings, recorded in provenance."""
    batch_size: int = Field(default=8, ge=1)
    """Requests per ``generate`` call."""
    drafts: Path | None = None
    """Recorded drafts file (replay)."""
    base_url: str = "http://127.0.0.1:8000/v1"
    """OpenAI-compatible endpoint (openai)."""
    api_key: str | None = None
    """Bearer token (openai); read from the environment by the caller, never logged."""
    timeout_s: float = Field(default=60.0, gt=0)
    """Per-request timeout (openai)."""
    retries: int = Field(default=2, ge=0)
    """Retries after a timeout, connection error or 5xx (openai)."""
    structured: bool = True
    """Ask for JSON-schema constrained output where the backend supports it."""
    device: str | None = None
    """Torch device for transformers ('cpu', 'cuda'); None picks CUDA when present."""
    role: str = "model"
    """What the model is to the command, as messages name it: 'model' (the generator) or 'policy' (the model a
    probe, band or replay evaluation samples), so that a policy that cannot be loaded is called the policy."""


class GeneratorSettings(BaseModel):
    """The generator as a user configures it: the grow config's ``[generator]`` table and ``synth.generate``'s
    backend flags are both this one shape, turned into :class:`BackendOptions` by :meth:`options`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    backend: str = "replay"
    """Registry name of the backend (replay, transformers, vllm, openai)."""
    model: str | None = None
    """Model path or hub id, for backends that run one; the served name for openai."""
    drafts: Path | None = None
    """Recorded drafts, for the replay backend."""
    temperature: float = Field(default=0.7, ge=0.0)
    """Sampling temperature (0 is greedy)."""
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    """Nucleus sampling mass."""
    max_new_tokens: int = Field(default=1024, ge=1)
    """Upper bound on tokens per reply."""
    seed: int | None = 0
    """Sampling seed, when the backend honours one."""
    batch_size: int = Field(default=8, ge=1)
    """Requests per ``generate`` call (one executor work item)."""
    base_url: str = "http://127.0.0.1:8000/v1"
    """OpenAI-compatible endpoint (openai)."""
    api_key_env: str = "OPENAI_API_KEY"
    """Environment variable holding the endpoint's API key (openai); the key itself is never stored."""
    timeout_s: float = Field(default=60.0, gt=0.0)
    """Seconds per request (openai)."""
    retries: int = Field(default=2, ge=0)
    """Retries per request (openai)."""
    device: str | None = None
    """Torch device for transformers; None picks CUDA when present."""

    def options(self, environ: Mapping[str, str], *, structured: bool, role: str = "model") -> BackendOptions:
        """The options a backend is built from; the API key is read from ``environ`` here, once. ``role`` is what
        messages call the model: 'model' (a generator) or 'policy'."""
        sampling = SamplingSettings(temperature=self.temperature, top_p=self.top_p,
                                    max_new_tokens=self.max_new_tokens, seed=self.seed)
        return BackendOptions(model=self.model, drafts=self.drafts, sampling=sampling, batch_size=self.batch_size,
                              base_url=self.base_url, api_key=environ.get(self.api_key_env),
                              timeout_s=self.timeout_s, retries=self.retries, structured=structured,
                              device=self.device, role=role)


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
    tools: tuple[dict[str, Any], ...] = ()
    """Tools offered to the policy, as JSON schemas in the form a chat template's ``tools=`` takes (a rollout in an
    environment, :mod:`synth.env_rollout`); only backends with ``renders_tools`` show them."""


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
    """Tokens generated; the token budget adds these up."""


class GeneratorBackend(ABC):
    """A text generator the drafting loop drafts with and the probe samples a policy with."""

    name: str = "backend"
    """Registry name, recorded in every task's provenance."""
    renders_tools: bool = False
    """Whether requests' ``tools`` reach the policy (rendered by its chat template, or answered from a recording);
    a rollout in an environment refuses a backend that would silently drop them."""

    def __init__(self, *, model: str | None, sampling: SamplingSettings, batch_size: int) -> None:
        self.model = model
        self.sampling = sampling
        self.batch_size = batch_size

    @classmethod
    def from_options(cls, options: BackendOptions) -> "GeneratorBackend":
        """Build the backend from ``options``; ConfigError names a required option that is missing."""
        raise ConfigError(f"the {cls.name} backend cannot be built from options", field="backend")

    @abstractmethod
    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        """One generation per request, in request order. Raises BackendError when the backend itself fails."""

    def close(self) -> None:
        """Release the model or the connection; the default holds nothing."""

    def __enter__(self) -> "GeneratorBackend":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
