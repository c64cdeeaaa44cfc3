"""The transformers backend end to end: a tiny random model drafts garbage, and the run records why."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.backends import BackendOptions, create_backend
from synth.backends.base import GenerationRequest
from synth.pipeline import PipelineConfig, run_pipeline
from task_bank.failure import FailureRecord
from task_bank.provenance import SamplingSettings
from task_bank.records import RunOutcome
from task_bank.spec import Message
from task_bank.store import Bank
from verifier.pool import open_pool
from verifier.validate import Validator

pytestmark = pytest.mark.slow

FAILURES = [
    FailureRecord(id=f"f{i}", conversation=[{"role": "user", "content": text}], response=resp,
                  signal={"kind": "correction", "detail": "wrong"}, tags=(tag,))
    for i, (text, resp, tag) in enumerate([("What is 17 km plus 250 m in metres?", "267", "units"),
                                           ("Return the date three days after 2024-02-27.", "2024-03-02", "dates")])
]


def _backend(model_dir: Path, batch_size: int = 4):
    sampling = SamplingSettings(temperature=0.0, max_new_tokens=16, seed=0)
    return create_backend("transformers", BackendOptions(model=str(model_dir), sampling=sampling,
                                                         batch_size=batch_size, device="cpu"))


def test_batched_generation_is_ordered_and_deterministic(tiny_model_dir: Path) -> None:
    reqs = [GenerationRequest(key=f"k{i}", messages=(Message(role="user", content="x" * (i + 1)),))
            for i in range(3)]
    with _backend(tiny_model_dir) as backend:
        first = backend.generate(reqs)
        again = backend.generate(reqs)
    assert [g.key for g in first] == ["k0", "k1", "k2"]
    assert [g.text for g in first] == [g.text for g in again]
    assert all(0 < g.completion_tokens <= 16 for g in first)


def test_tiny_model_drafts_are_rejected_with_reasons_and_the_run_finishes(tiny_model_dir: Path,
                                                                          tmp_path: Path) -> None:
    config = PipelineConfig(drafts_per_group=1, repair_rounds=1, replay=False)
    with _backend(tiny_model_dir) as backend, open_pool("bwrap", workers=1) as pool, \
            Bank.open(tmp_path / "bank.db") as bank:
        summary = run_pipeline(FAILURES, bank=bank, backend=backend, validator=Validator(pool), config=config,
                               run_id="tiny-run")
        run = bank.get_run("tiny-run")
        processed = bank.processed_failure_ids()
    assert summary.outcome is RunOutcome.SUCCEEDED
    assert (summary.groups, summary.drafts, summary.repairs, summary.admitted) == (2, 4, 2, 0)
    assert summary.rejected == 4
    assert set(summary.rejected_by_reason) <= {"parse_error", "schema_error"}
    assert sum(summary.rejected_by_reason.values()) == 4
    assert run.kind == "generate" and run.outcome is RunOutcome.SUCCEEDED
    assert run.counts["rejected"] == 4 and run.counts["drafts"] == 4
    assert processed == {"f0", "f1"}


def test_policy_probe_samples_through_transformers_and_scores_in_the_sandbox(tiny_model_dir: Path) -> None:
    from synth.band import PolicyProbe
    from synth.executor import LocalExecutor
    from task_bank.spec import TaskSpec
    spec = TaskSpec(prompt="What is 17 km plus 250 m in metres? Answer with a number only.",
                    verifier="def verify(response):\n    return 1.0 if response.strip() == '17250' else 0.0\n",
                    reference="17250", failure_cases=("267",))
    with _backend(tiny_model_dir) as backend, open_pool("bwrap", workers=1) as pool:
        probe = PolicyProbe(backend, pool, k=3, policy="tiny")
        [measure] = probe.measure([spec], LocalExecutor())
    assert (measure.samples, measure.attempts, measure.pass_rate) == (3, 3, 0.0)
    stat = probe.stat(measure)
    assert stat is not None and stat.source == "probe" and stat.policy == "tiny" and stat.pass_at_k[3] == 0.0
