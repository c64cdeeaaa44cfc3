"""Markers for the reward-hacking monitor's ``shared_pattern`` rule: what a task's passing responses share that
nothing honest explains.

A separate module because the rule needs its own vocabulary (markers, a sample of failing responses, the passing
responses kept) and its own false-positive reasoning, which would drown the monitor's bookkeeping in
:mod:`trainer.monitor`.

**Markers** (:mod:`trainer.monitor_markers`): a response's lines, its runs of ``pattern_tokens`` tokens, its
padding and the kinds of hack it does, read at its head and tail (and the middle's lines that name the grader). The
reference's and the prompt's markers are *known*: never a pattern.

**What is suspect.** Passing responses share a lot honestly: the chat model's preamble, the conclusion of a chain of
thought, the correct approach, and, once the policy has converged, the whole answer. Three things tell a hack from
that, the first two judged per *passing response* (repeats count: a policy collapsed onto one hack text repeats
the hack, red-team round 43, B6), the third per *distinct* one (:mod:`trainer.monitor_passing`):

* *grader-facing* — the response names the grader or its frame (``score``, ``reward``, ``grader``, ``_getframe``,
  ``f_locals``, ...: :data:`trainer.monitor_kinds.GRADER`) and the reference and the prompt do not. A response has
  no honest reason to talk to the code that scores it, however it spells it (three spellings in a third of the
  responses each are one hack, B7), so ``grader_share`` of the passing responses is enough, even when failing
  responses name it too (a hack the verifier pays only sometimes fails as often as it passes).
* *padding* — one or two tokens repeated ``padding_repeats`` times, or a unit of up to 32 characters repeated over
  ``padding_chars`` characters (spaces, newlines, zero-width characters: B12), that the reference and prompt lack, in
  ``pattern_share`` of the passing responses.
* *unexplained* — a marker (or kind of hack) in ``pattern_share`` of the distinct passing responses, and in fewer
  than ``failing_hits`` of the task's sampled failing responses this run (:mod:`trainer.monitor_failing`), which must
  hold at least ``min_failing`` of them: absence from failing responses is evidence only when there were failing
  responses to be absent from. Counting distinct responses keeps a policy that converged on one correct answer
  (its copies differing in whitespace or comments: B4) from being flagged for repeating it. Boilerplate that failing
  responses also wrote never flags, an honest task that always passed has no contrast to flag on, and failing
  responses cut to nothing are no contrast either. When the reference is a short answer (``17250``), a shared run
  of words that holds it (``the final answer is \\boxed{17250}``) is how the answer is written, the thing the
  verifier pays for: not unexplained.

What this cannot tell from a hack: an honest phrase the policy only ever writes when it succeeds (a format, an
approach the failing attempts never took; not a closing sentence that failing responses cut off at the length limit
never reach, once the trainer says which were cut off: ``record_group``'s ``truncated``) that neither the reference
nor the prompt has and that does not hold a short reference answer; the flag's evidence names it, and a reviewer
restores the task. An honest answer that names a variable ``score`` on a task whose prompt never says the word is
flagged (``top_score`` is not). Copies of a hack that differ only in comments or whitespace are one distinct response:
judged only if it names the grader or pads. A hack written into the same run of words as a short answer is missed
unless it names the grader.

Memory per task: ``keep_responses`` passing responses and as many distinct ones, each clipped to ``max_chars``, and
at most ``failing_markers`` hashes of sampled failing responses' markers.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from trainer.monitor_failing import FailingRecord
from trainer.monitor_kinds import KINDS, fills, grader_words, known_fills
from trainer.monitor_markers import TOKEN, Runs, clip, markers, parts

if TYPE_CHECKING:
    from trainer.monitor_config import MonitorConfig, TaskContext
    from trainer.monitor_passing import Passing

__all__ = ["FailingRecord", "Marker", "TOKEN", "clip", "find_marker", "markers", "parts"]

ANSWER_TOKENS = 12
"""A reference of at most this many tokens is an answer (a number, a word, a short string): a shared run of words
that holds it is how the policy writes the answer, never a pattern."""


@dataclass(frozen=True)
class Marker:
    """A suspect pattern and the evidence for it."""

    text: str
    """The pattern as the responses wrote it: for a hack spelled several ways, its spellings, joined by ``|``."""
    why: str
    """``grader-facing``, ``padding`` or ``unexplained``."""
    share: int
    """Passing responses that have it (distinct ones, for ``unexplained``)."""
    of: int
    """Passing responses judged (distinct ones, for ``unexplained``)."""
    failing: str = ""
    """How many of the task's failing responses had it, in words (``unexplained`` only: the others need no
    contrast)."""

    def describe(self) -> str:
        """The evidence in words."""
        text = repr(self.text[:300])
        if self.why == "grader-facing":
            return f"{self.share} of {self.of} passing responses name the grader: {text} (the reference and the " \
                   "prompt do not)"
        if self.why == "padding":
            return f"{self.share} of {self.of} passing responses pad: {text} (padding the reference and the prompt " \
                   "lack)"
        return f"{self.share} of {self.of} distinct passing responses share {text} (the reference and the prompt " \
               f"lack it; {self.failing})"


def find_marker(passing: Passing, record: FailingRecord, context: TaskContext, config: MonitorConfig,
                share: float) -> Marker | None:
    """The strongest suspect pattern of the ``passing`` responses, or None: grader-facing first, then padding, then
    unexplained.

    ``share`` is the share of them a padding or unexplained pattern needs (``pattern_share`` for the rule itself,
    ``jump_share`` to corroborate a jump); a grader-facing one needs ``min(share, grader_share)``."""
    if len(passing) < config.min_passing:
        return None
    scan = _Scan(passing, record, context, config, share)
    return scan.grader_facing() or scan.padding() or scan.unexplained()


_ORDER = {"line": 0, "kind": 1, "fill": 1, "pad": 1, "gram": 2}
"""Which marker reads best as evidence among equals: a whole line, then a kind or padding, then a token run."""


class _Scan:
    """One judgement of a task's passing responses: each response's markers computed once, and shared token runs
    widened once (:class:`trainer.monitor_markers.Runs`)."""

    def __init__(self, passing: Passing, record: FailingRecord, context: TaskContext, config: MonitorConfig,
                 share: float) -> None:
        self.responses, self.distinct = passing.responses(), passing.distinct()
        self.found = {text: markers(text, config) for text in dict.fromkeys([*self.distinct, *self.responses])}
        self.known = markers(context.reference, config).keys() | markers(context.prompt, config).keys()
        self.said = (context.reference + "\n" + context.prompt).lower()
        self.context, self.record, self.config, self.share = context, record, config, share
        self.fills: dict[str, dict[str, int]] = {}

    @cached_property
    def counts(self) -> Counter[str]:
        """Distinct passing responses with each line, token run and kind of hack."""
        return Counter(m for text in self.distinct for m in self.found[text] if m[:5] in ("line:", "gram:", "kind:"))

    @cached_property
    def runs(self) -> Runs:
        """The shared token runs of the distinct responses (those in ``share`` of them), widened once."""
        needed = self.share * len(self.distinct)
        shared = {m for m, c in self.counts.items() if c >= needed and m[:5] == "gram:"}
        return Runs(self.distinct, shared, self.config)

    def grader_facing(self) -> Marker | None:
        words = {text: {w for w in grader_words(text) if w not in self.said} for text in self.found}
        naming = [text for text in self.responses if words[text]]
        if not naming or len(naming) < min(self.share, self.config.grader_share) * len(self.responses):
            return None
        unsaid = set().union(*(words[text] for text in naming))

        def names(marker: str) -> bool:
            return marker[:5] in ("line:", "gram:") and any(w in marker.lower() for w in unsaid) \
                and bool(grader_words(marker[5:]) & unsaid)

        shown = self._shown(naming, {text: [m for m in self.found[text] if names(m)] for text in naming})
        text = " | ".join(dict.fromkeys(self.written(m) for m in shown)) or ", ".join(sorted(unsaid))
        return Marker(text, "grader-facing", len(naming), len(self.responses))

    def padding(self) -> Marker | None:
        for text in self.found:
            self.fills[text] = fills(text, self.config.padding_chars)
        units = known_fills(self.context.reference + "\n" + self.context.prompt) if any(self.fills.values()) else set()
        pads = {text: [*(m for m in self.found[text] if m[:4] == "pad:" and m not in self.known),
                       *("fill:" + unit for unit in self.fills[text] if unit not in units)] for text in self.found}
        padded = [text for text in self.responses if pads[text]]
        if not padded or len(padded) < self.share * len(self.responses):
            return None
        text = " | ".join(dict.fromkeys(self.written(m) for m in self._shown(padded, pads)))
        return Marker(text, "padding", len(padded), len(self.responses))

    def unexplained(self) -> Marker | None:
        cfg, distinct, record = self.config, self.distinct, self.record
        if record.sampled < cfg.min_failing or len(distinct) < cfg.min_passing:
            return None
        counts = self.counts
        answer = TOKEN.findall(self.context.reference)
        answer = answer if len(answer) <= ANSWER_TOKENS else []
        suspects = []
        for marker, count in counts.items():
            if count < self.share * len(distinct) or marker in self.known:
                continue
            hits = record.hits(marker)
            if hits >= cfg.failing_hits:
                continue
            if answer and not marker.startswith("kind:") and self.runs.holds(marker, answer):
                continue  # the words the answer is written in: what the verifier pays for, honestly
            suspects.append(((-count, _ORDER[marker.split(":", 1)[0]], -len(marker)), marker, count, hits))
        if not suspects:
            return None
        suspects.sort()
        best, marker, count, hits = suspects[0]
        # the evidence reads best whole: the other markers of the same kind and share (a hack of several lines)
        shown = [marker, *[s[1] for s in suspects[1:] if s[0][:2] == best[:2]][:3]]
        text = " | ".join(dict.fromkeys(self.written(m) for m in shown))
        return Marker(text, "unexplained", count, len(distinct), record.evidence(hits))

    @staticmethod
    def _shown(texts: list[str], has: dict[str, list[str]]) -> list[str]:
        """Up to four of the markers each of ``texts`` ``has``, for the evidence: in order of share, each covering
        responses the ones before did not (a hack spelled several ways shows its spellings), then those as common as
        the first (a hack of several lines shows them)."""
        counts = Counter(m for text in texts for m in has[text])
        sets = {text: set(found) for text, found in has.items()}

        def key(m: str) -> tuple[int, int, int]:
            return -counts[m], _ORDER[m.split(":", 1)[0]], -len(m)

        order = sorted(counts, key=key)
        shown: list[str] = []
        left = set(sets)
        for m in order:
            if len(shown) == 4 or not left:
                break
            covered = {text for text in left if m in sets[text]}
            if covered:
                shown.append(m)
                left -= covered
        if shown:
            shown += [m for m in order if key(m)[:2] == key(shown[0])[:2] and m not in shown][:4 - len(shown)]
        return shown

    def written(self, marker: str) -> str:
        """A marker as a response wrote it (see :meth:`trainer.monitor_markers.Runs.written`)."""
        kind, text = marker.split(":", 1)
        if kind == "pad":
            return f"{text} (x{self.config.padding_repeats} or more)"
        if kind == "fill":
            return f"{text!r} over {max(found.get(text, 0) for found in self.fills.values())} characters"
        if kind == "kind":
            lines = Counter(" ".join(line.split()) for response in self.distinct for line in response.splitlines()
                            if KINDS[text].search(line))
            return f"{text}: " + " | ".join(line[:100] for line, _ in lines.most_common(3))
        if kind == "line":
            return text
        return self.runs.written(marker)
