"""Replay slots: the failure's own conversation becomes a held-out task whose verifier the deployed answer fails."""

from __future__ import annotations

import json

import pytest

from synth.drafts import parse_draft
from synth.grouping import group_failures
from synth.prompts import PromptLibrary
from synth.replay_tasks import DEPLOYED_CHECK, ReplaySlot, check_deployed_response, plan_replay_slots
from task_bank.failure import FailureRecord, FailureSignal, SignalKind
from task_bank.records import TaskSplit
from task_bank.spec import Message
from task_bank.validation import CheckResult, Outcome, Reason, ScoreResult, ValidationReport

FAILURE = FailureRecord(
    id="f_units_01",
    conversation=(Message(role="system", content="You are helpful."),
                  Message(role="user", content="How many kilograms is 750 g times 6?")),
    response="4500 kg", expected="4.5 kg", tags=("units",),
    signal=FailureSignal(kind=SignalKind.CORRECTION, detail="4500 g = 4.5 kg"))

DRAFT = json.dumps({"prompt": "How many kilograms is 750 g times 6?",
                    "verifier": "def verify(response: str) -> float:\n    return float('4.5 kg' in response)\n",
                    "reference": "4.5 kg", "failure_cases": ["45 kg"], "skill": "anything the generator says"})


@pytest.fixture()
def slot() -> ReplaySlot:
    [group] = group_failures([FAILURE], threshold=0.5, use_tags=True)
    made = ReplaySlot(group, FAILURE)
    made.render(PromptLibrary())
    return made


def _report(spec, deployed_score: float) -> ValidationReport:
    scores = tuple(ScoreResult(outcome=Outcome.SCORED, score=0.0 if case != FAILURE.response else deployed_score)
                   for case in spec.failure_cases)
    check = CheckResult(name="failure_cases", passed=True, scores=scores)
    return ValidationReport(task_id=spec.id, admitted=True, checks=(check,), validator_version="t",
                            sandbox_backend="t")


def test_the_task_prompt_is_the_original_conversation_not_the_drafts_prompt(slot):
    spec = slot.to_spec(parse_draft(DRAFT))
    assert spec.prompt == FAILURE.conversation


def test_the_deployed_response_is_always_a_failure_case(slot):
    assert slot.to_spec(parse_draft(DRAFT)).failure_cases == ("45 kg", "4500 kg")


def test_replay_tasks_are_heldout_and_linked_to_their_failure_and_group(slot):
    spec = slot.to_spec(parse_draft(DRAFT))
    assert slot.split is TaskSplit.HELDOUT
    assert slot.provenance_fields() == {"source_failure_ids": ("f_units_01",), "failure_group": slot.group.id}
    assert spec.metadata["kind"] == "replay" and spec.metadata["skill"] == "units"


def test_the_request_key_names_group_and_failure_and_the_prompt_comes_from_replay_j2(slot):
    assert slot.key == f"{slot.group.id}/replay-f_units_01/r0"
    assert slot.rendered.template == "replay.j2"
    text = "\n".join(m.content for m in slot.rendered.messages)
    assert "4500 kg" in text and "4.5 kg" in text and "You are helpful." in text


def test_a_deployed_response_scoring_low_passes_the_replay_check(slot):
    spec = slot.to_spec(parse_draft(DRAFT))
    judged = slot.judge(spec, _report(spec, 0.0))
    assert judged.admitted and judged.checks[-1].name == DEPLOYED_CHECK and judged.checks[-1].passed


def test_a_deployed_response_the_verifier_half_accepts_is_rejected(slot):
    spec = slot.to_spec(parse_draft(DRAFT))
    judged = slot.judge(spec, _report(spec, 0.5))
    assert not judged.admitted
    assert judged.reasons == (Reason.DEPLOYED_RESPONSE_PASSES,)
    assert "scored 0.5" in judged.checks[-1].detail


def test_a_report_already_rejected_gets_the_replay_check_as_skipped():
    spec = ReplaySlot(group_failures([FAILURE], threshold=0.5)[0], FAILURE).to_spec(parse_draft(DRAFT))
    rejected = ValidationReport(task_id=spec.id, admitted=False, reasons=(Reason.UNSOLVABLE,),
                                validator_version="t", sandbox_backend="t")
    judged = check_deployed_response(spec, rejected, FAILURE.response)
    assert judged.reasons == (Reason.UNSOLVABLE,) and judged.checks[-1].passed is None


def test_every_failure_of_every_group_gets_one_replay_slot():
    other = FAILURE.model_copy(update={"id": "f_units_02", "response": "3 kg"})
    groups = group_failures([FAILURE, other], threshold=0.5, use_tags=True)
    slots = plan_replay_slots(groups, {f.id: f for f in (FAILURE, other)}, PromptLibrary())
    assert sorted(s.anchor.id for s in slots) == ["f_units_01", "f_units_02"]
