"""Redaction, case by case: what a secret looks like in deployment logs, and what only resembles one.

Each positive case names the secret text that must be gone and the one label that must replace it (one secret,
one count); each negative case must come back unchanged. The categories follow the review of the redaction
(short values, layouts, prose, known shapes, CJK text, labels, false positives).
"""

from __future__ import annotations

import pytest

from synth.redact import Redaction, redact_text

GHP = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
OAI = "sk-proj-Q2w3E4r5T6y7U8i9O0pAsDfGhJkL1234"
STRIPE_BODY = "51HqLyjWDarjtT1zdp7dcXyZ0aBcD"


def assert_one_secret_replaced(text: str, secret: str, kind: str) -> None:
    result = redact_text(text)
    assert secret not in result.text, result.text
    assert f"[REDACTED_{kind}]" in result.text, result.text
    assert result.counts == {kind: 1}


def assert_unchanged(text: str) -> None:
    assert redact_text(text) == Redaction(text=text, counts={})


SHORT_ASSIGNED = [
    pytest.param("jdbc:mysql://db:3306/app?user=root&password=S3cret!", "S3cret!", id="jdbc-query"),
    pytest.param("Server=db;Database=app;User Id=sa;Pwd=abc123;", "abc123", id="odbc-pwd"),
    pytest.param("Server=db;Database=app;User Id=sa;Password=MyP@ss;", "MyP@ss", id="odbc-password"),
    pytest.param("Driver={ODBC Driver 18};Server=db;Uid=sa;Pwd={a;b};", "a;b", id="odbc-braced"),
    pytest.param("PGPASSWORD=s3cr3t psql -h db -U app", "s3cr3t", id="pgpassword-env"),
    pytest.param("export DB_PASSWORD=hunter2", "hunter2", id="shell-export"),
    pytest.param('{"password": "abc12"}', "abc12", id="json"),
    pytest.param("db:\n  password: pw1\n  host: db", "pw1", id="yaml-three-chars"),
]


@pytest.mark.parametrize("text,secret", SHORT_ASSIGNED)
def test_a_value_assigned_to_a_password_key_is_redacted_whatever_its_length(text: str, secret: str) -> None:
    assert_one_secret_replaced(text, secret, "PASSWORD")


@pytest.mark.parametrize("text", [
    pytest.param("spring.datasource.password=${DB_PASSWORD}", id="env-template"),
    pytest.param("API_KEY=<your-api-key-here>", id="angle-placeholder"),
    pytest.param("password=****", id="mask"),
    pytest.param('{"password": null}', id="null"),
    pytest.param('{"password": ""}', id="empty"),
    pytest.param("token: $GITHUB_TOKEN", id="shell-variable"),
    pytest.param("password: {{ vault_db_password }}", id="jinja"),
    pytest.param("password = %(db_password)s", id="printf-template"),
    pytest.param("def refresh(self, token: str) -> str:", id="type-annotation"),
])
def test_a_placeholder_assigned_to_a_secret_key_is_kept(text: str) -> None:
    assert_unchanged(text)


LAYOUTS = [
    pytest.param('log: "{\\"password\\": \\"Sup3rS3cret!\\"}"', "Sup3rS3cret!", "PASSWORD", id="escaped-json"),
    pytest.param('Parameters: {"user"=>"ana", "password"=>"hunter2hunter2"}', "hunter2hunter2", "PASSWORD",
                 id="ruby-hash"),
    pytest.param("<server><id>nexus</id><password>Nx9pass2024</password></server>", "Nx9pass2024", "PASSWORD",
                 id="xml-element"),
    pytest.param("password  =  Sup3rS3cret!", "Sup3rS3cret!", "PASSWORD", id="spaces-around-equals"),
    pytest.param("  token:    8f3kLq92xZ0pQa7Mn", "8f3kLq92xZ0pQa7Mn", "TOKEN", id="spaces-after-colon"),
    pytest.param("password：Sup3rS3cret!2024", "Sup3rS3cret!2024", "PASSWORD", id="full-width-colon"),
    pytest.param("  password: 'correct horse battery staple'", "horse battery staple", "PASSWORD",
                 id="quoted-with-spaces"),
    pytest.param('"password": "Pa$$w0rd,2024!"', ",2024!", "PASSWORD", id="comma-inside-quotes"),
    pytest.param("--password Sup3rS3cr3t!x", "Sup3rS3cr3t!x", "PASSWORD", id="cli-flag"),
    pytest.param("password: «Sup3r S3cret 99»", "S3cret 99", "PASSWORD", id="guillemets-with-spaces"),
]


@pytest.mark.parametrize("text,secret,kind", LAYOUTS)
def test_a_secret_is_redacted_in_every_config_layout(text: str, secret: str, kind: str) -> None:
    assert_one_secret_replaced(text, secret, kind)


