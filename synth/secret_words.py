"""The words and values of secrets: which names hold one (``DB_PASSWORD_PROD``, ``ENCRYPTION_KEY``), which label a
name implies, and whether a value can be one (not a placeholder, a path, a count or a dictionary word).

Kept apart from the table of shapes (:mod:`synth.secret_patterns`) that uses them: the shapes say where a secret
stands in text, these say what a secret is, and :mod:`synth.redact` asks them directly for JSON keys and values.
Every pattern here is bounded (see :mod:`synth.secret_patterns` for why that matters).
"""

from __future__ import annotations

import base64
import binascii
import math
import re

KINDS = ("PRIVATE_KEY", "JWT", "API_KEY", "TOKEN", "PASSWORD", "AWS_SECRET_KEY", "SECRET", "EMAIL")
"""Every label a placeholder can carry: ``[REDACTED_<KIND>]``."""

_KIND_STEMS = (("private", "PRIVATE_KEY"), ("pass", "PASSWORD"), ("pwd", "PASSWORD"), ("密码", "PASSWORD"),
               ("contrase", "PASSWORD"), ("пароль", "PASSWORD"), ("パスワード", "PASSWORD"), ("비밀번호", "PASSWORD"),
               ("senha", "PASSWORD"), ("wachtwoord", "PASSWORD"),
               ("token", "TOKEN"), ("令牌", "TOKEN"), ("authorization", "TOKEN"), ("secret", "SECRET"),
               ("密钥", "SECRET"), ("credential", "SECRET"), ("key", "API_KEY"))
_FOREIGN_PASSWORD = r"passwort|contraseña|contrasena|mot de passe|пароль|パスワード|비밀번호|senha|wachtwoord"
"""The password word of German, Spanish, French, Russian, Japanese, Korean, Portuguese and Dutch (red-team round 43:
only Chinese was known)."""
KEYWORD = (rf"(?:api[_\- ]?key|apikey|access[_\- ]?key|account[_\- ]?key|private[_\- ]?key|secret(?:[_\- ]?key)?|"
           rf"token|passphrase|passwd|password|pwd|(?<![A-Za-z])pass|密码|密钥|令牌|{_FOREIGN_PASSWORD})")
"""A word whose value is a secret; it ends the key, but for a :data:`QUALIFIER` (``password_min_length`` and
``max_tokens`` are not keys)."""
PROSE_KEYWORD = (rf"(?:api[_\- ]?key|access[_\- ]?key|account[_\- ]?key|private[_\- ]?key|secret(?:[_\- ]?key)?|"
                 rf"token|passphrase|passwd|password|密码|密钥|令牌|{_FOREIGN_PASSWORD})")
"""The keywords that prose uses (``pass`` and ``pwd`` in a sentence are rarely about a credential)."""
QUALIFIER = (r"(?:[_\-.]?(?:prod|production|dev|development|staging|stage|test|testing|live|sandbox|local|qa|uat|"
             r"base|ro|rw|old|new|current|primary|secondary|backup|admin|root|main|v\d{1,3})|[_\-.]?\d{1,3})")
"""What may follow a keyword in a name whose value is still the secret (``DB_PASSWORD_PROD``, ``SECRET_KEY_BASE``,
``GITHUB_TOKEN_RO``, ``API_KEY_V2``, ``password1``): where the secret is used, never what the value is about
(``password_min_length`` and ``token_count`` stay, red-team round 43)."""
_SECRET_KEY_NAME = re.compile(rf"(?i)[A-Za-z0-9_.:/\- ]{{0,60}}?(?:{KEYWORD}|authorization|secrets|passwords|"
                              rf"credentials?)(?:{QUALIFIER}){{0,2}}")
"""A JSON key that names a secret (``api_key``, ``DB_PASSWORD``, ``x-auth-token``, ``db:password``): its whole value
goes, and so does all a container of secrets holds (``secrets``, ``passwords``, ``credentials``: red-team round 43;
not ``tokens``, which a tokenizer's output is called too)."""

_PLACEHOLDER = re.compile(r"(?i)\*+|x+|\.+|…|-+|\$[A-Za-z_][A-Za-z0-9_]{0,80}|\$\{[^}]{0,200}\}|<[^>]{0,200}>|"
                          r"\{\{[^}]{0,200}\}\}|%\([A-Za-z_]\w{0,60}\)s|\[REDACTED(?:_[A-Z_]+)?\]|null|none|nil|"
                          r"undefined|true|false|str|string|bytes|int|optional|any|required|missing|invalid|"
                          r"incorrect|expired|wrong|empty|unset|hidden|redacted|provided|n/a|tbd|tba|todo|"
                          r"read-only|read-write|write-only|[A-Za-z]{0,60}(?:error|exception)[.:]?|"
                          r"(?:hs|rs|es|ps)(?:256|384|512)|ed25519|ed448|rsa|ecdsa|dsa|"
                          r"(?:application|text|image|audio|video|multipart)/[\w.+-]{1,80}")
"""Values that stand for a secret without being one: ``${DB_PASSWORD}``, ``<your-api-key-here>``, ``****``, a type
name in a signature (``token: str``), a status word in an error (``password: expired``, ``token: n/a``), an
exception's name (``token: InvalidTokenError``), an algorithm or a media type (``JWT token: HS256``, ``token:
application/json``; red-team round 43)."""
_PATH = re.compile(r"(?:~|\.{1,2})?(?:/[A-Za-z0-9_.@~+-]{1,255}){2,64}/?"
                   r"|[A-Za-z]:(?:\\[A-Za-z0-9_.@~+ -]{1,255}){1,64}")
