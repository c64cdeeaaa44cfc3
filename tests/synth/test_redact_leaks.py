"""Shapes the red team got past redaction into a generator prompt and the bank, and their look-alikes.

Each positive names the secret text that must be gone and the label that must replace it (a password in a URL is a
PASSWORD, not an EMAIL); each negative is ordinary text near the same shape that must come back unchanged.
"""

from __future__ import annotations

import pytest

from synth.redact import Redaction, redact_text

PW = "[REDACTED_PASSWORD]"


def assert_replaced(text: str, secrets: list[str], counts: dict[str, int]) -> str:
    result = redact_text(text)
    assert not [s for s in secrets if s in result.text], result.text
    assert result.counts == counts, result.text
    return result.text


def assert_unchanged(text: str) -> None:
    assert redact_text(text) == Redaction(text=text, counts={})


@pytest.mark.parametrize("text,address", [
    pytest.param("My account is josé@example.com and it fails", "josé@example.com", id="accented-latin"),
    pytest.param("contact müller@example.com today", "müller@example.com", id="umlaut"),
    pytest.param("почта иван@example.com", "иван@example.com", id="cyrillic"),
    pytest.param("邮箱 张三@example.com 无法登录", "张三@example.com", id="cjk-after-a-space"),
    pytest.param("write to jose\u0301@example.com", "jose\u0301@example.com", id="combining-accent"),
])
def test_an_email_with_a_non_ascii_local_part_is_removed_whole(text: str, address: str) -> None:
    clean = assert_replaced(text, [address, address.split("@")[0][-2:] + "@"], {"EMAIL": 1})
    assert clean == text.replace(address, "[REDACTED_EMAIL]")


def test_an_email_glued_to_cjk_prose_takes_only_the_address() -> None:
    assert redact_text("用户邮箱bob@example.com无法登录").text == "用户邮箱[REDACTED_EMAIL]无法登录"


def test_both_halves_of_an_email_password_pair_are_removed_and_labelled() -> None:
    clean = assert_replaced("the combo I use is alice@example.com:Hunter22", ["alice", "Hunter22"],
                            {"EMAIL": 1, "PASSWORD": 1})
    assert clean == "the combo I use is [REDACTED_EMAIL]:[REDACTED_PASSWORD]"


@pytest.mark.parametrize("text", [
    pytest.param("scp backup.tar deploy@files.example.com:/srv/backups/", id="scp-absolute-path"),
    pytest.param("rsync -a deploy@files.example.com:~/releases .", id="scp-home-path"),
    pytest.param("deploy@files.example.com:22 refused", id="port"),
])
def test_an_scp_remote_is_not_an_email_password_pair(text: str) -> None:
    assert_unchanged(text)


@pytest.mark.parametrize("url,kept", [
    pytest.param("postgres://admin:Xy#9kLm2@db.example.com/app", f"postgres://admin:{PW}@db.example.com/app",
                 id="hash"),
    pytest.param("postgres://admin:Xy?9kLm2@db.example.com/app", f"postgres://admin:{PW}@db.example.com/app",
                 id="question-mark"),
    pytest.param("postgres://admin:Xy#9kLm2@db.internal:5432/app?contact=ops@example.com",
                 f"postgres://admin:{PW}@db.internal:5432/app?contact=[REDACTED_EMAIL]",
                 id="email-in-the-query-is-not-part-of-the-password"),
])
def test_a_password_with_a_hash_or_question_mark_in_a_connection_string_is_removed_whole(url: str, kept: str) -> None:
    result = redact_text(f"db url {url}")
    assert result.text == f"db url {kept}"
    assert result.counts["PASSWORD"] == 1 and "Xy" not in result.text and "9kLm2" not in result.text


@pytest.mark.parametrize("text,secret", [
    pytest.param('config dump (truncated): {"user": "bob", "password": "Zq8!vR2m', "Zq8!vR2m", id="json-end-of-text"),
    pytest.param('{"password": "Zq8!vR2m\nnext line', "Zq8!vR2m", id="json-end-of-line"),
    pytest.param("{'password': 'Zq8!vR2m", "Zq8!vR2m", id="python-repr"),
    pytest.param('"{\\"password\\": \\"Zq8!vR2m', "Zq8!vR2m", id="escaped-json"),
])
def test_a_quoted_password_cut_off_by_truncation_is_removed(text: str, secret: str) -> None:
    assert_replaced(text, [secret, "Zq8"], {"PASSWORD": 1})


