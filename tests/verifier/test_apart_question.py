"""The decoys' check's questions about a paid written program (verifier/decoy_questions.py, ``written_questions``):
whether the recorded requests tell it apart, or the share of them it answers alike; a question left without a verdict
is asked once more before it counts against the task. Through a fake pool."""

from __future__ import annotations

from task_bank import Outcome, ScoreResult
from verifier.decoy_check import APART, MORE, SHARE
from verifier.decoys import Decoy
from verifier.weak_requests import weak_decoys

SUMS = [[[["total", [[1, 2, 3]], {}], ["total", [[]], {}], ["total", [[5, -5, 5]], {}]], ""]]
SUM_CODE = "def total(xs):\n    return sum(xs)\n"
PAID = [(Decoy("total", None, "1"),)]


class ApartPool:
    """The decoys' check, faked: no decoy is weak, the reference's runs are made at once, and each ``apart`` or
    ``share`` question gets the next of ``answers`` (a score, or None: no verdict, as where the reference's runs did
    not end)."""

    def __init__(self, answers: list[float | None]) -> None:
        self.answers = answers
        self.questions = 0
        self.asked: list[list[str]] = []

    def score_batch(self, items, run_env=None):
        results = []
        self.asked.append([text.splitlines()[-1].split()[0] for _, text in items])
        for _, text in items:
            asked = text.splitlines()[-1]
            if asked.startswith((APART, SHARE)):
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


def test_a_program_paid_less_than_the_reference_is_asked_the_share_of_requests_it_answers_alike():
    """Red-team round 74 (A2) paid 0.9: not paid as the reference is, so never asked whether it was told apart."""
    pool = ApartPool([0.25])
    assert weak_decoys(pool, SUMS, SUM_CODE, overpaid=PAID).shares == (0.25,) and pool.questions == 1
    assert SHARE in pool.asked[-1]


def test_a_share_question_without_a_verdict_twice_counts_as_a_share_of_none():
    pool = ApartPool([None, None])
    assert weak_decoys(pool, SUMS, SUM_CODE, overpaid=PAID).shares == (0.0,) and pool.questions == 2


def test_a_program_of_a_function_no_recorded_request_called_has_a_share_of_none_unasked():
    pool = ApartPool([])
    assert weak_decoys(pool, SUMS, SUM_CODE, overpaid=[(Decoy("other", None, "0"),)]).shares == (0.0,)
    assert pool.questions == 0


def test_a_paid_and_an_overpaid_program_are_asked_about_in_one_call():
    pool = ApartPool([1.0, 0.5])
    weak = weak_decoys(pool, SUMS, SUM_CODE, paid=PAID, overpaid=[(Decoy("total", None, "0"),)])
    assert (weak.apart, weak.shares) == ((0,), (0.5,))
    assert [kinds.count(APART) + kinds.count(SHARE) for kinds in pool.asked][-1] == 2