PROSE = [
    pytest.param("my password is Sup3rS3cret", "Sup3rS3cret", "PASSWORD", id="password-is"),
    pytest.param("The password is Kq7vLx2Pm9Kz", "Kq7vLx2Pm9Kz", "PASSWORD", id="password-is-capitalised"),
    pytest.param("the token is: 8f3kLq92xZ0pQa7", "8f3kLq92xZ0pQa7", "TOKEN", id="token-is-colon"),
    pytest.param("the api key was rotated to 9aZ8bY7cX6dW5eV4", "9aZ8bY7cX6dW5eV4", "API_KEY", id="rotated-to"),
    pytest.param("I set the secret, 4f9aZq81mm2P0xQe, in the dashboard", "4f9aZq81mm2P0xQe", "SECRET",
                 id="secret-comma"),
    pytest.param("Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b",
                 "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", "TOKEN", id="authorization-token"),
]


@pytest.mark.parametrize("text,secret,kind", PROSE)
def test_a_secret_named_in_prose_is_redacted(text: str, secret: str, kind: str) -> None:
    assert_one_secret_replaced(text, secret, kind)


@pytest.mark.parametrize("text", [
    pytest.param("The password is incorrect, please try again.", id="password-is-a-word"),
    pytest.param("the password is 8 characters long", id="password-is-a-count"),
    pytest.param("Error: invalid password: please retry", id="colon-then-sentence"),
    pytest.param("the token is v1.2.3", id="token-is-a-version"),
    pytest.param("Token count: 128000 of 131072", id="token-count"),
    pytest.param("a ticket token-bucket rate limiter allows bursts of 100 requests", id="token-bucket"),
])
def test_prose_about_a_secret_without_one_is_unchanged(text: str) -> None:
    assert_unchanged(text)


PEM_TRUNCATED = ("pasted (log truncated):\n-----BEGIN RSA PRIVATE KEY-----\n"
                 "MIIEowIBAAKCAQEA7bq98zGxQ2w3E4r5T6y7U8i9O0pAsDfGhJkL1234567890abcd\n"
                 "Q2w3E4r5T6y7U8i9O0pAsDfGhJkL1234567890abcdMIIEowIBAAKCAQEA7bq98zGx\n...")
AZURE = ("DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6"
         "IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net")
SHAPES = [
    pytest.param(f"stripe.error.AuthenticationError: No such key sk_live_{STRIPE_BODY}", STRIPE_BODY, "API_KEY",
                 id="stripe-live"),
    pytest.param(f"charging with rk_live_{STRIPE_BODY} failed", STRIPE_BODY, "API_KEY", id="stripe-restricted"),
    pytest.param(f"STRIPE_KEY is sk_test_{STRIPE_BODY}", STRIPE_BODY, "API_KEY", id="stripe-test"),
    pytest.param("ASIAY34FZKBOKMUTVV7A is the temporary key id from STS", "ASIAY34FZKBOKMUTVV7A", "API_KEY",
                 id="aws-sts-key-id"),
    pytest.param("xapp-1-A0123ABCDEF-1234567890123-abcdef0123456789abcdef0123456789abcdef", "abcdef0123456789",
                 "TOKEN", id="slack-app-token"),
    pytest.param("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF1kJ8YBCADa7Yx2Qz9\n"
                 "-----END PGP PRIVATE KEY BLOCK-----", "lQOYBF1kJ8YBCADa7Yx2Qz9", "PRIVATE_KEY", id="pgp-private-key"),
    pytest.param(PEM_TRUNCATED, "Q2w3E4r5T6y7U8i9O0pAsDfGhJkL", "PRIVATE_KEY", id="pem-without-end-line"),
    pytest.param("Authorization: Basic YWRtaW46czNjcjN0UGFzczk5", "YWRtaW46czNjcjN0UGFzczk5", "PASSWORD",
                 id="basic-auth"),
    pytest.param(AZURE, "Eby8vdM02xNOcqFlq", "API_KEY", id="azure-account-key"),
    pytest.param("curl -u admin:S3cretPass99 https://api.internal/v1", "S3cretPass99", "PASSWORD", id="curl-user"),
    pytest.param("mysql -h db -u root -pS3cretPass99 app", "S3cretPass99", "PASSWORD", id="mysql-p"),
    pytest.param("oracle: jdbc:oracle:thin:scott/T1gerPass99@//db:1521/ORCL", "T1gerPass99", "PASSWORD",
                 id="oracle-thin"),
]


@pytest.mark.parametrize("text,secret,kind", SHAPES)
def test_a_known_secret_shape_is_redacted(text: str, secret: str, kind: str) -> None:
    assert_one_secret_replaced(text, secret, kind)


def test_a_truncated_private_key_is_redacted_up_to_the_end_of_its_base64_block() -> None:
    result = redact_text(PEM_TRUNCATED)
    assert result.text == "pasted (log truncated):\n[REDACTED_PRIVATE_KEY]\n..."


