"""Environments drafted from failures carry their provenance; a tool-use failure's own request becomes a held-out
replay environment that synth.replay rolls a policy out in, with tools, and that training never sees."""

from __future__ import annotations

import contextlib
import io
import itertools
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from synth.backends import GeneratorRegistry
from synth.backends.base import BackendOptions, Generation, GenerationRequest, GeneratorBackend
from synth.backends.replay import ReplayBackend
from synth.grouping import FailureGroup
from synth.loaders import load_failures
from synth.pipeline import PipelineConfig, prepare, run_pipeline
from synth.replay import main as replay
from task_bank.environment_store import EnvironmentRecord
from task_bank.provenance import SamplingSettings
from task_bank.records import TaskSplit, TaskStatus
from task_bank.store import Bank
from trainer.env_grpo import read_environments
from trainer.environments import environment_rows
from verifier.env_validate import EnvValidator
from verifier.pool import open_pool
from verifier.validate import Validator

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "environments"
FAILURES = {f.id: f for f in load_failures(EXAMPLE / "failures.jsonl").records}
RECORDED = [json.loads(line) for line in (EXAMPLE / "drafts.jsonl").read_text().splitlines()]
RUN = "run-env-replay"


@pytest.fixture(scope="module")
def bank_file(tmp_path_factory) -> Path:
    """A bank grown from the example's failures (two tool-use, one single-turn), replay on (the default)."""
    path = tmp_path_factory.mktemp("env-replay") / "bank.db"
    failures = list(FAILURES.values())
    recordings = {d["key"]: d["text"] for d in RECORDED}
    backend = ReplayBackend(recordings, model="recorded", sampling=SamplingSettings())
    with Bank.open(path) as bank, open_pool("bwrap", workers=1) as pool, Validator(pool) as tasks, \
            EnvValidator("bwrap") as environments:
        summary = run_pipeline(failures, bank=bank, backend=backend, validator=tasks, environments=environments,
                               run_id=RUN, config=PipelineConfig())
    path.with_suffix(".summary.json").write_text(summary.model_dump_json(), encoding="utf-8")
    return path


def stored(bank_file: Path) -> list[EnvironmentRecord]:
    with Bank.open(bank_file) as bank:
        return list(bank.iter_environments(TaskStatus.ADMITTED))


def training(bank_file: Path, failure_id: str) -> EnvironmentRecord:
    return next(r for r in stored(bank_file) if r.split is TaskSplit.TRAIN
                and r.provenance.source_failure_ids == (failure_id,))


def heldout(bank_file: Path, failure_id: str | None = None) -> list[EnvironmentRecord]:
    return [r for r in stored(bank_file) if r.split is TaskSplit.HELDOUT
            and failure_id in (None, *r.provenance.source_failure_ids)]


def test_an_environment_drafted_from_a_tool_use_failure_records_the_failure_and_the_run(bank_file):
    record = training(bank_file, "f_env_refund")
    p = record.provenance
    assert p.source_failure_ids == ("f_env_refund",) and p.growth_run_id == RUN
    assert p.failure_group == _group_of("f_env_refund").id and p.generator_backend == "replay" and p.generator_model == "recorded"
    assert p.prompt_template == "environment.j2" and len(p.prompt_template_hash or "") == 16
    assert p.draft_id and p.draft_id.startswith("d_") and p.repair_round == 0


def _group_of(failure_id: str) -> FailureGroup:
    prep = prepare(list(FAILURES.values()), PipelineConfig(), set())
    return next(g for g in prep.groups if failure_id in g.member_ids)


def test_a_tool_use_failure_gets_a_heldout_replay_environment_asking_its_own_request(bank_file):
    trained = training(bank_file, "f_env_refund")
    [replayed] = heldout(bank_file, "f_env_refund")
    failure = FAILURES["f_env_refund"]
    assert replayed.spec.prompt == failure.conversation and replayed.spec.environment == trained.spec.environment
    assert replayed.spec.reference == trained.spec.reference
    assert replayed.spec.failure_cases == trained.spec.failure_cases
    assert replayed.provenance.source_failure_ids == ("f_env_refund",)
    assert replayed.provenance.parent_task_id == trained.id and replayed.provenance.growth_run_id == RUN
    assert replayed.spec.metadata["kind"] == "replay" and replayed.report is not None and replayed.report.admitted


def test_the_run_summary_counts_the_heldout_replay_environments_it_stored(bank_file):
    summary = json.loads(bank_file.with_suffix(".summary.json").read_text(encoding="utf-8"))
    assert summary["heldout_environments"] == len(heldout(bank_file)) == 2


def test_a_seeded_family_of_a_single_turn_failure_gets_no_heldout_environment(bank_file):
    assert training(bank_file, "f_env_percent").split is TaskSplit.TRAIN
    assert heldout(bank_file, "f_env_percent") == [] and len(heldout(bank_file)) == 2


def test_heldout_environments_never_reach_training_rows(bank_file, tmp_path):
    exported = tmp_path / "envs.jsonl"
    with Bank.open(bank_file) as bank:
        exported.write_text("".join(line + "\n" for line in bank.export_environments()))
    lines = [json.loads(line) for line in exported.read_text().splitlines()]
    assert [line.get("split") for line in lines].count("heldout") == 2
    specs = read_environments(exported)
    rows = list(itertools.islice(environment_rows(specs, seed=0), 20))
    held = {r.id for r in heldout(bank_file)}
    assert held and not held & {s.id for s in specs} and not held & {row["environment"] for row in rows}


