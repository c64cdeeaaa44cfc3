"""Exit codes shared by every envsynth command, derived from the one exception tree.

Operators script around these (cron, systemd, CI), so one error class means one code whichever command raised it:

    0 ok · 1 failed (anything else) · 2 bad input or config · 3 generator backend · 4 sandbox · 5 bank
    75 another run holds the lock (EX_TEMPFAIL: nothing was done, try later) · 130 interrupted (Ctrl-C, SIGTERM)
"""

from __future__ import annotations

from task_bank.errors import BackendError, BankError, InputError, LockedError, SandboxError

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3
EXIT_SANDBOX = 4
EXIT_BANK = 5
EXIT_LOCKED = 75
EXIT_INTERRUPTED = 130

_BY_CLASS: tuple[tuple[type[BaseException], int], ...] = (
    (InputError, EXIT_USAGE), (BackendError, EXIT_BACKEND), (SandboxError, EXIT_SANDBOX), (BankError, EXIT_BANK),
    (LockedError, EXIT_LOCKED), (KeyboardInterrupt, EXIT_INTERRUPTED))


def exit_code(exc: BaseException) -> int:
    """The exit code a command ends with when ``exc`` stops it."""
    for kind, code in _BY_CLASS:
        if isinstance(exc, kind):
            return code
    return EXIT_FAILED
