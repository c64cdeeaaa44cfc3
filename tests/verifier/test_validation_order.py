"""No run that can tell it is validation overlaps the run that looks like training.

Validation's varied runs (1..N-1) use other hash seeds, so a verifier can tell it is in one (a set's order differs).
Red-team round 13: those runs forked as fast as they could while run 0 (hash seed 0, as training) ran, and run 0
counted the process ids the host allocated, stayed honest when it heard them, and paid every wrong answer in
training; 7 of 7 validations admitted it. Any channel between two sandboxes that run at once would carry that bit,
so the varied runs start only after run 0 has ended.
"""

from __future__ import annotations

import random
import threading
import time

from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier import ValidationConfig, Validator, open_pool
from verifier.limits import draw_hash_seeds
from verifier.sandbox.base import Backend, Worker
from verifier.sandbox.registry import BackendRegistry
from verifier.validation_config import DETERMINISM_RUNS_MAX

REFERENCE = "def total(xs):\n    return sum(xs)\n"


class RecordingWorker(Worker):
    """Scores the reference 1.0 and anything else 0.0, taking a little time, and records when each group ran."""

    def __init__(self, log: list[tuple[int | None, float, float, tuple[str, ...]]], lock: threading.Lock) -> None:
        self._log, self._lock = log, lock

    def score_group(self, source, responses, run_env):
        start = time.monotonic()
        time.sleep(0.02)
        with self._lock:
            self._log.append((run_env.hash_seed, start, time.monotonic(), tuple(responses)))
            RecordingBackend.clocks.setdefault(run_env.hash_seed, set()).add(run_env.clock_offset_s)
        return [ScoreResult(outcome=Outcome.SCORED, score=1.0 if r == REFERENCE else 0.0) for r in responses]

    def alive(self) -> bool:
        return True

    def close(self) -> None:
        pass


class RecordingBackend(Backend):
    name = "recording"
    log: list[tuple[int | None, float, float, tuple[str, ...]]] = []
    clocks: dict[int | None, set[float]] = {}  # hash seed (one per run; None: run 0) -> its groups' clock shifts
    lock = threading.Lock()

    def unavailable_reason(self) -> str | None:
        return None

    def start_worker(self, limits, hash_seed=0) -> Worker:
        return RecordingWorker(self.log, self.lock)


FAILURE_CASE = "def total(xs):\n    return len(xs)\n"


def validate_recorded(probe_rng: random.Random | None = None) -> list[tuple[int, float, float, tuple[str, ...]]]:
    """Validate one task on the recording backend; every group it scored, in the order they started."""
    registry = BackendRegistry()
    registry.register(RecordingBackend.name, RecordingBackend)
    RecordingBackend.log, RecordingBackend.clocks = [], {}
    spec = TaskSpec(prompt="Write total(xs), the sum of a list.", verifier="def verify(response):\n    return 0.0\n",
                    reference=REFERENCE, failure_cases=(FAILURE_CASE,))
    def noise() -> None:  # stands for inode_noise.scramble, recorded as a group of its own (seed -1)
        now = time.monotonic()
        with RecordingBackend.lock:
            RecordingBackend.log.append((-1, now, now, ()))

    with open_pool(backend="recording", workers=2, registry=registry) as pool, \
            Validator(pool, ValidationConfig(), registry=registry, noise=noise, probe_rng=probe_rng) as validator:
        validator.validate(spec)
    return sorted(RecordingBackend.log, key=lambda group: group[1])


def test_no_varied_run_starts_before_run_0_has_ended():
    log = validate_recorded()
    run_0 = [end for seed, _, end, responses in log if seed is None and responses != (REFERENCE,)]  # not the pool's
    # reference call, which may run beside the varied runs: both can tell they are validation, and run 0 is over
    varied = [start for seed, start, _, _ in log if seed is not None and seed > 0]
    assert run_0 and varied and max(run_0) <= min(varied), log


def test_nothing_of_the_task_runs_before_run_0_and_run_0_opens_with_unknown_programs():
    """Red-team round 14: the reference's call alone, before run 0, moved a host-wide counter that only grows (the
    next pipe's inode number); run 0 read it moments later and stayed honest (19 of 20 admitted), and training paid
    100 of 100 wrong answers. No overlap in time is needed for such a counter, so run 0 comes first."""
    noise, (seed, _, _, responses) = validate_recorded()[:2]
    assert noise[0] == -1  # the host's inode counter moved at random first (verifier/inode_noise.py)
    assert seed is None and responses[0] not in (REFERENCE, FAILURE_CASE), responses


def test_run_0_scores_the_failure_case_itself():
    """Red-team round 14: while run 0 scored only renamed twins, a verifier that paid the failure case's own tokens
    where hash randomisation is off (run 0 and training) was admitted 23 of 23 times."""
    assert any(FAILURE_CASE in responses for seed, _, _, responses in validate_recorded() if seed is None)


def test_run_1s_clock_shift_is_drawn_anew_for_each_validation_and_run_0_keeps_the_real_clock():
    """Red-team round 20: a time bomb whose pay window opened hours after validation missed fixed clock shifts."""
    shifts = []
    for seed in (1, 2):
        validate_recorded(random.Random(seed))
        assert RecordingBackend.clocks[None] == {0.0}  # run 0: the workers' own hash seeds, as in training
        run_1 = draw_hash_seeds(random.Random(seed), DETERMINISM_RUNS_MAX)[1]  # drawn by the validator
        (shift,) = RecordingBackend.clocks[run_1]  # one shift for all its groups
        shifts.append(shift)
    assert shifts[0] != shifts[1] and all(60.0 <= s <= 315_576_000.0 for s in shifts)
