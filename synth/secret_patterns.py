"""The table of secret shapes that :mod:`synth.redact` removes, and the tests a candidate value must pass.

Kept apart from the public API (:mod:`synth.redact`) because this is the part that grows each time a review finds
a new leak; the API (what a placeholder looks like, which record fields are cleaned, how matches are counted)
should not move with it. Shapes that a layout proves rather than a keyword (command lines, ``.pgpass``,
``user:password@host``, Docker's ``auth``) live in :mod:`synth.secret_layouts` and are spliced in below.

Every pattern must run in linear time on any input, because a failure log is attacker-shaped text and one slow
record stalls a whole growth cycle (``eyJ-`` * 250,000 once took 219 s). The rules that guarantee it:

- a run of characters that a pattern scans with an unbounded quantifier is either the pattern's last element (so
  an attempt that reaches it cannot fail after it) or the pattern starts with a lookbehind that forbids starting
  inside that run (so the run is scanned from one start only);
- every other repetition has a small upper bound (values 1,024 characters, key names 40), so one attempt costs a
  constant, and no two adjacent repetitions can share characters unboundedly.

``\\b`` is never used: Python's ``\\b`` is Unicode-aware and does not hold between ``是`` and ``g``, so a token
glued to CJK text was missed. ASCII lookarounds (``(?<![A-Za-z0-9_])``) mark the edges instead.
"""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import unquote

from synth.secret_layouts import LAYOUT_SHAPES, Judge, secret_span, secret_text
from synth.secret_words import (KEYWORD, KINDS, PROSE_KEYWORD, QUALIFIER, entropy, holds_key_token, is_placeholder,
                                kind_of, looks_like_password, looks_like_token, plausible_secret)

__all__ = ["KINDS", "SHAPES", "Shape", "secret_span"]


class Shape(NamedTuple):
    """One pattern: the span to replace is its ``secret*`` group (or the whole match); ``judge`` gives the label,
    or None when the match is not a secret after all."""

    pattern: re.Pattern[str]
    judge: Judge


def _fixed(kind: str) -> Judge:
    return lambda m: kind


def _keyed(m: re.Match[str]) -> str | None:
    """``<password>x</password>``, ``--password x``: the keyword's label, unless the value is a placeholder."""
    return kind_of(m.group("word")) if plausible_secret(secret_text(m), m.group("word")) else None


def _assigned(m: re.Match[str]) -> str | None:
    """``password=...``: any value is a secret unless it is a placeholder or, after ``:``, the start of a sentence."""
    if m.group("tpl") is not None:
        return None
    bare = m.group("secret_bare")
    value = secret_text(m)
    if not plausible_secret(value, m.group("word")):
        return None
    if bare is not None and m.group("sep") in (":", "：") and re.fullmatch(r"[A-Za-z]?[a-z]+[.!?]?", bare):
        if bare[-1] in ".!?" or re.match(r"[ \t]+[A-Za-z]", m.string[m.end():m.end() + 2]):
            return None  # "invalid password: please retry", "Password: Must be 8-64 characters." are sentences
    if bare is not None and _is_code(bare, m.group("word"), m.string[m.end():m.end() + 1]):
        return None
    return kind_of(m.group("word"))


_CODE_WORDS = frozenset({"await", "new", "yield", "lambda", "typeof", "not", "function", "async", "return", "self",
                         "this", "none", "null", "nil"})


def _is_code(bare: str, word: str, after: str) -> bool:
    """Code pasted into a chat names secrets without holding them: a call or subscript (``token = get_token()``,
    ``token: Annotated[str, ...]``, ``password = hash_pw(raw)``), an attribute (``api_key=options.api_key``,
    ``settings.SECRET_KEY``, ``self.Token``), the keyword passed on (``token=token``), a keyword of the language
    (``token = await ...``, ``new Token(raw)``), a comparison (``password == confirm``) or a type (``password:
    SecretStr``, ``token: CancellationToken``, ``Option<String>``: two or more capitalised words, no digit)."""
    return (after in ("(", "[") or (after == "<" and bare[:1].isupper()) or bool(re.fullmatch(r"[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+", bare))
            or bool(re.fullmatch(r"[A-Za-z_][\w.]*(?:\(.*\)|\[.*\])", bare)) or bare.lower() == word.lower()
            or bare.lower() in _CODE_WORDS or bare.startswith("=")
            or bool(re.fullmatch(r"(?:[A-Z][a-z]+){2,}(?:<.*>)?,?|[A-Z][a-z]+<.*>,?", bare)))


