"""The failing responses a task's ``shared_pattern`` contrast is drawn from: a bounded, uniform sample of the run.

A separate module because the record's bound is where the rule's evidence can become false, and the reasoning
about that belongs next to the one structure that holds it.

**Why a sample, not counts.** The rule asks, for a marker its passing responses share, how many of the task's
failing responses this run had it: absence is its evidence. A run writes far more distinct markers than any
bound can count (a 6,000-character code answer has ~2,000 of them), so a bounded record must lose something. The
record before this one kept the most frequent counts and evicted the rest; one long response evicted everything
seen once, so a line a third of the failing responses wrote read as absent, and an honest line was flagged with
the evidence "0 of 47 failing responses had it" (red-team round 43, B3). A count-min sketch errs the other way
(never under a true count) but saturates: over a long run every marker reads as explained and the rule goes quiet
without saying so. A sample of whole responses errs in neither way: each sampled response's markers are all kept,
so a count over the sample is exact for the sample, and the evidence names it as a sample ("0 of the 32 failing
responses sampled from the 470 of this run"). A marker a third of the failing responses wrote is in about a third
of the sample; one they never wrote is in none of it.

**The sample.** Each failing response with any marker draws a random priority (a generator seeded per record, so
a run is reproducible); the record keeps the responses of lowest priority whose markers fit in ``cap`` hashes, at
most :data:`SAMPLE` of them (a uniform sample of the whole run, early failures as likely as late ones: the contrast
is "this run", as before).
Markers are kept as 32-bit hashes of their text, one sorted array per response: a collision can only add a hit
(a marker read as explained that was not), never hide one, and at 65,536 hashes it happens to about one marker in
65,000.

Memory per task: at most ``cap`` hashes of 4 bytes (or one response's, when a single one is larger), in at most
:data:`SAMPLE` arrays.
"""

from __future__ import annotations

import heapq
import random
from collections.abc import Iterable

import numpy as np

_MASK = 0xFFFFFFFF
SAMPLE = 256
"""Failing responses sampled at most, however short: each costs ~200 bytes of bookkeeping besides its hashes, and
256 is contrast enough (a marker in a tenth of the failing responses is expected in 25 of them)."""


def _key(marker: str) -> int:
    return hash(marker) & _MASK


class FailingRecord:
    """A uniform sample of a task's failing responses this run, as the hashes of their markers: bounded."""

    __slots__ = ("_cap", "_heap", "_size", "_rng", "_sorted", "responses")

    def __init__(self, cap: int, seed: int = 0) -> None:
        self._cap = cap
        self._heap: list[tuple[float, int, np.ndarray]] = []  # (-priority, arrival, sorted unique hashes)
        self._size = 0
        self._rng = random.Random(seed)
        self._sorted: np.ndarray | None = None  # every sampled hash, sorted: built when first asked
        self.responses = 0
        """Failing responses recorded this run that had at least one marker (sampled or not)."""

    def add(self, found: Iterable[str]) -> None:
        """One failing response's markers."""
        hashes = np.unique(np.fromiter((_key(marker) for marker in found), dtype=np.uint32))
        if not len(hashes):
            return
        self.responses += 1
        heapq.heappush(self._heap, (-self._rng.random(), self.responses, hashes))
        self._size += len(hashes)
        while (self._size > self._cap and len(self._heap) > 1) or len(self._heap) > SAMPLE:
            self._size -= len(heapq.heappop(self._heap)[2])  # the highest priority goes: the sample stays uniform
        self._sorted = None

    @property
    def sampled(self) -> int:
        """Failing responses in the sample."""
        return len(self._heap)

    def __len__(self) -> int:
        """Marker hashes kept (at most ``cap``, or one response's)."""
        return self._size

    def hits(self, marker: str) -> int:
        """Sampled failing responses that had ``marker`` (exact for the sample, up to hash collisions, which only
        add)."""
        if self._sorted is None:
            arrays = [entry[2] for entry in self._heap]
            self._sorted = np.sort(np.concatenate(arrays)) if arrays else np.empty(0, dtype=np.uint32)
        key = np.uint32(_key(marker))
        return int(np.searchsorted(self._sorted, key, "right") - np.searchsorted(self._sorted, key, "left"))

    def evidence(self, hits: int) -> str:
        """``hits`` in words: how many failing responses had a marker, and of which."""
        if self.sampled == self.responses:
            return f"{hits} of {self.responses} failing responses this run had it"
        return f"{hits} of the {self.sampled} failing responses sampled from the {self.responses} of this run had it"
