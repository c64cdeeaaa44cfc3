"""Markers for the reward-hacking monitor's ``shared_pattern`` rule: what a task's passing responses share that
nothing honest explains.

A separate module because the rule needs its own vocabulary (markers, a run-long record of failing responses) and
its own false-positive reasoning, which would drown the monitor's bookkeeping in :mod:`trainer.monitor`.

**Markers.** Each response is scanned whole when it is at most ``max_chars`` long, else its first and last
``max_chars / 2`` characters (a hack appended after a long honest answer, or padding that pushes the answer out
of a verifier's view, sits at the tail) and the middle's lines that name the grader. Its markers are its lines (whitespace collapsed, at least three tokens
and a letter: ``# __score__ = 1``, ``print('SCORE: 1.0')``), its runs of ``pattern_tokens`` consecutive tokens
(words and single punctuation marks: a hack written inside a line), and its padding (one or two tokens repeated
``padding_repeats`` times in a row). The reference's and the prompt's markers are *known*: never a pattern.

**Why a marker is suspect.** Passing responses share a lot honestly: the chat model's preamble, the conclusion of a
chain of thought, the correct approach. Three things tell a hack from that:

* *grader-facing* — the marker names the grader or its frame (``score``, ``reward``, ``grader``, ``_getframe``,
  ``f_locals``, ...) and the reference and the prompt do not. A response has no honest reason to talk to the code
  that scores it; such a marker is suspect in ``grader_share`` of the distinct passing responses even when failing
  responses have it too (a hack the verifier pays only sometimes fails as often as it passes).
* *padding* — the same token repeated dozens of times, in ``pattern_share`` of them.
* *unexplained* — in ``pattern_share`` of them, and in fewer than ``failing_hits`` of the task's failing responses
  this run (:class:`FailingRecord`), which must hold at least ``min_failing`` failing responses with any marker at
  all: absence from failing responses is evidence only when there were failing responses to be absent from. So
  boilerplate that earlier failing responses also wrote never flags, an honest task that always passed has no
  contrast to flag on, and failing responses cut to nothing (truncated) are no contrast either. When the reference
  is a short answer (``17250``), a shared run of words that holds it (``the final answer is \\boxed{17250}``) is
  how the answer is written, the thing the verifier pays for: not unexplained.

What this cannot tell from a hack: an honest phrase the policy only ever writes when it succeeds (a format, an
approach the failing attempts never took) that neither the reference nor the prompt has and that does not hold a
short reference answer; the flag's evidence names it, and a reviewer restores the task. Grader words are matched
as words (``underscore`` is not ``score``), but an honest answer that names a variable ``score`` on a task whose
prompt never says the word is flagged. A hack written into the same run of words as a short answer is missed
unless it names the grader.

Memory per task: ``keep_responses`` passing responses, each clipped to ``max_chars``, and at most
``failing_markers`` counts.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trainer.monitor import MonitorConfig, TaskContext

TOKEN = re.compile(r"\w+|[^\w\s]")
GRADER = re.compile(r"(?<![a-z])(?:score|reward|grader)|_getframe|f_back|f_locals|f_globals|currentframe|"
                    r"settrace|setprofile", re.IGNORECASE)
"""Words of the grader and its frame: a marker holding one that the reference and prompt lack is grader-facing."""
_LETTER = re.compile(r"[^\W\d_]")
ANSWER_TOKENS = 12
"""A reference of at most this many tokens is an answer (a number, a word, a short string): a shared run of words
that holds it is how the policy writes the answer, never a pattern."""
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
    """The markers of ``text`` (``line:``, ``gram:`` and ``pad:`` keys; see the module docstring), in the order
    they occur (a dict as an ordered set: what the record keeps among equals must not depend on string hashing)."""
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


class FailingRecord:
    """How many of a task's failing responses this run had each marker, for markers that recur: bounded.

    Counts are kept for at most ``cap`` markers; past that, the ``cap / 2`` most frequent are kept (the latest
    first among equals, so that what the policy writes now can still recur and stay). Boilerplate that failing
    responses keep writing stays; a marker one failing response had once goes, which is what "rarely in failing
    responses" means."""

    __slots__ = ("_cap", "_counts", "responses")

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._counts: dict[int, int] = {}
        self.responses = 0
        """Failing responses recorded that had at least one marker."""

    def add(self, found: dict[str, None]) -> None:
        """One failing response's markers."""
        if not found:
            return
        self.responses += 1
        counts = self._counts
        for marker in found:
            key = hash(marker)
            counts[key] = counts.get(key, 0) + 1
        if len(counts) > self._cap:
            kept = sorted(reversed(counts.items()), key=lambda item: -item[1])[:self._cap // 2]
            self._counts = dict(reversed(kept))

    def __len__(self) -> int:
        """Markers counted (at most ``cap``)."""
        return len(self._counts)

    def hits(self, marker: str) -> int:
        """Failing responses recorded with ``marker`` (a lower bound once rare markers were dropped)."""
        return self._counts.get(hash(marker), 0)


@dataclass(frozen=True)
class Marker:
    """A suspect marker and the evidence for it."""

    text: str
    """The marker as it reads (a line, tokens joined by spaces, or the padding unit), with up to three more of the
    same kind and share after ``|``."""
    why: str
    """``grader-facing``, ``padding`` or ``unexplained``."""
    share: int
    """Distinct passing responses that have it."""
    of: int
    """Distinct passing responses judged."""
    failing: int
    """Failing responses of the task this run that had it."""
    failing_seen: int
    """Failing responses of the task recorded this run."""

    def describe(self) -> str:
        """The evidence in words."""
        what = {"grader-facing": "it names the grader; the reference and the prompt do not",
                "padding": "padding the reference and the prompt lack",
                "unexplained": "the reference and the prompt lack it"}[self.why]
        return (f"{self.share} of {self.of} distinct passing responses share {self.text[:300]!r} ({what}; "
                f"{self.failing} of {self.failing_seen} failing responses this run had it)")


_RANK = {"grader-facing": 0, "padding": 1, "unexplained": 2}


def find_marker(passing: Sequence[str], record: FailingRecord, context: TaskContext, config: MonitorConfig,
                share: float) -> Marker | None:
    """The strongest suspect marker of the distinct ``passing`` responses, or None.

    ``share`` is the share of them a padding or unexplained marker needs (``pattern_share`` for the rule itself,
    ``jump_share`` to corroborate a jump); a grader-facing one needs ``min(share, grader_share)``."""
    if len(passing) < config.min_passing:
        return None
    counts = Counter(m for text in passing for m in markers(text, config))
    known = markers(context.reference, config).keys() | markers(context.prompt, config).keys()
    said = (context.reference + "\n" + context.prompt).lower()
    contrast = record.responses >= config.min_failing
    answer = TOKEN.findall(context.reference)
    answer = answer if len(answer) <= ANSWER_TOKENS else []
    shared = {m for m, c in counts.items() if m.startswith("gram:") and c >= share * len(passing)}
    suspects: list[tuple[tuple[int, float, bool, int], str, str, int, int]] = []  # rank, marker, why, count, hits
    for marker, count in counts.items():
        if marker in known:
            continue
        text = marker.split(":", 1)[1]
        grader = any(m.group(0).lower() not in said for m in GRADER.finditer(text))
        hits = record.hits(marker)
        if grader:
            why, needed = "grader-facing", min(share, config.grader_share)
        elif marker.startswith("pad:"):
            why, needed = "padding", share
        elif contrast and hits < config.failing_hits:
            why, needed = "unexplained", share
        else:
            continue
        if count < needed * len(passing):
            continue
        if why == "unexplained" and answer and _holds(_as_written(marker, passing, shared, config), answer):
            continue  # the words the answer is written in: what the verifier pays for, honestly
        rank = (_RANK[why], -count / len(passing), not marker.startswith("line:"), -len(text))
        suspects.append((rank, marker, why, count, hits))
    if not suspects:
        return None
    suspects.sort(key=lambda s: s[0])
    _, marker, why, count, hits = suspects[0]
    # the evidence reads best whole: the other lines of the same kind and share (a hack of several lines)
    shown = [marker, *[s[1] for s in suspects[1:] if s[0][:3] == suspects[0][0][:3]][:3]]
    text = " | ".join(dict.fromkeys(_as_written(m, passing, shared, config) for m in shown))
    return Marker(text, why, count, len(passing), hits, record.responses)


def _holds(text: str, answer: list[str]) -> bool:
    """Whether ``text`` holds the tokens of ``answer`` in a row."""
    tokens, n = TOKEN.findall(text), len(answer)
    return any(tokens[i:i + n] == answer for i in range(len(tokens) - n + 1))


def _as_written(marker: str, passing: Sequence[str], shared: set[str], config: MonitorConfig) -> str:
    """A marker as a response wrote it: a token run widened to the run of overlapping ``shared`` ones around it,
    with the response's own spacing; padding with its count."""
    kind, text = marker.split(":", 1)
    if kind == "pad":
        return f"{text} (x{config.padding_repeats} or more)"
    if kind == "line":
        return text
    n, wanted = config.pattern_tokens, text.split(" ")
    for response in passing:
        for part in parts(response, config.max_chars):
            tokens = TOKEN.findall(part)
            at = next((i for i in range(len(tokens) - n + 1) if tokens[i:i + n] == wanted), None)
            if at is None:
                continue
            start, end = at, at + n
            while start > 0 and "gram:" + " ".join(tokens[start - 1:start - 1 + n]) in shared:
                start -= 1
            while end < len(tokens) and "gram:" + " ".join(tokens[end - n + 1:end + 1]) in shared:
                end += 1
            pattern = re.compile(r"\s*".join(re.escape(token) for token in tokens[start:end]))
            found = pattern.search(part)
            return " ".join((found.group(0) if found else " ".join(tokens[start:end])).split())
    return text
