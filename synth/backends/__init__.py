"""The generator backend registry: a strict, explicit map from name to backend class, in the sandbox registry's style.

:class:`GeneratorRegistry` has the same shape as :class:`verifier.sandbox.registry.BackendRegistry` (``register``,
``names``, ``create``; :func:`default_registry` fills it by hand). Each entry imports its backend module only when
that backend is built, so naming ``--backend replay`` never imports torch or vllm, and the registry is filled
explicitly, never by importing modules for their side effects. An unknown name is a :class:`ConfigError` that
suggests the nearest known name ("unknown backend 'vlm'; did you mean 'vllm'?").
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable

from synth.backends.base import BackendOptions, Generation, GenerationRequest, GeneratorBackend
from task_bank.errors import ConfigError

BackendClass = Callable[[], type[GeneratorBackend]]
"""Returns the backend class, importing its module on first use."""


class GeneratorRegistry:
    """Backend names to (lazily imported) backend classes."""

    def __init__(self) -> None:
        self._classes: dict[str, BackendClass] = {}

    def register(self, name: str, load: BackendClass) -> None:
        """Add a backend; a name may be registered once."""
        if name in self._classes:
            raise ConfigError(f"generator backend {name!r} is already registered", field="backend")
        self._classes[name] = load

    def names(self) -> list[str]:
        """Registered names, in registration order."""
        return list(self._classes)

    def create(self, name: str, options: BackendOptions) -> GeneratorBackend:
        """Build backend ``name`` from ``options``; ConfigError with a suggestion when the name is unknown."""
        load = self._classes.get(name)
        if load is None:
            close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.5)
            hint = f"; did you mean '{close[0]}'?" if close else f"; known backends: {', '.join(self.names())}"
            raise ConfigError(f"unknown backend '{name}'{hint}", field="backend")
        return load().from_options(options)


def _lazy(module: str, cls: str) -> BackendClass:
    return lambda: getattr(importlib.import_module(module), cls)


def default_registry() -> GeneratorRegistry:
    """A registry with ``transformers``, ``vllm``, ``openai`` and ``replay``."""
    registry = GeneratorRegistry()
    registry.register("transformers", _lazy("synth.backends.transformers_backend", "TransformersBackend"))
    registry.register("vllm", _lazy("synth.backends.vllm_backend", "VllmBackend"))
    registry.register("openai", _lazy("synth.backends.openai_backend", "OpenAIBackend"))
    registry.register("replay", _lazy("synth.backends.replay", "ReplayBackend"))
    return registry


BACKEND_NAMES: tuple[str, ...] = tuple(default_registry().names())
"""Every name :func:`default_registry` knows, for ``--help`` and messages."""


def create_backend(name: str, options: BackendOptions, registry: GeneratorRegistry | None = None) -> GeneratorBackend:
    """Build the backend registered as ``name`` (in ``registry``, default :func:`default_registry`)."""
    return (registry or default_registry()).create(name, options)


__all__ = ["BACKEND_NAMES", "BackendOptions", "Generation", "GenerationRequest", "GeneratorBackend",
           "GeneratorRegistry", "create_backend", "default_registry"]
