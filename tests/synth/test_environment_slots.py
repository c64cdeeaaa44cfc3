"""Environments in the one drafting loop: drafted from failures, validated, stored and repaired like tasks."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from synth.backends.base import Generation, GenerationRequest
from synth.backends.replay import ReplayBackend
from synth.environment_slots import EnvironmentMode, EnvironmentSlot
from synth.generate import main
from synth.loaders import load_failures
from synth.pipeline import PipelineConfig, plan, prepare, run_pipeline
from synth.prompts import PromptLibrary
from task_bank.failure import FailureRecord
from task_bank.provenance import SamplingSettings
from task_bank.records import TaskSplit, TaskStatus
from task_bank.store import Bank
from verifier.env_validate import EnvValidator
from verifier.pool import Pool, open_pool
from verifier.validate import Validator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "environments"
FAILURES = {f.id: f for f in load_failures(EXAMPLE / "failures.jsonl").records}
RECORDED = {json.loads(line)["failure"]: json.loads(line) for line in
            (EXAMPLE / "drafts.jsonl").read_text().splitlines()}


class Recorder(ReplayBackend):
    """The replay backend, keeping every request it answered."""

    def __init__(self, recordings: dict[str, str]) -> None:
        super().__init__(recordings, model="recorded", sampling=SamplingSettings())
        self.requests: list[GenerationRequest] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.requests.extend(requests)
        return super().generate(requests)


@pytest.fixture(scope="module")
def pool() -> Iterator[Pool]:
    with open_pool("bwrap", workers=1) as p:
        yield p


def _environment_slots(failures: list[FailureRecord], mode: EnvironmentMode) -> list[EnvironmentSlot]:
    config = PipelineConfig(environments=mode)
    return [s for s in plan(prepare(failures, config, set()), config, PromptLibrary()) if isinstance(s, EnvironmentSlot)]


def test_the_example_command_admits_the_recorded_environments_through_the_loop(tmp_path, capsys):
    bank_file = tmp_path / "e.db"
    code = main(["--failures", str(EXAMPLE / "failures.jsonl"), "--backend", "replay", "--drafts",
                 str(EXAMPLE / "drafts.jsonl"), "--bank", str(bank_file), "--json"])
    summary = json.loads(capsys.readouterr().out)
    assert code == 0 and summary["admitted"] == 3
    with Bank.open(bank_file) as bank:
        stored = [r for r in bank.iter_environments(TaskStatus.ADMITTED) if r.split is TaskSplit.TRAIN]
    assert sorted(r.spec.metadata["source_failure"] for r in stored) == sorted(RECORDED)
    assert sorted(summary["admitted_ids"]) == sorted(r.id for r in stored)


def test_auto_drafts_environments_only_for_a_log_with_tool_calls():
    quickstart = load_failures(ROOT / "examples" / "failures.jsonl").records
    assert _environment_slots(quickstart, EnvironmentMode.AUTO) == []
    assert len(_environment_slots(list(FAILURES.values()), EnvironmentMode.AUTO)) == len(FAILURES)


def test_none_drafts_no_environment_and_all_drafts_one_per_failure():
    quickstart = load_failures(ROOT / "examples" / "failures.jsonl").records
    assert _environment_slots(list(FAILURES.values()), EnvironmentMode.NONE) == []
    assert len(_environment_slots(quickstart, EnvironmentMode.ALL)) == len({f.id for f in quickstart})


def test_a_single_turn_failure_is_drafted_as_a_seeded_family():
    slots = {s.anchor.id: s for s in _environment_slots(list(FAILURES.values()), EnvironmentMode.AUTO)}
    assert slots["f_env_percent"].family and not slots["f_env_refund"].family
    assert "solve(self) -> dict" in slots["f_env_percent"].rendered.messages[0].content


def test_a_rejected_environment_is_repaired_with_a_prompt_quoting_the_rejection(tmp_path, pool):
    failure = FAILURES["f_env_restock"]
    key = _environment_slots([failure], EnvironmentMode.AUTO)[0].stem
    good = json.loads(RECORDED["f_env_restock"]["text"])
    broken = {**good, "reference": {"seed": good["reference"]["seed"], "calls": [], "response": ""}}
    backend = Recorder({f"{key}/r0": json.dumps(broken), f"{key}/r1": json.dumps(good)})
    with Bank.open(tmp_path / "bank.db") as bank, Validator(pool) as tasks, EnvValidator("bwrap") as environments:
        summary = run_pipeline([failure], bank=bank, backend=backend, validator=tasks, environments=environments,
                               config=PipelineConfig(replay=False))
        stored = list(bank.iter_environments())
    repair = next(r for r in backend.requests if r.key == f"{key}/r1")
    assert "Your previous draft was rejected" in repair.messages[-1].content
    assert "reference" in repair.messages[-1].content.split("Your previous draft was rejected")[1]
    assert summary.admitted == 1 and summary.repairs == 1
    assert [r.status for r in stored] == [TaskStatus.REJECTED, TaskStatus.ADMITTED]


def test_an_environment_drafted_again_is_a_duplicate_not_validated_twice(tmp_path, pool):
    failure = FAILURES["f_env_restock"]
    key = _environment_slots([failure], EnvironmentMode.AUTO)[0].stem
    backend = Recorder({f"{key}/r0": RECORDED["f_env_restock"]["text"]})
    config = PipelineConfig(replay=False, force=True)
    with Bank.open(tmp_path / "bank.db") as bank, Validator(pool) as tasks, EnvValidator("bwrap") as environments:
        first = run_pipeline([failure], bank=bank, backend=backend, validator=tasks, environments=environments,
                             config=config)
        again = run_pipeline([failure], bank=bank, backend=backend, validator=tasks, environments=environments,
                             config=config)
    assert (first.admitted, first.validated) == (1, 1)
    assert (again.admitted, again.duplicates, again.validated) == (0, 1, 0)


def test_a_repair_prompt_quotes_at_most_twenty_thousand_characters_of_the_rejected_reply():
    """The whole reply was quoted: a 3 MB junk reply came back to the generator as a 3 MB prompt (red-team round
    30); the task template's repair prompt quotes at most 4,000."""
    failure = FAILURES["f_env_restock"]
    rendered = PromptLibrary().render("environment.j2", failure=failure, family=False,
                                      rejected={"reply": "x" * 3_000_000, "details": ["reference: unsolvable"]})
    assert sum(len(m.content) for m in rendered.messages) < 30_000