"""A file path says where a secret lives, not what it is (``PWD=/home/app``, ``private key: /etc/ssl/x.key``)."""
_HOST_OR_URL = re.compile(r"(?i)[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,9}\.[a-z]{2,24}|[a-z][a-z0-9+.-]{1,20}://\S*")
_WORDLIKE = re.compile(r"[A-Za-z][a-z]*(?:-[a-z]+)*|[A-Z]+")
"""Reads like a dictionary word (``incorrect``, ``Expired``, ``refreshed-after-the-retry``): no digit, no mixed case."""
_TOKENLIKE = re.compile(r"(?=[A-Za-z0-9_\-]{0,255}[0-9])(?=[A-Za-z0-9_\-]{0,255}[A-Za-z])[A-Za-z0-9_\-]{12,}"
                        r"|(?=[0-9]{0,255}[A-Fa-f])[0-9A-Fa-f]{16,}")
"""Alphanumeric of 12+ with both letters and digits, or hex of 16+: a token, not a word or a count."""


def kind_of(word: str) -> str:
    """The label a keyword implies: ``DB_PASSWORD`` -> PASSWORD, ``client_secret`` -> SECRET, ``api-key`` -> API_KEY."""
    lowered = word.lower()
    return next((kind for stem, kind in _KIND_STEMS if stem in lowered), "SECRET")


def names_a_secret(key: str) -> bool:
    """Whether a JSON key names a secret (``api_key``, ``DB_PASSWORD``, ``DB_PASSWORD_PROD``, ``Authorization``; not
    ``max_tokens``)."""
    return bool(_SECRET_KEY_NAME.fullmatch(key.strip()))


_KEY_NAME = re.compile(r"(?i)(?:[A-Za-z0-9]{1,30}[_\-. ]){0,3}key")
_NO_SECRET_KEY = re.compile(r"(?i)(?:^|[_\-. ])(?:cache|sort|primary|foreign|partition|idempotency|routing|row|group|"
                            r"cursor|object|hash|lookup|index|unique|composite|shard|map|dict|s3|redis|public|pub)"
                            r"[_\-. ]?key$")
"""``key``, ``ENCRYPTION_KEY``, ``app-key``: a name whose value is a secret when it looks like one (``sort key:
created_at`` and ``primary_key = True`` do not; a cache, sort, partition or public key is no secret)."""


def holds_key_token(name: str, value: str) -> bool:
    """Whether ``value``, under a ``key``-ending name, is a key: token-like once a ``base64:`` prefix is left out
    (Laravel's ``APP_KEY=base64:...``). Why: a bare ``key`` was no keyword, so ``?key=<token>`` and
    ``ENCRYPTION_KEY=...`` leaked whole (red-team round 43)."""
    value = value.removeprefix("base64:").strip()
    return (bool(_KEY_NAME.fullmatch(name)) and not _NO_SECRET_KEY.search(name) and len(value) >= 16
            and looks_like_token(value))


def _is_path(value: str) -> bool:
    """A path of two or more segments, none of which looks like a token (``/8fK2m/Lq9xZ0pQa7Mn`` is base64)."""
    return bool(_PATH.fullmatch(value)) and not any(_TOKENLIKE.fullmatch(part) for part in re.split(r"[/\\]", value))


def is_placeholder(value: str) -> bool:
    """Whether ``value`` is empty, a template, a mask, a type or status word, or a path rather than a secret."""
    value = value.strip()
    return not value or bool(_PLACEHOLDER.fullmatch(value)) or _is_path(value)


def entropy(word: str) -> float:
    return -sum(n / len(word) * math.log2(n / len(word)) for n in (word.count(c) for c in set(word)))


def looks_like_token(value: str) -> bool:
    """A token, key or secret in prose: hex of 16+, alphanumeric of 12+ with digits, or 12+ random-looking chars."""
    if _TOKENLIKE.fullmatch(value):
        return True
    return (len(value) >= 12 and bool(re.fullmatch(r"[A-Za-z0-9+/_\-]+={0,2}", value)) and entropy(value) >= 3.5
            and any(c.isalpha() for c in value) and not _WORDLIKE.fullmatch(value))


def looks_like_password(value: str) -> bool:
    """A password after ``is``/``was``/``:``: any word of 4+ that is not dictionary-looking, a host, a URL or a path."""
    return (len(value) >= 4 and not _WORDLIKE.fullmatch(value) and not _HOST_OR_URL.fullmatch(value)
            and not is_placeholder(value))


_BASE64 = re.compile(r"[A-Za-z0-9+/]{2,4096}={0,2}")
_USER_PASSWORD = re.compile(r"[^\s:]{1,256}:[^\r\n]{1,1024}")


def basic_credentials(value: str) -> bool:
    """Whether ``value`` is padded base64 of printable ``user:password`` text, as Docker's config.json ``auth``,
    npm's ``_auth`` and HTTP Basic carry them. Why: a field named ``auth`` is as often a scheme name or a flag
    (``"auth": "oauth2"``, ``"auth": true``), so the value has to prove itself (red-team round 43: Docker's
    leaked whole); a word in the base64 alphabet (``required``) decodes to bytes that are not such text."""
    value = value.strip()
    if len(value) % 4 or not _BASE64.fullmatch(value):
        return False
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return decoded.isprintable() and bool(_USER_PASSWORD.fullmatch(decoded))


def plausible_secret(value: str, word: str) -> bool:
    """Whether ``value``, assigned to keyword ``word``, can be a secret: not a placeholder, and not a small count
    (``token: 5``, ``max_token=64``) unless the word is a password one; a bare ``pass=12`` is a test tally."""
    if is_placeholder(value):
        return False
    if value.isdigit() and (word.lower() == "pass" or (len(value) < 6 and kind_of(word) != "PASSWORD")):
        return False
    return True
