"""Secrets that a layout gives away rather than a keyword (red-team round 43, items A6, A10 and A13): Docker's
base64 ``auth``, ``user:password@host`` with no scheme, a URL to a unix socket, a ``.pgpass`` line, a password
piped into ``--password-stdin`` or quoted on a command line, and JSON nested past Python's recursion limit.

Each positive names the exact text that must come back (the password labelled PASSWORD, the host and the user
kept); each negative is ordinary text of nearly the same shape that must come back unchanged or keep its own label.
"""

from __future__ import annotations

import json

import pytest

from synth.redact import Redaction, redact_json, redact_text

PW = "[REDACTED_PASSWORD]"
DOCKER_AUTH = "ZGVwbG95Okh1bnRlcjIyeA=="  # base64 of deploy:Hunter22x
DOCKER_CONFIG = {"auths": {"registry.example.com": {"auth": DOCKER_AUTH}}}


def assert_unchanged(text: str) -> None:
    assert redact_text(text) == Redaction(text=text, counts={})


def test_a_docker_registry_auth_in_json_is_removed_as_a_password() -> None:
    assert redact_json(DOCKER_CONFIG) == ({"auths": {"registry.example.com": {"auth": PW}}}, 1)


@pytest.mark.parametrize("text", [
    pytest.param(json.dumps(DOCKER_CONFIG), id="docker-config-json"),
    pytest.param(json.dumps(json.dumps(DOCKER_CONFIG)), id="docker-config-escaped-in-a-string"),
    pytest.param(f"//registry.npmjs.org/:_auth={DOCKER_AUTH}", id="npmrc"),
    pytest.param(f"auth: {DOCKER_AUTH}", id="yaml"),
])
def test_a_base64_user_password_pair_under_auth_in_text_is_removed_as_a_password(text: str) -> None:
    result = redact_text(text)
    assert DOCKER_AUTH not in result.text and "ZGVwbG95" not in result.text
    assert result.counts == {"PASSWORD": 1}


def test_an_auth_inside_a_docker_config_goes_even_when_it_does_not_decode() -> None:
    assert redact_json({"auths": {"r.io": {"auth": "Zm9v!truncated"}}}) == ({"auths": {"r.io": {"auth": PW}}}, 1)


@pytest.mark.parametrize("value", [
    pytest.param({"auth": "oauth2"}, id="scheme-name"),
    pytest.param({"auth": True}, id="flag"),
    pytest.param({"auth": {"type": "basic", "realm": "api"}}, id="settings-object"),
    pytest.param({"auth": "none"}, id="none"),
    pytest.param({"auth": "aGVsbG8gd29ybGQ="}, id="base64-without-a-colon"),
    pytest.param({"auth": "abcd1234"}, id="base64-alphabet-that-decodes-to-bytes"),
])
def test_an_auth_field_that_holds_no_credential_is_kept_in_json(value: dict) -> None:
    assert redact_json(value) == (value, 0)


@pytest.mark.parametrize("text", ['{"auth": "oauth2"}', "auth: required", "auth=basic", '"auth": "aGVsbG8gd29ybGQ="'])
def test_an_auth_field_that_holds_no_credential_is_kept_in_text(text: str) -> None:
    assert_unchanged(text)


@pytest.mark.parametrize("text,kept", [
    pytest.param("user:Hunter22x@db.example.com", f"user:{PW}@db.example.com", id="bare"),
    pytest.param("proxy: user:Hunter22x@proxy.corp.com:3128", f"proxy: user:{PW}@proxy.corp.com:3128",
                 id="proxy-setting"),
    pytest.param("curl -x user:Hunter22x@proxy:3128 https://example.com",
                 f"curl -x user:{PW}@proxy:3128 https://example.com", id="curl-proxy-single-label-host"),
    pytest.param("git clone alice:s3cretPw@github.com/x.git", f"git clone alice:{PW}@github.com/x.git",
                 id="git-clone-with-path"),
    pytest.param("mysql -h alice:pw123@db.internal", f"mysql -h alice:{PW}@db.internal", id="mysql-host"),
    pytest.param("redis alice:hunter22@10.0.0.5:6379", f"redis alice:{PW}@10.0.0.5:6379", id="ipv4-and-port"),
    pytest.param("HTTPS_PROXY=svc:secret@[::1]:8080", f"HTTPS_PROXY=svc:{PW}@[::1]:8080", id="ipv6-word-password"),
    pytest.param("git clone alice:p@ss99@github.com/x.git", f"git clone alice:{PW}@github.com/x.git",
                 id="at-sign-in-the-password"),
])
def test_a_password_in_userinfo_without_a_scheme_is_removed_as_a_password_and_the_host_kept(text: str,
                                                                                            kept: str) -> None:
    assert redact_text(text) == Redaction(text=kept, counts={"PASSWORD": 1})


