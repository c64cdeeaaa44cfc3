"""Bank records: failures, outcomes and reports keep their invariants."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from task_bank import (EnvsynthError, FailureRecord, FailureSignal, InputError, Message, Outcome, ScoreResult,
                       SignalKind)


def test_failure_id_is_derived_from_conversation_and_response():
    make = lambda: FailureRecord(conversation=[Message(role="user", content="2+2?")], response="5",  # noqa: E731
                                 signal=FailureSignal(kind=SignalKind.THUMBS_DOWN))
    assert make().id == make().id and make().id.startswith("f_")


def test_failure_needs_a_conversation():
    with pytest.raises(ValidationError):
        FailureRecord(conversation=[], response="5", signal=FailureSignal(kind="error"))


def test_a_score_is_present_exactly_when_the_outcome_is_scored():
    with pytest.raises(ValidationError, match="exactly when"):
        ScoreResult(outcome=Outcome.CRASHED, score=0.0)
    with pytest.raises(ValidationError, match="exactly when"):
        ScoreResult(outcome=Outcome.SCORED)


def test_a_score_outside_unit_interval_is_refused():
    with pytest.raises(ValidationError):
        ScoreResult(outcome=Outcome.SCORED, score=1.5)


def test_input_error_names_file_line_and_field():
    err = InputError("not a number", path="tasks.jsonl", line=7, field="reference")
    assert str(err) == "tasks.jsonl:7: not a number (field 'reference')"
    assert isinstance(err, EnvsynthError)
