"""Noise in the host's inode counter before validation's run 0, so no mark left in it survives into run 0.

Every pipe and socket on the host takes its inode number from one kernel counter (``get_next_ino``), handed to each
CPU in batches of 1,024. A sandboxed process can read it (``os.fstat`` of a pipe it makes: the next number's place in
its CPU's batch, after pinning itself to that CPU) and move it (make pipes). Unlike the host's other counters it
cannot be hidden: every pipe a verifier is given carries a number from it. Red-team round 14 used it as a mark that
outlives its maker: a call a verifier recognises as validation (the reference alone) moved the counter to a place in
the batch, and run 0, started moments later, found it there and stayed honest (19 of 20 validations admitted, 100 of
100 wrong answers paid in training). Run 0 now comes before anything of its own task, but a mark can still come from
an earlier validation of the same task or of another task written the same way.

So before run 0 the validator makes a random number (0-1,023) of pipes on every CPU it may run on: each CPU's place
in its batch becomes uniform, whatever it was, and a mark reads as it would in training (where any place is as
likely). Cost, measured here: 1.7 ms a validation on 2 CPUs (median of 20).

Not covered: a mark made while run 0 runs (another task validated at the same time, under ``validate_many`` with
concurrency above 1).
"""

from __future__ import annotations

import os
import random

BATCH = 1024
"""Inode numbers a CPU takes from the shared counter at a time (the kernel's ``LAST_INO_BATCH``)."""


def scramble(rng: random.Random | None = None) -> int:
    """Make a random number of pipes on each CPU this thread may run on, then restore its CPU set; pipes made."""
    if not hasattr(os, "sched_setaffinity"):
        return 0
    rng = rng or random.SystemRandom()
    allowed = os.sched_getaffinity(0)
    made = 0
    try:
        for cpu in sorted(allowed):
            os.sched_setaffinity(0, {cpu})
            for _ in range(rng.randrange(BATCH)):
                read_end, write_end = os.pipe()
                os.close(read_end)
                os.close(write_end)
                made += 1
    finally:
        os.sched_setaffinity(0, allowed)
    return made
