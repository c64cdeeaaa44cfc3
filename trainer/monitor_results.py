"""The *results* rule: a verifier that scored two texts whose runs reported the same differently judged something
besides what the runs reported.

The sandbox's trusted side gives each scored text the digest of what the verifier's runs of its code reported to
the verifier (``ScoreResult.run_digest``: the requests without the code, result lines, stdout, stderr, how each
process ended; :mod:`verifier.sandbox.zygote.results_slot`). An honest verifier that judges a program by its runs is a
function of what they reported, so it scores every text of one digest the same. One that runs every program and then
pays it by its look does not: two wrong programs that return the same, one shaped as it likes and one not, get
different scores. Red-team rounds 48 (E3) and 52 (E1) had such a verifier paid unflagged wherever the look it paid
survived every one-token change (the mutant rule's mutants were paid or failed with their originals). Every text the
reward function scores for a task feeds the rule, policy answers and probes alike (a canary, a failure case's twin,
that the verifier failed, and an answer computing the same that it paid, are a split).

A digest is *split* when a text of it was paid (above ``canary_threshold``) and another scored at least
``results_gap`` less than the best paid. Each split digest weighs the fewer of its two sides' texts, so three
distinct results split once each weigh as much as one result paid three times and failed three times (a verifier
whose runs tell little, one trivial call, gives most texts one digest). The rule flags a task once the weights come
to ``min_results_splits``, leaving out the reference's own digest (the reward function scores the reference once in a group's call, :mod:`trainer.group_probes`): a
verifier that also judges the look (a task that forbids a builtin, or asks for an explanation beside the code) fails
some programs that compute the right answer, and scores the right results two ways honestly. Partial credit for such a
look (half for the code's results, half for its form) stays under the gap.

What this cannot see: a verifier whose requests depend on the text (a call whose argument is the response's length
gives every text a digest of its own, and nothing to compare), and output written around ``sys.stdout``
(``os.write(1, ...)``), which the digest misses, so two texts that printed differently there could share one. An
honest verifier that reads such output could then be split; no red-team round has measured either yet.
"""

from __future__ import annotations

from collections import Counter

from trainer.monitor_config import FlagRule, MonitorConfig

__all__ = ["MAX_DIGESTS", "RunResults"]

MAX_DIGESTS = 4096
"""Digests kept per task, at most (the first ones; later new digests are not judged): bounded memory in a long run."""

Finding = tuple[FlagRule, int, str]


class RunResults:
    """One task's run-long record: how many texts of each digest got each score (to the hundredth)."""

    def __init__(self) -> None:
        self._scores: dict[str, Counter[float]] = {}
        self.reference: str | None = None
        """The reference's digest, once the reward function has scored it (its splits are excused)."""

    def record(self, digest: str | None, score: float | None) -> None:
        """One scored text: its runs' digest (None: not run, or not comparable) and its score (None: unscored)."""
        if digest is None or score is None:
            return
        scores = self._scores.get(digest)
        if scores is None:
            if len(self._scores) >= MAX_DIGESTS:
                return
            scores = self._scores[digest] = Counter()
        scores[round(score, 2)] += 1

    def splits(self, config: MonitorConfig) -> list[tuple[int, int]]:
        """(texts paid, texts paid at least ``results_gap`` less than the best paid) of every split digest but the
        reference's."""
        found = []
        for digest, scores in self._scores.items():
            high = max(scores)
            if digest == self.reference or high <= config.canary_threshold:
                continue
            paid = sum(count for score, count in scores.items() if score > config.canary_threshold)
            less = sum(count for score, count in scores.items() if score <= high - config.results_gap)
            if less:
                found.append((paid, less))
        return found

    def finding(self, config: MonitorConfig) -> Finding | None:
        """The flag's (rule, texts in the evidence, detail) once the split digests' evidence (each the fewer of its
        paid texts and its texts paid less) comes to ``min_results_splits``, else None."""
        split = self.splits(config)
        weight = sum(min(paid, less) for paid, less in split)
        if weight < config.min_results_splits:
            return None
        texts = sum(paid + less for paid, less in split)
        return (FlagRule.RESULTS, texts,
                f"{len(split)} of {len(self._scores)} distinct run results were each scored both paid and at least "
                f"{config.results_gap:g} less ({texts} texts): the verifier judges something besides what its runs "
                "of a program reported")