def test_a_message_that_only_opens_a_quote_after_password_is_unchanged() -> None:
    assert_unchanged('raise ValueError("invalid password: " + reason)')


@pytest.mark.parametrize("text", [
    pytest.param("machine api.example.com login bob password Kp4vXw9q\nwhy does curl fail?", id="one-line"),
    pytest.param("machine api.example.com\n  login bob\n  password Kp4vXw9q\n", id="one-token-a-line"),
    pytest.param("machine api.example.com login bob password kpvxwqzz", id="dictionary-looking"),
    pytest.param("login bob password Kp4vXw9q", id="without-machine"),
    pytest.param("my netrc:\npassword Kp4vXw9q\n", id="password-line-alone"),
])
def test_a_netrc_password_is_removed(text: str) -> None:
    secret = "Kp4vXw9q" if "Kp4vXw9q" in text else "kpvxwqzz"
    clean = assert_replaced(text, [secret], {"PASSWORD": 1})
    assert "login bob" in clean or "login" not in text


@pytest.mark.parametrize("text", [
    pytest.param("Can't login with password authentication disabled", id="login-then-prose"),
    pytest.param("password reset\nrequired", id="password-line-of-prose"),
    pytest.param("the machine is down, login failed, password incorrect", id="machine-in-prose"),
])
def test_prose_near_netrc_keywords_is_unchanged(text: str) -> None:
    assert_unchanged(text)


def test_a_password_typed_after_the_git_prompt_is_removed() -> None:
    clean = assert_replaced("git asks: Password for 'https://bob@github.com': Rt5yUi8o\nthen fails", ["Rt5yUi8o"],
                            {"PASSWORD": 1})
    assert "Password for 'https://bob@github.com': [REDACTED_PASSWORD]" in clean


def test_the_git_error_after_its_password_prompt_is_unchanged() -> None:
    assert_unchanged("fatal: could not read Password for 'https://bob@github.com': No such device or address")
    assert_unchanged("Password for 'https://bob@github.com': fatal: Authentication failed")


@pytest.mark.parametrize("text,secret,kind", [
    pytest.param("GET /cb?next=%2Flogin%3Ftoken%3Dq8Zr2mVx0aLk7Tn3 HTTP/1.1", "q8Zr2mVx0aLk7Tn3", "TOKEN",
                 id="encoded-equals"),
    pytest.param("next=%2Fcb%3Fpassword%253DHunter22%2526x%253D1", "Hunter22", "PASSWORD", id="double-encoded"),
    pytest.param("body=%7B%22api_key%22%3A%22abc123def456%22%7D", "abc123def456", "API_KEY", id="encoded-json"),
])
def test_a_url_encoded_secret_assignment_is_removed(text: str, secret: str, kind: str) -> None:
    clean = assert_replaced(text, [secret], {kind: 1})
    assert clean.endswith((" HTTP/1.1", "x%253D1", "%22%7D"))


@pytest.mark.parametrize("text,secret", [
    pytest.param("docker login -u bob -p S3cr3tPass registry.example.com", "S3cr3tPass", id="docker-login"),
    pytest.param("podman login --username bob -p 'S3cr3tPass' quay.io", "S3cr3tPass", id="podman-quoted"),
    pytest.param("sshpass -p S3cr3t ssh host", "S3cr3t", id="sshpass"),
    pytest.param("sshpass -pS3cr3t ssh host", "S3cr3t", id="sshpass-glued"),
    pytest.param("mongosh mongodb://db/app -u admin -p S3cr3t", "S3cr3t", id="mongosh"),
    pytest.param("redis-cli -h cache -a S3cr3t ping", "S3cr3t", id="redis-cli"),
    pytest.param("tool --password secret", "secret", id="long-flag"),
    pytest.param("tool --password=secret", "secret", id="long-flag-equals"),
])
def test_a_password_passed_on_a_command_line_is_removed(text: str, secret: str) -> None:
    assert_replaced(text, [secret], {"PASSWORD": 1})