def _line_value(m: re.Match[str]) -> str | None:
    """``KEY=value`` as the only thing on its line (an .env, YAML or properties line, a comment after it allowed):
    the value runs to the end of the line, punctuation included (``Tr0ub4dor&3`` lost only ``&3`` before, and
    ``Xk9(mP2q)Lr7z`` was taken for a call and kept whole: red-team round 43), unless it is a placeholder or code
    (``get_token()``, ``os.environ["PW"]``, ``self.Token``, the keyword passed on)."""
    value, word = m.group("secret"), m.group("word")
    return kind_of(word) if plausible_secret(value, word) and not _is_code(value, word, "") else None


def _pair_value(m: re.Match[str]) -> str | None:
    """``name: DB_PASSWORD`` then ``value: X`` (a Kubernetes or ECS environment entry, in YAML or JSON): the value
    is the named secret unless it is a placeholder or a template."""
    if m.group("tpl") is not None:
        return None
    value = secret_text(m)
    return kind_of(m.group("word")) if plausible_secret(value, m.group("word")) else None


def _key_value(m: re.Match[str]) -> str | None:
    """``key=...``, ``ENCRYPTION_KEY: ...``: an API key when the value looks like one (:func:`holds_key_token`)."""
    if m.group("tpl") is not None:
        return None
    value = secret_text(m)
    return "API_KEY" if holds_key_token(m.group("word"), value) else None


def _short_token(value: str) -> bool:
    """Eight or more letters and digits, both present (``1a2b3c4d5e``): a token once a linking word has said so,
    though too short to stand out on its own (``utf8mb4``, ``v1.2.3`` and a bare count do not qualify)."""
    return bool(re.fullmatch(r"[A-Za-z0-9]{8,}", value)) and not value.isdigit() and not value.isalpha()


def _mentioned(m: re.Match[str]) -> str | None:
    """``my password is X``: after a linking word a password only has to be non-dictionary and a token only has
    to mix letters and digits; with no linking word the word must look like a token on its own."""
    kind, value = kind_of(m.group("word")), m.group("secret")
    if _is_code(value, m.group("word"), m.string[m.end():m.end() + 1]):
        return None
    linked = bool(m.group("link") or m.group("punct"))
    if kind == "PASSWORD" and linked:
        return kind if looks_like_password(value) else None
    if is_placeholder(value):
        return None
    return kind if looks_like_token(value) or (linked and _short_token(value)) else None


def _password_like(m: re.Match[str]) -> str | None:
    """A password where the layout suggests one but does not prove it: what follows ``email:`` (``alice@x.com:
    Hunter22``, not ``user@host:backup.tar``), what was typed after a password prompt (not the ``fatal: ...`` that
    followed it), ``password X`` alone on a line or after ``login u`` (not ``password reset``)."""
    return "PASSWORD" if looks_like_password(m.group("secret")) else None


def _netrc(m: re.Match[str]) -> str | None:
    """``machine h login u password X`` is a .netrc entry, so any value that is not a placeholder is the password;
    with no ``machine`` before ``login`` it must look like one (``login failed, password incorrect`` stays)."""
    if m.group("machine"):
        return "PASSWORD" if plausible_secret(m.group("secret"), "password") else None
    return _password_like(m)


def _url_encoded(m: re.Match[str]) -> str | None:
    """``token%3D...`` in an encoded query or JSON body: judged as the decoded value would be (``%24%7BX%7D`` is
    the placeholder ``${X}``)."""
    value = unquote(unquote(m.group("secret")))
    return kind_of(m.group("word")) if plausible_secret(value, m.group("word")) else None


def _url_user_token(m: re.Match[str]) -> str | None:
    """``https://<token>@github.com``: a URL username is a token when it is 20+ random-looking letters and digits;
    a name (``deploy``, ``jenkins-bot-2024``) is not."""
    value = m.group("secret")
    return "TOKEN" if (re.fullmatch(r"[A-Za-z0-9]{20,}", value) and not value.isdigit() and not value.isalpha()
                       and entropy(value) >= 3.5) else None


def _authorization(m: re.Match[str]) -> str | None:
    """``Authorization: Basic`` holds user:password; any other scheme a token; no scheme, only a token-like value."""
    scheme = (m.group("scheme") or "").lower()
    if scheme == "basic":
        return "PASSWORD"
    return "TOKEN" if scheme or looks_like_token(m.group("secret")) else None


