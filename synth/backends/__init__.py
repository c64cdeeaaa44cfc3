"""The generator backend registry: a strict, explicit map from name to factory.

The registry is filled here, by hand, not by importing modules for their side effects, and each factory imports
its heavy dependency (torch, vllm) only when called. An unknown name is a :class:`ConfigError` that suggests the
nearest known name ("unknown backend 'vlm'; did you mean 'vllm'?").
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from synth.backends.base import Generation, GenerationRequest, GeneratorBackend
from task_bank.errors import ConfigError
from task_bank.provenance import SamplingSettings


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
    """Bearer token (openai); read from the environment by the command line, never logged."""
    timeout_s: float = Field(default=60.0, gt=0)
    """Per-request timeout (openai)."""
    retries: int = Field(default=2, ge=0)
    """Retries after a timeout, connection error or 5xx (openai)."""
    structured: bool = True
    """Ask for JSON-schema constrained output where the backend supports it."""
    device: str | None = None
    """Torch device for transformers ('cpu', 'cuda'); None picks CUDA when present."""


def _transformers(options: BackendOptions) -> GeneratorBackend:
    from synth.backends.transformers_backend import TransformersBackend
    return TransformersBackend.from_options(options)


def _vllm(options: BackendOptions) -> GeneratorBackend:
    from synth.backends.vllm_backend import VllmBackend
    return VllmBackend.from_options(options)


def _openai(options: BackendOptions) -> GeneratorBackend:
    from synth.backends.openai_backend import OpenAIBackend
    return OpenAIBackend.from_options(options)


def _replay(options: BackendOptions) -> GeneratorBackend:
    from synth.backends.replay import ReplayBackend
    return ReplayBackend.from_options(options)


_REGISTRY: dict[str, Callable[[BackendOptions], GeneratorBackend]] = {
    "transformers": _transformers,
    "vllm": _vllm,
    "openai": _openai,
    "replay": _replay,
}

BACKEND_NAMES: tuple[str, ...] = tuple(_REGISTRY)
"""Every registered backend name."""


def create_backend(name: str, options: BackendOptions) -> GeneratorBackend:
    """Build the backend registered as ``name``; ConfigError with a suggestion for an unknown name."""
    factory = _REGISTRY.get(name)
    if factory is None:
        close = difflib.get_close_matches(name, BACKEND_NAMES, n=1, cutoff=0.5)
        hint = f"; did you mean '{close[0]}'?" if close else f"; known backends: {', '.join(BACKEND_NAMES)}"
        raise ConfigError(f"unknown backend '{name}'{hint}", field="backend")
    return factory(options)


__all__ = ["BACKEND_NAMES", "BackendOptions", "Generation", "GenerationRequest", "GeneratorBackend",
           "create_backend"]
