"""The learnable band and synth.probe: policy samples through a real backend (replay), scored in the sandbox."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from synth.backends.replay import ReplayBackend, load_recordings
from synth.band import BandConfig, PolicyProbe
from synth.executor import LocalExecutor
from synth.loaders import load_failures
from synth.pipeline import PipelineConfig, run_pipeline
from synth.probe import probe_bank
from task_bank.provenance import SamplingSettings
from task_bank.records import TaskStatus
from task_bank.spec import TaskSpec
from task_bank.store import Bank
from verifier.pool import Pool, open_pool
from verifier.validate import Validator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
K = 4


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with open_pool("bwrap", workers=2) as p:
        yield p


@pytest.fixture(scope="module")
def admitted_specs(tmp_path_factory: pytest.TempPathFactory, pool: Pool) -> list[TaskSpec]:
    """The tasks the example admits without a band (drafted once, to learn their ids)."""
    backend = ReplayBackend(load_recordings(ROOT / "examples" / "drafts.jsonl"), model="r", sampling=SamplingSettings())
    with Bank.open(tmp_path_factory.mktemp("plain") / "bank.db") as bank:
        run_pipeline(load_failures(ROOT / "examples" / "failures.jsonl").records, bank=bank, backend=backend,
                     validator=Validator(pool), config=PipelineConfig(replay=False))
        return sorted((r.spec for r in bank.list(status=TaskStatus.ADMITTED, limit=100)), key=lambda s: s.id)


def _policy_recordings(specs: list[TaskSpec], path: Path) -> dict[str, str]:
    """First task: always solved (too easy); second: never (too hard); the rest: half the samples solved."""
    rows = {}
    for n, spec in enumerate(specs):
        for i in range(K):
            solved = n == 0 or (n > 1 and i % 2 == 0)
            rows[f"{spec.id}/s{i}"] = spec.reference if solved else spec.failure_cases[0]
    path.write_text("".join(json.dumps({"key": k, "text": v}) + "\n" for k, v in rows.items()))
    return rows


def test_band_stores_out_of_band_tasks_rejected_with_reason_and_stats(
        admitted_specs: list[TaskSpec], pool: Pool, tmp_path: Path) -> None:
    recordings = _policy_recordings(admitted_specs, tmp_path / "policy.jsonl")
    policy = ReplayBackend(recordings, model="policy-v1", sampling=SamplingSettings())
    drafts = ReplayBackend(load_recordings(ROOT / "examples" / "drafts.jsonl"), model="r", sampling=SamplingSettings())
    config = PipelineConfig(band=BandConfig(low=0.1, high=0.9, k=K), replay=False)
    with Bank.open(tmp_path / "bank.db") as bank:
        summary = run_pipeline(load_failures(ROOT / "examples" / "failures.jsonl").records, bank=bank,
                               backend=drafts, validator=Validator(pool), config=config,
                               probe=PolicyProbe(policy, pool, k=K))
        easy, hard = bank.get(admitted_specs[0].id), bank.get(admitted_specs[1].id)
        middle = bank.get(admitted_specs[2].id)
        stats = {s.id: bank.stats(s.id) for s in admitted_specs}
    assert summary.admitted == len(admitted_specs) - 2
    assert summary.rejected_by_reason["too_easy"] == 1 and summary.rejected_by_reason["too_hard"] == 1
    assert "band" in summary.stage_seconds
    assert (easy.status, easy.reasons) == (TaskStatus.REJECTED, ("too_easy",))
    assert (hard.status, hard.reasons) == (TaskStatus.REJECTED, ("too_hard",))
    assert middle.status is TaskStatus.ADMITTED
    for task_id, recorded in stats.items():
        assert len(recorded) == 1 and recorded[0].source == "probe" and recorded[0].policy == "policy-v1"
    assert stats[middle.id][0].pass_rate == 0.5 and stats[middle.id][0].pass_at_k[K] == 1.0


def test_a_band_that_cannot_be_measured_admits_on_validation_alone(
        admitted_specs: list[TaskSpec], pool: Pool, tmp_path: Path) -> None:
    silent = ReplayBackend({}, model="policy-silent", sampling=SamplingSettings())  # no sample can be scored
    drafts = ReplayBackend(load_recordings(ROOT / "examples" / "drafts.jsonl"), model="r", sampling=SamplingSettings())
    config = PipelineConfig(band=BandConfig(low=0.1, high=0.9, k=K), replay=False)
    with Bank.open(tmp_path / "bank.db") as bank:
        summary = run_pipeline(load_failures(ROOT / "examples" / "failures.jsonl").records, bank=bank,
                               backend=drafts, validator=Validator(pool), config=config,
                               probe=PolicyProbe(silent, pool, k=K))
        statuses = {bank.get(s.id).status for s in admitted_specs}
    assert summary.admitted == len(admitted_specs) and statuses == {TaskStatus.ADMITTED}


def test_probe_of_rejected_tasks_measures_only_those_rejected_as_too_hard(
        admitted_specs: list[TaskSpec], pool: Pool, tmp_path: Path) -> None:
    recordings = _policy_recordings(admitted_specs, tmp_path / "p.jsonl")
    probe = PolicyProbe(ReplayBackend(recordings, model="p4", sampling=SamplingSettings()), pool, k=K)
    hard, broken = admitted_specs[2], admitted_specs[3]
    with Bank.open(tmp_path / "bank.db") as bank:
        bank.admit(hard, status=TaskStatus.REJECTED, reasons=("too_hard",))
        bank.admit(broken, status=TaskStatus.REJECTED, reasons=("unsolvable",))
        summary = probe_bank(bank, probe, LocalExecutor(), status=TaskStatus.REJECTED)
        assert [m.task_id for m in summary.measures] == [hard.id]
        assert bank.stats(broken.id) == []


def test_probe_measures_pass_rate_and_unscored_samples_are_left_out(admitted_specs: list[TaskSpec],
                                                                    pool: Pool) -> None:
    spec = admitted_specs[2]
    recordings = {f"{spec.id}/s0": spec.reference, f"{spec.id}/s1": spec.failure_cases[0]}
    probe = PolicyProbe(ReplayBackend(recordings, model="p", sampling=SamplingSettings()), pool, k=3)
    [measure] = probe.measure([spec], LocalExecutor())
    assert (measure.samples, measure.attempts, measure.passes, measure.pass_rate) == (3, 2, 1, 0.5)
    assert measure.pass_at_k == {1: 0.5, 2: 1.0}


def test_probe_command_records_stats_per_policy(admitted_specs: list[TaskSpec], pool: Pool,
                                                tmp_path: Path) -> None:
    bank_path = tmp_path / "bank.db"
    with Bank.open(bank_path) as bank:
        for spec in admitted_specs:
            bank.admit(spec)
    _policy_recordings(admitted_specs, tmp_path / "policy.jsonl")
    cmd = [sys.executable, "-m", "synth.probe", "--policy", "policy-v2", "--backend", "replay", "--drafts",
           str(tmp_path / "policy.jsonl"), "--bank", str(bank_path), "-k", str(K), "--json"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["tasks"] == report["recorded"] == len(admitted_specs)
    with Bank.open(bank_path) as bank:
        rates = bank.latest_pass_rates(policy="policy-v2")
        stat = bank.stats(admitted_specs[0].id)[-1]
    assert rates[admitted_specs[0].id] == 1.0 and rates[admitted_specs[1].id] == 0.0
    assert stat.source == "probe" and stat.attempts == K and stat.pass_at_k[1] == 1.0


def test_probe_bank_library_call_matches_the_command(admitted_specs: list[TaskSpec], pool: Pool,
                                                     tmp_path: Path) -> None:
    recordings = _policy_recordings(admitted_specs, tmp_path / "p.jsonl")
    probe = PolicyProbe(ReplayBackend(recordings, model="p3", sampling=SamplingSettings()), pool, k=K)
    with Bank.open(tmp_path / "bank.db") as bank:
        for spec in admitted_specs:
            bank.admit(spec)
        summary = probe_bank(bank, probe, LocalExecutor(), batch=3)
    assert summary.recorded == len(admitted_specs)
    expected = (1.0 + 0.0 + 0.5 * (len(admitted_specs) - 2)) / len(admitted_specs)
    assert summary.mean_pass_rate == pytest.approx(expected)


def test_generate_command_applies_the_band_with_a_policy(admitted_specs: list[TaskSpec], tmp_path: Path) -> None:
    _policy_recordings(admitted_specs, tmp_path / "policy.jsonl")
    cmd = [sys.executable, "-m", "synth.generate", "--failures", "examples/failures.jsonl", "--backend", "replay",
           "--drafts", "examples/drafts.jsonl", "--bank", str(tmp_path / "bank.db"), "--json",
           "--policy", "policy-v1", "--policy-backend", "replay", "--policy-drafts", str(tmp_path / "policy.jsonl"),
           "--probe-k", str(K), "--band-low", "0.1", "--band-high", "0.9", "--no-replay"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["admitted"] == len(admitted_specs) - 2
    assert summary["rejected_by_reason"]["too_easy"] == 1 and summary["rejected_by_reason"]["too_hard"] == 1