_ASCII_EDGE = r"(?<![A-Za-z0-9_-])"
_VALUE = (r"(?:[rbufRBUF]{1,2}(?=[\"']))?"  # a Python string prefix: secret = f"..."
          r"(?:\\\"(?P<secret_edq>(?:[^\"\\\r\n]|\\[^\"\r\n]){1,1024})\\\""  # escaped JSON: \"password\": \"x\"
          r"|\"(?P<secret_dq>(?:[^\"\\\r\n]|\\[^\r\n]){1,1024})\""
          r"|'(?P<secret_sq>[^'\r\n]{1,1024})'|`(?P<secret_bt>[^`\r\n]{1,1024})`|«(?P<secret_gu>[^»\r\n]{1,1024})»"
          r"|(?P<tpl>\$\{[^}\r\n]{0,200}\}|\{\{[^}\r\n]{0,200}\}\}|%\([A-Za-z_][A-Za-z0-9_]{0,60}\)s)"
          r"|\{(?P<secret_br>[^{}\r\n]{1,1024})\}"  # ODBC braces: Pwd={a;b}
          # A quote never closed on its line: the value was cut off by truncation ("password": "Zq8!vR2m). It must
          # start with a non-space, so the closing quote of a message ("invalid password: " + reason) is not one.
          r"|\\?\"(?P<secret_opendq>[^\"\\\s+),;](?:[^\"\\\r\n]|\\[^\"\r\n]){0,1023})(?=[\r\n]|$)"
          r"|'(?P<secret_opensq>[^'\s+),;][^'\r\n]{0,1023})(?=[\r\n]|$)"
          r"|(?P<secret_bare>[^\s\"'`«»,;&<>(){}\[\]\\\u3000-\u303f\uff00-\uffef]{1,256}))")
"""A value: quoted (spaces and commas inside stay in the secret), quoted and cut off at the end of its line,
a template (kept), or bare up to a delimiter."""
_LINK = (r"(?P<link>[ \t]{1,4}(?:is|was|are|were)(?:[ \t]{1,4}(?:now|still|set|changed|rotated|updated|reset))?"
         r"(?:[ \t]{1,4}to)?|[ \t]{1,4}(?:set|changed|rotated|updated|reset)[ \t]{1,4}to|[ \t]{1,4}(?:->|=>|reads)"
         r"|是|为)?")
_PEM_BEGIN = r"-----BEGIN (?:[A-Z0-9]{1,20} ){0,3}PRIVATE KEY(?: BLOCK)?-----"
_NL = r"(?:\s|\\r|\\n)"
_SPACED_LETTERS = (r"\u00C0-\u00D6\u00D8-\u00F6\u00F8-\u024F\u0300-\u036F\u0370-\u03FF\u0400-\u052F"
                   r"\u0590-\u05FF\u0600-\u06FF\u0900-\u097F")
"""Letters of scripts that put spaces between words (Latin with accents and combining marks, Greek, Cyrillic,
Hebrew, Arabic, Devanagari): an address's local part in them runs back to the previous space, like an ASCII one."""
_UNSPACED_LETTERS = r"\u3040-\u30FF\u3400-\u4DBF\u4E00-\u9FFF\uAC00-\uD7AF\uF900-\uFAFF"
"""Kana, CJK ideographs and Hangul: prose runs them into an address (``用户邮箱bob@example.com``), so a local part
in them is only taken whole when it starts after a space or punctuation (``邮箱 张三@example.com``)."""
_LOCAL = rf"A-Za-z0-9._%+\-{_SPACED_LETTERS}"
_EMAIL = (rf"(?<!://)(?!git@)(?:(?<![{_LOCAL}])[{_LOCAL}]{{1,64}}|(?<![\w.%+\-])[{_UNSPACED_LETTERS}]{{1,64}})"
          rf"@[A-Za-z0-9{_SPACED_LETTERS}-]{{1,63}}(?:\.[A-Za-z0-9{_SPACED_LETTERS}-]{{1,63}}){{0,8}}\.[A-Za-z]{{2,24}}"
          r"(?![A-Za-z0-9-]|\.[A-Za-z0-9-]|\(|:(?:[~/.]|[^\s/]{0,256}/|\d{1,5}(?![^\s])))")
