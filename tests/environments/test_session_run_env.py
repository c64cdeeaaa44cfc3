"""Sessions see the run environment the verifier sandbox gives verifiers: seeded ``random``, shifted clocks and pids."""

from __future__ import annotations

import pytest

from verifier.limits import RunEnv

PROBE = '''
import os
import random
import time


class Env:
    """Reports what the run environment lets it see."""

    def reset(self, seed: int) -> str:
        return f"{os.getpid() > (1 << 28)} {time.time() > 4e9} {random.random()} {os.getpid()}"

    def score(self, response: str) -> float:
        return 0.0
'''


def observe(sessions, env: RunEnv) -> list[str]:
    with sessions.open(PROBE, 0, env) as session:
        return session.observation.value.split()


@pytest.mark.parametrize("env, clock_shifted", [(RunEnv(), "False"), (RunEnv(clock_offset_s=3e9), "True")])
def test_a_session_gets_the_clock_shift_of_its_run(sessions, env, clock_shifted):
    assert observe(sessions, env)[1] == clock_shifted


def test_a_session_that_is_pid_1_of_its_own_namespace_keeps_its_pids_in_every_run(sessions):
    """Its pids tell nothing (1 in every run and every session); shifting them only showed a varied run, through
    ``logging``'s ``record.process`` and the like (red-team round 34). Sessions run as pid 1 under root."""
    assert observe(sessions, RunEnv())[3] == observe(sessions, RunEnv(pid_offset=1 << 29))[3] == "1"


def test_a_session_seeds_random_from_its_run(sessions):
    assert observe(sessions, RunEnv(rng_seed=7))[2] == observe(sessions, RunEnv(rng_seed=7))[2]
    assert observe(sessions, RunEnv(rng_seed=7))[2] != observe(sessions, RunEnv(rng_seed=8))[2]
