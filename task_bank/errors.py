"""The one exception tree of envsynth.

Every layer raises subclasses of :class:`EnvsynthError`, so a command-line entry point can catch one base
class, print the message (which names the cause and the fix) and exit non-zero without a traceback::

    EnvsynthError
    ├── InputError              bad user input: a file, line or field that does not parse or validate
    │   └── ConfigError         a configuration file or option is wrong (names the field and the fix)
    ├── BankError               the task bank cannot do what was asked
    │   ├── SchemaVersionError  the bank file was written by a newer envsynth
    │   └── NotFoundError       an id that is not in the bank
    ├── SandboxError            infrastructure failure of a sandbox backend (never the task's fault)
    ├── BackendError            a generator backend failed (unreachable, timed out, malformed reply)
    └── LockedError             another run holds the lock (growth cycles)

Errors that belong to one rollout (a verifier that crashed, a response that hung) are *not* exceptions: they are
recorded as :class:`task_bank.records.Outcome` values, because a bad rollout is data, not a crash.
"""

from __future__ import annotations


class EnvsynthError(Exception):
    """Base class: anything envsynth raises on purpose."""


class InputError(EnvsynthError):
    """Bad input. The message names the file, the line (1-based) and the field where known."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None,
                 field: str | None = None) -> None:
        where = ":".join(str(p) for p in (path, line) if p is not None)
        prefix = f"{where}: " if where else ""
        suffix = f" (field '{field}')" if field else ""
        super().__init__(f"{prefix}{message}{suffix}")
        self.path = path
        self.line = line
        self.field = field


class ConfigError(InputError):
    """A configuration value is wrong; the message names the field and how to fix it."""


class BankError(EnvsynthError):
    """The task bank cannot do what was asked."""


class SchemaVersionError(BankError):
    """The bank file was written by a newer envsynth than this one."""


class NotFoundError(BankError):
    """An id that is not in the bank."""


class SandboxError(EnvsynthError):
    """The sandbox itself failed (infrastructure), as opposed to the code running inside it."""


class BackendError(EnvsynthError):
    """A generator backend failed: unreachable, timed out, or replied with something unusable."""


class LockedError(EnvsynthError):
    """Another process holds the lock for this job."""
