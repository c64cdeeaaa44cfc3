"""How much of a stored text a person is shown, and how much an unvalidated import may store.

Why: ``import --no-validate`` stored whatever a line held, and a rejected task keeps the text validation refused. A
verifier of 300,000 lines took ``task_bank show`` 60 s and 25 MB of terminal output to highlight, and its web page
11 s and 36 MB (red-team round 45, F5). So a person is shown a bounded head of every stored text, with one line
saying what was left out (``--json`` and ``export`` still give the whole text), and an unvalidated import refuses a
line that validation's schema check would refuse for its size, naming the file, line and field. An explicit id
is shown and typed everywhere (tables, URLs, the ``show`` argument), so a new one may hold no character a terminal
or page acts on instead of showing: a NUL or ESC in an id reached the ``/tasks`` HTML raw, and no command line could
name the task (round 45, F6).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from task_bank.spec import TaskSpec

VERIFIER_CHARS_LIMIT = 200_000
"""The longest verifier source validation's schema check accepts (``ValidationConfig.max_verifier_chars``)."""
TEXT_CHARS_LIMIT = 1_000_000
"""The longest reference or failure case it accepts (``ValidationConfig.max_response_chars``)."""
SHOWN_LINES = 2_000
"""Lines of one text shown to a person, at most."""
SHOWN_CHARS = 100_000
"""Characters of one text shown to a person, at most."""


@dataclass(frozen=True)
class Shown:
    """The head of a text that is shown, and what was left out."""

    text: str
    omitted_chars: int = 0
    omitted_lines: int = 0

    @property
    def note(self) -> str:
        """One line saying what is not shown and where to get it ("" when nothing is left out)."""
        if not self.omitted_chars:
            return ""
        return (f"{self.omitted_lines:,} more line(s), {self.omitted_chars:,} more character(s) not shown; "
                "`python -m task_bank show ID --json` or `export` gives the whole text")


def shown(text: str) -> Shown:
    """The first :data:`SHOWN_LINES` lines of ``text``, at most :data:`SHOWN_CHARS` characters of them."""
    head = text[:SHOWN_CHARS]
    cut = -1
    for _ in range(SHOWN_LINES):
        cut = head.find("\n", cut + 1)
        if cut < 0:
            break
    if cut >= 0:
        head = head[:cut + 1]
    if len(head) == len(text):
        return Shown(text)
    return Shown(head, len(text) - len(head), text.count("\n", len(head)) + (not text.endswith("\n")))


def oversized(spec: TaskSpec) -> tuple[str, str] | None:
    """``(field, message)`` for the first text of ``spec`` over validation's size limits; None when all fit."""
    if len(spec.verifier) > VERIFIER_CHARS_LIMIT:
        return "verifier", _over(len(spec.verifier), VERIFIER_CHARS_LIMIT)
    for field, text in [("reference", spec.reference)] + [(f"failure_cases.{i}", case)
                                                          for i, case in enumerate(spec.failure_cases)]:
        if len(text) > TEXT_CHARS_LIMIT:
            return field, _over(len(text), TEXT_CHARS_LIMIT)
    return None


def unprintable_id(task_id: str) -> str | None:
    """Why ``task_id`` cannot be a new task's id (a control, format or line-separator character: category Cc, Cf,
    Zl or Zp, such as NUL, ESC or a right-to-left override), or None when it can."""
    for position, char in enumerate(task_id, start=1):
        if unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp"):
            return (f"holds the control character U+{ord(char):04X} at character {position}; an id is printed and "
                    "typed: use letters, digits and punctuation, or leave it empty for the content id")
    return None


def _over(size: int, limit: int) -> str:
    return (f"{size:,} characters, over the {limit:,} validation accepts; an unvalidated import stores only what "
            "validation could judge")
