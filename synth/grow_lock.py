"""The single-run guarantee for growth cycles: an OS file lock, taken without waiting.

Why an OS lock (``filelock.FileLock(path, blocking=False)``, flock on Linux) and not a "running" row in the bank:
the kernel releases it when the holder dies, even by ``kill -9``, so a crashed cycle never blocks the next one,
while a live one always does. A second cycle started while one runs (cron firing during a slow cycle, an operator
running it by hand) fails at once with :class:`task_bank.errors.LockedError`; the command line turns that into
exit code 75 (``EX_TEMPFAIL``: try again later), which the systemd unit lists as a success.

Beside the lock the holder writes ``<lock>.owner`` (pid, host, start time) so the refusal can say who holds it.
That file is informational only: it is never read to decide anything.
"""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from task_bank.errors import LockedError
from task_bank.provenance import utcnow


def _owner_path(lock_path: Path) -> Path:
    return lock_path.with_name(lock_path.name + ".owner")


def _describe_owner(lock_path: Path) -> str:
    try:
        owner = json.loads(_owner_path(lock_path).read_text(encoding="utf-8"))
        return f" (pid {owner['pid']} on {owner['host']}, since {owner['since']})"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


@contextmanager
def cycle_lock(lock_path: Path) -> Iterator[None]:
    """Hold the growth lock for the ``with`` body, or raise :class:`LockedError` at once if another holds it."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path, blocking=False, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        raise LockedError(
            f"another growth cycle is running on this bank{_describe_owner(lock_path)}: lock {lock_path} is held. "
            "This cycle did nothing; the next scheduled one will run once that cycle ends.") from None
    try:
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": utcnow().isoformat()}
        _owner_path(lock_path).write_text(json.dumps(owner), encoding="utf-8")
        yield
    finally:
        lock.release()
