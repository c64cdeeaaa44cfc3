"""synth: turn deployment failures into validated RL tasks.

failures -> redact -> group -> slots -> the drafting loop (generator backends -> drafts -> validation in the
verifier's sandbox -> bank). Entry points: ``python -m synth.generate``, ``python -m synth.probe`` and
``python -m synth.grow``; the reusable core is :func:`synth.pipeline.run_pipeline` over
:func:`synth.drafting.draft_loop`. Importing this package loads nothing heavy and configures nothing.
"""

from __future__ import annotations

import os
import signal
import sys


def _interrupted_while_starting(_signum: int, _frame: object) -> None:
    sys.stderr.write("error: interrupted (exit 130)\n")
    os._exit(130)


def quiet_startup_interrupts() -> None:
    """Make Ctrl-C while a command's imports load end it with one line and exit 130, not an import traceback.

    Called first thing by a command run as ``__main__`` (nothing has been written yet, so ending at once is safe);
    the command's ``main`` puts Python's own handler back (:func:`signal.default_int_handler`) before any work.
    """
    signal.signal(signal.SIGINT, _interrupted_while_starting)
