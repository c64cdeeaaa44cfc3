"""How the answers checks read a run that compared no value (validator 1.45; 1.46: stderr where the reference was
silent, and a case ended otherwise where no drawn run showed how the reference ended, or records were left out):
the checking verifier's ``ending``, its runs stood in for, and the verdict ``answers_alike`` draws from its scores.

Validation's check tells a case that ended every call as the reference did (``ENDED``: each raise of the reference an
exception of the same type and a message alike, ``SystemExit`` with the same status, stderr alike) from one that
ended some call otherwise (``MISENDED``), where before 1.45 both compared nothing (``UNCOMPARED``) and an honest task
whose function returns None was never excused. Messages are compared: the session-53 review's ``H9`` failed a wrong
case, whose messages the prompt fixed, for its ``TODO``. Training's check counts a text that returned where the
reference raised as answering otherwise, where no run compared a value: before, a call the reference raised on
accepted any answer there.
"""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest

from check_pools import Scoring, record, recorded
from negatives_task import BODY, MARK
from task_bank.validation import Outcome, ScoreResult
from verifier.answers_alike import CHECKED_RUNS, Answered, answers_alike
from verifier.answers_check import (ENDED_SCORE, MISENDED_SCORE, TRAINING_ENDINGS, UNCOMPARED_SCORE,
                                    VALIDATION_ENDINGS, check_source)


def _error(kind: str, message: str = "") -> SimpleNamespace:
    return SimpleNamespace(type=kind, message=message)


def _run(*calls, stderr: str = "", stdout: str = "", outcome: str = "completed", detail: str = "") -> SimpleNamespace:
    """A run of stood-in calls: None returned None, a value returned it, an ``_error`` raised it."""
    return SimpleNamespace(outcome=outcome, detail=detail, stdout=stdout, stderr=stderr, load_error=None, calls=[
        SimpleNamespace(ok=False, value=None, error=call) if isinstance(call, SimpleNamespace)
        else SimpleNamespace(ok=True, value=call, error=None) for call in calls])


def _score(pairs, endings=VALIDATION_ENDINGS, sweep: bool = False) -> float:
    """The check's score of runs whose reference and text answers are ``pairs`` (each ``(want, got)``)."""
    namespace: dict = {}
    source = check_source([[[], ""]] * len(pairs), "", sweep=sweep, endings=endings)
    exec(compile(source.replace("from envsynth_sandbox import run_response", ""), "<check>", "exec"), namespace)
    answers = iter([run for pair in pairs for run in pair])
    namespace["run_response"] = lambda *args, **kwargs: next(answers)
    return namespace["verify"]("x\ny")


REFUSED = _error("ValueError", "bad username: 'ab'")


def test_a_text_that_raised_the_same_exception_where_the_reference_raised_ended_alike():
    assert _score([(_run(None, REFUSED), _run(None, _error("ValueError", "Bad username: 'ab'.")))]) == ENDED_SCORE


@pytest.mark.parametrize("got", [_run(None, None), _run(None, _error("TypeError", "bad username: 'ab'")),
                                 _run(None, _error("ValueError", "bad username")), _run(None, REFUSED, stderr="no\n")],
                         ids=["returned-where-it-raised", "another-type", "another-message", "stderr"])
def test_a_text_that_returned_raised_another_type_or_wrote_otherwise_to_stderr_ended_otherwise(got):
    assert _score([(_run(None, REFUSED), got)]) == MISENDED_SCORE


def test_systemexit_with_another_status_ended_otherwise():
    """The session-52 review's ``H3``: the status is what a command's ``main`` answers."""
    assert _score([(_run(_error("SystemExit", "2")), _run(_error("SystemExit", "1")))]) == MISENDED_SCORE
    assert _score([(_run(_error("SystemExit", "2")), _run(_error("SystemExit", "2")))]) == ENDED_SCORE


def test_an_exception_named_as_the_sandbox_names_its_own_endings_is_compared_as_any_other():
    """The review's ``H4``: a reference raising its own ``Timeout`` where the wrong case returned."""
    assert _score([(_run(None, _error("Timeout", "late")), _run(None, None))]) == MISENDED_SCORE


def test_runs_where_nothing_was_raised_or_written_to_stderr_compared_nothing():
    assert _score([(_run(None, None), _run(None, None))]) == UNCOMPARED_SCORE


def test_stderr_alike_is_something_compared():
    """The review's honest ``N11``, a procedure whose only effect is a line on stderr."""
    assert _score([(_run(None, stderr="event: start\n"), _run(None, stderr="event: start\n"))]) == ENDED_SCORE


