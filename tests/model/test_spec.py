"""Task spec v1: the interchange record (docs/SPEC.md)."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from task_bank import SCHEMA_VERSION, Message, Provenance, TaskSpec, derive_task_id
from task_bank.spec import TaskLine

VERIFY = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '4' else 0.0\n"


def make(**over):
    fields = dict(prompt="What is 2+2?", verifier=VERIFY, reference="4", failure_cases=["5"])
    fields.update(over)
    return TaskSpec(**fields)


def test_id_is_derived_from_content_when_absent():
    assert make().id == derive_task_id("What is 2+2?", VERIFY, "4", ["5"])


def test_same_content_gives_same_id():
    assert make().id == make().id


def test_metadata_does_not_change_the_id():
    assert make(metadata={"skill": "arithmetic"}).id == make().id


def test_different_reference_gives_a_different_id():
    assert make(reference="four").id != make().id


def test_explicit_id_is_kept():
    assert make(id="my-task").id == "my-task"


def test_json_round_trip_is_lossless():
    spec = make(prompt=[Message(role="system", content="Be terse."), Message(role="user", content="2+2?")],
                metadata={"skill": "arithmetic", "tags": ["a"]})
    assert TaskSpec.model_validate_json(spec.to_json()) == spec


def test_spec_v1_field_names_are_the_contract():
    assert set(json.loads(make().to_json())) == {
        "schema_version", "id", "prompt", "verifier", "reference", "failure_cases", "metadata"}


def test_provenance_travels_in_the_json_line_but_not_in_the_id():
    chain = Provenance(generator_backend="replay", source_failure_ids=("f_1",))
    line = TaskLine.of(make(), chain)
    assert line.id == make().id
    read = TaskLine.model_validate_json(line.to_json())
    assert read.provenance == chain and read.spec == make()


def test_a_spec_has_no_provenance_of_its_own():
    # one home: TaskRecord.provenance; a spec handed a provenance is refused like any unknown field
    with pytest.raises(ValidationError, match="provenance"):
        make(provenance=Provenance())


def test_a_line_without_provenance_writes_none():
    assert "provenance" not in json.loads(TaskLine.of(make()).to_json())


def test_records_are_frozen():
    with pytest.raises(ValidationError):
        make().reference = "5"  # type: ignore[misc]


def test_at_least_one_failure_case_is_required():
    with pytest.raises(ValidationError, match="failure_cases"):
        make(failure_cases=[])


def test_empty_prompt_is_refused():
    with pytest.raises(ValidationError, match="prompt is empty"):
        make(prompt="   ")


def test_unknown_fields_are_refused():
    with pytest.raises(ValidationError, match="extra"):
        TaskSpec.model_validate({"prompt": "p", "verifier": VERIFY, "reference": "4", "failure_cases": ["5"],
                                 "verifyer": "typo"})


def test_newer_schema_version_is_refused_with_upgrade_hint():
    with pytest.raises(ValidationError, match="upgrade envsynth"):
        make(schema_version=SCHEMA_VERSION + 1)


def test_chat_prompt_wraps_a_string_prompt_as_one_user_turn():
    assert make().chat_prompt() == [{"role": "user", "content": "What is 2+2?"}]


def test_skill_comes_from_metadata():
    assert make(metadata={"skill": "dates"}).skill == "dates"
