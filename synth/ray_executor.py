"""The Ray executor: pipeline stages (drafting batches, sandbox validation) as work on Ray worker actors.

Ray is an optional extra (``pip install ray``); this module imports it only when an executor is built, so the
package imports without it and :class:`task_bank.errors.ConfigError` says how to install it.

Why actors and not plain tasks: the stage functions the pipeline passes are bound methods of objects that hold
resources — a generator backend with a loaded model or an HTTP client, a validator with a pool of sandbox
processes — which cannot be pickled to another machine and should not be rebuilt per item. So the driver
*registers* each such object with a factory (:meth:`RayExecutor.register`): a picklable zero-argument callable
that returns a context manager yielding an equivalent object. Each worker actor enters those factories once, on
first use, and exits them when the executor closes. ``map(obj.method, items)`` then runs ``method`` on the
worker's own copy. Any other function is pickled (cloudpickle) and run on a worker as it is.

The contract of :class:`synth.executor.Executor` holds: results in input order, the first exception by item
order re-raised as the original exception type, ``close()`` releases the actors (and shuts down a Ray instance
this executor started; one it joined through ``address`` is left running). Items are handed out through an
actor pool, one at a time, so a slow item does not hold back a whole shard.

A local instance (no ``address``) is started with ``num_cpus=workers`` and this checkout on its workers'
``PYTHONPATH``; the nodes of a cluster joined through ``address`` need envsynth installed.
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, ExitStack
from pathlib import Path
from typing import Any, TypeVar

from synth.executor import Executor
from task_bank.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")

Factory = Callable[[], AbstractContextManager[Any]]


class _Worker:
    """One Ray actor: builds the registered objects on first use and runs stage work on them."""

    def __init__(self, factories: dict[str, Factory]) -> None:
        self._factories = factories
        self._objects: dict[str, Any] = {}
        self._stack = ExitStack()

    def call(self, key: str, method: str, item: Any) -> Any:
        if key not in self._objects:
            self._objects[key] = self._stack.enter_context(self._factories[key]())
        return getattr(self._objects[key], method)(item)

    def apply(self, fn: Callable[[Any], Any], item: Any) -> Any:
        return fn(item)

    def close(self) -> None:
        self._stack.close()
        self._objects.clear()


LOOPBACK_SWITCH = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"
"""Ray's own switch: when "0" at its first import, a local instance binds 127.0.0.1 instead of the machine's
network address (Ray resolves even an explicit ``_node_ip_address="127.0.0.1"`` back to that address)."""


def _import_ray() -> Any:
    """Import Ray so that a local instance it starts listens on loopback only.

    The switch is read once, when Ray is first imported; a process that imported Ray earlier without it could only
    start a cluster on the network address, so :func:`_require_loopback` refuses that instead of exposing ports.
    """
    os.environ.setdefault(LOOPBACK_SWITCH, "0")
    try:
        import ray
    except ImportError:
        raise ConfigError("the ray executor needs Ray: pip install 'ray>=2.40' (or envsynth[ray]), "
                          "or use --executor local", field="executor") from None
    return ray


def _require_loopback(ray: Any) -> None:
    from ray._private import ray_constants
    if ray_constants.ENABLE_RAY_CLUSTER:
        raise ConfigError(f"Ray was imported before envsynth could pin a local instance to 127.0.0.1: set "
                          f"{LOOPBACK_SWITCH}=0 in the environment, or join a running cluster "
                          f"(executor.ray_address in the grow config)", field="executor")


class RayExecutor(Executor):
    """Runs stage functions on ``workers`` Ray actors; joins ``address`` or starts a local Ray instance."""

    name = "ray"

    def __init__(self, workers: int = 2, *, address: str | None = None) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}", field="workers")
        self._ray = _import_ray()
        self.workers = workers
        self._started = False
        if not self._ray.is_initialized():
            root = str(Path(__file__).resolve().parents[1])
            path = os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)
            kwargs: dict[str, Any] = {"include_dashboard": False, "log_to_driver": False,
                                      "configure_logging": False}
            if address is None:
                _require_loopback(self._ray)
                kwargs.update(num_cpus=workers, runtime_env={"env_vars": {"PYTHONPATH": path}})
            self._ray.init(address=address, **kwargs)
            self._started = True
        self._factories: dict[str, Factory] = {}
        self._owners: dict[int, str] = {}
        self._actors: list[Any] = []

    def register(self, obj: object, factory: Factory) -> None:
        """Let ``map(obj.method, ...)`` run ``method`` on each worker's own object, built by ``factory()``.

        Register before the first ``map``: the actors receive their factories when they start.
        """
        if self._actors:
            raise ConfigError("register every object before the first map(): the Ray actors are already running",
                              field="executor")
        key = f"obj{len(self._factories)}"
        self._factories[key] = factory
        self._owners[id(obj)] = key

    def _pool(self) -> Any:
        if not self._actors:
            actor_cls = self._ray.remote(num_cpus=1)(_Worker)
            self._actors = [actor_cls.remote(self._factories) for _ in range(self.workers)]
        from ray.util import ActorPool
        return ActorPool(self._actors)

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if not items:
            return []
        pool = self._pool()
        key = self._owners.get(id(fn.__self__)) if inspect.ismethod(fn) else None
        if key is not None:
            method = fn.__name__
            submit = lambda actor, item: actor.call.remote(key, method, item)  # noqa: E731
        else:
            fn_ref = self._ray.put(fn)
            submit = lambda actor, item: actor.apply.remote(fn_ref, item)  # noqa: E731
        try:
            return list(pool.map(submit, list(items)))
        except self._ray.exceptions.RayTaskError as exc:
            cause = exc.cause
            if isinstance(cause, BaseException):
                raise cause from None
            raise

    def close(self) -> None:
        if self._actors:
            self._ray.get([a.close.remote() for a in self._actors])
            for actor in self._actors:
                self._ray.kill(actor)
            self._actors = []
        if self._started:
            self._ray.shutdown()
            self._started = False