@pytest.mark.parametrize("text,kept", [
    pytest.param("mail alice@example.com", "mail [REDACTED_EMAIL]", id="plain-address"),
    pytest.param("mailto:bob2@example.com", "mailto:[REDACTED_EMAIL]", id="mailto"),
    pytest.param("Contact:ops2@example.com", "Contact:[REDACTED_EMAIL]", id="label-glued-to-an-address"),
    pytest.param("user:alice@example.com", "user:[REDACTED_EMAIL]", id="word-after-a-label"),
    pytest.param("WARNING:ops2@example.com bounced", "WARNING:[REDACTED_EMAIL] bounced", id="log-level"),
])
def test_an_address_after_a_label_and_a_colon_is_still_an_email(text: str, kept: str) -> None:
    assert redact_text(text) == Redaction(text=kept, counts={"EMAIL": 1})


@pytest.mark.parametrize("text", [
    pytest.param("lunch at 12:30@noon", id="time"),
    pytest.param("a:b@c", id="single-letters"),
    pytest.param("y = x[a:b@c.T]", id="matrix-product-in-a-slice"),
    pytest.param('"left-pad": "npm:left-pad2@1.3.0"', id="npm-alias-with-a-version"),
    pytest.param("image: nginx:1.25@sha256:" + "0123456789abcdef" * 4, id="image-digest"),
    pytest.param("uses: actions/checkout@v4.1.1", id="action-version"),
])
def test_text_shaped_like_userinfo_without_a_password_is_kept(text: str) -> None:
    assert_unchanged(text)


@pytest.mark.parametrize("url,kept", [
    pytest.param("postgresql://user:pw@%2Fvar%2Frun%2Fpostgresql/db",
                 f"postgresql://user:{PW}@%2Fvar%2Frun%2Fpostgresql/db", id="percent-encoded-socket-path"),
    pytest.param("redis+unix://:pw@/tmp/redis.sock", f"redis+unix://:{PW}@/tmp/redis.sock", id="redis-unix"),
    pytest.param("postgres://user:Hunter22@/var/run/postgresql/db", f"postgres://user:{PW}@/var/run/postgresql/db",
                 id="raw-socket-path"),
])
def test_a_password_in_a_url_to_a_unix_socket_is_removed(url: str, kept: str) -> None:
    assert redact_text(f"connect {url} failed") == Redaction(text=f"connect {kept} failed", counts={"PASSWORD": 1})


@pytest.mark.parametrize("text,kept", [
    pytest.param("db.example.com:5432:app:postgres:Hunter22x", f"db.example.com:5432:app:postgres:{PW}", id="line"),
    pytest.param("$ cat ~/.pgpass\n*:*:*:postgres:Hunter22x\n", f"$ cat ~/.pgpass\n*:*:*:postgres:{PW}\n",
                 id="wildcards-after-a-command"),
    pytest.param("localhost:5432:*:app:s3cr\\:et", f"localhost:5432:*:app:{PW}", id="escaped-colon"),
    pytest.param("  10.0.0.5:*:app:etl:hunter", f"  10.0.0.5:*:app:etl:{PW}", id="indented-dictionary-word"),
])
def test_the_password_of_a_pgpass_line_is_removed(text: str, kept: str) -> None:
    assert redact_text(text) == Redaction(text=kept, counts={"PASSWORD": 1})


