"""Redaction stays linear in the length of its input, whatever the input is shaped like.

A failure log is attacker-shaped text. One quadratic pattern (the JWT one: ``eyJ-`` * 250,000 took 219 s) stalls a
growth cycle on a single record. Each case below is a megabyte built to make one shape of
:mod:`synth.secret_patterns` rescan what it already read; a linear redaction takes about a second on it. The 30 s
alarm is a hang detector, not a speed target: a quadratic pattern needs minutes to hours on a megabyte.
"""

from __future__ import annotations

import random
import signal
from collections.abc import Iterator

import pytest

from synth.redact import redact_text

SIZE = 1_000_000
BEGIN = "-----BEGIN PRIVATE KEY-----"

REPEATED = [
    pytest.param(BEGIN + "x", id="pem-begin-lines"),
    pytest.param("-----BEGIN A B C ", id="pem-header-words"),
    pytest.param("eyJ-", id="jwt-first-segment"),
    pytest.param("eyJaaaaaaaa.", id="jwt-two-segments"),
    pytest.param("sk-", id="openai-prefix"),
    pytest.param("AKIA", id="aws-key-id-prefix"),
    pytest.param("xoxb-", id="slack-prefix"),
    pytest.param("Authorization: Basic ", id="authorization-header"),
    pytest.param("Bearer a", id="bearer"),
    pytest.param("ab://", id="url-scheme"),
    pytest.param("xx://a:", id="url-user-colon"),
    pytest.param("ab://a:a@@", id="url-at-signs"),
    pytest.param("ab/cd@", id="oracle-user-slash"),
    pytest.param("curl -u ", id="curl-user"),
    pytest.param("mysql ", id="mysql-command"),
    pytest.param("aB3/", id="aws-secret-alphabet"),
    pytest.param('password="', id="assigned-double-quote"),
    pytest.param('password=\\"', id="assigned-escaped-quote"),
    pytest.param("password: a ", id="assigned-colon-word"),
    pytest.param("password=${", id="assigned-template"),
    pytest.param("Pwd={a", id="assigned-braces"),
    pytest.param("<password>a", id="xml-element"),
    pytest.param("--a-password ", id="cli-flag"),
    pytest.param("password is ", id="prose-link"),
    pytest.param("token ", id="prose-bare"),
    pytest.param("a@a.", id="email-dots"),
    pytest.param("%@a.", id="email-local-symbols"),
    pytest.param(".@", id="email-at-signs"),
    pytest.param("é@é.", id="email-accented-local-part"),
    pytest.param(" 张@", id="email-cjk-local-part"),
    pytest.param("a@ab.cd:", id="email-then-colon"),
    pytest.param("a@ab.cd:a", id="email-password-pair"),
    pytest.param("xx://a:#", id="url-password-hash"),
    pytest.param("ab://a:a@@?", id="url-password-at-signs-and-query"),
    pytest.param("ab://aaaaaaaaaaaaaaaaaaaa1:", id="url-username-token"),
    pytest.param("docker login -", id="docker-login"),
    pytest.param("redis-cli ", id="redis-cli"),
    pytest.param("sshpass -a ", id="sshpass-options"),
    pytest.param("machine a login a ", id="netrc-machine-login"),
    pytest.param("\npassword ", id="netrc-password-line"),
    pytest.param("password for 'a': ", id="git-password-prompt"),
    pytest.param("password for a:", id="sudo-password-prompt"),
    pytest.param("token%3D%41", id="url-encoded-assignment"),
    pytest.param('password="a\n', id="quote-cut-at-line-end"),
    pytest.param('\\"password\\": \\"', id="escaped-quote-never-closed"),
    pytest.param("token is a1 ", id="prose-short-token"),
    pytest.param(" a:a@a.b.", id="userinfo-dotted-host"),
    pytest.param("a:a@a@", id="userinfo-at-signs"),
    pytest.param("\n*:1:a:a:a ", id="pgpass-fields"),
    pytest.param('\\"auth\\": \\"', id="escaped-auth-value"),
    pytest.param("echo a | ", id="piped-password"),
    pytest.param("mysql -p'", id="mysql-quoted-password"),
    pytest.param("x://a:a@/", id="url-unix-socket"),
]

ONE_RUN = [
    pytest.param(BEGIN, "A", id="pem-without-end"),
    pytest.param("eyJaaaaaaaa.", "b", id="jwt-without-third-segment"),
    pytest.param('password="', "a", id="unclosed-quote"),
    pytest.param("xx://a:", "a", id="url-password-without-host"),
    pytest.param("authorization: ", "a", id="authorization-value"),
    pytest.param("", "a", id="one-word"),
    pytest.param("", "é", id="one-accented-word"),
    pytest.param("", "张", id="one-cjk-run"),
    pytest.param("a@ab.cd:", "x", id="email-then-long-value"),
    pytest.param("xx://a:", "?", id="url-password-of-question-marks"),
    pytest.param("ab://", "a", id="url-username-without-at"),
    pytest.param("docker login", " ", id="docker-login-spaces"),
    pytest.param("\npassword ", "a", id="netrc-line-without-end"),
    pytest.param("Password for 'x': ", "a", id="git-prompt-value"),
    pytest.param("token%3D", "%41", id="url-encoded-value"),
    pytest.param("password: '", "a", id="unclosed-single-quote"),
    pytest.param(" a:", "@a", id="userinfo-at-signs-without-host"),
    pytest.param("auth: ", "A=", id="auth-value-of-padding"),
    pytest.param("", "a:1:", id="pgpass-fields-without-end"),
    pytest.param("echo a | ", " ", id="piped-password-spaces"),
]


@pytest.fixture
def hang_guard() -> Iterator[None]:
    """Raise in the test when redaction runs past 30 s; the outer pytest-timeout timer is put back afterwards."""
    if not hasattr(signal, "SIGALRM"):
        pytest.skip("needs SIGALRM")

    def on_alarm(signum: int, frame: object) -> None:
        raise TimeoutError("redacting 1 MB took over 30 s: a pattern rescans its input")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    outer = signal.setitimer(signal.ITIMER_REAL, 30)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, *outer)
        signal.signal(signal.SIGALRM, previous)


@pytest.mark.parametrize("unit", REPEATED)
def test_a_megabyte_of_one_repeated_shape_is_redacted_without_rescanning(unit: str, hang_guard: None) -> None:
    redact_text(unit * (SIZE // len(unit)))


@pytest.mark.parametrize("head,filler", ONE_RUN)
def test_a_megabyte_long_run_after_a_secret_prefix_is_redacted_without_rescanning(head: str, filler: str,
                                                                                  hang_guard: None) -> None:
    redact_text(head + filler * SIZE)


def test_a_megabyte_of_random_delimiters_is_redacted_without_rescanning(hang_guard: None) -> None:
    rng = random.Random(0)
    redact_text("".join(rng.choice(" :/@.=-_aA1\"'<>\n#?&;\\") for _ in range(SIZE)))
