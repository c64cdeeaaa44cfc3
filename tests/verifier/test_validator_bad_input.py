"""Hostile and broken verifiers each get a clear per-task verdict; the validator survives, stays within its budget,
and leaves no process behind. Runs through the real bwrap backend, whose cgroup limits contain the fork bomb."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from task_bank.spec import TaskSpec
from verifier import Limits, ValidationConfig, Validator, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

BUDGET_S = 1.0
GOOD = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n"
SYNTAX_ERROR = "def verify(response: str) -> float\n    return 1.0\n"
NEVER_RETURNS = "def verify(response: str) -> float:\n    while True:\n        pass\n"
SLEEPS_FOREVER = "import time\ndef verify(response: str) -> float:\n    time.sleep(10_000)\n    return 1.0\n"
HANGS_ON_LONG_INPUT = ("def verify(response: str) -> float:\n    while len(response) > 1000:\n        pass\n"
                      "    return 1.0 if response.strip() == '42' else 0.0\n")
FLOODS_OUTPUT = ("import sys\ndef verify(response: str) -> float:\n    for _ in range(100_000):\n"
                 "        sys.stdout.write('x' * 10_000)\n        sys.stderr.write('y' * 10_000)\n    return 1.0\n")
FORK_BOMB = ("import os\ndef verify(response: str) -> float:\n    while True:\n        try:\n"
             "            os.fork()\n        except OSError:\n            pass\n")
FORKS_ON_LOAD = "import os\nwhile True:\n    try:\n        os.fork()\n    except OSError:\n        pass\n"


def task(verifier: str) -> TaskSpec:
    return TaskSpec(prompt="What is 6 times 7? Answer with the number only.", verifier=verifier, reference="42",
                    failure_cases=("41",))


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid``, read from /proc (zombies included)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: set[int] = set()
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            if child not in found:
                found.add(child)
                stack.append(child)
    return found


@pytest.fixture(scope="module")
def validator():
    config = ValidationConfig(call_budget_s=BUDGET_S)
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=BUDGET_S)) as pool, \
            Validator(pool, config) as validator:
        validator.validate(task(GOOD))  # start the warm interpreters, so later process counts compare like with like
        yield validator


def validate_bounded(validator: Validator, source: str, max_s: float):
    before = descendants(os.getpid())
    t0 = time.monotonic()
    report = validator.validate(task(source))
    elapsed = time.monotonic() - t0
    assert elapsed < max_s, f"validation took {elapsed:.1f} s"
    deadline = time.monotonic() + 5.0
    while descendants(os.getpid()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert descendants(os.getpid()) - before == set(), "validation left processes behind"
    return report


def test_syntax_error_is_rejected_at_once(validator):
    report = validate_bounded(validator, SYNTAX_ERROR, max_s=1.0)
    assert report.reasons == ("verifier_error",)


def test_busy_loop_is_timeout_within_budget(validator):
    report = validate_bounded(validator, NEVER_RETURNS, max_s=BUDGET_S * 10)
    assert report.reasons == ("timeout",)


def test_sleep_forever_is_timeout_within_budget(validator):
    report = validate_bounded(validator, SLEEPS_FOREVER, max_s=BUDGET_S * 10)
    assert report.reasons == ("timeout",)


def test_hang_on_one_probe_only_counts_as_failing_within_a_few_budgets(validator):
    report = validate_bounded(validator, HANGS_ON_LONG_INPUT, max_s=BUDGET_S * 10)
    assert report.admitted, report.reasons
    assert "trivial:junk timeout" in next(c for c in report.checks if c.name == "trivial").detail


def test_output_flood_gets_a_verdict(validator):
    report = validate_bounded(validator, FLOODS_OUTPUT, max_s=BUDGET_S * 10)
    assert report.reasons == ("verifier_error",)
    assert "output limit" in next(c for c in report.checks if c.name == "reference").detail


def test_fork_bomb_in_verify_is_contained(validator):
    report = validate_bounded(validator, FORK_BOMB, max_s=BUDGET_S * 10)
    assert not report.admitted and set(report.reasons) <= {"timeout", "verifier_error"}


def test_fork_bomb_on_load_is_contained(validator):
    report = validate_bounded(validator, FORKS_ON_LOAD, max_s=BUDGET_S * 10)
    assert not report.admitted and set(report.reasons) <= {"timeout", "verifier_error"}


def test_pool_still_admits_a_good_task_after_hostile_ones(validator):
    for source in (NEVER_RETURNS, FORK_BOMB, FLOODS_OUTPUT):
        validator.validate(task(source))
    assert validator.validate(task(GOOD)).admitted


def test_batch_with_bad_verifiers_keeps_input_order(validator):
    sources = [GOOD, SYNTAX_ERROR, NEVER_RETURNS, GOOD]
    reports = validator.validate_many([task(s) for s in sources])
    assert [r.task_id for r in reports] == [task(s).id for s in sources]
    assert [r.admitted for r in reports] == [True, False, False, True]


def test_closing_the_validator_and_pool_leaves_no_process():
    before = descendants(os.getpid())
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=BUDGET_S)) as pool, \
            Validator(pool, ValidationConfig(call_budget_s=BUDGET_S)) as validator:
        assert validator.validate(task(GOOD)).admitted
        assert descendants(os.getpid()) - before
    deadline = time.monotonic() + 5.0
    while descendants(os.getpid()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert descendants(os.getpid()) - before == set()
