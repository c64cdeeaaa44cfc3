"""The reward function scores a whole batch through the real verifier pool; a sandbox failure is None, never 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank import TaskSpec
from task_bank.store import Bank
from trainer.ledger import ScoreLedger
from trainer.monitor import MonitorConfig
from trainer.reward import VerifierReward
from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

EXACT = TaskSpec(prompt="Say 42.", reference="42", failure_cases=("41",),
                 verifier="def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n")
MISBEHAVING = TaskSpec(
    prompt="Say anything.", reference="fine", failure_cases=("boom",),
    verifier=("import time\n\ndef verify(response: str) -> float:\n"
              "    if response == 'boom':\n        raise RuntimeError('verifier crashed on this response')\n"
              "    if response == 'hang':\n        time.sleep(60)\n"
              "    if response == 'nan':\n        return float('nan')\n"
              "    return 1.0\n"))


def chat(text: str) -> list[dict[str, str]]:
    return [{"role": "assistant", "content": text}]


@pytest.fixture()
def bank(tmp_path: Path):
    with Bank.open(tmp_path / "bank.db") as opened:
        opened.admit(EXACT)
        opened.admit(MISBEHAVING)
        yield opened


class MetricLog:
    """Stands in for TRL's ``log_metric`` hook."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def __call__(self, name: str, value: float) -> None:
        self.values[name] = value


def test_rewards_are_the_verifier_scores(bank):
    with open_pool(backend="bwrap", workers=2) as pool:
        reward = VerifierReward(pool, bank, ScoreLedger(1.0), group_size=2)
        metrics = MetricLog()
        rewards = reward([None] * 4, [chat("42"), chat("41"), chat(" 42 "), chat("x")], task_id=[EXACT.id] * 4,
                         log_metric=metrics)
    assert rewards == [1.0, 0.0, 1.0, 0.0]
    assert metrics.values["verifier/scored"] == 4 and metrics.values["verifier/pass_rate"] == 0.5


def test_crash_timeout_and_invalid_caused_by_the_response_earn_zero(bank):
    with open_pool(backend="bwrap", workers=2, limits=Limits(wall_s=1.0, cpu_s=1.0)) as pool:
        reward = VerifierReward(pool, bank, ScoreLedger(1.0), group_size=4)
        metrics = MetricLog()
        rewards = reward([None] * 4, ["fine", "boom", "hang", "nan"], task_id=[MISBEHAVING.id] * 4,
                         log_metric=metrics)
    assert rewards == [1.0, 0.0, 0.0, 0.0]
    assert {k: metrics.values[f"verifier/{k}"] for k in ("scored", "crashed", "timeout", "invalid", "error")} == \
        {"scored": 1, "crashed": 1, "timeout": 1, "invalid": 1, "error": 0}


def test_a_sandbox_failure_yields_none_never_zero(bank, collapsing_registry):
    ledger = ScoreLedger(1.0)
    with open_pool(backend="collapsing", workers=1, registry=collapsing_registry) as pool:
        metrics = MetricLog()
        rewards = VerifierReward(pool, bank, ledger, group_size=2)(
            [None] * 2, ["42", "41"], task_id=[EXACT.id] * 2, log_metric=metrics)
    assert rewards == [None, None]
    assert metrics.values["verifier/error"] == 2
    tally = ledger.drain()[EXACT.id]
    assert (tally.attempts, tally.unscored) == (0, 2)


def test_a_task_missing_from_the_bank_yields_none(bank):
    with open_pool(backend="bwrap", workers=1) as pool:
        rewards = VerifierReward(pool, bank, ScoreLedger(1.0), group_size=2)([None] * 2, ["42", "42"],
                                                                             task_id=["t_gone", "t_gone"])
    assert rewards == [None, None]


class CountingPool:
    """Wraps a real pool to count how the reward function calls it."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.calls = 0

    def score_batch(self, pairs):
        self.calls += 1
        return self.pool.score_batch(pairs)


def test_a_batch_of_mixed_tasks_is_one_pool_call_and_groups_are_tallied(bank):
    ledger = ScoreLedger(1.0)
    with open_pool(backend="bwrap", workers=2) as pool:
        counting = CountingPool(pool)
        metrics = MetricLog()
        VerifierReward(counting, bank, ledger, group_size=2)(
            [None] * 4, ["41", "41", "fine", "x"], task_id=[EXACT.id, EXACT.id, MISBEHAVING.id, MISBEHAVING.id],
            log_metric=metrics)
    assert counting.calls == 1
    assert metrics.values["verifier/equal_groups"] == 2
    tallies = ledger.drain()
    assert (tallies[EXACT.id].groups, tallies[EXACT.id].equal_groups, tallies[MISBEHAVING.id].passes) == (1, 1, 2)


class GroupLog:
    """Stands in for the reward-hacking monitor: keeps what each ``record_group`` call was given."""

    def __init__(self) -> None:
        self.config = MonitorConfig(spot_checks=0, canaries=0, group_canaries=0, reference_probe=False)
        self.flagged: dict[str, object] = {}
        self.groups: list[tuple[str, list[float | None], list[str], list[bool] | None]] = []

    def record_group(self, task_id, rewards, responses, truncated=None, ran=None, answered=None) -> None:
        self.groups.append((task_id, list(rewards), list(responses), truncated))
        self.ran = list(ran) if ran is not None else None

    def record_results(self, task_id, digest, score) -> None:
        pass

    def record_reference(self, task_id, digest) -> None:
        pass

    def record_unreplayable(self, task_id, reason) -> None:
        pass

    def record_answer(self, task_id, alike, behaviour="") -> None:
        pass


def test_the_monitor_learns_which_completions_the_generation_limit_cut_off(bank):
    """A completion of ``max_completion_length`` tokens was cut off; the monitor leaves such failing responses out
    of its contrast (round 43's B11)."""
    log = GroupLog()
    with open_pool(backend="bwrap", workers=1) as pool:
        reward = VerifierReward(pool, bank, ScoreLedger(1.0), group_size=3, monitor=log, max_completion_length=4)
        reward([None] * 3, ["42", "4", "41"], task_id=[EXACT.id] * 3, completion_ids=[[7, 2], [9, 9, 9, 9], [1]])
    assert log.groups == [(EXACT.id, [1.0, 0.0, 0.0], ["42", "4", "41"], [False, True, False])]


RUNS_PROGRAMS = TaskSpec(
    prompt="Write `f()` returning 7.", reference="def f():\n    return 7\n", failure_cases=("def f():\n    return 8\n",),
    verifier=("from envsynth_sandbox import run_response\n\ndef verify(response: str) -> float:\n"
              "    if 'def' not in response:\n        return 0.0\n"
              "    run = run_response(response, calls=[('f', [])])\n"
              "    return 1.0 if run.calls[0].ok and run.calls[0].value == 7 else 0.0\n"))


def test_the_monitor_learns_which_responses_the_verifier_ran(tmp_path):
    """The sandbox's record (``ScoreResult.ran_response``) reaches the monitor with each group (rule ``unrun``)."""
    log = GroupLog()
    with Bank.open(tmp_path / "bank.db") as opened, open_pool(backend="bwrap", workers=1) as pool:
        opened.admit(RUNS_PROGRAMS)
        reward = VerifierReward(pool, opened, ScoreLedger(1.0), group_size=3, monitor=log)
        reward([None] * 3, [RUNS_PROGRAMS.reference, "seven", RUNS_PROGRAMS.failure_cases[0]],
               task_id=[RUNS_PROGRAMS.id] * 3)
    assert log.ran == [True, False, True]
