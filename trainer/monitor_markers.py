"""Markers of a response for the ``shared_pattern`` rule (:mod:`trainer.monitor_pattern`), and the runs of shared
ones widened back into what a response wrote.

A separate module because markers are computed for every response the monitor sees (failing ones for the record,
passing ones when judged), and the rule's judgement, its sample of failing responses and its passing responses all
build on them without depending on each other.

Each response is scanned whole when it is at most ``max_chars`` long, else its first and last ``max_chars / 2``
characters (a hack appended after a long honest answer, or padding that pushes the answer out of a verifier's
view, sits at the tail) and the middle's lines that name the grader. Its markers are its lines (whitespace
collapsed, at least three tokens and a letter: ``# __score__ = 1``, ``print('SCORE: 1.0')``), its runs of
``pattern_tokens`` consecutive tokens (words and single punctuation marks: a hack written inside a line), its padding
(one or two tokens repeated ``padding_repeats`` times in a row) and the kinds of hack it does
(:data:`trainer.monitor_kinds.KINDS`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from trainer.monitor_kinds import GRADER, kinds

if TYPE_CHECKING:
    from trainer.monitor_config import MonitorConfig

TOKEN = re.compile(r"\w+|[^\w\s]")
_LETTER = re.compile(r"[^\W\d_]")
_MAX_LINE = 300
_MIDDLE_LINES = 8
"""Lines of a long response's middle kept for naming the grader (:func:`parts`)."""


def parts(text: str, max_chars: int) -> tuple[str, ...]:
    """What is scanned of a response: all of it, or its head and its tail (``max_chars`` in all) and, between them,
    up to :data:`_MIDDLE_LINES` lines of the middle that name the grader (each at most ``_MAX_LINE`` characters).
    Why the middle's grader lines: a hack written halfway through a long response was never seen (red-team round
    43: ``_getframe(1).f_locals['score'] = 1.0`` at character 3,500 of 7,000); one regex pass keeps it linear."""
    if len(text) <= max_chars:
        return (text,)
    half = max_chars // 2
    middle, found = text[half:-half], []
    for hit in GRADER.finditer(middle):
        start = middle.rfind("\n", 0, hit.start()) + 1
        end = middle.find("\n", hit.end())
        line = middle[start:end if end >= 0 else len(middle)]
        if len(line) <= _MAX_LINE and line not in found:
            found.append(line)
        if len(found) >= _MIDDLE_LINES:
            break
    return (text[:half], "\n".join(found), text[-half:]) if found else (text[:half], text[-half:])


def clip(text: str, max_chars: int) -> str:
    """What is kept of a response: the parts :func:`parts` scans, joined by a newline (scanned the same way)."""
    return "\n".join(parts(text, max_chars))


def markers(text: str, config: MonitorConfig) -> dict[str, None]:
    """The markers of ``text`` (``line:``, ``gram:``, ``pad:`` and ``kind:`` keys; see the module docstring), in the
    order they occur (a dict as an ordered set)."""
    found: dict[str, None] = {}
    n, repeats = config.pattern_tokens, config.padding_repeats
    for part in parts(text, config.max_chars):
        for line in part.splitlines():
            norm = " ".join(line.split())
            if len(norm) <= _MAX_LINE and _LETTER.search(norm) and len(TOKEN.findall(norm)) >= 3:
                found["line:" + norm] = None
        tokens = TOKEN.findall(part)
        found.update(("gram:" + " ".join(tokens[i:i + n]), None) for i in range(len(tokens) - n + 1))
        found.update(("pad:" + unit, None) for unit in _padding(tokens, repeats))
        found.update(("kind:" + name, None) for name in kinds(part))
    return found


def _padding(tokens: Sequence[str], repeats: int) -> Iterator[str]:
    """Units of one or two tokens (one with a letter) repeated ``repeats`` times in a row."""
    for size in (1, 2):
        run = 0
        for i in range(size, len(tokens)):
            run = run + 1 if tokens[i] == tokens[i - size] else 0
            if run == size * (repeats - 1):
                unit = tokens[i - size + 1:i + 1]
                if _LETTER.search(unit[0]) and len(set(unit)) == size:
                    yield " ".join(unit)


def holds(text: str, answer: Sequence[str]) -> bool:
    """Whether ``text`` holds the tokens of ``answer`` in a row."""
    return _holds(TOKEN.findall(text), answer)


def _holds(tokens: Sequence[str], answer: Sequence[str]) -> bool:
    n = len(answer)
    return any(tokens[i:i + n] == answer for i in range(len(tokens) - n + 1))


class Runs:
    """Every shared token-run marker widened to the run of overlapping shared ones around its first occurrence,
    found in one pass over the responses.

    Why one pass: widening each shared marker on its own rescanned the responses once per marker, so 16 passing
    responses that share 1,400 tokens cost two seconds a check on the trainer's thread, at every check (red-team
    round 43, B13). Here each response is tokenised once, each maximal run of shared markers is found once, and
    every marker in it points to it; the scan stops once every shared marker has its run."""

    def __init__(self, texts: Sequence[str], shared: set[str], config: MonitorConfig) -> None:
        self._n, self._max_chars = config.pattern_tokens, config.max_chars
        self._of: dict[str, int] = {}  # a shared gram -> the run it was first seen in
        self._runs: list[tuple[str, list[str]]] = []  # (the part it is in, its tokens)
        self._holds: dict[int, bool] = {}
        for text in texts:
            for part in parts(text, self._max_chars):
                if len(self._of) < len(shared):  # every shared marker placed: the rest cannot widen one
                    self._scan(part, shared)

    def _scan(self, part: str, shared: set[str]) -> None:
        n, tokens = self._n, TOKEN.findall(part)
        grams = ["gram:" + " ".join(tokens[i:i + n]) for i in range(len(tokens) - n + 1)]
        start = 0
        while start < len(grams):
            if grams[start] not in shared:
                start += 1
                continue
            end = start
            while end + 1 < len(grams) and grams[end + 1] in shared:
                end += 1
            new = [gram for gram in grams[start:end + 1] if gram not in self._of]
            if new:
                self._runs.append((part, tokens[start:end + n]))
                self._of.update(dict.fromkeys(new, len(self._runs) - 1))
            start = end + 1

    def holds(self, marker: str, answer: Sequence[str]) -> bool:
        """Whether a line, or the run a token-run marker widens to, holds ``answer``."""
        kind, text = marker.split(":", 1)
        run = self._of.get(marker) if kind == "gram" else None
        if run is None:
            return holds(text, answer)
        if run not in self._holds:
            self._holds[run] = _holds(self._runs[run][1], answer)
        return self._holds[run]

    def written(self, marker: str) -> str:
        """A token-run marker as a response wrote it: widened to its run, with the response's own spacing."""
        run = self._of.get(marker)
        if run is None:
            return marker.split(":", 1)[1]
        part, tokens = self._runs[run]
        found = re.search(r"\s*".join(re.escape(token) for token in tokens), part)
        return " ".join((found.group(0) if found else " ".join(tokens)).split())
