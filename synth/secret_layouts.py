"""Secrets that a layout gives away rather than a keyword: a password on a command line (``mysql -p'a b'``,
``docker login -p X``) or piped into one (``echo X | docker login --password-stdin``), ``user:password@host``
with no scheme, a ``.pgpass`` line, and the base64 ``user:password`` of Docker's ``auth`` (npm's ``_auth``).

Kept apart from the table of keyword shapes (:mod:`synth.secret_patterns`, which splices :data:`LAYOUT_SHAPES`
into its priority order) because each of these needs its own judge of what the layout proves, and the table would
otherwise outgrow one reading. The same linear-time rules hold here: every pattern starts at a literal or behind
a lookbehind that allows one start per token or line, and every repetition is bounded.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from synth.secret_words import basic_credentials, looks_like_password, plausible_secret

__all__ = ["LAYOUT_SHAPES", "Judge", "secret_span", "secret_text"]

Judge = Callable[[re.Match[str]], "str | None"]


def secret_span(m: re.Match[str]) -> tuple[int, int]:
    """The span to replace: the ``secret*`` group that took part in the match, else the whole match."""
    for name in m.re.groupindex:
        if name.startswith("secret") and m.start(name) != -1:
            return m.span(name)
    return m.span()


def secret_text(m: re.Match[str]) -> str:
    """The text of the ``secret*`` group that took part in the match (the value a judge weighs)."""
    start, end = secret_span(m)
    return m.string[start:end]


def _fixed(kind: str) -> Judge:
    return lambda m: kind


_FLAG_VALUE = (r"(?:\"(?P<secret_dq>[^\"\r\n]{1,128})\"|'(?P<secret_sq>[^'\r\n]{1,128})'"
               r"|(?P<secret>[^\s\"']{1,128}))")
"""A command-line value: quoted (a space inside stays in the secret: ``-p'Hunter 22x'`` lost only ``Hunter``
before, red-team round 43) or bare."""
_LOGIN_COMMANDS = (r"(?:(?:docker|podman|buildah|nerdctl|skopeo|oras|helm[ \t]{1,4}registry)[ \t]{1,4}login"
                   r"|az[ \t]{1,4}login|mongo|mongosh|mongodump|mongorestore|mongoexport|mongoimport)")
"""Commands whose ``-p`` takes a password; anywhere else ``-p`` is a port, a parent flag or a plugin."""


def _command_password(m: re.Match[str]) -> str | None:
    """``docker login -p X``, ``echo X | docker login --password-stdin``: the password, unless it is a
    placeholder or a shell expansion that only fetches it (``-p "$(cat pw)"``, ``echo $PW |``)."""
    value = secret_text(m)
    return "PASSWORD" if not value.startswith("$") and plausible_secret(value, "password") else None


_MAIL_LABELS = frozenset({"mailto", "mail", "email", "e-mail", "from", "to", "cc", "bcc", "reply-to", "sender",
                          "recipient", "contact", "author", "committer", "address", "addr", "re", "fw", "fwd",
                          "sip", "sips", "xmpp", "debug", "info", "notice", "warn", "warning", "error", "fatal",
                          "critical"})
"""Words that put an address after a colon (``mailto:bob2@example.com``, a log line's ``WARNING:ops2@x.com``):
what follows is the address's local part, not a password."""
_IP_HOST = re.compile(r"(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]{2,45}\]")


def _userinfo(m: re.Match[str]) -> str | None:
    """``user:password@host`` with no scheme (``git clone alice:pw@github.com/x.git``, a proxy setting): the
    password, never the EMAIL the tail ``pw@host`` resembles (red-team round 43). A host with a port, a path or an
    IP address is no mail domain, so any non-placeholder goes; before a bare domain the value must not read like a
    word, and the word before the colon must not be a mail label (``Contact:ops2@example.com`` is an address,
    ``user:alice@example.com`` most likely one)."""
    value = m.group("secret")
    if m.group("user").lower() in _MAIL_LABELS or not plausible_secret(value, "password"):
        return None
    if m.group("port") or m.group("path") or _IP_HOST.fullmatch(m.group("host")):
        return "PASSWORD"
    return "PASSWORD" if looks_like_password(value) else None


def _pgpass(m: re.Match[str]) -> str | None:
    """``host:port:database:user:password``: the rest of the line is the password (as libpq reads it), unless
    the whole line is hex digits and colons (an IPv6 address, a time: ``12:30:45:10:00``; an IPv4 host has dots),
    the database is a number (``app.py:12:5:E501:msg`` is a linter's file:line:column) or the value is a
    placeholder."""
    if re.fullmatch(r"[0-9A-Fa-f:]+", m.group(0).strip()) or m.group("database").isdigit():
        return None
    return "PASSWORD" if plausible_secret(m.group("secret"), "password") else None


def _basic_auth(m: re.Match[str]) -> str | None:
    """``"auth": "<base64>"`` (Docker's config.json, npm's ``_auth``): a password when the value decodes to
    ``user:password``; ``"auth": "oauth2"`` or ``auth: required`` do not decode to one and stay."""
    return "PASSWORD" if basic_credentials(m.group("secret")) else None


_PGPASS_FIELD = r"(?:[^\s:\\]|\\[:\\]){1,63}"

LAYOUT_SHAPES: tuple[tuple[re.Pattern[str], Judge], ...] = (
    (re.compile(r"(?<![^\s\"'`=(\[{,<>|])(?P<user>[A-Za-z_][A-Za-z0-9._%+~\\-]{0,63}):"
                r"(?P<secret>[^\s\"'<>@:/]{1,128}(?:@[^\s\"'<>@:/?#]{1,128}(?=@)){0,8})"
                r"@(?P<host>(?:\d{1,3}\.){3}\d{1,3}|\[[0-9A-Fa-f:.]{2,45}\]"
                r"|[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){0,7}\.[A-Za-z][A-Za-z0-9-]{0,62}"
                r"|[A-Za-z0-9-]{1,63}(?=:\d{1,5}(?![0-9])|/))"
                r"(?P<port>:\d{1,5})?(?P<path>/)?(?![A-Za-z0-9_@-]|\.[A-Za-z0-9])"), _userinfo),
    # user:password@host(:port)(/path) at the start of a token; the password holds no : or / (so neither
    # jdbc:oracle:thin:scott/... nor http://... starts one) and runs to the last @ (p@ss@host); the host's last
    # label starts with a letter, so npm:pkg2@1.3.0 is a version, not a host.
    (re.compile(r"(?<![A-Za-z0-9_-])curl[ \t][^\n]{0,200}?(?<=[ \t])(?:-u|--user)[ \t=]{1,4}[\"']?"
                r"[^\s:\"']{1,64}:(?P<secret>[^\s\"']{1,128})"), _fixed("PASSWORD")),
    (re.compile(r"(?<![A-Za-z0-9_-])(?:mysql|mysqldump|mysqladmin|mariadb)[ \t][^\n]{0,200}?(?<=[ \t])-p"
                + _FLAG_VALUE), _command_password),  # -pX, -p'a b' (a bare -p prompts)
    (re.compile(rf"(?<![A-Za-z0-9_-])(?:{_LOGIN_COMMANDS}(?=[ \t])[^\n;|&]{{0,200}}?(?<=[ \t])-p"
                r"|redis-cli(?=[ \t])[^\n;|&]{0,200}?(?<=[ \t])-a"
                r"|sshpass(?:[ \t]{1,4}-[A-Za-oq-z][^\s]{0,64}){0,4}[ \t]{1,4}-p)"
                r"(?:[ \t]{1,4}|=)?" + _FLAG_VALUE), _command_password),
    # docker login -p X, sshpass -p X (only among sshpass's own options, not the wrapped ssh -p 22), redis-cli -a X.
    (re.compile(r"(?<![A-Za-z0-9_-])(?:echo(?:[ \t]{1,4}-[neE]{1,3})?|printf(?:[ \t]{1,4}[\"']%s(?:\\n)?[\"'])?)"
                r"[ \t]{1,4}" + _FLAG_VALUE + r"[ \t]{0,4}\|[ \t]{0,4}(?:sudo[ \t]{1,4})?"
                r"(?=[^\n;|&]{0,200}?(?<=[ \t])--password-stdin(?![A-Za-z0-9-])|passwd[ \t]{1,4}--stdin"
                r"|chpasswd(?![A-Za-z0-9-]))"), _command_password),
    # echo X | docker login --password-stdin, | passwd --stdin u, | chpasswd (red-team round 43: the echoed value
    # leaked); any other command's --stdin reads data (git hash-object --stdin), not a password.
    (re.compile(r"(?m)^[ \t]{0,16}(?:[A-Za-z0-9._*-]|\\[:\\]){1,253}:(?:\d{1,5}|\*):(?P<database>" + _PGPASS_FIELD
                + "):" + _PGPASS_FIELD + r":(?P<secret>[^\s]{1,256})[ \t]{0,16}\r?$"), _pgpass),
    # ~/.pgpass: host:port:database:user:password, port digits or * (so /etc/passwd's root:x:0:0 is not one)
    (re.compile(r"(?i)(?<![A-Za-z0-9])[\"'\\]{0,3}_?auth[\"'\\]{0,3}[ \t]{0,4}[:=][ \t]{0,16}[\"'\\]{0,3}"
                r"(?P<secret>[A-Za-z0-9+/]{4,4096}={0,2})(?![A-Za-z0-9+/=])"), _basic_auth),
)
"""In priority order, between the URL shapes and the AWS secret key of :data:`synth.secret_patterns.SHAPES`."""
