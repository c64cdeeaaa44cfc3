"""How pipeline stages run: the :class:`Executor` interface and the in-process default.

The pipeline never loops over a stage's work itself; it hands the stage function and its items to an executor,
so a distributed executor (Ray, owned by the grow engineer) can replace :class:`LocalExecutor` without touching
the pipeline. The contract every executor keeps:

* ``map(fn, items)`` returns ``[fn(item) for item in items]`` in input order, whatever order the work finished in;
* an exception raised by ``fn`` propagates out of ``map`` (the first one, by item order), so a
  :class:`task_bank.errors.BackendError` stops the run exactly as it would in-process;
* ``close()`` releases workers; executors are context managers.

Stage functions the pipeline passes are bound methods of the backend and the validator (``backend.generate``,
``validator.validate_many``); a remote executor must either ship those objects to its workers or wrap them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from task_bank.errors import ConfigError

T = TypeVar("T")
R = TypeVar("R")


class Executor(ABC):
    """Runs one stage function over a list of work items and returns the results in input order."""

    name: str = "executor"
    workers: int = 1
    """Items the executor runs at once; the pipeline sizes its waves of work by it."""

    @abstractmethod
    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        """``[fn(item) for item in items]``, possibly in parallel; input order kept, first exception raised."""

    def close(self) -> None:
        """Release workers; the default holds none."""

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class LocalExecutor(Executor):
    """In-process executor: sequential with ``workers=1``, a thread pool otherwise.

    Threads suit both stages: drafting waits on a model or an HTTP server, validation waits on sandbox
    processes; neither holds the GIL for long.
    """

    name = "local"

    def __init__(self, workers: int = 1) -> None:
        if workers < 1:
            raise ConfigError(f"workers must be at least 1, got {workers}", field="workers")
        self.workers = workers
        self._pool: ThreadPoolExecutor | None = None

    def map(self, fn: Callable[[T], R], items: Sequence[T]) -> list[R]:
        if self.workers == 1 or len(items) <= 1:
            return [fn(item) for item in items]
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="synth")
        futures = [self._pool.submit(fn, item) for item in items]
        return [f.result() for f in futures]

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