@pytest.mark.parametrize("text", [
    pytest.param("root:x:0:0:root:/root:/bin/bash", id="etc-passwd"),
    pytest.param("fe80:0:0:0:1", id="ipv6-address"),
    pytest.param("12:30:45:10:00", id="timestamp"),
    pytest.param("app.py:12:5: E501 line too long", id="linter-output"),
    pytest.param("app.py:12:5:E501:line-too-long", id="linter-output-without-spaces"),
    pytest.param("hostname:port:database:username:password", id="format-description"),
])
def test_a_line_of_colon_separated_fields_that_is_no_pgpass_entry_is_kept(text: str) -> None:
    assert_unchanged(text)


@pytest.mark.parametrize("text", [
    pytest.param("echo Hunter22x | docker login -u u --password-stdin", id="echo"),
    pytest.param('echo "Hunter 22x" | docker login -u u --password-stdin r.io', id="quoted-with-a-space"),
    pytest.param("echo -n 'Hunter22x' | podman login --username u --password-stdin quay.io", id="echo-n"),
    pytest.param("printf '%s' Hunter22x | docker login --password-stdin", id="printf"),
    pytest.param("echo Hunter22x | sudo helm registry login r.io -u u --password-stdin", id="sudo-helm"),
    pytest.param("echo Hunter22x | passwd --stdin deploy", id="passwd-stdin"),
    pytest.param("echo 'deploy:Hunter22x' | sudo chpasswd", id="chpasswd"),
])
def test_a_password_piped_into_password_stdin_is_removed(text: str) -> None:
    result = redact_text(text)
    assert "Hunter" not in result.text and "22x" not in result.text and result.counts == {"PASSWORD": 1}
    assert result.text.endswith(text[text.index("|"):])


@pytest.mark.parametrize("text", [
    pytest.param("echo $PW | docker login -u u --password-stdin", id="variable"),
    pytest.param('echo "$(pass show registry)" | docker login -u u --password-stdin', id="command-substitution"),
    pytest.param("aws ecr get-login-password | docker login --username AWS --password-stdin r.io", id="aws-ecr"),
    pytest.param("cat pw.txt | docker login -u u --password-stdin", id="file"),
    pytest.param("echo done | tee build.log", id="other-command"),
    pytest.param("echo hello | git hash-object --stdin", id="other-command-reading-stdin"),
])
def test_a_password_stdin_fed_from_elsewhere_is_kept(text: str) -> None:
    assert_unchanged(text)


@pytest.mark.parametrize("text", [
    pytest.param("mysql -u root -p'Hunter 22x'", id="mysql-single-quoted"),
    pytest.param('mysql -u root -p"Hunter 22x" db', id="mysql-double-quoted"),
    pytest.param("docker login -u bob -p 'Hunter 22x' r.io", id="docker-login-dash-p"),
    pytest.param("docker login -u bob --password 'Hunter 22x' r.io", id="long-flag"),
])
def test_a_quoted_password_with_a_space_on_a_command_line_is_removed_whole(text: str) -> None:
    result = redact_text(text)
    assert "Hunter" not in result.text and "22x" not in result.text and result.counts == {"PASSWORD": 1}


def test_json_nested_past_the_recursion_limit_is_redacted_at_every_depth() -> None:
    value: object = {"password": "Hunter22x", "note": "mail alice@example.com"}
    for depth in range(5000):
        value = [value] if depth % 2 else {"level": value}
    clean, count = redact_json(value)
    assert count == 2
    for depth in reversed(range(5000)):
        clean = clean[0] if depth % 2 else clean["level"]
    assert clean == {"password": PW, "note": "mail [REDACTED_EMAIL]"}


def test_a_basic_credential_under_a_secret_key_in_json_is_labelled_a_password() -> None:
    """Red-team round 43: JSON labelled it TOKEN (after its key) where the same header in text is PASSWORD."""
    assert redact_json({"Authorization": "Basic YWRtaW46SHVudGVyMjI="}) == ({"Authorization": PW}, 1)
    assert redact_json({"Authorization": "Bearer q8Zr2Lm9Vx7aB3cD"}) == ({"Authorization": "[REDACTED_TOKEN]"}, 1)
