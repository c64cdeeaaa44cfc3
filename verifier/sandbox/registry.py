"""The strict registry of sandbox backends: filled explicitly, never by import side effects.

``default_registry()`` builds a new registry holding the three shipped backends each time it is called (no global
state); a caller may register its own :class:`Backend` subclass on a registry it owns and pass it to ``open_pool``.
An unknown name raises :class:`ConfigError` naming the closest known one.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable

from task_bank.errors import ConfigError
from verifier.sandbox.base import Backend


class BackendRegistry:
    """Backend names to factories."""

    def __init__(self) -> None:
        self._factories: dict[str, Callable[[], Backend]] = {}

    def register(self, name: str, factory: Callable[[], Backend]) -> None:
        """Add a backend; a name may be registered once."""
        if name in self._factories:
            raise ConfigError(f"sandbox backend {name!r} is already registered", field="backend")
        self._factories[name] = factory

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._factories)

    def create(self, name: str) -> Backend:
        """A new backend instance for ``name``; ConfigError with a suggestion when the name is unknown."""
        factory = self._factories.get(name)
        if factory is None:
            close = difflib.get_close_matches(name, self.names(), n=1, cutoff=0.4)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            known = ", ".join(self.names())
            raise ConfigError(f"unknown sandbox backend {name!r}{hint} (known: {known})", field="backend")
        return factory()


def default_registry() -> BackendRegistry:
    """A registry with ``bwrap`` (default on Linux), ``docker`` and ``unsafe-local``."""
    from verifier.sandbox.bwrap import BwrapBackend
    from verifier.sandbox.docker_backend import DockerBackend
    from verifier.sandbox.local import UnsafeLocalBackend

    registry = BackendRegistry()
    registry.register(BwrapBackend.name, BwrapBackend)
    registry.register(DockerBackend.name, DockerBackend)
    registry.register(UnsafeLocalBackend.name, UnsafeLocalBackend)
    return registry
