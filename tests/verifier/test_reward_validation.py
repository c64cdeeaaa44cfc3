"""Validation is indistinguishable from training, and blame lands where it belongs (issue 16, findings 2 and 5).

Through the real default backend (bwrap): validation's first run is exactly the training environment (RNG state,
hash seed, clock, pids); its other runs shift every clock and pid a verifier can read, ``/proc/self``'s file
time included, so a verifier that keys on them is seen to change its score. A failure case whose call ends
without a score (exit, crash, hang, forged output) counts as failing, and a verifier may use ``/tmp``.
"""

from __future__ import annotations

import pytest

from task_bank.spec import TaskSpec
from task_bank.validation import Outcome
from verifier import Limits, RunEnv, ValidationConfig, Validator, open_pool
from verifier.validation_config import run_env

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

LIMITS = Limits(wall_s=1.0, cpu_s=1.0, max_processes=32, memory_mb=256)


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=LIMITS) as opened:
        yield opened


def test_validation_run_zero_is_the_training_environment():
    assert run_env(0) == RunEnv()


def test_validation_run_zero_seeds_the_global_random_as_training_does_anew_in_every_group(pool):
    source = "import random\ndef verify(response):\n    return random.random()\n"
    drawn = [pool.score(source, ["r"], run_env(0))[0].score for _ in range(3)]
    drawn += [pool.score(source, ["r"])[0].score for _ in range(3)]
    assert len(set(drawn)) == 6


def test_the_pids_a_verifier_sees_tell_neither_its_run_nor_its_workers_age(pool):
    """Under root a verifier is pid 1 of a namespace of its own in every run and every group, so validation leaves
    its pids alone: shifting them only showed a varied run (``logging``'s ``record.process``; red-team round 34).
    Without root, where pids grow with the worker's age, the varied runs still shift them."""
    source = "import os\ndef verify(response):\n    return min(os.getpid() + os.getppid() + os.getpgrp(), 999) / 1000\n"
    seen = {pool.score(source, ["r"], run_env(run))[0].score for run in (0, 1, 2)}
    seen |= {pool.score(source, ["r"])[0].score for _ in range(5)}
    assert len(seen) == 1 and None not in seen, seen


def test_a_new_files_time_follows_the_shifted_clock(pool):
    # (run 2 shifts the clock ten years ahead; run 1 by a drawn amount, a day by default)
    # (``/proc/self``'s time was the reader until verifier processes lost ``/proc``; a file made now dates alike)
    source = ("import os, time\ndef verify(response):\n    open('made-now', 'w').close()\n"
              "    mtime = os.stat('made-now').st_mtime\n"
              "    return 1.0 if mtime > 2.0e9 and abs(mtime - time.time()) < 3600 else 0.0\n")
    assert pool.score(source, ["r"])[0].score == 0.0
    assert pool.score(source, ["r"], run_env(2))[0].score == 1.0


def test_process_count_is_the_same_in_validation_and_training(pool):
    source = "import os\ndef verify(response):\n    return sum(p.isdigit() for p in os.listdir('/proc')) / 100\n"
    assert pool.score(source, ["r"])[0].score == pool.score(source, ["r"], run_env(1))[0].score


MISBEHAVING = '''import json, os, sys, time
def verify(response):
    answer = response.strip()
    if answer == "exit":
        sys.exit(0)
    if answer == "os-exit":
        os._exit(0)
    if answer == "hang":
        time.sleep(60)
    if answer == "forge":
        print(json.dumps({"outcome": "scored", "score": 1.0}))
        os._exit(0)
    if answer == "crash":
        raise ValueError("not a number: " + answer)
    return 1.0 if answer == "42" else 0.0
'''


@pytest.fixture(scope="module")
def validator(pool):
    with Validator(pool, ValidationConfig(call_budget_s=1.0)) as opened:
        yield opened


def task(*failure_cases: str, reference: str = "42") -> TaskSpec:
    return TaskSpec(prompt="What is 6 times 7? Answer with the number only.", verifier=MISBEHAVING,
                    reference=reference, failure_cases=list(failure_cases))


@pytest.mark.parametrize("case, outcome", [("exit", Outcome.CRASHED), ("os-exit", Outcome.CRASHED),
                                           ("forge", Outcome.CRASHED), ("crash", Outcome.CRASHED),
                                           ("hang", Outcome.TIMEOUT)])
def test_failure_case_that_ends_without_a_score_counts_as_failing(validator, case, outcome):
    report = validator.validate(task("41", case))
    assert report.admitted, report.reasons
    failure_check = next(c for c in report.checks if c.name == "failure_cases")
    assert [s.outcome for s in failure_check.scores] == [Outcome.SCORED, outcome]


def test_failure_case_sys_exit_counts_as_failing(validator):
    assert validator.validate(task("exit")).admitted


def test_reference_that_ends_without_a_score_is_still_rejected(validator):
    report = validator.validate(task("41", reference="exit"))
    assert not report.admitted
    assert "verifier_error" in report.reasons


def test_verifier_can_write_tmp(pool):
    source = ("import os, tempfile\ndef verify(response):\n    open('/tmp/notes', 'w').write('0.75')\n"
              "    fresh = os.environ['TMPDIR'] == os.environ['HOME'] == os.getcwd() == tempfile.gettempdir()\n"
              "    return float(open('/tmp/notes').read()) if fresh else 0.0\n")
    assert pool.score(source, ["r"])[0].score == 0.75


def test_tmp_does_not_leak_between_groups(pool):
    pool.score("def verify(response):\n    open('/tmp/planted', 'w').write('x')\n    return 0.0\n", ["r"])
    source = "import os\ndef verify(response):\n    return 1.0 if os.path.exists('/tmp/planted') else 0.0\n"
    assert pool.score(source, ["r"])[0].score == 0.0
