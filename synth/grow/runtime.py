"""The resources one growth cycle works with — generator backend, sandboxed validator, executor — built from the
config and closed together.

Why one place builds all three: under ``--executor ray`` each worker actor needs its *own* backend and validator
(a sandbox pool cannot be pickled to another process, let alone another machine), built the same way as the
driver's. So the builders here are module-level functions, picklable with their arguments, and the Ray executor
receives them as factories (:meth:`synth.ray_executor.RayExecutor.register`). The driver keeps a backend and a
validator of its own as well: the pipeline names their methods, and the local executor runs them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from functools import partial
from typing import TYPE_CHECKING

from synth.backends import BackendOptions, GeneratorBackend, create_backend
from synth.executor import Executor, LocalExecutor
from synth.grow.config import GrowConfig

if TYPE_CHECKING:
    from verifier.validate import Validator


class Runtime:
    """A cycle's backend, validator and executor, open until the ``with`` block of :func:`open_runtime` ends."""

    def __init__(self, backend: GeneratorBackend, validator: "Validator", executor: Executor) -> None:
        self.backend = backend
        self.validator = validator
        self.executor = executor


def open_backend(name: str, options: BackendOptions) -> GeneratorBackend:
    """A generator backend (itself a context manager that closes the model or connection)."""
    return create_backend(name, options)


@contextmanager
def open_validator(sandbox: str, workers: int) -> Iterator["Validator"]:
    """A validator over a sandbox pool that lives as long as the ``with`` block."""
    from verifier.pool import open_pool
    from verifier.validate import Validator

    with open_pool(backend=sandbox, workers=workers) as pool, Validator(pool) as validator:
        yield validator


def _executor(config: GrowConfig, backend: GeneratorBackend, validator: "Validator",
              backend_factory: partial, validator_factory: partial) -> Executor:
    if config.executor.kind == "local":
        return LocalExecutor(workers=config.executor.workers)
    from synth.ray_executor import RayExecutor

    ray = RayExecutor(workers=config.executor.workers, address=config.executor.ray_address)
    ray.register(backend, backend_factory)
    ray.register(validator, validator_factory)
    return ray


@contextmanager
def open_runtime(config: GrowConfig) -> Iterator[Runtime]:
    """Build backend, validator and executor for ``config``; close all three on exit, executor first."""
    options = config.generator.options(os.environ, structured=config.pipeline.structured)
    backend_factory = partial(open_backend, config.generator.backend, options)
    validator_factory = partial(open_validator, config.validation.sandbox, config.validation.workers)
    with ExitStack() as stack:
        backend = stack.enter_context(backend_factory())
        validator = stack.enter_context(validator_factory())
        executor = stack.enter_context(_executor(config, backend, validator, backend_factory, validator_factory))
        yield Runtime(backend, validator, executor)