def test_one_run_ended_otherwise_outweighs_others_ended_alike():
    assert _score([(_run(REFUSED), _run(REFUSED)), (_run(REFUSED), _run(None))]) == MISENDED_SCORE


def test_a_value_compared_keeps_a_call_the_reference_raised_on_accepting_any_answer():
    """Red-team round 60's honest verifier called ``total(None)`` only to see it end, and right programs returned 0
    there (the session-52 review's ``H6`` stays open: a value compared in one run forgives the others)."""
    assert _score([(_run(6, REFUSED), _run(6, 0))]) == 1.0
    assert _score([(_run(6), _run(6)), (_run(REFUSED), _run(None))]) == 1.0


def test_training_counts_a_text_that_returned_where_the_reference_raised_as_answering_otherwise():
    assert _score([(_run(None, REFUSED), _run(None, None))], TRAINING_ENDINGS) == 0.0


def test_training_accepts_another_exception_or_stderr_as_an_honest_verifier_may():
    assert _score([(_run(None, REFUSED), _run(None, _error("TypeError")))], TRAINING_ENDINGS) == 1.0
    assert _score([(_run(None, stderr="a\n"), _run(None, stderr="b\n"))], TRAINING_ENDINGS) == 1.0


def test_a_check_without_endings_scores_every_run_that_compared_nothing_as_before():
    assert _score([(_run(None, REFUSED), _run(None, None))], None) == 1.0


def test_a_sweep_says_a_run_ended_otherwise_whatever_else_it_compared():
    """A sweep's "alike" does not count (only what it found otherwise), so it must not hide a misended run behind a
    value compared in another."""
    assert _score([(_run(6), _run(6)), (_run(REFUSED), _run(None))], sweep=True) == MISENDED_SCORE


def test_a_sweep_passes_over_a_run_whose_process_the_sandbox_could_not_start():
    """An infrastructure failure is no answer of the text: a sweep of 512 runs gave it 512 chances to count as one."""
    lost = _run(_error("Crashed"), outcome="crashed",
                detail="the sandbox could not start a response process (process limit)")
    assert _score([(_run(6), lost), (_run(6), _run(6))], sweep=True) == 1.0
    assert _score([(_run(6), lost)]) == 0.0


def test_stderr_where_the_reference_was_silent_answers_otherwise():
    """Since 1.46 (the session-54 review's ``HA``): there the right program carrying the case's marks shows nothing,
    so a case that ended otherwise there is not excused by its marks."""
    assert _score([(_run(None, None), _run(None, None, stderr="warning\n"))]) == 0.0
    assert _score([(_run(None, None), _run(None, None, stderr="warning\n"))], TRAINING_ENDINGS) == 1.0


class _DrawnSwept(Scoring):
    """A pool that scores the drawn checking calls ``drawn`` and the swept ones ``swept``."""

    def __init__(self, drawn: float, swept: float) -> None:
        super().__init__(drawn)
        self.swept = swept

    def score_batch(self, items, run_env=None):
        return [ScoreResult(outcome=Outcome.SCORED, score=self.swept if "SWEEP = True" in source else self.score)
                for source, _ in items]


def _answered(pool, runs: int, dropped: int = 0) -> Answered:
    case = MARK + "def negatives(xs):\n    return None\n"
    return answers_alike(pool, MARK + BODY, random.Random(0), case, [recorded(record([1]), dropped=dropped)],
                         [(case, recorded(*(record([-n]) for n in range(1, runs + 1))))])


def test_a_case_ended_otherwise_in_a_drawn_run_is_misended():
    assert _answered(_DrawnSwept(MISENDED_SCORE, UNCOMPARED_SCORE), CHECKED_RUNS + 40) is Answered.MISENDED


def test_a_case_ended_otherwise_only_in_a_swept_run_where_no_drawn_one_showed_an_ending_is_unshown():
    """Since 1.46 (the session-54 review's ``HG``): the drawn runs tell "alike", the sweep only "otherwise"; where no
    drawn run showed how the reference ended a call, the right program carrying the marks would compare nothing."""
    assert _answered(_DrawnSwept(UNCOMPARED_SCORE, MISENDED_SCORE), CHECKED_RUNS + 40) is Answered.MISENDED_UNSHOWN


def test_a_case_ended_otherwise_where_records_were_left_out_is_unshown():
    """Since 1.46 (the session-54 review's ``HB``): the right program would be ``PARTIAL``."""
    assert _answered(_DrawnSwept(MISENDED_SCORE, MISENDED_SCORE), 3, dropped=1) is Answered.MISENDED_UNSHOWN
