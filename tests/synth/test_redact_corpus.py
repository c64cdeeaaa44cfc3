"""The review corpus of the redaction: 98 secrets as they appear in deployment logs and 47 texts that only look
like one (the reviewer's /tmp/redact_review/corpus.py, kept here so the numbers cannot drift).

One change from the review: ``http://api.internal:8080?email=ana@example.com`` was a negative, but it holds an email
address, which this module redacts everywhere; it is a positive here whose URL (and port) must survive.
"""

from __future__ import annotations

import pytest

from synth.redact import Redaction, redact_text

AWS = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
AWS2 = "Zk3pQ9rLm2Vx8TnB4cY7hJ1sD6fG0aW5eR+uI/oP"
JWT = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
GHP = "ghp_A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"
PAT = "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789abcdefghijklmnopqrstuvwxyzAB"
SLACK = "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"
STRIPE = "sk_live_51HqLyjWDarjtT1zdp7dcXyZ0aBcD"
GOOG = "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
OAI = "sk-proj-Q2w3E4r5T6y7U8i9O0pAsDfGhJkL1234"
PEM = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98zGx\nQ2w3E4r5T6y7U8i9O0pAsD==\n-----END RSA PRIVATE KEY-----"

POSITIVES: list = []


def _add(category: str, text: str, secrets: list[str], label: str | None) -> None:
    """One positive: the substrings that must be gone and the label that must appear (None: several secrets)."""
    POSITIVES.append(pytest.param(text, secrets, label, id=f"{category}-{len(POSITIVES):02d}"))


