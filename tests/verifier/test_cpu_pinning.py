"""Each sandbox worker scores a group in a cpuset of one CPU, the one the fewest busy workers of the host hold, and
the choice tells a verifier nothing (verifier/sandbox/cpu_pinning.py). The sandbox tests count on no other
envsynth process scoring on this host meanwhile: its busy workers would rightly change the choice."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections import Counter
from functools import partial
from pathlib import Path

import pytest

from verifier import Limits, open_pool
from verifier.sandbox.bwrap import BwrapBackend
from verifier.sandbox.cpu_pinning import choose_cpu, cpu_list, pin_for_group, pinned_cpus, release, worker_group
from verifier.sandbox.registry import BackendRegistry

ROOT = Path(__file__).resolve().parents[2]
CPUSETS = Path("/sys/fs/cgroup/cpuset/envsynth")
READ_CPU = '''import os


def verify(response: str) -> float:
    if response == "widen":
        try:
            os.sched_setaffinity(0, set(range(1024)))
        except OSError:
            pass
    mask = sorted(os.sched_getaffinity(0))
    return float(mask[0]) / 100 if len(mask) == 1 else 0.99
'''
"""Scores the CPU its process is pinned to, as a verifier could read it (0.99: not pinned to one); asked to, it
first tries to widen its mask to every CPU."""
BUSY_ELSEWHERE = '''import sys
from verifier import Limits, open_pool
verifier = sys.argv[1].replace("def verify(response: str) -> float:\\n",
                               "def verify(response: str) -> float:\\n    import time\\n    time.sleep(2.0)\\n")
with open_pool("bwrap", workers=1, limits=Limits()) as pool:
    pool.score(verifier.replace("time.sleep(2.0)", "pass"), ["a"])
    print("scoring", flush=True)
    print(pool.score(verifier, ["a"])[0].score, flush=True)
'''
"""Another host process whose one worker scores a group that takes two seconds, and prints its CPU."""


def several_cpus() -> list[int]:
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        pytest.skip("one CPU: nothing is pinned")
    return cpus


def fake_cpusets(tmp_path: Path, held: list[str], members: str = "123") -> Path:
    """A directory laid out as the host's cpuset directory of envsynth, with one group per entry of ``held`` (its
    CPUs), each with ``members`` as its processes."""
    parent = tmp_path / "envsynth"
    parent.mkdir()
    for name, text in (("cpuset.cpus", "0-1"), ("cpuset.effective_cpus", "0-1"), ("cpuset.effective_mems", "0")):
        (parent / name).write_text(text)
    for index, cpus in enumerate(held):
        (parent / f"worker{index}").mkdir()
        (parent / f"worker{index}" / "cpuset.cpus").write_text(cpus)
        (parent / f"worker{index}" / "cgroup.procs").write_text(members)
    return parent


def test_one_cpu_is_not_pinned():
    assert choose_cpu([3], taken=[]) is None


def test_the_least_used_cpu_is_chosen():
    assert choose_cpu([0, 1, 2], taken=[0, 0, 1, 2, 2]) == 1


def test_cpus_outside_the_allowed_ones_are_not_counted():
    assert choose_cpu([0, 1], taken=[5, 5, 5, 0]) == 1


def test_every_least_used_cpu_is_equally_likely():
    rng = random.Random(7)
    draws = Counter(choose_cpu([0, 1, 2, 3], taken=[1, 3], rng=rng) for _ in range(4000))
    assert set(draws) == {0, 2}
    assert abs(draws[0] - draws[2]) < 300  # 2,000 each expected; 300 is over six standard deviations


def test_the_kernels_cpu_lists_are_read():
    assert cpu_list("0-3,8,10-11\n") == {0, 1, 2, 3, 8, 10, 11}
    assert cpu_list("\n") == set()


def test_only_groups_of_one_cpu_count_as_busy(tmp_path):
    assert sorted(pinned_cpus(fake_cpusets(tmp_path, ["1", "0-1", "0", "1"]))) == [0, 1, 1]


def test_a_group_left_by_a_dead_host_does_not_count(tmp_path):
    assert pinned_cpus(fake_cpusets(tmp_path, ["0", "0"], members="")) == []


def test_a_new_worker_holds_every_cpu(tmp_path):
    several_cpus()
    group = worker_group(fake_cpusets(tmp_path, ["0"]), "new")
    assert (group / "cpuset.cpus").read_text() == "0-1" and (group / "cpuset.mems").read_text() == "0"


def test_a_worker_scoring_a_group_gets_the_cpu_the_fewest_busy_workers_hold_and_all_of_them_after(tmp_path):
    several_cpus()
    parent = fake_cpusets(tmp_path, ["0", "0-1", "0-1", "0-1"])  # one worker busy on CPU 0, three idle
    group = worker_group(parent, "new")
    (group / "cgroup.procs").write_text("456")
    assert pin_for_group(group) == 1 and (group / "cpuset.cpus").read_text() == "1"
    release(group)
    assert (group / "cpuset.cpus").read_text() == "0-1"


@pytest.mark.sandbox
def test_the_workers_of_a_pool_run_on_different_cpus():
    cpus = several_cpus()
    with open_pool("bwrap", workers=2, limits=Limits(), group_size=1) as pool:  # 8 groups over both workers
        seen = {result.score for _ in range(3) for result in pool.score(READ_CPU, ["a"] * 8)}
    assert len(seen) == 2
    assert all(round(score * 100) in cpus for score in seen)


@pytest.mark.sandbox
def test_a_verifier_cannot_widen_its_cpu_set():
    several_cpus()
    with open_pool("bwrap", workers=1, limits=Limits()) as pool:
        assert pool.score(READ_CPU, ["widen"])[0].score != 0.99


@pytest.mark.sandbox
def test_a_worker_never_scores_on_the_cpu_of_another_processs_busy_worker():
    """Two trainer processes (one per GPU) each open a pool: counted per process, their workers shared a CPU in 3 of
    8 starts, and a verifier that paid only when its share of the CPU fell was paid (red-team round 31)."""
    several_cpus()
    for _ in range(4):  # a draw that ignored the other process would pass all four with probability 1/16
        other = subprocess.Popen([sys.executable, "-c", BUSY_ELSEWHERE, READ_CPU], cwd=ROOT, text=True,
                                 stdout=subprocess.PIPE)
        try:
            assert other.stdout.readline() == "scoring\n"
            time.sleep(0.5)  # its group is under way (its worker pinned before the request went out)
            with open_pool("bwrap", workers=1, limits=Limits()) as pool:
                mine = pool.score(READ_CPU, ["a"])[0].score
            theirs = float(other.stdout.readline())
        finally:
            other.communicate(timeout=60)
        assert theirs != 0.99 and mine != 0.99 and mine != theirs


@pytest.mark.sandbox
def test_a_closed_pool_leaves_no_cpuset_behind():
    several_cpus()
    with open_pool("bwrap", workers=2, limits=Limits()) as pool:
        pool.score(READ_CPU, ["a"])
        mine = {entry.name for entry in CPUSETS.iterdir() if entry.name.startswith(f"{os.getpid()}-")}
        assert len(mine) == 2
    assert not any((CPUSETS / name).exists() for name in mine)


@pytest.mark.sandbox
def test_an_unpinned_backend_pins_nothing():
    several_cpus()
    registry = BackendRegistry()
    registry.register(BwrapBackend.name, partial(BwrapBackend, pin_cpus=False))
    with open_pool("bwrap", workers=1, limits=Limits(), registry=registry) as pool:
        assert pool.score(READ_CPU, ["a"])[0].score == 0.99


CONCURRENT_UNDER_ONE_CPU = '''import os, sys
os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})  # as under taskset -c N
from verifier import Limits, open_pool
verifier = sys.argv[1].replace("def verify(response: str) -> float:\\n",
                               "def verify(response: str) -> float:\\n    import time\\n    time.sleep(0.3)\\n")
with open_pool("bwrap", workers=2, limits=Limits(), group_size=1) as pool:
    for _ in range(3):
        print(" ".join(str(r.score) for r in pool.score(verifier, ["a", "b"])), flush=True)
'''


@pytest.mark.sandbox
def test_a_host_bound_to_one_cpu_still_spreads_its_busy_workers():
    """Red-team round 33: the choice was among the host thread's own CPUs, so under taskset the workers were never
    pinned, kept the host's one CPU and stacked there (a contention-sensing verifier was paid 192 of 192)."""
    several_cpus()
    done = subprocess.run([sys.executable, "-c", CONCURRENT_UNDER_ONE_CPU, READ_CPU], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    pairs = [line.split() for line in done.stdout.splitlines()]
    assert len(pairs) == 3 and all(len(set(pair)) == 2 and "0.99" not in pair for pair in pairs)