@pytest.mark.parametrize("text", [
    pytest.param("mkdir -p build/out && docker run -p 8080:80 app", id="mkdir-and-port"),
    pytest.param("ssh -p 2222 deploy@host", id="ssh-port"),
    pytest.param("sshpass -f ~/.pw ssh -p 2222 deploy@host", id="sshpass-file-then-ssh-port"),
    pytest.param("pytest -p no:cacheprovider -q", id="pytest-plugin"),
    pytest.param("docker login -u bob --password-stdin < pw.txt", id="password-from-stdin"),
])
def test_a_dash_p_that_is_not_a_password_is_unchanged(text: str) -> None:
    assert_unchanged(text)


def test_a_hex_token_used_as_a_url_username_is_removed() -> None:
    token = "0123456789abcdef0123456789abcdef01234567"
    clean = assert_replaced(f"git clone https://{token}@github.com/x.git", [token, "0123456789"], {"TOKEN": 1})
    assert clean == "git clone https://[REDACTED_TOKEN]@github.com/x.git"


@pytest.mark.parametrize("text", [
    pytest.param("https://deploy@git.example.com/x.git", id="plain-user"),
    pytest.param("https://jenkins-bot-2024@git.example.com/x.git", id="user-with-digits"),
])
def test_an_ordinary_url_username_is_unchanged(text: str) -> None:
    assert_unchanged(text)


@pytest.mark.parametrize("text,secret,kind", [
    pytest.param("my token is 1a2b3c4d5e", "1a2b3c4d5e", "TOKEN", id="token-is"),
    pytest.param("the secret was 9f8e7d6c, oops", "9f8e7d6c", "SECRET", id="secret-was"),
])
def test_a_short_token_after_a_linking_word_is_removed(text: str, secret: str, kind: str) -> None:
    assert_replaced(text, [secret], {kind: 1})


@pytest.mark.parametrize("text", [
    pytest.param("the token is v1.2.3", id="version"),
    pytest.param("the token is utf8mb4", id="charset"),
    pytest.param("the token is 12345678 characters away", id="digits-only"),
])
def test_a_short_word_after_token_is_that_is_not_a_token_is_unchanged(text: str) -> None:
    assert_unchanged(text)


TOKEN = "a9F3kL0pQ7zX2mN8vB4cR6tY1wE5uI0o"


@pytest.mark.parametrize("text,label", [
    pytest.param(f"DB_PASSWORD_PROD={TOKEN}", "PASSWORD", id="environment-suffix"),
    pytest.param(f"STRIPE_SECRET_KEY_LIVE={TOKEN}", "SECRET", id="live-suffix"),
    pytest.param(f"SECRET_KEY_BASE={TOKEN}", "SECRET", id="rails-base"),
    pytest.param(f"GITHUB_TOKEN_RO={TOKEN}", "TOKEN", id="read-only-suffix"),
    pytest.param(f"password1: {TOKEN}", "PASSWORD", id="numbered"),
    pytest.param(f"API_KEY_V2={TOKEN}", "API_KEY", id="versioned"),
])
def test_a_secret_name_with_a_qualifier_after_its_keyword_still_names_a_secret(text: str, label: str) -> None:
    """Red-team round 43: the keyword had to end the name, so these leaked whole."""
    assert_replaced(text, [TOKEN], {label: 1})


@pytest.mark.parametrize("text", [
    pytest.param(f"key={TOKEN}", id="bare-key"),
    pytest.param(f'"key": "{TOKEN}"', id="json-key"),
    pytest.param(f"https://api.example.com/v1/data?key={TOKEN}&q=1", id="query-parameter"),
    pytest.param(f"ENCRYPTION_KEY={TOKEN}", id="encryption-key"),
    pytest.param(f"APP_KEY=base64:{TOKEN}=", id="laravel-app-key"),
    pytest.param(f"license key: {TOKEN}", id="license-key"),
])
def test_a_token_under_a_key_name_is_removed(text: str) -> None:
    assert_replaced(text, [TOKEN], {"API_KEY": 1})


@pytest.mark.parametrize("text,secret", [
    pytest.param("password: Tr0ub4dor&3", "&3", id="ampersand"),
    pytest.param("DB_PASSWORD=abc,def123", "def123", id="comma"),
    pytest.param("PASSWORD=Secr3t<>x", "<>x", id="angle-brackets"),
    pytest.param("password: Xk9(mP2q)Lr7z", "Lr7z", id="parentheses"),
    pytest.param("  db_password: Xk9[mP2q]Lr7z   # rotated in May", "Lr7z", id="brackets-and-a-comment"),
])
def test_a_value_alone_on_its_line_goes_whole_whatever_punctuation_it_holds(text: str, secret: str) -> None:
    assert_replaced(text, [secret], {"PASSWORD": 1})