"""An e-mail address, its domain taken whole (never ``files.example`` of ``files.example.com``). Not git@host
(the SSH user of a git server), not the user of a URL (https://user@host), not x@w.transpose(), not an scp remote
(``user@host:/path``, ``user@host:~/x``, ``user@host:dir/file``) or ``user@host:22``."""

SHAPES: tuple[Shape, ...] = (
    Shape(re.compile(_PEM_BEGIN + r"(?:(?:(?!-----(?:BEGIN|END) ).){0,65536}?-----END [A-Z0-9 ]{1,60}-----"
                     rf"|(?:{_NL}{{1,8}}(?:[^\r\n\\]{{0,40}}?[ \t>])?(?:[A-Za-z0-9+/=]{{16,4096}}|[A-Za-z0-9+/]{{1,15}}={{1,2}}"
                     rf"|[A-Za-z-]{{1,40}}:[ \t][^\r\n\\]{{0,200}})){{0,4000}})", re.DOTALL), _fixed("PRIVATE_KEY")),
    # A complete block up to END, or (truncated) header then base64 lines up to the first line that is not one; a
    # line may carry a prefix of up to 40 characters (deep YAML indentation, a log line's time and level, "> ").
    Shape(re.compile(_ASCII_EDGE + r"eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), _fixed("JWT")),
    Shape(re.compile(_ASCII_EDGE + r"(?:sk-[A-Za-z0-9_-]{16,}|(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,}"
                     r"|hf_[A-Za-z0-9]{20,}|AIza[0-9A-Za-z_-]{30,}"
                     r"|(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[0-9A-Z]{16}(?![0-9A-Za-z]))"), _fixed("API_KEY")),
    Shape(re.compile(_ASCII_EDGE + r"(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}"
                     r"|glpat-[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|xapp-[0-9]-[A-Za-z0-9-]{10,}"
                     r"|ya29\.[0-9A-Za-z_-]{20,}|npm_[A-Za-z0-9]{36}|pypi-[A-Za-z0-9_-]{50,}|shpat_[a-fA-F0-9]{32}"
                     r"|hvs\.[A-Za-z0-9_-]{24,}|dop_v1_[a-f0-9]{64})"), _fixed("TOKEN")),
    # Google OAuth access tokens, npm, PyPI, Shopify, Vault and DigitalOcean tokens (red-team round 43)
    Shape(re.compile(_ASCII_EDGE + r"(?:GOCSPX-[A-Za-z0-9_-]{20,}|whsec_[A-Za-z0-9]{24,})"), _fixed("SECRET")),
    Shape(re.compile(_ASCII_EDGE + r"SG\.[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"), _fixed("API_KEY")),  # SendGrid
    Shape(re.compile(r"hooks\.slack\.com/services/(?P<secret>T[A-Z0-9]{6,}/B[A-Z0-9]{6,}/[A-Za-z0-9]{16,})"),
          _fixed("TOKEN")),  # a Slack webhook's path is its credential
    Shape(re.compile(r"(?i)authorization[\"'\\]{0,3}[ \t]{0,4}[:=][ \t]{0,4}[\"'\\]{0,3}"
                     r"(?:(?P<scheme>basic|bearer|token|apikey|api-key|sso-key|key)[ \t]{1,4})?"
                     r"(?P<secret>[A-Za-z0-9._~+/:=-]{8,2048})"), _authorization),
    Shape(re.compile(r"(?i)(?<![A-Za-z0-9])bearer[ \t]{1,4}(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)"), _fixed("TOKEN")),
    Shape(re.compile(r"(?<=://)(?P<secret>[A-Za-z0-9._%+\-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,8}"
                     r"\.[A-Za-z]{2,24})(?=:[^\s\"'<>@]{1,128}@(?:[A-Za-z0-9\[/]|%2[Ff]))"), _fixed("EMAIL")),
    # smtp://alerts@example.com:PASSWORD@smtp.gmail.com: a username that is an address (round 43: both leaked)
    Shape(re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@?#\"'<>\[\]]{0,64}"
                     r"(?:@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,24})?:"
                     r"(?!\d{1,5}(?:[/?#\s]|$))(?P<secret>[^\s\"'<>@]{1,128}(?:@[^\s\"'<>@/?#]{1,128}(?=@)){0,8})"
                     r"@(?=[A-Za-z0-9\[/]|%2[Ff])"), _fixed("PASSWORD")),
    # scheme://user:PASSWORD@host (or @/socket/path, @%2Fsocket: a unix socket, red-team round 43): the password
    # runs to the last @ of the authority (p@ss@host), may hold a raw slash, # or ? (users paste them unencoded:
    # admin:Xy#9kLm2@db), and is never a port (host:8080/path, host:8080?email=a@b). Only its first @-separated piece may hold / ? #, so an address in the query
    # (db/app?contact=ops@example.com) is not taken into it.
    Shape(re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{1,20}://(?P<secret>[A-Za-z0-9]{20,128})"
                     r"(?=@|:[^\s/@?#\"'<>]{0,128}@)"), _url_user_token),
    # https://<token>@github.com and https://<token>:x-oauth-basic@github.com: the token is the username.
    Shape(re.compile(r"(?<![A-Za-z0-9_/.$#-])[A-Za-z][A-Za-z0-9_$#]{0,29}/(?P<secret>[^\s/@\"']{1,128})@"
                     r"(?=//|[A-Za-z0-9.-]{1,253}:\d{1,5}[/:])"), _fixed("PASSWORD")),  # oracle user/pass@//host
    *(Shape(pattern, judge) for pattern, judge in LAYOUT_SHAPES),
    # user:password@host with no scheme, passwords on or piped into command lines, .pgpass, Docker's auth
    Shape(re.compile(r"(?<![A-Za-z0-9+/])(?=[A-Za-z0-9/+]{0,39}[A-Z])(?=[A-Za-z0-9/+]{0,39}[a-z])"
                     r"(?=[A-Za-z0-9/+]{0,39}[0-9])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"), _fixed("AWS_SECRET_KEY")),
    # 40 characters of base64 mixing cases and digits (a git hash is lower-case hex, so it stays).
    Shape(re.compile(rf"(?im)^[ \t]{{0,16}}(?:export[ \t]{{1,4}})?[A-Za-z0-9_.\-]{{0,60}}?(?P<word>{KEYWORD})"
                     rf"(?:{QUALIFIER}){{0,2}}[ \t]{{0,4}}[=:][ \t]{{0,16}}(?P<secret>[^\s\"'`$][^\s\"'`]{{0,255}})"
                     r"(?=(?:[ \t]{1,16}#[^\r\n]*|[ \t]{0,16})\r?$)"), _line_value),
    # DB_PASSWORD=Tr0ub4dor&3 alone on its line: the whole value, whatever punctuation it holds
    Shape(re.compile(rf"(?i)(?<![A-Za-z0-9_])[\"']?name[\"']?[ \t]{{0,4}}[:=][ \t]{{0,4}}[\"']?(?P<word>[A-Za-z0-9_.\-]{{0,60}}?"
                     rf"(?:{KEYWORD})(?:{QUALIFIER}){{0,2}})[\"']?[ \t]{{0,4}},?[ \t]{{0,4}}(?:\r?\n[ \t-]{{0,16}})?"
                     r"[\"']?value[\"']?[ \t]{0,4}[:=][ \t]{0,16}" + _VALUE), _pair_value),
    # - name: DB_PASSWORD / value: X (Kubernetes, ECS), {"name": "API_TOKEN", "value": "X"}: red-team round 43
    Shape(re.compile(rf"(?i)\([ \t]{{0,4}}[\"'](?P<word>[A-Za-z0-9_.\-]{{0,60}}?(?:{KEYWORD})(?:{QUALIFIER}){{0,2}})"
                     r"[\"'][ \t]{0,4},[ \t]{0,4}(?:\"(?P<secret_dq>[^\s\"]{1,1024})\"|'(?P<secret_sq>[^\s']{1,1024})')"
                     r"(?P<tpl>(?!))?"), _pair_value),  # one word: print("password", "is required") is a message
    # setProperty("password", "X"), headers.put("X-Api-Key", "X"), os.environ.setdefault("API_TOKEN", "X")
    Shape(re.compile(r"(?i)(?<![A-Za-z0-9_])auth[ \t]{0,4}=[ \t]{0,4}\([ \t]{0,4}[\"'][^\"'\r\n]{1,64}[\"'][ \t]{0,4},"
                     r"[ \t]{0,4}(?:\"(?P<secret_dq>[^\"\r\n]{1,256})\"|'(?P<secret_sq>[^'\r\n]{1,256})')"),
          _fixed("PASSWORD")),  # requests' auth=("user", "X")
    Shape(re.compile(rf"(?i)(?P<word>{KEYWORD})(?:{QUALIFIER}){{0,2}}(?:\\?[\"'])?\]?[ \t]{{0,16}}"
                     r"(?P<sep>=>|:=|[=:：])[ \t]{0,16}" + _VALUE), _assigned),
    Shape(re.compile(r"(?i)(?<![A-Za-z0-9_])(?P<word>(?:[A-Za-z0-9]{1,30}[_\-. ]){0,3}key)(?![A-Za-z0-9])"
                     r"(?:\\?[\"'])?\]?[ \t]{0,16}(?P<sep>=>|:=|[=:])[ \t]{0,16}" + _VALUE), _key_value),
    # key=<token>, ?key=<token>&q=1, ENCRYPTION_KEY=..., "key": "..."
    Shape(re.compile(rf"(?i)<[A-Za-z0-9_.:-]{{0,40}}?(?P<word>{KEYWORD})>(?P<secret>[^<\r\n]{{1,1024}})</"),
          _keyed),  # <password>x</password>, <db.password>x</db.password>
    Shape(re.compile(rf"(?i)(?<![A-Za-z0-9_-])--[A-Za-z0-9_-]{{0,40}}?(?P<word>{KEYWORD})[ \t]{{1,4}}(?!-)"
                     r"(?:\"(?P<secret_dq>[^\"\r\n]{1,256})\"|'(?P<secret_sq>[^'\r\n]{1,256})'"
                     r"|(?P<secret>[^\s\"'`]{1,256}))"), _keyed),  # --password x, --password 'a b'
    Shape(re.compile(r"(?i)(?:(?<![A-Za-z0-9_-])(?P<machine>machine)[ \t]{1,16}[^\s]{1,256}\s{1,16})?"
                     r"(?<![A-Za-z0-9_-])login[ \t]{1,16}[^\s]{1,256}\s{1,16}"
                     r"(?:account[ \t]{1,16}[^\s]{1,256}\s{1,16})?password[ \t]{1,16}(?P<secret>[^\s]{1,256})"),
          _netrc),
    # .netrc: machine h login u password X, on one line or one token a line (CRLF too)
    Shape(re.compile(r"(?im)^[ \t]{0,16}password[ \t]{1,16}(?P<secret>[^\s]{1,256})[ \t]{0,16}\r?$"),
          _password_like),
    Shape(re.compile(r"(?i)(?<![A-Za-z0-9_-])password[ \t]for[ \t](?:'[^'\r\n]{1,256}'|\"[^\"\r\n]{1,256}\""
                     r"|[^\s:'\"]{1,256}):[ \t]{0,16}(?P<secret>[^\s]{0,255}[^\s:])(?![^\s])"), _password_like),
    # git's "Password for 'https://bob@github.com': X", sudo's "[sudo] password for bob: X"
    Shape(re.compile(rf"(?i)(?P<word>{KEYWORD})(?:%(?:25)?2[27])?(?P<sep>%(?:25)?3[AD])(?:%(?:25)?2[27])?"
                     r"(?P<secret>(?:(?!%(?:25)?2[267])(?:[A-Za-z0-9._~!*+\-]|%[0-9A-Fa-f]{2})){1,256})"),
          _url_encoded),  # next=%2Fcb%3Ftoken%3DX, body=%7B%22api_key%22%3A%22X%22%7D; ends at an encoded & " '
    Shape(re.compile(rf"(?i)(?<![A-Za-z0-9])(?P<word>{PROSE_KEYWORD})(?![A-Za-z0-9_]){_LINK}"
                     r"(?P<punct>[ \t]{0,4}[,:=：])?[ \t]{0,4}(?<=[ \t,:=：是为])[\"'`«]?"
                     r"(?P<secret>[!#$%&*+\-./0-9:=?@A-Z\\^_a-z|~]{3,255}[!#$%&*+\-/0-9:=@A-Z\\^_a-z|~])"), _mentioned),
    # The word after the keyword: printable ASCII without quotes or brackets, a closing period or ? left out.
    Shape(re.compile(_EMAIL + r":(?P<secret>[^\s\"'<>]{1,128})"), _password_like),  # alice@example.com:Hunter22
    Shape(re.compile(_EMAIL), _fixed("EMAIL")),
)
"""In priority order: a span claimed by an earlier shape is never matched again, so a secret counts once and the
most specific label wins (``token: ghp_...`` is TOKEN by shape; ``https://u:ghp_...@github.com`` is one TOKEN)."""
