"""Before run 0 the validator moves the host's inode counter by a random amount on every CPU
(``verifier/inode_noise.py``), so a mark an earlier call left there reads as noise in run 0."""

from __future__ import annotations

import os
import random

import pytest

from verifier.inode_noise import BATCH, scramble

pytestmark = pytest.mark.skipif(not hasattr(os, "sched_setaffinity"), reason="needs CPU affinity (Linux)")


def place_in_batch(cpu: int) -> int:
    """Where CPU ``cpu``'s next pipe inode number sits in its batch, as a sandboxed verifier reads it."""
    allowed = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {cpu})
    try:
        read_end, write_end = os.pipe()
        place = os.fstat(read_end).st_ino % BATCH
        os.close(read_end)
        os.close(write_end)
        return place
    finally:
        os.sched_setaffinity(0, allowed)


def mark(cpu: int, place: int) -> None:
    """What red-team round 14's recognisable call did: make pipes until the counter sits at ``place``."""
    for _ in range(3 * BATCH):
        if place_in_batch(cpu) == place - 1:
            return
    raise AssertionError("could not set the mark")


def test_a_mark_left_in_the_counter_does_not_survive_the_noise():
    cpu = min(os.sched_getaffinity(0))
    rng = random.Random(7)
    first = random.Random(7).randrange(BATCH)  # what scramble draws for the first CPU
    assert 100 < first < BATCH - 100  # the seed moves the mark far from where it was
    mark(cpu, 900)
    scramble(rng)
    assert not 880 <= place_in_batch(cpu) < 960


def test_the_noise_gives_the_thread_its_cpus_back():
    before = os.sched_getaffinity(0)
    scramble(random.Random(1))
    assert os.sched_getaffinity(0) == before
