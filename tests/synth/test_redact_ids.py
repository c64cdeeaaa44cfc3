"""Redaction of a failure's id and source: both are written by whoever wrote the feed (any JSONL or chat-log row
sets them), so a secret in either must not reach a prompt or the bank, while an ordinary id stays exactly as it is
and the same raw id always becomes the same stored id (dedup and "already processed" depend on it)."""

from __future__ import annotations

from synth.grouping import FailureGroup
from synth.pipeline import PipelineConfig, prepare
from synth.prompts import PromptLibrary
from synth.redact import redact_failure
from task_bank.failure import FailureRecord

EMAIL = "alice.smith@example.com"
KEY = "sk-proj-AbCdEfGhIjKlMnOpQrStUv123456"
GHP = "ghp_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789"
SECRET_ID = f"{EMAIL}|{KEY}"


def _record(**fields: object) -> FailureRecord:
    base: dict[str, object] = {"conversation": [{"role": "user", "content": "What is 6*7?"}], "response": "41",
                               "signal": {"kind": "correction", "detail": "it is 42"}}
    return FailureRecord.model_validate({**base, **fields})


def test_a_secret_in_a_failure_id_is_removed() -> None:
    clean, n = redact_failure(_record(id=SECRET_ID))
    assert EMAIL not in clean.id and KEY not in clean.id
    assert clean.id.startswith("[REDACTED_EMAIL]|[REDACTED_API_KEY]") and n == 2


def test_an_id_without_a_secret_is_kept_exactly() -> None:
    for raw in ("f_1", "chat-2024-05-01/42", "f_" + "0123456789abcdef0123"):
        assert redact_failure(_record(id=raw))[0].id == raw


def test_the_same_raw_id_always_becomes_the_same_stored_id() -> None:
    first = redact_failure(_record(id=SECRET_ID))[0].id
    again = redact_failure(_record(id=SECRET_ID, response="another answer"))[0].id
    assert first == again


def test_ids_that_differ_only_in_their_secret_stay_distinct() -> None:
    ids = {redact_failure(_record(id=f"{user}@example.com|row-1"))[0].id for user in ("alice", "bob")}
    assert len(ids) == 2


def test_a_redacted_id_is_still_a_valid_failure_id() -> None:
    long_id = "password=a;" * 18  # 198 characters whose placeholders are longer than the secrets they replace
    clean = redact_failure(_record(id=long_id))[0]
    assert "password=a;" not in clean.id
    assert FailureRecord.model_validate(clean.model_dump()).id == clean.id


def test_a_secret_in_the_source_is_removed() -> None:
    clean, n = redact_failure(_record(source=f"token={GHP}"))
    assert clean.source == "token=[REDACTED_TOKEN]" and n == 1


def test_a_failure_whose_redacted_id_was_processed_is_skipped_on_the_next_run() -> None:
    record = _record(id=SECRET_ID)
    stored = prepare([record], PipelineConfig(), processed=set()).failures[0].id
    again = prepare([record], PipelineConfig(), processed={stored})
    assert again.failures == () and again.skipped == 1


def test_the_diagnose_prompt_shows_no_failure_id() -> None:
    record = _record(id="f_visible_marker_7")
    group = FailureGroup(id="g_1", member_ids=(record.id,), label="arithmetic")
    rendered = PromptLibrary().render("diagnose.j2", group=group, failures=[record])
    prompt = "\n".join(m.content for m in rendered.messages)
    assert "What is 6*7?" in prompt and record.id not in prompt
