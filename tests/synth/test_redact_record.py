"""Redaction of a whole failure record: every string that can reach a generator prompt or the bank is cleaned,
tool calls (names, argument keys, nested values) and tags included, and the record stays valid."""

from __future__ import annotations

from synth.redact import redact_failure
from task_bank.failure import FailureRecord

DSN_PASSWORD = "s3cr3t-P4ss"
OAI = "sk-proj-Q2w3E4r5T6y7U8i9O0pAsDfGhJkL1234"
GHP = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"


def _record(**fields: object) -> FailureRecord:
    base: dict[str, object] = {"conversation": [{"role": "user", "content": "deploy it"}], "response": "done",
                               "signal": {"kind": "feedback", "detail": "wrong db"}}
    return FailureRecord.model_validate({**base, **fields})


def _connect_db(args: dict) -> FailureRecord:
    return _record(tool_calls=[{"tool": "connect_db", "args": args}])


def test_tool_call_arguments_are_redacted_at_any_depth() -> None:
    rec = _connect_db({"dsn": f"postgres://admin:{DSN_PASSWORD}@db.internal/app",
                       "options": {"retries": 3, "headers": [f"Authorization: Bearer {OAI}"]}})
    clean, n = redact_failure(rec)
    args = clean.tool_calls[0].args
    assert args["dsn"] == "postgres://admin:[REDACTED_PASSWORD]@db.internal/app"
    assert OAI not in clean.model_dump_json() and args["options"]["retries"] == 3
    assert n == 2


def test_a_value_under_a_key_that_names_a_secret_goes_whole_even_when_short() -> None:
    rec = _connect_db({"api_key": "abc", "password": "pw", "config": {"x-auth-token": "t0k"},
                       "db_password": 123456})
    args = redact_failure(rec)[0].tool_calls[0].args
    assert args == {"api_key": "[REDACTED_API_KEY]", "password": "[REDACTED_PASSWORD]",
                    "config": {"x-auth-token": "[REDACTED_TOKEN]"}, "db_password": "[REDACTED_PASSWORD]"}


def test_a_secret_keyed_value_keeps_the_label_of_its_shape() -> None:
    args = redact_failure(_connect_db({"api_key": OAI, "token": GHP}))[0].tool_calls[0].args
    assert args == {"api_key": "[REDACTED_API_KEY]", "token": "[REDACTED_TOKEN]"}


def test_placeholders_and_ordinary_arguments_are_kept() -> None:
    args = {"password": "${DB_PASSWORD}", "api_key": None, "max_tokens": 512, "token_type": "bearer",
            "query": "select 1", "tags": ["a", "b"]}
    clean, n = redact_failure(_connect_db(args))
    assert clean.tool_calls[0].args == args and n == 0


def test_tags_and_model_name_are_redacted() -> None:
    clean, n = redact_failure(_record(tags=["ops", "password=Sup3rS3cretTag"], model="bob@example.com"))
    assert clean.tags == ("ops", "password=[REDACTED_PASSWORD]")
    assert clean.model == "[REDACTED_EMAIL]" and n == 2


def test_a_tool_name_that_is_a_secret_becomes_a_valid_tool_name() -> None:
    clean, n = redact_failure(_record(tool_calls=[{"tool": GHP, "args": {}}]))
    assert clean.tool_calls[0].tool == "REDACTED_TOKEN" and n == 1


def test_id_source_and_clean_fields_are_kept() -> None:
    rec = _record(id="f_1", source="ops-feed", tags=["units"], tool_calls=[{"tool": "add", "args": {"a": 1}}])
    clean, n = redact_failure(rec)
    assert clean == rec and n == 0


def test_no_secret_of_a_tool_call_reaches_the_environment_prompt() -> None:
    from synth.environment_drafts import environment_prompt
    from synth.prompts import PromptLibrary

    rec = _connect_db({"dsn": f"postgres://admin:{DSN_PASSWORD}@db.internal/app", "api_key": OAI})
    rendered = environment_prompt(PromptLibrary(), redact_failure(rec)[0], family=False)
    prompt = "\n".join(m.content for m in rendered.messages)
    assert "connect_db" in prompt
    assert DSN_PASSWORD not in prompt and OAI not in prompt
