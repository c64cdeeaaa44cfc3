"""Drafts: replies are parsed robustly and the deployed model's failing answer always becomes a failure case."""

from __future__ import annotations

import json

import pytest

from synth.drafts import DraftError, draft_to_spec, parse_draft

OBJ = {"prompt": "2+2?", "verifier": "def verify(r):\n    return 1.0 if r.strip() == '4' else 0.0\n",
       "reference": "4", "failure_cases": ["5"]}


@pytest.mark.parametrize("text", [
    json.dumps(OBJ),
    "Sure, here it is:\n```json\n" + json.dumps(OBJ, indent=2) + "\n```\nHope it helps!",
    "Leading prose {not json} then " + json.dumps(OBJ) + " trailing prose",
    "```\n" + json.dumps(OBJ) + "\n```",
])
def test_json_object_is_found_in_fences_and_prose(text: str) -> None:
    assert parse_draft(text).reference == "4"


def test_verify_key_is_accepted_for_verifier() -> None:
    obj = {**OBJ, "verify": OBJ["verifier"]}
    del obj["verifier"]
    assert parse_draft(json.dumps(obj)).verifier == OBJ["verifier"]


@pytest.mark.parametrize(("text", "reason"), [
    ("", "parse_error"), ("I cannot do that.", "parse_error"), (json.dumps(OBJ)[:-10], "parse_error"),
    (json.dumps({"prompt": "x"}), "schema_error"), (json.dumps({**OBJ, "failure_cases": "5"}), "schema_error"),
])
def test_unusable_replies_raise_with_reason(text: str, reason: str) -> None:
    with pytest.raises(DraftError) as info:
        parse_draft(text)
    assert info.value.reason == reason


def test_failing_response_is_always_a_failure_case() -> None:
    spec = draft_to_spec(parse_draft(json.dumps(OBJ)), failing_response="22", metadata={"skill": "sum"})
    assert spec.failure_cases == ("5", "22")
    assert spec.metadata["skill"] == "sum"


def test_failing_response_is_not_repeated_and_reference_is_dropped_from_cases() -> None:
    obj = {**OBJ, "failure_cases": ["5", "4"]}
    spec = draft_to_spec(parse_draft(json.dumps(obj)), failing_response="5", metadata={})
    assert spec.failure_cases == ("5",)


def test_spec_rule_violation_is_schema_error() -> None:
    draft = parse_draft(json.dumps({**OBJ, "prompt": "   "}))
    with pytest.raises(DraftError) as info:
        draft_to_spec(draft, failing_response="5", metadata={})
    assert info.value.reason == "schema_error"


GOOD = {"prompt": "Say 7.", "verifier": "def verify(r):\n    return float(r == '7')\n", "reference": "7",
        "failure_cases": ["8"]}


def test_a_draft_after_a_few_braces_of_prose_is_found() -> None:
    reply = "Here is a set {1, 2} and a dict {'a': 1}; the task:\n" + json.dumps(GOOD)
    assert parse_draft(reply).reference == "7"


def test_a_reply_is_decoded_from_its_first_braces_only() -> None:
    """Each decoding attempt may scan the rest of the reply: trying every ``{`` cost braces x length, 12-14 s for a
    0.5 MB reply of nested openings (red-team round 30). Only the first :data:`MAX_STARTS` are tried."""
    from synth.drafts import MAX_STARTS

    reply = "{ " * MAX_STARTS + json.dumps(GOOD)
    with pytest.raises(DraftError) as info:
        parse_draft(reply)
    assert info.value.reason.value == "parse_error"
