"""A busy host must not turn an honest verifier into a ``timeout``: time a verifier process spent runnable but
waiting for a CPU is given back, bounded; sleeping earns nothing."""

from __future__ import annotations

import os

from task_bank.validation import Outcome
from verifier import Limits, open_pool
from verifier.sandbox.zygote.supervisor import STARVED_ALLOWANCE, extended_deadline, run_delay


def test_time_spent_waiting_for_a_cpu_extends_the_deadline():
    assert extended_deadline(100.0, 5.0, 2.5) == 107.5


def test_the_extension_is_bounded_by_the_allowance():
    assert extended_deadline(100.0, 5.0, 1e6) == 100.0 + 5.0 + STARVED_ALLOWANCE * 5.0


def test_no_wait_means_the_plain_wall_limit():
    assert extended_deadline(100.0, 5.0, 0.0) == extended_deadline(100.0, 5.0, -3.0) == 105.0


def test_the_run_delay_of_a_live_process_is_read_and_a_missing_one_is_zero():
    assert run_delay(os.getpid()) >= 0.0
    assert run_delay(2 ** 22 + 12345) == 0.0  # above pid_max: no such process


def test_a_verifier_that_sleeps_past_its_wall_limit_still_times_out():
    source = "import time\n\ndef verify(response):\n    time.sleep(30)\n    return 1.0\n"
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=1.0)) as pool:
        [result] = pool.score(source, ["x"])
    assert result.outcome is Outcome.TIMEOUT


STARVED = """
import os
import time


def verify(response):
    hogs = []
    for _ in range(min(2 * (os.cpu_count() or 2), 40)):  # runnable processes that keep this one waiting for a CPU
        pid = os.fork()
        if pid == 0:
            while True:
                pass
        hogs.append(pid)
    start = time.monotonic()
    while time.monotonic() - start < 1.5:  # busy, never asleep: 1.5 s of wall time against a 1 s limit
        pass
    for pid in hogs:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
    return 1.0
"""


def test_a_verifier_kept_waiting_for_a_cpu_is_not_a_timeout():
    """The verifier is busy for 1.5 s of wall time with a 1 s limit, but most of it waiting behind runnable
    processes (here its own; on a busy host, everyone else's): it scores instead of timing out."""
    with open_pool("bwrap", workers=1, limits=Limits(wall_s=1.0)) as pool:
        [result] = pool.score(STARVED, ["x"])
    assert (result.outcome, result.score) == (Outcome.SCORED, 1.0)
