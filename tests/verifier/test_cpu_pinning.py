"""Each sandbox worker runs on one CPU, the one this process's other workers use least, and the choice tells a
verifier nothing (verifier/sandbox/cpu_pinning.py)."""

from __future__ import annotations

import os
import random
import subprocess
from collections import Counter

import pytest

from verifier import Limits, open_pool
from verifier.sandbox.cpu_pinning import choose_cpu, pin, pinned_children

READ_CPU = '''import os


def verify(response: str) -> float:
    mask = sorted(os.sched_getaffinity(0))
    return float(mask[0]) / 100 if len(mask) == 1 else 0.99
'''
"""Scores the CPU its process is pinned to, as a verifier could read it (0.99: not pinned to one)."""


def test_one_cpu_is_not_pinned():
    assert choose_cpu(allowed=[3], taken=[]) is None


def test_the_least_used_cpu_is_chosen():
    assert choose_cpu(allowed=[0, 1, 2], taken=[0, 0, 1, 2, 2]) == 1


def test_cpus_used_by_other_processes_of_no_concern_are_not_counted():
    assert choose_cpu(allowed=[0, 1], taken=[5, 5, 5, 0]) == 1


def test_every_least_used_cpu_is_equally_likely():
    rng = random.Random(7)
    draws = Counter(choose_cpu(allowed=[0, 1, 2, 3], taken=[1, 3], rng=rng) for _ in range(4000))
    assert set(draws) == {0, 2}
    assert abs(draws[0] - draws[2]) < 300  # 2,000 each expected; 300 is over six standard deviations


def test_a_pinned_child_is_counted_and_an_unpinned_one_is_not():
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one CPU: nothing is pinned")
    pinned = subprocess.Popen(["sleep", "30"])
    free = subprocess.Popen(["sleep", "30"])
    try:
        assert pin([pinned.pid], cpus[-1])
        assert pinned_children().count(cpus[-1]) >= 1
        assert len(os.sched_getaffinity(free.pid)) == len(cpus)
    finally:
        for child in (pinned, free):
            child.kill()
            child.wait()


def test_pinning_a_process_that_is_gone_reports_failure():
    child = subprocess.Popen(["true"])
    child.wait()
    assert pin([child.pid], sorted(os.sched_getaffinity(0))[0]) is False


@pytest.mark.sandbox
def test_the_workers_of_a_pool_run_on_different_cpus():
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one CPU: nothing is pinned")
    with open_pool("bwrap", workers=2, limits=Limits(), group_size=1) as pool:  # 8 groups over both workers
        seen = {result.score for _ in range(3) for result in pool.score(READ_CPU, ["a"] * 8)}
    assert len(seen) == 2
    assert all(round(score * 100) in cpus for score in seen)