def test_a_file_of_heldout_environments_only_is_refused_for_training(bank_file, tmp_path):
    from task_bank.environment_store import environment_line
    from task_bank.errors import InputError

    path = tmp_path / "heldout.jsonl"
    path.write_text("".join(environment_line(r) + "\n" for r in heldout(bank_file)))
    with pytest.raises(InputError, match="only held-out replay environments"):
        read_environments(path)


class Scripted(GeneratorBackend):
    """A policy that replays a script per environment and sample, one reply per round (key
    ``<environment id>/s<sample>/t<round>``), and keeps the requests it answered."""

    name = "replay"
    renders_tools = True

    def __init__(self, scripts: dict[tuple[str, int], list[str]], options: BackendOptions) -> None:
        super().__init__(model="scripted", sampling=options.sampling, batch_size=options.batch_size)
        self.scripts = scripts
        self.requests: list[GenerationRequest] = []

    def generate(self, requests: Sequence[GenerationRequest]) -> list[Generation]:
        self.requests.extend(requests)
        out = []
        for r in requests:
            env_id, sample, turn = r.key.split("/")
            script = self.scripts[env_id, int(sample[1:])]
            out.append(Generation(key=r.key, text=script[min(int(turn[1:]), len(script) - 1)]))
        return out


def scripted(scripts: dict[tuple[str, int], list[str]], made: list[Scripted]) -> type[Scripted]:
    """The backend class the registry builds: each instance follows ``scripts`` and is appended to ``made``."""

    class Built(Scripted):
        @classmethod
        def from_options(cls, options: BackendOptions) -> Scripted:
            made.append(Scripted(scripts, options))
            return made[-1]

    return Built


def call_text(tool: str, args: dict) -> str:
    """A tool call as a Qwen2.5 chat template writes one."""
    return f"<tool_call>\n{json.dumps({'name': tool, 'arguments': args})}\n</tool_call>"


@pytest.fixture(scope="module")
def replayed(bank_file) -> tuple[dict, Scripted]:
    """synth.replay (k=2) on the bank: in every held-out environment sample 0 follows the reference through its
    tool calls, sample 1 answers at once. The report, and the policy that was asked."""
    scripts = {}
    for env in heldout(bank_file):
        reference = env.spec.reference
        scripts[env.id, 0] = [*(call_text(c.tool, dict(c.args)) for c in reference.calls), reference.response]
        scripts[env.id, 1] = ["Done."]
    made: list[Scripted] = []
    registry = GeneratorRegistry()
    registry.register("replay", lambda: scripted(scripts, made))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = replay(["--policy", "scripted", "--backend", "replay", "--bank", str(bank_file), "--k", "2",
                       "--no-retention", "--json"], registry=registry)
    assert code == 0
    return json.loads(out.getvalue()), made[0]


def test_synth_replay_rolls_the_policy_out_with_tools_and_scores_each_rollout(replayed, bank_file):
    report, _ = replayed
    [env] = heldout(bank_file, "f_env_refund")
    [result] = [r for r in report["environments"] if r["environment_id"] == env.id]
    assert result["failure_id"] == "f_env_refund"
    assert (result["samples"], result["attempts"], result["passes"]) == (2, 2, 1)
    assert result["tool_calls"] == len(env.spec.reference.calls)


def test_heldout_environments_count_among_the_fixed_failures_of_their_weakness_group(replayed, bank_file):
    report, _ = replayed
    envs = heldout(bank_file)
    assert (report["total"], report["fixed"]) == (2, 2)
    assert report["by_group"] == {envs[0].spec.metadata["weakness"]: {
        "total": 2, "fixed": 2, "pass_at_1": 0.5, "interval": pytest.approx(report["interval"])}}
    with Bank.open(bank_file) as bank:
        [summary] = bank.replay_evals(policy="scripted")
        rows = bank.replay_results(summary.id)
    assert sorted((r.task_id, r.failure_id, r.passes) for r in rows) == sorted(
        (e.id, e.provenance.source_failure_ids[0], 1) for e in envs)


def test_the_policy_sees_the_tools_and_reads_each_tool_return(replayed, bank_file):
    _, policy = replayed
    [env] = heldout(bank_file, "f_env_refund")
    first = next(r for r in policy.requests if r.key == f"{env.id}/s0/t0")
    second = next(r for r in policy.requests if r.key == f"{env.id}/s0/t1")
    assert {t["function"]["name"] for t in first.tools} == {"get_order", "refund"}
    assert first.messages[-1].content.endswith("Orders on file: 1042, 1024, 1204, 1402")
    assert second.messages[-1].role == "tool" and '"id": 1042' in second.messages[-1].content


def test_the_failure_page_links_its_heldout_environment_result(replayed, bank_file):
    from fastapi.testclient import TestClient

    from task_bank.web.app import create_app

    [env] = heldout(bank_file, "f_env_refund")
    with TestClient(create_app(bank_file)) as client:
        page = client.get("/failures/f_env_refund").text
    assert f'href="/environments/{env.id}"' in page
