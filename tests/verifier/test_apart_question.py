"""The decoys' check's question about a paid written program (verifier/weak_requests.py, ``_apart``): a question
left without a verdict is asked once more before it counts against the task. Through a fake pool."""

from __future__ import annotations

from task_bank import Outcome, ScoreResult
from verifier.decoy_check import APART, MORE
from verifier.decoys import Decoy
from verifier.weak_requests import weak_decoys

SUMS = [[[["total", [[1, 2, 3]], {}], ["total", [[]], {}], ["total", [[5, -5, 5]], {}]], ""]]
SUM_CODE = "def total(xs):\n    return sum(xs)\n"
PAID = [(Decoy("total", None, "1"),)]


class ApartPool:
    """The decoys' check, faked: no decoy is weak, the reference's runs are made at once, and each ``apart``
    question gets the next of ``answers`` (a score, or None: no verdict, as where the reference's runs did not end)."""

    def __init__(self, answers: list[float | None]) -> None:
        self.answers = answers
        self.questions = 0

    def score_batch(self, items, run_env=None):
        results = []
        for _, text in items:
            asked = text.splitlines()[-1]
            if asked.startswith(APART):
                self.questions += 1
                answer = self.answers.pop(0)
                results.append(ScoreResult(outcome=Outcome.TIMEOUT, detail="the reference's runs did not end")
                               if answer is None else ScoreResult(outcome=Outcome.SCORED, score=answer))
            else:
                results.append(ScoreResult(outcome=Outcome.SCORED, score=1.0 if asked == MORE else 0.0))
        return results


def test_a_question_without_a_verdict_is_asked_once_more_and_its_answer_then_stands():
    pool = ApartPool([None, 0.0])
    assert weak_decoys(pool, SUMS, SUM_CODE, paid=PAID).apart == () and pool.questions == 2


def test_a_question_without_a_verdict_twice_counts_as_told_apart():
    pool = ApartPool([None, None])
    assert weak_decoys(pool, SUMS, SUM_CODE, paid=PAID).apart == (0,) and pool.questions == 2


def test_a_question_with_a_verdict_is_asked_once():
    pool = ApartPool([1.0])
    assert weak_decoys(pool, SUMS, SUM_CODE, paid=PAID).apart == (0,) and pool.questions == 1
