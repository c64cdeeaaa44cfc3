"""``python -m synth.grow``: see :mod:`synth.grow.cli`."""

from __future__ import annotations

if __name__ == "__main__":
    from synth import quiet_startup_interrupts

    quiet_startup_interrupts()

    import sys

    from synth.grow.cli import main

    sys.exit(main())
