"""OPSD rows: the student prompt comes from the practice set, the hindsight from what the bank knows, and nothing
held out or unusable by TRL's SDFTTrainer ever becomes a row."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from datasets import Dataset

from task_bank import (BankError, ConfigError, FailureRecord, InputError, Message, Provenance, TaskSpec,
                       TaskSplit)
from task_bank.store import Bank
from trainer.opsd_config import DataSection, PromptSource
from trainer.opsd_data import PrivilegedTemplate, RowOrigin, check_teacher_lengths, opsd_dataset, opsd_rows

VERIFIER = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == {answer!r} else 0.0\n"

FAILURE = FailureRecord(
    conversation=(Message(role="user", content="How many metres are 17 km plus 250 m? A number only."),),
    response="17250 km", signal={"kind": "correction", "detail": "the unit is metres, not km"}, expected="17250")


def spec(prompt: str | tuple[Message, ...], answer: str) -> TaskSpec:
    return TaskSpec(prompt=prompt, verifier=VERIFIER.format(answer=answer), reference=answer, failure_cases=("x",))


PRACTICE = spec("Convert 3 km plus 40 m to metres; reply with the number of metres only.", "3040")
OTHER = spec("Spell the word 'violin' backwards and reply with nothing else, no punctuation.", "niloiv")
REPLAY = spec(FAILURE.conversation, "17250")


@pytest.fixture
def bank(tmp_path: Path) -> Iterator[Bank]:
    with Bank.open(tmp_path / "bank.db") as opened:
        opened.add_failures([FAILURE])
        opened.admit(PRACTICE, provenance=Provenance(source_failure_ids=(FAILURE.id,)))
        yield opened


def rows(bank: Bank, **data: object):
    return opsd_rows(bank, DataSection.model_validate(data), PrivilegedTemplate())


def test_a_task_row_prompts_with_the_task_and_gives_the_teacher_feedback_expected_answer_and_reference(bank):
    [row] = rows(bank)
    assert row.origin is RowOrigin.TASK and row.task_id == PRACTICE.id
    assert [m.content for m in row.prompt] == [PRACTICE.prompt]
    for fact in ("the unit is metres, not km", "The expected answer: 17250", "17250 km", "3040"):
        assert fact in row.privileged_context


def test_the_student_prompt_never_holds_the_privileged_context(bank):
    [row] = rows(bank)
    assert "3040" not in row.example()["prompt"][0]["content"]


def test_heldout_replay_tasks_never_enter_the_dataset(bank):
    bank.admit(OTHER, split=TaskSplit.HELDOUT)
    bank.admit(REPLAY, provenance=Provenance(source_failure_ids=(FAILURE.id,)), split=TaskSplit.HELDOUT)
    data = opsd_dataset(rows(bank, prompts="both"))
    assert set(data["task_id"]) == {PRACTICE.id}
    assert [p[0]["content"] for p in data["prompt"]] == [PRACTICE.prompt]


def test_a_failing_conversation_is_a_student_prompt_when_no_heldout_task_replays_it(bank):
    [row] = rows(bank, prompts="failures")
    assert row.origin is RowOrigin.FAILURE and row.failure_id == FAILURE.id
    assert row.prompt == FAILURE.conversation
    assert "Your earlier answer was: 17250 km" in row.privileged_context


def test_failure_prompts_leave_nothing_to_train_on_when_every_failing_conversation_is_replayed(bank):
    bank.admit(REPLAY, provenance=Provenance(source_failure_ids=(FAILURE.id,)), split=TaskSplit.HELDOUT)
    with pytest.raises(BankError, match=r"each is a held-out replay prompt\); set data.prompts=tasks"):
        rows(bank, prompts="failures")


def test_a_chat_prompt_that_does_not_end_with_a_user_turn_is_rejected_naming_the_task(bank):
    prefill = spec((Message(role="user", content="Name a prime number above 90 and below 100."),
                    Message(role="assistant", content="The prime is")), "97")
    bank.admit(prefill)
    with pytest.raises(InputError, match=rf"task {prefill.id}: its chat prompt ends with a 'assistant' turn.*"
                                         r"ends with a user turn"):
        rows(bank)


def test_a_prompt_with_a_tool_turn_is_rejected_because_sdft_has_no_tools(bank):
    tooled = spec((Message(role="user", content="What does the thermometer tool read right now, in kelvin?"),
                   Message(role="tool", content="271.3"),
                   Message(role="user", content="Round it to a whole number and reply with it alone.")), "271")
    bank.admit(tooled)
    with pytest.raises(InputError, match=rf"task {tooled.id}: .*tool turn.*supports no tools"):
        rows(bank)


def test_a_bank_without_practice_tasks_says_how_to_fill_it(tmp_path):
    with Bank.open(tmp_path / "empty.db") as empty:
        empty.admit(OTHER, split=TaskSplit.HELDOUT)
        with pytest.raises(BankError, match="no practice tasks to distil from"):
            rows(empty)


def test_the_rows_are_a_map_style_dataset_snapshot_not_an_iterable_one(bank):
    data = opsd_dataset(rows(bank))
    assert isinstance(data, Dataset)
    assert set(data.column_names) == {"prompt", "privileged_context", "task_id"}


def test_the_template_hash_follows_its_content(tmp_path):
    first, second = tmp_path / "a.j2", tmp_path / "b.j2"
    first.write_text("Correct: {{ task.reference }}")
    second.write_text("Verified: {{ task.reference }}")
    assert PrivilegedTemplate(first).hash != PrivilegedTemplate(second).hash
    assert PrivilegedTemplate(first).render(PRACTICE, [], own_failure=False) == "Correct: 3040"


def test_a_missing_template_is_a_config_error_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError, match=r"template not found.*field 'data.template'"):
        PrivilegedTemplate(tmp_path / "nope.j2")


def test_prompt_sources_parse_from_config_text():
    assert DataSection.model_validate({"prompts": "both"}).prompts is PromptSource.BOTH


def test_a_teacher_prompt_longer_than_the_prompt_limit_is_refused_naming_the_task_and_the_setting(bank):
    [row] = rows(bank)

    def compose(prompts, contexts):
        return [[{"role": "user", "content": p[-1]["content"] + "\n\n" + c}] for p, c in zip(prompts, contexts)]

    def characters(prompt):
        return len(prompt[-1]["content"])

    limit = characters(compose([row.example()["prompt"]], [row.privileged_context])[0])
    check_teacher_lengths([row], compose, characters, limit)
    with pytest.raises(ConfigError, match=rf"task {row.task_id}: its teacher prompt is {limit} tokens, over "
                                          rf"sdft.max_prompt_length = {limit - 1}"):
        check_teacher_lengths([row], compose, characters, limit - 1)
