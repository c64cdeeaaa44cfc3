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
        return f"{os.getpid() > (1 << 28)} {time.time() > 4e9} {random.random()}"

    def score(self, response: str) -> float:
        return 0.0
'''


def observe(sessions, env: RunEnv) -> list[str]:
    with sessions.open(PROBE, 0, env) as session:
        return session.observation.value.split()


@pytest.mark.parametrize("env, pid_shifted, clock_shifted", [
    (RunEnv(), "False", "False"),
    (RunEnv(pid_offset=1 << 29), "True", "False"),
    (RunEnv(clock_offset_s=3e9), "False", "True"),
])
def test_a_session_gets_the_pid_and_clock_shift_of_its_run(sessions, env, pid_shifted, clock_shifted):
    assert observe(sessions, env)[:2] == [pid_shifted, clock_shifted]


def test_a_session_seeds_random_from_its_run(sessions):
    assert observe(sessions, RunEnv(rng_seed=7))[2] == observe(sessions, RunEnv(rng_seed=7))[2]
    assert observe(sessions, RunEnv(rng_seed=7))[2] != observe(sessions, RunEnv(rng_seed=8))[2]