_add("aws", f"aws_secret_access_key = {AWS}", [AWS, "EXAMPLEKEY"], "AWS_SECRET_KEY")
_add("aws", f"2024-05-01T12:00:03Z ERROR boto: export AWS_SECRET_ACCESS_KEY={AWS2} failed", [AWS2], "AWS_SECRET_KEY")
_add("aws", f'{{"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "SecretAccessKey": "{AWS2}"}}', [AWS2, "AKIAIOSFODNN7EXAMPLE"], None)
_add("aws", f"creds.csv:\nAKIAIOSFODNN7EXAMPLE,{AWS}\n", [AWS, "AKIAIOSFODNN7EXAMPLE"], None)
_add("aws", f"user: here's the key → {AWS}… does it work?", [AWS], "AWS_SECRET_KEY")
_add("aws", "ASIAY34FZKBOKMUTVV7A is the temporary key id from STS", ["ASIAY34FZKBOKMUTVV7A"], "API_KEY")
_add("aws", "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", ["AKIAIOSFODNN7EXAMPLE"], "API_KEY")
_add("connection-string", "psycopg2.OperationalError: could not connect to postgres://admin:s3cr3t-P4ss@db.internal:5432/app", ["s3cr3t-P4ss"], "PASSWORD")
_add("connection-string", "DATABASE_URL=postgresql+psycopg2://app:Xy9%40pass@10.0.0.5/prod", ["Xy9%40pass"], "PASSWORD")
_add("connection-string", "mysql://root:hunter2@localhost:3306/shop refused", ["hunter2"], "PASSWORD")
_add("connection-string", "MONGO_URI='mongodb+srv://admin:Pa55w0rd2024@cluster0.ab1cd.mongodb.net/?retryWrites=true'", ["Pa55w0rd2024"], "PASSWORD")
_add("connection-string", "redis.exceptions.AuthenticationError at redis://default:r3d1sPw@redis-123.c1.us-east-1.ec2.cloud.redislabs.com:12345", ["r3d1sPw"], "PASSWORD")
_add("connection-string", "pika: amqps://mquser:Qu3uePass!@b-12ab.mq.us-east-1.amazonaws.com:5671/", ["Qu3uePass!"], "PASSWORD")
_add("connection-string", "amqp://guest:guest@rabbitmq:5672/", ["guest@"], "PASSWORD")
_add("connection-string", "could not connect: postgres://app:p@ssw0rd@db.internal:5432/app", ["p@ssw0rd", "ssw0rd"], "PASSWORD")
_add("connection-string", "url=postgres://app:ab/cd1234@db.internal/app", ["ab/cd1234"], "PASSWORD")
_add("connection-string", "jdbc:postgresql://db:5432/app?user=app&password=Sup3rSecret&ssl=true", ["Sup3rSecret"], "PASSWORD")
_add("connection-string", "jdbc:mysql://db:3306/app?user=root&password=S3cret!", ["S3cret!"], "PASSWORD")
_add("connection-string", "jdbc:sqlserver://db:1433;databaseName=app;user=sa;password=Str0ng!Pass;encrypt=true", ["Str0ng!Pass"], "PASSWORD")
_add("connection-string", "Driver={ODBC Driver 18 for SQL Server};Server=tcp:db,1433;Uid=sa;Pwd=Str0ngPa55!;", ["Str0ngPa55!"], "PASSWORD")
_add("connection-string", "Server=db;Database=app;User Id=sa;Pwd=abc123;", ["abc123"], "PASSWORD")
_add("connection-string", "Server=db;Database=app;User Id=sa;Password=MyP@ss;", ["MyP@ss"], "PASSWORD")
_add("connection-string", "PGPASSWORD=s3cr3t psql -h db -U app", ["s3cr3t"], "PASSWORD")
_add("connection-string", "DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;EndpointSuffix=core.windows.net", ["Eby8vdM02xNOcqFlq"], "API_KEY")
_add("connection-string", "Endpoint=sb://ns.servicebus.windows.net/;SharedAccessKeyName=Root;SharedAccessKey=abcDEF123ghiJKL456mnoPQR789=", ["abcDEF123ghiJKL456"], None)
_add("connection-string", "oracle: jdbc:oracle:thin:scott/T1gerPass99@//db:1521/ORCL", ["T1gerPass99"], "PASSWORD")
_add("connection-string", "连接失败 postgres://admin:Zz9secretPw@db.internal:5432/app", ["Zz9secretPw"], "PASSWORD")
_add("assigned", '{"api_key": "9aZ8bY7cX6dW5eV4uT3s"}', ["9aZ8bY7cX6dW5eV4uT3s"], "API_KEY")
_add("assigned", '{"password":"Sup3rS3cret!"}', ["Sup3rS3cret!"], "PASSWORD")
_add("assigned", '{"password": "abc12"}', ["abc12"], "PASSWORD")
_add("assigned", '{"password" : "Sup3rS3cret!"}', ["Sup3rS3cret!"], "PASSWORD")
_add("assigned", 'log: "{\\"password\\": \\"Sup3rS3cret!\\"}"', ["Sup3rS3cret!"], "PASSWORD")
_add("assigned", 'msg="request body={\\"api_key\\":\\"9aZ8bY7cX6dW5eV4uT3s\\"}"', ["9aZ8bY7cX6dW5eV4uT3s"], "API_KEY")
_add("assigned", 'Parameters: {"user"=>"ana", "password"=>"hunter2hunter2"}', ["hunter2hunter2"], "PASSWORD")
_add("assigned", "<settings><server><id>nexus</id><password>Nx9pass2024</password></server></settings>", ["Nx9pass2024"], "PASSWORD")
_add("assigned", "config.yaml:\n  db:\n    token: 8f3kLq92xZ0pQa7Mn", ["8f3kLq92xZ0pQa7Mn"], "TOKEN")
_add("assigned", "  token:    8f3kLq92xZ0pQa7Mn", ["8f3kLq92xZ0pQa7Mn"], "TOKEN")
_add("assigned", "password  =  Sup3rS3cret!", ["Sup3rS3cret!"], "PASSWORD")
_add("assigned", "  password: 'correct horse battery staple'", ["correct horse battery staple", "horse battery"], "PASSWORD")
_add("assigned", '"password": "Pa$$w0rd,2024!"', ["Pa$$w0rd,2024!", ",2024!"], "PASSWORD")
_add("assigned", "SECRET_KEY=django-insecure-8x#k2!m9z@q4w7e", ["django-insecure-8x#k2!m9z@q4w7e"], "SECRET")
_add("assigned", "export DB_PASSWORD=changeme", ["changeme"], "PASSWORD")
_add("assigned", "export DB_PASSWORD=hunter2", ["hunter2"], "PASSWORD")
_add("assigned", "docker run -e POSTGRES_PASSWORD=mysecretpassword postgres:16", ["mysecretpassword"], "PASSWORD")
_add("assigned", "AWS_SESSION_TOKEN=IQoJb3JpZ2luX2VjEHYaCXVzLWVhc3QtMSJHMEUCIQ", ["IQoJb3JpZ2luX2VjEHYa"], "TOKEN")
_add("assigned", "client_secret=GOCSPX-AbCdEfGh12345678ijkl", ["GOCSPX-AbCdEfGh12345678ijkl"], "SECRET")
_add("assigned", "private_key: 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASC'", ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"], "PRIVATE_KEY")
_add("assigned", "passphrase=open-sesame-42!", ["open-sesame-42!"], "PASSWORD")
_add("assigned", "password：Sup3rS3cret!2024", ["Sup3rS3cret!2024"], "PASSWORD")
_add("assigned", "--password Sup3rS3cr3t!x", ["Sup3rS3cr3t!x"], "PASSWORD")
_add("assigned", "mysql -h db -u root -pS3cretPass99 app", ["S3cretPass99"], "PASSWORD")
_add("assigned", "curl -u admin:S3cretPass99 https://api.internal/v1", ["S3cretPass99"], "PASSWORD")
_add("header-query", "Authorization: Bearer abcdefghijklmnop1234XYZ", ["abcdefghijklmnop1234XYZ"], "TOKEN")
_add("header-query", f'"headers": {{"Authorization": "Bearer {JWT}"}}', [JWT, "SflKxwRJ"], None)
_add("header-query", "Authorization: Basic YWRtaW46czNjcjN0UGFzczk5", ["YWRtaW46czNjcjN0UGFzczk5"], "PASSWORD")
_add("header-query", "X-Api-Key: 7d9f8a6b5c4e3d2f1a0b", ["7d9f8a6b5c4e3d2f1a0b"], "API_KEY")
_add("header-query", "x-auth-token: 0f9e8d7c6b5a4f3e2d1c0b9a", ["0f9e8d7c6b5a4f3e2d1c0b9a"], "TOKEN")
_add("header-query", "Authorization: Token 9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b", ["9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"], "TOKEN")
_add("header-query", "GET /v1/me?access_token=EAABwzLixnjYBAO3k9ZAZC&fields=id 401", ["EAABwzLixnjYBAO3k9ZAZC"], "TOKEN")
_add("header-query", "GET https://maps.googleapis.com/maps/api/geocode/json?address=x&key=" + GOOG, [GOOG], "API_KEY")
_add("header-query", "https://api.example.com/data?api_key=abc123def456ghi7&format=json", ["abc123def456ghi7"], "API_KEY")
_add("header-query", "callback https://app.example.com/cb?token=Zx8Kq2Lm9Np4Rt7V", ["Zx8Kq2Lm9Np4Rt7V"], "TOKEN")
_add("prose", "my token is 8f3kLq92xZ0pQa7", ["8f3kLq92xZ0pQa7"], "TOKEN")
_add("prose", "my password is Sup3rS3cret", ["Sup3rS3cret"], "PASSWORD")
_add("prose", "the token is: 8f3kLq92xZ0pQa7", ["8f3kLq92xZ0pQa7"], "TOKEN")
_add("prose", "The password is Kq7vLx2Pm9Kz", ["Kq7vLx2Pm9Kz"], "PASSWORD")
_add("prose", "the api key was rotated to 9aZ8bY7cX6dW5eV4", ["9aZ8bY7cX6dW5eV4"], "API_KEY")
_add("prose", "I set the secret, 4f9aZq81mm2P0xQe, in the dashboard", ["4f9aZq81mm2P0xQe"], "SECRET")
_add("prose", "use this api key: `9aZ8bY7cX6dW5eV4uT`.", ["9aZ8bY7cX6dW5eV4uT"], "API_KEY")
_add("prose", "Mi contraseña es… password: «Sup3rS3cret!99»", ["Sup3rS3cret!99"], "PASSWORD")
_add("known-prefix", f"git push failed: remote: Invalid username or password. token={GHP}", [GHP], "TOKEN")
_add("known-prefix", f"GITHUB_TOKEN: {PAT}", [PAT], "TOKEN")
_add("known-prefix", f"(using {GHP}).", [GHP], "TOKEN")
_add("known-prefix", f"我的token是{GHP}", [GHP], "TOKEN")
_add("known-prefix", f"我的密钥是{OAI}，请帮忙", [OAI], "API_KEY")
_add("known-prefix", f"SLACK_BOT_TOKEN={SLACK}", [SLACK], "TOKEN")
_add("known-prefix", f"slack_sdk.errors.SlackApiError: invalid_auth for {SLACK}", [SLACK], "TOKEN")
_add("known-prefix", "xapp-1-A0123ABCDEF-1234567890123-abcdef0123456789abcdef0123456789abcdef", ["abcdef0123456789abcdef0123456789"], "TOKEN")
_add("known-prefix", f"stripe.error.AuthenticationError: No such key {STRIPE}", [STRIPE], "API_KEY")
_add("known-prefix", f"charging with {STRIPE} failed", [STRIPE], "API_KEY")
_add("known-prefix", f"stripe.api_key = '{STRIPE}'", [STRIPE], "API_KEY")
_add("known-prefix", f"GOOGLE_API_KEY={GOOG}", [GOOG], "API_KEY")
_add("known-prefix", f"Maps JS error for key {GOOG}.", [GOOG], "API_KEY")
_add("known-prefix", f"openai.AuthenticationError: Incorrect API key provided: {OAI}.", [OAI], "API_KEY")
_add("known-prefix", "ANTHROPIC_API_KEY=sk-ant-api03-AbCdEf0123456789ghIJklMNop", ["sk-ant-api03-AbCdEf0123456789"], "API_KEY")
_add("known-prefix", f"token: {JWT}", [JWT], None)
_add("known-prefix", f"Cookie: session={JWT}; Path=/", [JWT], "JWT")
_add("known-prefix", f"jwt={JWT}\n", [JWT], "JWT")
_add("known-prefix", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123 leaked", ["hf_AbCdEfGhIjKlMnOpQrStUvWxYz0123"], "API_KEY")
_add("known-prefix", "glpat-AbCdEf0123456789ghIJ push", ["glpat-AbCdEf0123456789ghIJ"], "TOKEN")
_add("pem", f"here is my key:\n{PEM}\nplease fix", ["MIIEowIBAAKCAQEA7bq98zGx", "Q2w3E4r5T6y7U8i9O0pAsD"], "PRIVATE_KEY")
_add("pem", '{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\\n-----END PRIVATE KEY-----\\n"}', ["MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"], "PRIVATE_KEY")
_add("pem", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ\n-----END OPENSSH PRIVATE KEY-----", ["b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ"], "PRIVATE_KEY")
_add("pem", "-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF1kJ8YBCADa7Yx2Qz9\n-----END PGP PRIVATE KEY BLOCK-----", ["lQOYBF1kJ8YBCADa7Yx2Qz9"], "PRIVATE_KEY")
_add("pem", "pasted (log truncated):\n-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq98zGxQ2w3E4r5T6y7U8i9O0pAsDfGhJkL1234567890abcd\nQ2w3E4r5T6y7U8i9O0pAsDfGhJkL1234567890abcdMIIEowIBAAKCAQEA7bq98zGx\n...", ["MIIEowIBAAKCAQEA7bq98zGxQ2w3"], "PRIVATE_KEY")
_add("email", "contact: ana.b-c@mail.example.co.uk.", ["ana.b-c@mail.example.co.uk"], "EMAIL")
_add("email", "用户邮箱bob@example.com无法登录", ["bob@example.com"], "EMAIL")
_add("email", "<ana@example.org>", ["ana@example.org"], "EMAIL")
_add("email", "Connecting to http://api.internal:8080?email=ana@example.com", ["ana@example.com", "[REDACTED_PASSWORD]"], "EMAIL")

NEGATIVES = [
    "The token limit was reached, so the password is incorrect and the secret of success is patience.",
    "Use the API key from your settings page; never paste a password into the chat.",
    "commit 3f2a9c1e5b7d4f6a8c0e2b4d6f8a0c2e4b6d8f0a fixed the off-by-one in the tokenizer",
    "request id 123e4567-e89b-12d3-a456-426614174000 failed after 3 retries",
    "See https://docs.python.org/3/library/secrets.html and http://example.com:8080/path",
    "max_tokens=4096, temperature=0.7, top_p=0.95",
    "tokenizer_name=meta-llama/Llama-3.1-8B-Instruct",
    "token_type=Bearer expires_in=3600",
    "FATAL: password authentication failed for user \"app_user_2024\"",
    "PWD=/home/ubuntu/deploy/releases/20240501",
    "OLDPWD=/home/ubuntu/app",
    "ssl: private key: /etc/ssl/private/server.key not readable",
    "private_key_path=/etc/ssl/private/server.key",
    "File \"/srv/app/services/billing/v2/InvoiceRenderer2.py\", line 42, in render",
    "File /opt/app/lib/python3/sitepackages/Reqs/api2.py, line 3",
    "git clone git@github.com:acme/deploy-tools.git",
    "remote: git@gitlab.com: Permission denied (publickey).",
    "ERROR invalid password\nrequest_id=9f8e7d6c5b4a3210fedcba98",
    "the password for db-prod-01.eu-west-1.rds.amazonaws.com expired",
    "Enter the token from https://github.com/settings/tokens to continue",
    "The secret_name=prod-db-credentials was not found in namespace default",
    "key: value pairs are stored in the cache key user:1234:profile",
    "Loading checkpoint sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "docker pull python@sha256:4d2b8f1c3e5a7b9d0f2e4c6a8b0d2f4e6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b",
    "npm ERR! notarget No matching version found for @types/node@18.11.99",
    "y = x@w.transpose() + b  # matmul",
    "Token count: 128000 of 131072",
    "ImportError: cannot import name 'get_token' from 'auth.tokens'",
    "def refresh_access_token(self, token: str) -> str:",
    "password_min_length=12 password_max_age=90",
    "The key insight is that secrets.token_hex(16) returns 32 hex characters.",
    "Set secretKeyRef name to db-credentials and key to password.",
    "jwt.decode(token, key, algorithms=['HS256'])",
    "data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
    "Cache key: ab12cd34ef56 miss",
    "See postgres://db.internal:5432/app (no credentials)",
    "ssh://deploy@10.0.0.5:22/srv/repo",
    "a ticket token-bucket rate limiter allows bursts of 100 requests",
    "Error: secret \"tls-cert\" not found",
    "mount -t tmpfs -o size=512M tmpfs /srv/cache/MyAppTempStore2024Build/x",
    "Σ password safety ≠ secrecy — the key is 2FA ✓",
    "uploaded to s3://my-bucket/releases/v1.2.3/app.tar.gz",
    "spring.datasource.password=${DB_PASSWORD}",
    "API_KEY=<your-api-key-here>",
    "Traceback: src/components/UserProfile/SettingsPanel2/Index, line 9",
    "the api key for staging is stored in vault://kv/staging/api (see runbook)",
    "python -m http.server 8000 --bind 127.0.0.1",
]


@pytest.mark.parametrize("text,secrets,label", POSITIVES)
def test_no_secret_of_the_corpus_survives(text: str, secrets: list[str], label: str | None) -> None:
    clean = redact_text(text).text
    assert not [s for s in secrets if s in clean], clean


@pytest.mark.parametrize("text,secrets,label", [p for p in POSITIVES if p.values[2] is not None])
def test_each_corpus_secret_gets_the_label_of_what_it_is(text: str, secrets: list[str], label: str) -> None:
    assert set(redact_text(text).counts) == {label}


@pytest.mark.parametrize("text", NEGATIVES, ids=[f"negative-{i:02d}" for i in range(len(NEGATIVES))])
def test_no_corpus_look_alike_is_changed(text: str) -> None:
    assert redact_text(text) == Redaction(text=text, counts={})
