"""Text from untrusted code made safe for every trusted writer: lone surrogates escaped, nothing else changed.

Python's JSON reader turns ``"\\ud800"`` into a lone surrogate, and verifier code can raise
``RuntimeError('\\ud800')``. Such a string cannot be encoded as UTF-8: ``print`` to a UTF-8 stdout, pydantic's
``model_dump_json``, SQLite and the web view all raise ``UnicodeEncodeError`` on it, so one hostile exception message
could stop ``verifier score --json`` or the bank for every later task. Records that carry text written by
untrusted code declare their fields :data:`SafeText`, so every copy of the text (CLI output, bank rows, web pages)
is already safe; :func:`escape_surrogates` is the one helper that does it. Valid text, non-ASCII included, is kept
as it is; each lone surrogate becomes the six visible characters ``\\udXXX``.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """True when ``text`` holds a code point that no UTF-8 writer can encode."""
    return not text.isascii() and _SURROGATE.search(text) is not None


def holds_lone_surrogate(value: object) -> bool:
    """True when any text in ``value`` (a string, or the keys and values of lists, tuples and dicts within it, as
    ``model_dump()`` gives them) holds a lone surrogate. Why: records stored as JSON (a task's provenance, a failure
    record) could not be written once one did, and the whole import or generate run stopped with an internal error
    instead of naming the line (red-team round 42)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if has_lone_surrogate(item):
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, (list, tuple)):
            pending.extend(item)
    return False


def escape_surrogates(text: str) -> str:
    """``text`` with each lone surrogate written as ``\\udXXX``; valid text is returned unchanged."""
    if not has_lone_surrogate(text):
        return text
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


SafeText = Annotated[str, AfterValidator(escape_surrogates)]
"""A ``str`` field whose value is always encodable: lone surrogates escaped on validation."""


_CONTROLS = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x09), *range(0x0B, 0x20), 0x7F, *range(0x80, 0xA0))}
_CONTROLS.update({code: f"\\u{code:04x}" for code in (0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def escape_controls(text: str) -> str:
    """``text`` with every character a terminal acts on written visibly: C0 controls but line feed and tab, DEL, the
    C1 controls (``\\x1b`` is ESC, ``\\x9b`` a one-byte CSI) and the bidirectional overrides and isolates
    (``\\u202e``), which reorder what a reader sees. Why: a task id or prompt printed as it is moved the cursor,
    erased lines, set the window title or wrote the clipboard (OSC 52), and made a rejected row look admitted
    (red-team round 30). For text shown on a terminal; JSON output escapes these itself."""
    return text.translate(_CONTROLS)


def escape_line(text: str) -> str:
    """:func:`escape_controls`, and line feed and tab written visibly too: for text that must stay on one line of a
    log, where a task id holding a line feed could otherwise write a log entry of its own."""
    return escape_controls(text).replace("\n", "\\n").replace("\t", "\\t")
