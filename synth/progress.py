"""Progress reporting for pipeline stages: a no-op hook the pipeline calls, and a rich progress-bar one.

The pipeline knows nothing about terminals; it calls ``start(stage, total)`` and ``advance(stage, n)``. The
command line passes :class:`RichProgress` (one bar per stage, on stderr); library callers get the no-op.
"""

from __future__ import annotations

from typing import Any


class ProgressHook:
    """Receives stage progress; this base class ignores it."""

    def start(self, stage: str, total: int) -> None:
        """A stage begins (or begins another round) with ``total`` work items."""

    def advance(self, stage: str, n: int = 1) -> None:
        """``n`` items of ``stage`` are done."""

    def close(self) -> None:
        """No more progress will come."""


class RichProgress(ProgressHook):
    """One rich progress bar per stage, drawn on the given console (stderr for the command line)."""

    def __init__(self, console: Any) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        self._progress = Progress(TextColumn("{task.description:<9}"), BarColumn(), MofNCompleteColumn(),
                                  TimeElapsedColumn(), console=console, transient=False)
        self._tasks: dict[str, Any] = {}
        self._progress.start()

    def start(self, stage: str, total: int) -> None:
        if stage in self._tasks:
            task = self._tasks[stage]
            self._progress.update(task, total=self._progress.tasks[task].total + total)
        else:
            self._tasks[stage] = self._progress.add_task(stage, total=total)

    def advance(self, stage: str, n: int = 1) -> None:
        if stage in self._tasks:
            self._progress.advance(self._tasks[stage], n)

    def close(self) -> None:
        self._progress.stop()
