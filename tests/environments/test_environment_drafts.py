"""Drafting environments from failures: the template, and recorded replies parsed into specs that validate."""

from __future__ import annotations

import json

import pytest

from synth.drafts import DraftError
from synth.environment_drafts import environment_prompt, parse_environment_reply
from synth.prompts import PromptLibrary
from task_bank.environment import Trajectory
from task_bank.failure import FailureRecord

from .conftest import ROOT

FAILURES = {f.id: f for f in (FailureRecord.model_validate_json(line) for line in
                              (ROOT / "examples" / "environments" / "failures.jsonl").read_text().splitlines())}
DRAFTS = [json.loads(line) for line in (ROOT / "examples" / "environments" / "drafts.jsonl").read_text().splitlines()]


def test_the_prompt_shows_the_tool_calls_the_deployed_model_made():
    failure = FAILURES["f_env_refund"]
    text = environment_prompt(PromptLibrary(), failure, family=False).messages[1].content
    assert 'refund({"amount_cents": 14281, "order_id": 1024})' in text and failure.response in text


def test_a_single_turn_failure_asks_for_a_seeded_family_with_solve():
    prompt = environment_prompt(PromptLibrary(), FAILURES["f_env_percent"], family=True)
    assert "solve(self) -> dict" in prompt.messages[0].content
    assert prompt.template == "environment.j2" and len(prompt.template_hash) == 16


def test_a_repair_round_quotes_the_rejection():
    prompt = environment_prompt(PromptLibrary(), FAILURES["f_env_refund"], family=False,
                                rejected={"reply": "{}", "details": ["reference: unsolvable: scored 0"]})
    assert "reference: unsolvable: scored 0" in prompt.messages[1].content


def test_the_failure_trajectory_becomes_a_failure_case():
    draft = DRAFTS[0]
    failure = FAILURES[draft["failure"]]
    spec = parse_environment_reply(draft["text"], failure)
    deployed = Trajectory(seed=spec.reference.seed, calls=failure.tool_calls, response=failure.response)
    assert deployed in spec.failure_cases and spec.metadata["source_failure"] == failure.id


@pytest.mark.parametrize("reply, reason", [("no json here", "parse_error"), ('{"prompt": "p"}', "schema_error")])
def test_a_bad_reply_is_a_draft_error_with_its_reason(reply, reason):
    with pytest.raises(DraftError) as caught:
        parse_environment_reply(reply, None)
    assert caught.value.reason == reason


@pytest.mark.parametrize("draft", DRAFTS, ids=lambda d: d["failure"])
def test_every_recorded_draft_is_admitted(validator, draft):
    spec = parse_environment_reply(draft["text"], FAILURES[draft["failure"]])
    verdict = validator.validate(spec)
    assert verdict.report.admitted, verdict.report.checks
    assert bool(verdict.evidence.seeds) == draft["family"]