@pytest.mark.parametrize("text", [
    pytest.param("password_min_length=8", id="setting-about-passwords"),
    pytest.param("token_count: 5", id="a-count"),
    pytest.param("sort key: created_at", id="sort-key"),
    pytest.param("primary_key = True", id="primary-key"),
    pytest.param("Cache key: ab12cd34ef56ab12cd34 miss", id="cache-key"),
    pytest.param("const token = await getToken();", id="await"),
    pytest.param("let token = new Token(raw);", id="new"),
    pytest.param("password = hash_pw(raw)", id="call"),
    pytest.param("if password == confirm_password:", id="comparison"),
    pytest.param("secret_key = settings.SECRET_KEY", id="settings-attribute"),
    pytest.param("token = self.Token", id="self-attribute"),
    pytest.param("password: SecretStr", id="type"),
    pytest.param("    token: CancellationToken,", id="parameter-type"),
    pytest.param("    password: Option<String>,", id="generic-type"),
])
def test_code_and_settings_about_secrets_are_kept(text: str) -> None:
    assert_unchanged(text)


def test_json_keys_with_a_qualifier_or_ending_in_key_are_redacted() -> None:
    from synth.redact import redact_json

    clean, count = redact_json({"DB_PASSWORD_PROD": "Hunter22x", "encryption_key": TOKEN, "key": TOKEN,
                                "sort_key": "created_at", "cache_key": TOKEN})
    assert count == 3 and clean == {"DB_PASSWORD_PROD": PW, "encryption_key": "[REDACTED_API_KEY]",
                                    "key": "[REDACTED_API_KEY]", "sort_key": "created_at", "cache_key": TOKEN}


