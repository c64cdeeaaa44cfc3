"""Redaction: secrets never reach a prompt; ids stay stable."""

from __future__ import annotations

from synth.redact import redact_failure, redact_text
from task_bank.failure import FailureRecord


def test_known_secret_shapes_are_replaced_by_typed_placeholders() -> None:
    text = ("mail bob.smith@example.com, key sk-proj-AbCdEf1234567890abcdEFgh, hf_abcdefghijklmnopqrstuvwxyz, "
            "AKIAABCDEFGHIJKLMNOP, Authorization: Bearer abcdefghijklmnop1234, password=hunter2hunter2, "
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    result = redact_text(text)
    for secret in ("bob.smith@example.com", "sk-proj-", "hf_abc", "AKIA", "abcdefghijklmnop1234", "hunter2",
                   "ghp_"):
        assert secret not in result.text
    assert "[REDACTED_EMAIL]" in result.text and "Bearer [REDACTED_TOKEN]" in result.text
    assert "password=[REDACTED_SECRET]" in result.text
    assert sum(result.counts.values()) == 7


def test_ordinary_text_is_untouched() -> None:
    text = "Convert 3.2 km to metres; the answer is 3200 m (see task-42, version 1.2.3)."
    assert redact_text(text).text == text


def test_redact_failure_cleans_every_text_field_and_keeps_the_id() -> None:
    rec = FailureRecord(conversation=[{"role": "user", "content": "I am a@b.io"}], response="ok a@b.io",
                        signal={"kind": "feedback", "detail": "token: sk-abcdefghijklmnopqrstuv"}, expected="a@b.io")
    clean, n = redact_failure(rec)
    assert clean.id == rec.id
    assert n == 4
    assert "a@b.io" not in clean.model_dump_json()
