"""Redaction: secrets never reach a prompt, each placeholder says what was removed, prose stays; ids stay stable."""

from __future__ import annotations

import pytest

from synth.redact import redact_failure, redact_text
from task_bank.failure import FailureRecord

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"


def test_known_secret_shapes_are_replaced_by_typed_placeholders() -> None:
    text = ("mail bob.smith@example.com, key sk-proj-AbCdEf1234567890abcdEFgh, hf_abcdefghijklmnopqrstuvwxyz, "
            "AKIAABCDEFGHIJKLMNOP, Authorization: Bearer abcdefghijklmnop1234, password=hunter2hunter2, "
            "ghp_abcdefghijklmnopqrstuvwxyz0123456789")
    result = redact_text(text)
    for secret in ("bob.smith@example.com", "sk-proj-", "hf_abc", "AKIA", "abcdefghijklmnop1234", "hunter2",
                   "ghp_"):
        assert secret not in result.text
    assert "[REDACTED_EMAIL]" in result.text and "Bearer [REDACTED_TOKEN]" in result.text
    assert "password=[REDACTED_PASSWORD]" in result.text
    assert sum(result.counts.values()) == 7


def test_ordinary_text_is_untouched() -> None:
    text = "Convert 3.2 km to metres; the answer is 3200 m (see task-42, version 1.2.3)."
    assert redact_text(text).text == text


@pytest.mark.parametrize("text", [
    "The token limit was reached, so the password is incorrect and the secret of success is patience.",
    "Use the API key from your settings page; never paste a password into the chat.",
    "commit 3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a fixed the off-by-one in the tokenizer",
    "The access token was refreshed-after-the-second-attempt, as documented.",
    "See https://docs.python.org/3/library/secrets.html and http://example.com:8080/path for details.",
])
def test_prose_about_secrets_is_not_redacted(text: str) -> None:
    assert redact_text(text) == redact_text(text).model_copy(update={"text": text, "counts": {}})


@pytest.mark.parametrize("url,kept", [
    ("postgres://admin:s3cr3t-P4ss@db.internal:5432/app", "postgres://admin:[REDACTED_PASSWORD]@db.internal:5432/app"),
    ("mysql://root:hunter2@localhost/shop", "mysql://root:[REDACTED_PASSWORD]@localhost/shop"),
    ("redis://:p4ssw0rd@cache.example.com:6379/0", "redis://:[REDACTED_PASSWORD]@cache.example.com:6379/0"),
])
def test_password_in_a_connection_string_is_labelled_a_password_not_an_email(url: str, kept: str) -> None:
    result = redact_text(f"it failed to connect to {url} at startup")
    assert result.text == f"it failed to connect to {kept} at startup"
    assert result.counts == {"PASSWORD": 1}


@pytest.mark.parametrize("text", [f"aws_secret_access_key = {AWS_SECRET}",
                                  f"export AWS_SECRET_ACCESS_KEY={AWS_SECRET}",
                                  f"the secret key {AWS_SECRET} was in the log"])
def test_aws_secret_access_key_is_redacted_as_one(text: str) -> None:
    result = redact_text(text)
    assert AWS_SECRET not in result.text and "EXAMPLEKEY" not in result.text
    assert result.counts == {"AWS_SECRET_KEY": 1}


@pytest.mark.parametrize("text,kind", [
    ("my token is 8f3kLq92xZ0pQa7", "TOKEN"),
    ("the API key: 9aZ8bY7cX6dW5eV4", "API_KEY"),
    ("his password was Tr0ub4dor&3xyz", "PASSWORD"),
    ("client secret 4f9a-Zq81-mm2P-0xQe", "SECRET"),
])
def test_high_entropy_word_after_a_keyword_is_redacted_with_that_keyword_label(text: str, kind: str) -> None:
    result = redact_text(text)
    assert result.counts == {kind: 1}
    assert result.text.endswith(f"[REDACTED_{kind}]")


def test_redact_failure_cleans_every_text_field_and_keeps_the_id() -> None:
    rec = FailureRecord(conversation=[{"role": "user", "content": "I am a@b.io"}], response="ok a@b.io",
                        signal={"kind": "feedback", "detail": "token: sk-abcdefghijklmnopqrstuv"}, expected="a@b.io")
    clean, n = redact_failure(rec)
    assert clean.id == rec.id
    assert n == 4
    assert "a@b.io" not in clean.model_dump_json()


def test_redaction_stays_linear_on_text_built_to_make_its_patterns_backtrack():
    """Red-team finding: the email pattern backtracked over ``a.a.a...`` (100 KB took 13.5 s, so one failure record
    stalled a growth cycle), and so did the private-key pattern over repeated BEGIN lines. A megabyte of each shape
    is redacted in a child process; quadratic patterns would take hours (the timeout is a hang detector, not a
    speed target)."""
    import subprocess
    import sys

    shapes = ["a.", "a@", "a@a.", "-----BEGIN PRIVATE KEY-----", "x://a:", "password ", "eyJ", "1."]
    script = ("import sys\nfrom synth.redact import redact_text\n"
              f"for unit in {shapes!r}:\n    redact_text(unit * (1_000_000 // len(unit)))\nprint('done')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=600)
    assert done.stdout.strip() == "done", done.stderr[-500:]


def test_an_email_and_a_private_key_are_still_redacted():
    text = "mail ana.b-c@mail.example.co.uk\n-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----"
    result = redact_text(text)
    assert "ana.b-c" not in result.text and "MIIB" not in result.text
    assert result.counts == {"EMAIL": 1, "PRIVATE_KEY": 1}
