"""The shipped SmolLM2 deployment example: disjoint request splits, a log of real failed checks, and recorded drafts
for every weakness group of that log (checked without the model)."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pytest

from synth.grouping import group_failures
from task_bank.failure import FailureRecord, SignalKind

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "smollm2"


@pytest.fixture(scope="module")
def deploy():
    spec = importlib.util.spec_from_file_location("smollm2_deploy", EXAMPLE / "deploy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def failures() -> list[FailureRecord]:
    return [FailureRecord.model_validate_json(line) for line in (EXAMPLE / "failures.jsonl").read_text().splitlines()]


def test_the_validation_split_shares_no_everyday_request_with_the_deployment(deploy):
    requests = deploy.build_requests(0)
    asks = {split: {r["ask"] for r in requests if r["split"] == split} for split in deploy.SPLITS}
    assert len([r for r in requests if r["split"] == "deploy"]) == 200
    assert asks["deploy"] and asks["validation"] and not asks["deploy"] & asks["validation"]


def test_the_requests_are_the_same_for_the_same_seed(deploy):
    assert deploy.build_requests(0) == deploy.build_requests(0)


def test_the_shipped_requests_file_is_what_the_script_builds(deploy):
    shipped = [json.loads(line) for line in (EXAMPLE / "requests.jsonl").read_text().splitlines()]
    assert shipped == json.loads(json.dumps(deploy.build_requests(0)))


def test_every_logged_failure_is_a_thumbs_down_whose_check_fails_on_its_response(deploy, failures):
    from langdetect import DetectorFactory

    DetectorFactory.seed = 0
    by_id = {r["id"]: r for r in deploy.build_requests(0)}
    for failure in failures:
        request = by_id[failure.id.removeprefix("f_smollm2_")]
        assert failure.signal.kind is SignalKind.THUMBS_DOWN and request["instruction"] in failure.signal.detail
        assert failure.tags == (request["group"], request["instruction"])
        assert not deploy.check(request, failure.response)


def test_every_replay_draft_names_a_logged_failure_and_its_group(failures):
    pairs = {(g.id, m) for threshold in (0.5, 0.7) for g in group_failures(failures, threshold=threshold)
             for m in g.member_ids}
    keys = [json.loads(line)["key"] for line in (EXAMPLE / "drafts.jsonl").read_text().splitlines()]
    replays = [tuple(key.removesuffix("/r0").split("/replay-")) for key in keys if "/replay-" in key]
    assert replays and set(replays) <= pairs


def test_the_recorded_drafts_cover_every_weakness_group_of_the_log(failures):
    keys = {json.loads(line)["key"] for line in (EXAMPLE / "drafts.jsonl").read_text().splitlines()}
    for group in group_failures(failures):
        assert {f"{group.id}/d0/r0", f"{group.id}/d1/r0"} <= keys, group.label
