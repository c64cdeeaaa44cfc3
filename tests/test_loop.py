"""The whole loop, as a user runs it: failures -> admitted tasks -> GRPO on them -> pass rates back in the bank ->
a probe of the trained policy -> the trainer's sampling sees both.

Each step is the real command in its own process, on one bank file, with a tiny random policy built locally.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from task_bank.store import Bank

pytestmark = [pytest.mark.slow, pytest.mark.sandbox]

ROOT = Path(__file__).resolve().parents[1]


def run(*args: str, env: dict[str, str]) -> dict:
    done = subprocess.run([sys.executable, "-m", *args, "--json"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, f"{args[0]} failed:\n{done.stderr[-3000:]}"
    out = done.stdout.strip()
    return json.loads(out[out.rindex("\n{") + 1:] if "\n{" in out else out)  # the report is the last document


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory, tiny_model_dir: Path) -> dict:
    home = tmp_path_factory.mktemp("loop")
    env = {**os.environ, "ENVSYNTH_BANK": str(home / "bank.db")}
    generated = run("synth.generate", "--failures", "examples/failures.jsonl", "--backend", "replay",
                    "--drafts", "examples/drafts.jsonl", env=env)
    trained = run("trainer.grpo", "--policy", str(tiny_model_dir), "--output", str(home / "run"),
                  "--config", "trainer/configs/tiny.toml", "--set", "grpo.max_steps=2", "--set", "grpo.device=cpu",
                  env=env)
    probed = run("synth.probe", "--policy", str(tiny_model_dir), "-k", "2", "--max-new-tokens", "8",
                 "--limit", "3", "--device", "cpu", env=env)
    replayed = run("synth.replay", "--policy", str(home / "run"), "--k", "1", "--max-new-tokens", "8",
                   "--no-retention", "--device", "cpu", env=env)
    stats = run("task_bank", "stats", env=env)
    return {"generated": generated, "trained": trained, "probed": probed, "replayed": replayed, "stats": stats,
            "bank": home / "bank.db"}


def test_failures_become_admitted_tasks(loop):
    assert loop["generated"]["admitted"] == loop["stats"]["by_status"]["admitted"]
    assert loop["stats"]["by_split"]["train"] >= 6 and loop["stats"]["by_split"]["heldout"] == 32


def test_the_trained_policy_is_replayed_on_every_failure_it_was_meant_to_fix(loop):
    replayed = loop["replayed"]
    assert replayed["total"] == 32 and 0 <= replayed["fixed"] <= 32
    assert len(replayed["by_group"]) == 6 and replayed["policy"].endswith("run")


def test_training_on_the_generated_tasks_writes_pass_rates_back(loop):
    assert loop["trained"]["steps"] == 2 and loop["trained"]["stats_written"] > 0


def test_a_probe_of_the_trained_policy_records_pass_rates_beside_the_trainers(loop):
    with Bank.open(loop["bank"]) as bank:
        sources = {s.source for record in bank.list(limit=100) for s in bank.stats(record.id)}
        rates = bank.latest_pass_rates()
    assert loop["probed"]["tasks"] == 3 and sources == {"train", "probe"}
    assert rates and all(0.0 <= rate <= 1.0 for rate in rates.values())
