"""The replay pipeline end to end on the shipped example, through the real sandbox and a real bank.

The example (examples/failures.jsonl, examples/drafts.jsonl) is 32 failures over 6 weaknesses, 2 draft slots per
group and one repair round: 12 first drafts and 5 repairs. These tests are about practice tasks, so held-out replay
tasks are off (``PRACTICE``; tests/replay covers them). Six first drafts are good, one is a near copy of
another, five are bad (cut-off JSON, a verifier that always passes, a wrong reference, an unseeded random
verifier, a verifier that crashes); four repairs are good, one keeps its wrong reference.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from synth.backends.base import Generation, GenerationRequest
from synth.backends.replay import ReplayBackend, load_recordings
from synth.budget import Budget
from synth.pipeline import PipelineConfig
from synth.loaders import load_failures
from synth.pipeline import run_pipeline
from synth.prompts import PromptLibrary
from synth.summary import PipelineSummary
from task_bank.failure import FailureRecord
from task_bank.provenance import SamplingSettings
from task_bank.records import RunOutcome, TaskStatus
from task_bank.store import Bank
from verifier.pool import Pool, open_pool
from verifier.validate import Validator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PRACTICE = PipelineConfig(replay=False)
FAILURES = ROOT / "examples" / "failures.jsonl"
DRAFTS = ROOT / "examples" / "drafts.jsonl"
SECRETS = ("jane.doe@example.com", "sk-proj-AbCdEf1234567890abcdEFgh")


class RecordingReplay(ReplayBackend):
    """The replay backend, also keeping every request it was sent (to check what reached the generator)."""

    def __init__(self) -> None:
        super().__init__(load_recordings(DRAFTS), model="replay:drafts.jsonl", sampling=SamplingSettings())
        self.requests: list[GenerationRequest] = []
        self._extra: dict[str, str] = {}

    def record(self, replies: dict[str, str]) -> None:
        """Add recordings (for requests the shipped file does not cover)."""
        self._extra.update(replies)

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.requests.extend(requests)
        return [Generation(key=r.key, text=self._extra[r.key]) if r.key in self._extra else g
                for r, g in zip(requests, super().generate(requests))]


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with open_pool("bwrap", workers=2) as p:
        yield p


@pytest.fixture(scope="module")
def failures() -> tuple[FailureRecord, ...]:
    return load_failures(FAILURES).records


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory, pool: Pool,
                failures: tuple[FailureRecord, ...]) -> Iterator[tuple[Bank, PipelineSummary, RecordingReplay]]:
    backend = RecordingReplay()
    with Bank.open(tmp_path_factory.mktemp("bank") / "bank.db") as bank:
        summary = run_pipeline(failures, bank=bank, backend=backend, validator=Validator(pool), config=PRACTICE,
                               run_id="run-1")
        yield bank, summary, backend


def test_example_counts_and_reasons_are_exact(example_run: tuple[Bank, PipelineSummary, RecordingReplay]) -> None:
    bank, summary, _ = example_run
    assert summary.outcome is RunOutcome.SUCCEEDED
    assert (summary.failures_read, summary.groups, summary.drafts, summary.repairs) == (32, 6, 17, 5)
    assert (summary.validated, summary.admitted, summary.rejected, summary.duplicates) == (16, 10, 6, 1)
    # failure_case_passes 1: the always-passing verifier. The unseeded random one is nondeterministic only: it tests
    # n == 0 (the one input on which the off-by-one failure case ``xs[-n:]`` is wrong) every time, before its random
    # cases. (It used not to, and whether one of the failure case's twins drew no n == 0 depended on where the twins
    # stood: the reasons changed from one validation to the next, 5 times in 40.)
    assert summary.rejected_by_reason == {"failure_case_passes": 1, "nondeterministic": 1, "verifier_error": 1,
                                          "parse_error": 1, "trivial": 1, "unsolvable": 2}
    assert bank.count(status=TaskStatus.ADMITTED) == 10
    assert bank.count(status=TaskStatus.REJECTED) == 6


def test_every_task_carries_provenance(example_run: tuple[Bank, PipelineSummary, RecordingReplay],
                                       failures: tuple[FailureRecord, ...]) -> None:
    bank, _, _ = example_run
    prompts = PromptLibrary()
    responses = {f.id: f.response for f in failures}
    tasks = bank.list(limit=100)
    assert len(tasks) == 16
    for task in tasks:
        p = task.provenance
        assert p.generator_backend == "replay" and p.generator_model == "replay:drafts.jsonl"
        assert p.growth_run_id == "run-1" and p.failure_group and p.draft_id and p.sampling is not None
        expected_template = "repair.j2" if p.repair_round else "draft.j2"
        assert p.prompt_template == expected_template
        assert p.prompt_template_hash == prompts.template_hash(expected_template)
        assert set(p.source_failure_ids) <= set(responses)
        assert responses[p.source_failure_ids[0]] in task.spec.failure_cases
    assert sum(1 for t in tasks if t.provenance.repair_round == 1) == 5


def test_rejected_tasks_keep_their_reports(example_run: tuple[Bank, PipelineSummary, RecordingReplay]) -> None:
    bank, _, _ = example_run
    for task in bank.list(status=TaskStatus.REJECTED, limit=100):
        if task.duplicate_of is None:
            reports = bank.reports(task.id)
            assert reports and not reports[-1].admitted
            assert set(task.reasons) == set(reports[-1].reasons)


def test_near_copy_is_stored_as_a_duplicate(example_run: tuple[Bank, PipelineSummary, RecordingReplay]) -> None:
    bank, _, _ = example_run
    dups = [t for t in bank.list(status=TaskStatus.REJECTED, limit=100) if t.duplicate_of]
    assert len(dups) == 1 and dups[0].reasons == ("duplicate",)
    assert bank.get(dups[0].duplicate_of).status is TaskStatus.ADMITTED


def test_run_is_recorded_as_a_generate_growth_run(example_run: tuple[Bank, PipelineSummary, RecordingReplay]) -> None:
    bank, summary, _ = example_run
    run = bank.get_run("run-1")
    assert run.kind == "generate" and run.outcome is RunOutcome.SUCCEEDED and run.ended_at is not None
    assert run.inputs_seen == 32 and run.counts["admitted"] == 10 and run.counts["rejected:unsolvable"] == 2
    assert run.counts == summary.counts()


def test_secrets_reach_neither_prompts_nor_bank(example_run: tuple[Bank, PipelineSummary, RecordingReplay],
                                                failures: tuple[FailureRecord, ...]) -> None:
    bank, summary, backend = example_run
    assert any(s in f.model_dump_json() for f in failures for s in SECRETS)
    assert summary.redactions == 2
    prompts = " ".join(m.content for r in backend.requests for m in r.messages)
    stored = " ".join(f.model_dump_json() for f in bank.list_failures(limit=100))
    stored += " ".join(t.model_dump_json() for t in bank.list(limit=100))
    for secret in SECRETS:
        assert secret not in prompts and secret not in stored
    assert "[REDACTED_EMAIL]" in prompts or "[REDACTED_EMAIL]" in stored


def test_repair_prompts_quote_the_concrete_reasons(example_run: tuple[Bank, PipelineSummary, RecordingReplay]) -> None:
    _, _, backend = example_run
    repairs = {r.key: r.messages[-1].content for r in backend.requests if r.key.endswith("/r1")}
    assert len(repairs) == 5
    assert any("parse_error" in text for text in repairs.values())
    assert any("unsolvable" in text and "1.0" in text for text in repairs.values())


def _example_bank(path: Path, pool: Pool, failures: tuple[FailureRecord, ...]) -> Bank:
    """A bank of its own after the example run (tests that run again must not change the shared one)."""
    bank = Bank.open(path)
    run_pipeline(failures, bank=bank, backend=RecordingReplay(), validator=Validator(pool), config=PRACTICE,
                 run_id="run-1")
    return bank


def test_second_run_admits_nothing_new(tmp_path: Path, pool: Pool, failures: tuple[FailureRecord, ...]) -> None:
    backend = RecordingReplay()
    with _example_bank(tmp_path / "bank.db", pool, failures) as bank:
        again = run_pipeline(failures, bank=bank, backend=backend, validator=Validator(pool), config=PRACTICE,
                             run_id="run-2")
        assert (again.failures_skipped, again.groups, again.drafts, again.admitted) == (32, 0, 0, 0)
        assert backend.requests == []
        assert bank.count(status=TaskStatus.ADMITTED) == 10


def test_force_redrafts_but_the_bank_admits_nothing_twice(tmp_path: Path, pool: Pool,
                                                          failures: tuple[FailureRecord, ...]) -> None:
    with _example_bank(tmp_path / "bank.db", pool, failures) as bank:
        forced = run_pipeline(failures, bank=bank, backend=RecordingReplay(), validator=Validator(pool),
                              config=PipelineConfig(force=True, replay=False), run_id="run-3")
        assert forced.drafts == 17 and forced.admitted == 0 and forced.duplicates == 11
        assert forced.validated == 0, "every draft was stored by the first run: none is validated again"
        assert bank.count(status=TaskStatus.ADMITTED) == 10


def test_budget_cuts_drafting_and_leaves_undrafted_groups_for_later(
        tmp_path: Path, pool: Pool, failures: tuple[FailureRecord, ...]) -> None:
    with Bank.open(tmp_path / "bank.db") as bank:
        summary = run_pipeline(failures, bank=bank, backend=RecordingReplay(), validator=Validator(pool),
                               config=PipelineConfig(repair_rounds=0, replay=False), budget=Budget(max_drafts=4),
                               run_id="b")
        processed = bank.processed_failure_ids()
        run = bank.get_run("b")
    assert summary.outcome is RunOutcome.BUDGET_EXHAUSTED and summary.budget_exhausted == "max_drafts"
    assert summary.drafts == 4 and run.outcome is RunOutcome.BUDGET_EXHAUSTED
    assert run.budget == {"max_drafts": 4.0} and run.budget_used["max_drafts"] == 4.0
    assert any(f.startswith("f_units") for f in processed)
    assert not any(f.startswith("f_cons") for f in processed)


def test_per_group_cap_limits_slots(tmp_path: Path, pool: Pool, failures: tuple[FailureRecord, ...]) -> None:
    with Bank.open(tmp_path / "bank.db") as bank:
        summary = run_pipeline(failures, bank=bank, backend=RecordingReplay(), validator=Validator(pool),
                               config=PRACTICE, budget=Budget(per_group_cap=1), run_id="c")
    assert (summary.drafts, summary.admitted, summary.outcome) == (6, 6, RunOutcome.SUCCEEDED)


def test_drafts_file_keys_are_all_used(example_run: tuple[Bank, PipelineSummary, RecordingReplay]) -> None:
    _, _, backend = example_run
    keys = {json.loads(line)["key"] for line in DRAFTS.read_text().splitlines() if line.strip()}
    assert {r.key for r in backend.requests} == {k for k in keys if "/d" in k}


def test_diagnosis_runs_once_per_group_and_reaches_the_draft_prompt(
        tmp_path: Path, pool: Pool, failures: tuple[FailureRecord, ...]) -> None:
    backend = RecordingReplay()
    diagnosis = "The model drops unit conversions."
    group_ids = {k.split("/")[0] for k in load_recordings(DRAFTS)}
    assert len(group_ids) == 6
    backend.record({f"{g}/diagnose": diagnosis for g in group_ids})
    with Bank.open(tmp_path / "bank.db") as bank:
        summary = run_pipeline(failures, bank=bank, backend=backend, validator=Validator(pool),
                               config=PipelineConfig(drafts_per_group=1, repair_rounds=0, diagnose=True, replay=False))
    diagnose_requests = [r for r in backend.requests if r.key.endswith("/diagnose")]
    assert len(diagnose_requests) == 6 and "diagnose" in summary.stage_seconds
    assert summary.drafts == 6
    drafts = [r for r in backend.requests if r.key.endswith("/r0")]
    assert all(f"Diagnosis of the weakness: {diagnosis}" in r.messages[-1].content for r in drafts)


class ForgetfulReplay(RecordingReplay):
    """The shipped recordings without those of one weakness group: the generator never answers that group."""

    def __init__(self, group: str) -> None:
        super().__init__()
        self._recordings = {k: v for k, v in self._recordings.items() if not k.startswith(group + "/")}


def test_a_failure_the_generator_never_answered_stays_unprocessed_and_costs_no_repair(
        tmp_path: Path, pool: Pool, failures: tuple[FailureRecord, ...]) -> None:
    silent = "g_011d358681cf"  # units: its first drafts and one repair are recorded in the shipped file
    with Bank.open(tmp_path / "bank.db") as bank:
        summary = run_pipeline(failures, bank=bank, backend=ForgetfulReplay(silent), validator=Validator(pool),
                               config=PRACTICE)
        processed = bank.processed_failure_ids()
        again = run_pipeline(failures, bank=bank, backend=ForgetfulReplay(silent), validator=Validator(pool),
                               config=PRACTICE)
    assert summary.rejected_by_reason["no_output"] == 2
    assert (summary.drafts, summary.repairs) == (16, 4)
    unanswered = {f.id for f in failures if f.id.startswith("f_units")}
    assert unanswered and not unanswered & processed
    assert summary.failures_deferred == len(unanswered) and len(processed) == 32 - len(unanswered)
    assert again.failures_skipped == 32 - len(unanswered) and again.groups == 1
