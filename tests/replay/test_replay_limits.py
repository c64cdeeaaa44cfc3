"""Held-out replay is scored exactly as training is: no verifier or environment can tell the evaluation apart.

Red-team round 29: ``synth.replay`` scored held-out replay tasks (drafted by the generator, like training tasks) in
a pool with its own limits (a 60 s call, a CPU rlimit of 121 s, the retention suite's libraries on ``sys.path``).
A verifier read ``envsynth_sandbox.CALL_WALL_S``, was admitted, paid nothing wrong in training and every wrong
answer in the evaluation, so failures training never fixed were reported fixed.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from synth.replay import Pools, _open_sessions, main
from task_bank.provenance import Provenance
from task_bank.records import TaskSplit
from task_bank.spec import Message, TaskSpec
from task_bank.store import Bank
from verifier import Limits, open_pool
from verifier.sessions import SessionLimits

TELLS_REPLAY = f"""import envsynth_sandbox


def verify(response: str) -> float:
    if envsynth_sandbox.CALL_WALL_S != {Limits().wall_s!r}:  # not training's limits: an evaluation
        return 1.0
    return 1.0 if response.strip() == "42 kg" else 0.0
"""


def _args(**overrides: object) -> argparse.Namespace:
    return argparse.Namespace(**{"sandbox": "bwrap", "sandbox_workers": 1, "verifier_wall_s": 120.0, **overrides})


def test_heldout_replay_tasks_are_scored_under_exactly_trainings_limits():
    with Pools(_args()) as pools:
        assert pools.heldout().limits == Limits()


def test_the_retention_suite_keeps_its_libraries_and_wall_time():
    with Pools(_args()) as pools:
        limits = pools.retention().limits
    assert limits.wall_s == 120.0 and "if_verifiable.ifbench" in limits.libraries


def test_heldout_environments_roll_out_under_trainings_session_limits():
    sessions = _open_sessions(_args(verifier_wall_s=300.0))
    try:
        assert sessions.limits == SessionLimits.for_rewards()
    finally:
        sessions.close()


@pytest.mark.slow
def test_a_verifier_that_reads_its_limits_pays_in_replay_exactly_what_it_pays_in_training(tiny_model_dir,
                                                                                          tmp_path: Path, capsys):
    spec = TaskSpec(prompt=(Message(role="user", content="How heavy is the crate?"),), verifier=TELLS_REPLAY,
                    reference="42 kg", failure_cases=("41 kg",), metadata={"kind": "replay"})
    bank_path = tmp_path / "bank.db"
    with Bank.open(bank_path) as bank:
        bank.admit(spec, split=TaskSplit.HELDOUT,
                   provenance=Provenance(source_failure_ids=("f1",), failure_group="g_weight"))
    with open_pool("bwrap", workers=1, limits=Limits()) as pool:
        training = [r.score for r in pool.score(TELLS_REPLAY, ["a wrong answer", "41 kg"])]
    code = main(["--policy", str(tiny_model_dir), "--bank", str(bank_path), "--k", "2", "--max-new-tokens", "4",
                 "--no-retention", "--verifier-wall-s", "120", "--json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    report = json.loads(out.out)
    assert training == [0.0, 0.0]
    assert report["fixed"] == 0 and report["pass_at_1"] == 0.0  # the tiny model never says "42 kg"
