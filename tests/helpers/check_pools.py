"""Fake scoring pools for the answers check's unit tests (``verifier.answers_alike``): they score each checking
verifier a given score and keep its source, so a test reads what the check asked and how it added up the verdicts,
with no sandbox. Also the records a verifier's call leaves (``run_requests``), as the sandbox writes them."""

from __future__ import annotations

import ast
import json

from task_bank.validation import Outcome, ScoreResult


class Scoring:
    """A pool that scores every checking verifier ``score``, and keeps their sources."""

    def __init__(self, score: float) -> None:
        self.score, self.sources = score, []

    def score_batch(self, items, run_env=None):
        self.sources += [source for source, _ in items]
        return [ScoreResult(outcome=Outcome.SCORED, score=self.score) for _ in items]


class ScoredPerRun(Scoring):
    """A pool that scores the checking verifiers of its runs ``scores`` in turn (None: no score, timed out)."""

    def __init__(self, *scores: float | None) -> None:
        super().__init__(1.0)
        self.scores = scores

    def score_batch(self, items, run_env=None):
        self.sources += [source for source, _ in items]
        return [ScoreResult(outcome=Outcome.SCORED, score=score) if score is not None
                else ScoreResult(outcome=Outcome.TIMEOUT) for score, _ in zip(self.scores, items, strict=True)]


def record(*lists: list, stdin: str = "") -> str:
    """The record of one run: a call of ``negatives`` on each of ``lists``, and ``stdin``."""
    return json.dumps([[["negatives", [xs], {}] for xs in lists], stdin])


def recorded(*records: str, dropped: int = 0) -> ScoreResult:
    """A call's result, paid in full, that left ``records`` (and dropped ``dropped`` more)."""
    return ScoreResult(outcome=Outcome.SCORED, score=1.0, run_requests=records, run_requests_dropped=dropped)


def runs_of(source: str) -> list:
    """The runs (each ``[calls, stdin]``) a checking verifier's ``source`` replays."""
    return json.loads(ast.literal_eval(next(line for line in source.splitlines() if line.startswith(
        "RUNS = ")).removeprefix("RUNS = json.loads(")[:-1]))