@pytest.mark.parametrize("text,secret,label", [
    pytest.param("POST https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdEFGHijklMNOPqrstUVWX",
                 "abcdEFGHijklMNOPqrstUVWX", "TOKEN", id="slack-webhook"),
    pytest.param("header ya29.a0AfH6SMBx3kLm9pQrStUvWxYz0123456789", "a0AfH6SMBx3kLm9pQrStUvWxYz", "TOKEN",
                 id="google-oauth-access-token"),
    pytest.param("client GOCSPX-1a2B3c4D5e6F7g8H9i0JkLmNo", "1a2B3c4D5e6F7g8H9i0JkLmNo", "SECRET",
                 id="google-oauth-client-secret"),
    pytest.param("SG.aBcDeFgHiJkLmNoPqR.sTuVwXyZ0123456789abcdefGHIJKLMNOPQRSTU", "sTuVwXyZ0123456789", "API_KEY",
                 id="sendgrid"),
    pytest.param("npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "a1B2c3D4e5F6g7H8i9J0", "TOKEN", id="npm"),
    pytest.param("whsec_1234567890abcdefghijABCDEF", "1234567890abcdefghij", "SECRET", id="stripe-webhook-secret"),
    pytest.param("VAULT hvs.CAESIJlWh3Y2bTZ3d3J3ZXJ3ZXJ3ZXJ3ZXJ3", "CAESIJlWh3Y2bTZ3", "TOKEN", id="vault"),
])
def test_a_vendor_credential_is_removed_without_a_keyword(text: str, secret: str, label: str) -> None:
    """Red-team round 43: these prefixes were unknown, so with no keyword before them they leaked whole."""
    assert_replaced(text, [secret], {label: 1})


@pytest.mark.parametrize("word", ["Passwort", "contraseña", "mot de passe", "пароль", "パスワード", "비밀번호", "senha",
                                  "wachtwoord"])
def test_a_password_word_of_another_language_names_a_password(word: str) -> None:
    """Red-team round 43: among other languages only Chinese (密码) was known."""
    assert_replaced(f"{word}: Hunter22x", ["Hunter22x"], {"PASSWORD": 1})


@pytest.mark.parametrize("text", ["le mot de passe est incorrect", "Das Passwort ist falsch."])
def test_a_sentence_about_a_password_in_another_language_is_kept(text: str) -> None:
    assert_unchanged(text)


@pytest.mark.parametrize("url,kept", [
    pytest.param("EMAIL_URL=smtp://alerts@example.com:Hunter22x@smtp.gmail.com:587",
                 f"EMAIL_URL=smtp://[REDACTED_EMAIL]:{PW}@smtp.gmail.com:587", id="smtp-with-port"),
    pytest.param("ftp://alice@example.com:Hunter22@ftp.example.com/", f"ftp://[REDACTED_EMAIL]:{PW}@ftp.example.com/",
                 id="ftp-without-port"),
])
def test_a_url_whose_username_is_an_address_loses_both_and_keeps_its_host(url: str, kept: str) -> None:
    """Red-team round 43: the password leaked with the address, or was labelled EMAIL and took the host along."""
    assert redact_text(url).text == kept


@pytest.mark.parametrize("text,secret", [
    pytest.param("env:\n- name: DB_PASSWORD\n  value: Hunter22x", "Hunter22x", id="kubernetes-env"),
    pytest.param('{"name": "API_TOKEN", "value": "q8Zr2Lm9Vx7"}', "q8Zr2Lm9Vx7", id="ecs-json"),
    pytest.param('props.setProperty("password", "Hunter22x");', "Hunter22x", id="set-property"),
    pytest.param('requests.get(url, auth=("admin", "Hunter22x"))', "Hunter22x", id="requests-auth"),
])
def test_a_secret_given_as_a_name_value_pair_is_removed(text: str, secret: str) -> None:
    """Red-team round 43: the value's own key or position says nothing, so these leaked whole."""
    assert secret not in redact_text(text).text


def test_a_name_value_pair_in_json_loses_its_value() -> None:
    from synth.redact import redact_json

    clean, count = redact_json({"env": [{"name": "DB_PASSWORD", "value": "Hunter22x"},
                                        {"name": "LOG_LEVEL", "value": "debug"}],
                                "headers": [["X-Api-Key", "abc123"], ["Accept", "json"]], "auth": ["admin", "pw1"]})
    assert count == 3 and clean == {"env": [{"name": "DB_PASSWORD", "value": PW}, {"name": "LOG_LEVEL", "value": "debug"}],
                                    "headers": [["X-Api-Key", "[REDACTED_API_KEY]"], ["Accept", "json"]],
                                    "auth": ["admin", PW]}


def test_a_message_naming_a_password_in_a_call_is_kept() -> None:
    assert_unchanged('print("password", "is required")')


def test_what_a_container_of_secrets_holds_is_redacted_but_a_tokenizer_s_tokens_are_kept() -> None:
    """Red-team round 43: the keys below ``secrets``, ``credentials`` and ``passwords`` said nothing, and a key with
    a path separator or a trailing space did not match."""
    from synth.redact import redact_json

    clean, count = redact_json({"secrets": {"db": "Hunter22x"}, "credentials": {"pw": "Hunter22x"},
                                "passwords": ["Hunter22x"], "db:password": "Hunter22x", "password ": "Hunter22x",
                                "tokens": ["the", "cat"], "max_tokens": 256})
    assert count == 5 and "Hunter22x" not in str(clean)
    assert clean["tokens"] == ["the", "cat"] and clean["max_tokens"] == 256


@pytest.mark.parametrize("text", ["Password: Must be 8-64 characters.", "token: TokenExpiredError: jwt expired",
                                  "JWT token: HS256", "token: n/a", "password: N/A", "token: TBD",
                                  "token: application/json", "private key: ed25519", "access key: read-only"])
def test_status_text_after_a_secret_word_is_kept(text: str) -> None:
    """Red-team round 43: a capitalised sentence, an exception's name, n/a, an algorithm or a media type was taken
    for the secret."""
    assert_unchanged(text)


BODY = "MIIEowIBAAKCAQEA1234567890abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQR"


@pytest.mark.parametrize("prefix", [" " * 8, "2024-01-01 ERROR ", "> "])
def test_a_truncated_private_key_loses_its_body_whatever_prefix_its_lines_carry(prefix: str) -> None:
    """Red-team round 43: with deep indentation, a log prefix or a quote mark on each line only the header went."""
    text = f"{prefix}-----BEGIN RSA PRIVATE KEY-----\n{prefix}{BODY}\n{prefix}{BODY}"
    assert BODY[20:] not in redact_text(text).text


def test_the_line_after_a_truncated_private_key_is_kept() -> None:
    assert redact_text(f"-----BEGIN PRIVATE KEY-----\n{BODY}\nthen the deploy failed").text.endswith(
        "\nthen the deploy failed")