@pytest.mark.parametrize("text,secret,kind", [
    pytest.param(f"我的token是{GHP}", GHP, "TOKEN", id="token-after-chinese"),
    pytest.param(f"我的密钥是{OAI}，请帮忙", OAI, "API_KEY", id="api-key-between-chinese"),
    pytest.param("用户邮箱bob@example.com无法登录", "bob@example.com", "EMAIL", id="email-between-chinese"),
    pytest.param("我的密码是Sup3rS3cret9", "Sup3rS3cret9", "PASSWORD", id="chinese-password-word"),
])
def test_a_secret_glued_to_cjk_text_is_redacted(text: str, secret: str, kind: str) -> None:
    assert_one_secret_replaced(text, secret, kind)


@pytest.mark.parametrize("url,kept", [
    pytest.param("postgres://app:p@ssw0rd@db.internal:5432/app",
                 "postgres://app:[REDACTED_PASSWORD]@db.internal:5432/app", id="at-sign-in-password"),
    pytest.param("postgres://app:ab/cd1234@db.internal/app", "postgres://app:[REDACTED_PASSWORD]@db.internal/app",
                 id="slash-in-password"),
])
def test_a_password_in_a_url_is_one_password_and_the_host_stays(url: str, kept: str) -> None:
    result = redact_text(f"could not connect: {url}")
    assert result.text == f"could not connect: {kept}"
    assert result.counts == {"PASSWORD": 1}


def test_a_token_used_as_a_url_password_counts_once() -> None:
    result = redact_text(f"https://user:{GHP}@github.com/acme/x.git")
    assert result.text == "https://user:[REDACTED_TOKEN]@github.com/acme/x.git"
    assert result.counts == {"TOKEN": 1}


@pytest.mark.parametrize("text,secret,kind", [
    pytest.param("private_key: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "PRIVATE_KEY",
                 id="private-key-word"),
    pytest.param("SLACK_BOT_TOKEN=xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKl", "TOKEN",
                 id="slack-bot-token"),
    pytest.param("slack error for xoxp-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", "AbCdEfGhIjKl", "TOKEN",
                 id="slack-user-token"),
])
def test_the_placeholder_names_the_kind_of_secret(text: str, secret: str, kind: str) -> None:
    assert_one_secret_replaced(text, secret, kind)


@pytest.mark.parametrize("text", [
    pytest.param("PWD=/home/ubuntu/deploy/releases/20240501", id="pwd-env-path"),
    pytest.param("OLDPWD=/home/ubuntu/app", id="oldpwd-env-path"),
    pytest.param("ssl: private key: /etc/ssl/private/server.key not readable", id="private-key-path"),
    pytest.param("git clone git@github.com:acme/deploy-tools.git", id="scp-git-remote"),
    pytest.param("remote: git@gitlab.com: Permission denied (publickey).", id="git-ssh-user"),
    pytest.param("ERROR invalid password\nrequest_id=9f8e7d6c5b4a3210fedcba98", id="keyword-then-newline"),
    pytest.param("the password for db-prod-01.eu-west-1.rds.amazonaws.com expired", id="hostname-after-for"),
    pytest.param("y = x@w.transpose() + b  # matmul", id="matmul-operator"),
    pytest.param("pass=12 fail=0 skip=3", id="test-tally"),
    pytest.param("ssh://deploy@10.0.0.5:22/srv/repo and https://user@example.com/path", id="url-user"),
])
def test_text_that_only_resembles_a_secret_is_unchanged(text: str) -> None:
    assert_unchanged(text)


def test_a_url_port_is_not_a_password_and_an_email_in_its_query_is_an_email() -> None:
    result = redact_text("Connecting to http://api.internal:8080?email=ana@example.com")
    assert result.text == "Connecting to http://api.internal:8080?email=[REDACTED_EMAIL]"
    assert result.counts == {"EMAIL": 1}


def test_a_secret_in_a_query_string_stops_at_the_next_parameter() -> None:
    result = redact_text("https://api.example.com/data?api_key=abc123def456ghi7&format=json")
    assert result.text == "https://api.example.com/data?api_key=[REDACTED_API_KEY]&format=json"


@pytest.mark.parametrize("text", [
    pytest.param("token = resolve_token(args.token_env)", id="call"),
    pytest.param("client = OpenAI(api_key=options.api_key, timeout=30)", id="attribute"),
    pytest.param("config = WebConfig(token=token or None)", id="keyword-passed-on"),
    pytest.param('def curate(token: Annotated[str, Form()] = "") -> Response:', id="subscript"),
    pytest.param("ENVSYNTH_WEB_TOKEN=$(openssl rand -hex 16) serve", id="shell-substitution"),
])
def test_code_that_names_a_secret_without_holding_one_is_unchanged(text: str) -> None:
    assert_unchanged(text)


def test_a_python_string_literal_assigned_to_a_secret_name_is_redacted() -> None:
    assert redact_text('secret = f"PLANTED-{uuid}"').text == 'secret = f"[REDACTED_SECRET]"'
