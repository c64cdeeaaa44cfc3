"""Which of a failure case's marks make a verifier fail it (validator 1.46): each mark carried alone onto the
reference, and the case without those that sink it, its other marks kept; where none sinks it alone, those that sink
it together (1.47). The verifier here is a judge of the text,
passed in as a fake pool; ``tests/verifier/test_case_of_none_returning_function.py`` runs the real sandbox."""

from __future__ import annotations

import pytest

from task_bank.validation import Outcome, ScoreResult
from verifier.answers_alike import Answered
from verifier.checks import check_failure_cases
from verifier.checks_probes import UNMARKED_SUFFIX, Probe, ProbeKind
from verifier.checks_unmarked import check_failure_copy
from verifier.sinking_marks import MAX_MARKS, PROSE, Blame, MarksBlamed, blamed

REFERENCE = ("def check_username(name):\n    if not name.isalnum():\n"
             "        raise ValueError('bad username: %r' % (name,))\n")
REWORDED = REFERENCE.replace("'bad username: %r' % (name,)", "'bad'")
"""The reference, its message worded otherwise."""
AUTHOR = "# house rules v3\n"


class Judge:
    """A pool whose verifier pays each text ``judge(text)`` (None: the call raised), and keeps the texts."""

    def __init__(self, judge) -> None:
        self.judge, self.texts = judge, []

    def score_batch(self, items, run_env=None):
        self.texts += [text for _, text in items]
        return [ScoreResult(outcome=Outcome.SCORED, score=score) if (score := self.judge(text)) is not None
                else ScoreResult(outcome=Outcome.CRASHED, detail="raised") for _, text in items]


def no_todo(text: str) -> float:
    """Honest: a text holding a TODO is paid nothing; the message is free."""
    return 0.0 if "TODO" in text else 1.0


def honest_on_marked(text: str) -> float:
    """The session-53 review's ``H9``: no TODO; honest (the message fixed) on its author's marked texts; 1.0 to the
    rest."""
    if "TODO" in text:
        return 0.0
    if "house rules" in text:
        return 1.0 if "bad username" in text else 0.2
    return 1.0


def _blamed(judge, case: str, reference: str = AUTHOR + REFERENCE):
    pool = Judge(judge)
    return blamed(pool, "verifier", reference, case, judge(case), 0.05), pool


def test_a_todo_that_alone_sinks_the_reference_and_is_the_cases_only_fault_is_blamed():
    case = REWORDED.replace("    if", "    # TODO: a clearer message\n    if")
    found, _ = _blamed(no_todo, AUTHOR + case)
    assert found.blame is Blame.MARKS and found.named == ("# TODO: a clearer message",)


def test_the_case_without_its_sinking_marks_keeps_its_others():
    case = AUTHOR + REWORDED.replace("    if", "    # TODO: a clearer message\n    if")
    _, pool = _blamed(honest_on_marked, case)
    assert pool.texts[-1].startswith(AUTHOR) and "TODO" not in pool.texts[-1] and "'bad'" in pool.texts[-1]


def test_a_case_still_failed_without_its_sinking_marks_is_not_excused():
    case = AUTHOR + REWORDED.replace("    if", "    # TODO: a clearer message\n    if")
    found, _ = _blamed(honest_on_marked, case)
    assert found.blame is Blame.REST_FAILS and found.rest == 0.2 and not found.excused


def at_most_three_comments(text: str) -> float:
    """Honest: a counting rule, which no one comment breaks (the session-54 review's ``N19``); the message is free."""
    return 0.0 if text.count("#") > 3 else 1.0


def counted_and_honest_on_marked(text: str) -> float:
    """At most three comments, and ``H9``'s rule: honest on its author's marked texts, 1.0 to the rest."""
    if text.count("#") > 3:
        return 0.0
    return honest_on_marked(text)


def commented(program: str, *comments: str) -> str:
    """``program`` with these comments on lines of their own before its ``if``."""
    return program.replace("    if", "".join(f"    {comment}\n" for comment in comments) + "    if")


def test_marks_that_sink_the_reference_only_together_are_blamed_together():
    found, _ = _blamed(at_most_three_comments, commented(REWORDED, "# one", "# two", "# three", "# four"), REFERENCE)
    assert found.blame is Blame.MARKS and found.together and found.sinking == (0, 1, 2, 3)


def test_a_mark_the_others_sink_the_reference_without_stays_in_the_case_without_them():
    case = commented(REWORDED, "# one", "# two", "# three", "# four", "# five")
    found, pool = _blamed(at_most_three_comments, case, REFERENCE)
    rest = commented(REWORDED, "# one")
    assert found.blame is Blame.MARKS and found.sinking == (1, 2, 3, 4) and found.rest == 1.0 and rest in pool.texts


def test_an_authors_mark_counted_among_the_marks_that_sink_only_together_is_found_by_carrying_each_back():
    case = commented(REWORDED, "# one", "# two", "# three", "# four", AUTHOR.strip())
    found, _ = _blamed(counted_and_honest_on_marked, case, REFERENCE)
    assert found.blame is Blame.PART_FAILS and (found.rest, found.back) == (1.0, 0.2) and not found.excused


def test_an_authors_mark_not_needed_to_sink_the_reference_together_fails_the_case_without_them():
    case = commented(REWORDED, AUTHOR.strip(), "# one", "# two", "# three", "# four")
    found, _ = _blamed(counted_and_honest_on_marked, case, REFERENCE)
    assert found.blame is Blame.REST_FAILS and found.sinking == (1, 2, 3, 4) and found.rest == 0.2


def test_marks_that_do_not_sink_the_reference_even_together_are_not_blamed():
    found, _ = _blamed(lambda text: 1.0 if "bad username" in text else 0.0, commented(REWORDED, "# one", "# two"))
    assert found.blame is Blame.NO_MARK_SINKS


def test_a_mark_the_verifier_raises_on_does_not_sink_the_reference():
    """The session-53 review's ``H11a``: a call that ends without a score tells nothing of the mark."""
    case = REWORDED.replace("    if", "    # TODO: a clearer message\n    if")
    found, _ = _blamed(lambda text: None if "TODO" in text and "bad username" in text else no_todo(text), case)
    assert found.blame is Blame.NO_MARK_SINKS


def test_every_mark_that_sinks_alone_is_left_out_of_the_rest():
    case = REWORDED.replace("    if", "    # TODO: a clearer message\n    if").replace(
        "raise ValueError('bad')", "raise ValueError('bad')  # TODO: the rules")
    found, _ = _blamed(no_todo, case)
    assert found.blame is Blame.MARKS and found.sinking == (0, 1)


def test_prose_around_the_code_is_a_mark_of_its_own():
    case = "Here it is.\n```python\n" + AUTHOR + REWORDED + "```\nTODO: tests.\n"
    found, pool = _blamed(honest_on_marked, case)
    assert found.sinking == (PROSE,) and found.blame is Blame.REST_FAILS
    assert pool.texts[-1].startswith("```python\n# house rules v3\n")


def test_the_case_without_its_sinking_marks_keeps_its_prose_where_that_does_not_sink():
    case = "Here it is.\n```python\n" + REWORDED.replace("    if", "    # TODO: a clearer message\n    if") + "```\n"
    found, pool = _blamed(no_todo, case)
    assert found.blame is Blame.MARKS and pool.texts[-1].startswith("Here it is.\n```python\ndef check_username")


def test_the_fence_around_a_cases_code_is_no_prose():
    """The session-54 read's ``F2``: a fenced case counted its fence as a mark, a call more."""
    case = "```python\n" + REWORDED.replace("    if", "    # TODO: a clearer message\n    if") + "```\n"
    found, pool = _blamed(no_todo, case)
    assert found.marks == 1 and found.blame is Blame.MARKS and len(pool.texts) == 2


def test_a_comment_the_reference_holds_is_not_asked():
    """The session-54 read's ``F4``: carried alone, it gives the reference back."""
    case = AUTHOR + REWORDED.replace("    if", "    # TODO: a clearer message\n    if")
    found, pool = _blamed(no_todo, case)
    assert found.marks == 1 and found.sinking == (1,) and len(pool.texts) == 2


def test_the_case_without_its_sinking_marks_is_built_on_its_copy_without_any():
    """The session-54 read's ``F1``: the copy paid in full may carry the validator's comment; the rest never does."""
    case = REWORDED.replace("    if", "    # TODO: a clearer message\n    if")
    _, pool = _blamed(no_todo, case)
    assert pool.texts[-1] == REWORDED


def test_a_case_with_more_marks_than_are_asked_is_not_asked():
    case = REWORDED.replace("    if", "".join(f"    # note {n}\n" for n in range(MAX_MARKS + 1)) + "    if")
    found, pool = _blamed(no_todo, case)
    assert found.blame is Blame.TOO_MANY and pool.texts == []


def _copy_paid(case: float = 0.0) -> list[tuple[Probe, ScoreResult]]:
    def scored(label, kind, score):
        return Probe(kind=kind, label=label, response="x"), ScoreResult(outcome=Outcome.SCORED, score=score,
                                                                        ran_response=True)
    return [scored("reference", ProbeKind.REFERENCE, 1.0), scored("failure_cases[0]", ProbeKind.FAILURE_CASE, case),
            scored("failure_cases[0]" + UNMARKED_SUFFIX, ProbeKind.UNMARKED, 1.0)]


def _misended(carried: float, blame: MarksBlamed, asked: list | None = None, case: float = 0.0):
    pairs = _copy_paid(case)

    def marks_blamed(*args):
        (asked if asked is not None else []).append(args)
        return blame
    return check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                              lambda case, references, asked, paid: Answered.MISENDED, True, lambda _: carried,
                              marks_blamed, ceiling=0.5)


def test_a_case_whose_marks_could_not_be_carried_says_so():
    pairs = _copy_paid()
    result = check_failure_copy(pairs, 0.05, check_failure_cases(pairs, pairs, 0.5),
                                lambda case, references, asked, paid: Answered.MISENDED, True, lambda _: None)
    assert result.passed is False and "could not be carried onto the reference" in result.detail


def test_a_case_that_ends_a_call_otherwise_is_excused_where_its_marks_are_blamed():
    result = _misended(0.0, MarksBlamed(blame=Blame.MARKS, marks=2, sinking=(1,), named=("# TODO",), rest=1.0))
    assert result.passed and "the mark '# TODO' alone" in result.detail


def test_marks_blamed_together_are_named_together():
    result = _misended(0.0, MarksBlamed(blame=Blame.MARKS, marks=4, sinking=(0, 1, 2, 3), together=True, rest=1.0,
                                        named=("# one", "# two", "# three", "# four")))
    assert result.passed and "'# three' (and 1 more) together (no one of them alone)" in result.detail
    assert "at least 0.95 with any one of them back" in result.detail


@pytest.mark.parametrize("blame", [Blame.REST_FAILS, Blame.PART_FAILS, Blame.NO_MARK_SINKS, Blame.TOO_MANY,
                                   Blame.UNCARRIED])
def test_a_case_that_ends_a_call_otherwise_is_not_excused_where_its_marks_are_not_all_it_fails_by(blame):
    rest = 0.2 if blame is Blame.REST_FAILS else 1.0 if blame is Blame.PART_FAILS else None
    back = 0.2 if blame is Blame.PART_FAILS else None
    result = _misended(0.0, MarksBlamed(blame=blame, marks=13, sinking=(0,), named=("# TODO",), rest=rest, back=back))
    assert result.passed is False and result.reason == "failure_case_passes"
    assert "ends some call otherwise than the reference" in result.detail


def test_the_marks_are_not_asked_one_by_one_where_all_of_them_do_not_sink_the_reference():
    asked: list = []
    result = _misended(1.0, MarksBlamed(blame=Blame.MARKS, rest=1.0), asked)
    assert result.passed is False and asked == []
    assert "the reference carrying its comments and docstrings was paid 1, more than it" in result.detail


def test_the_reference_carrying_the_marks_paid_over_the_fail_threshold_does_not_sink():
    """The session-54 review's ``HC``: the case paid 0.494, the reference carrying its ``TODO`` 0.52, within the
    margin of it, yet a pass."""
    asked: list = []
    result = _misended(0.52, MarksBlamed(blame=Blame.MARKS, rest=1.0), asked, case=0.494)
    assert result.passed is False and asked == []


def test_a_mark_paid_over_the_fail_threshold_carried_alone_does_not_sink():
    pool = Judge(lambda text: 0.52 if "TODO" in text else 1.0)
    case = REWORDED.replace("    if", "    # TODO: a clearer message\n    if")
    assert blamed(pool, "verifier", REFERENCE, case, 0.494, 0.05, ceiling=0.5).blame is Blame.NO_MARK_SINKS


@pytest.mark.parametrize("blame", [Blame.REST_FAILS, Blame.PART_FAILS])
def test_a_blame_whose_calls_gave_no_score_is_told_without_a_number(blame):
    """The session-54 review's ``F1``: a detail formatted a missing score, and the validator raised."""
    result = _misended(0.0, MarksBlamed(blame=blame, marks=2, sinking=(0,), named=("# TODO",)))
    assert "no score" in result.detail


def test_a_case_holding_over_twice_what_a_counting_rule_allows_is_not_excused():
    """Its marks without those that sink the reference, with one of them back, break the rule themselves: the price
    of carrying each back (docs/SPEC.md, 1.47)."""
    found, _ = _blamed(at_most_three_comments, commented(REWORDED, *(f"# c{n}" for n in range(7))), REFERENCE)
    assert found.blame is Blame.PART_FAILS


def test_a_case_holding_twice_what_a_counting_rule_allows_is_excused():
    """The bound's other side: the case without the four marks left holds two, and three with one of them back."""
    found, _ = _blamed(at_most_three_comments, commented(REWORDED, *(f"# c{n}" for n in range(6))), REFERENCE)
    assert found.blame is Blame.MARKS and len(found.sinking) == 4


def test_comments_the_reference_holds_count_toward_the_marks_that_sink_it_together():
    """Two of the case's four comments are the reference's own: not asked, yet the reference carries them, so the
    other two sink it together."""
    reference = commented(REFERENCE, "# one", "# two")
    found, _ = _blamed(at_most_three_comments, commented(REWORDED, "# one", "# two", "# three", "# four"), reference)
    assert found.blame is Blame.MARKS and found.marks == 2 and found.named == ("# three", "# four")


def test_the_prose_around_the_code_may_sink_the_reference_together_with_a_comment():
    case = "Here it is (TODO).\n```python\n" + commented(REWORDED, "# FIXME: unicode") + "```\n"
    found, _ = _blamed(lambda text: 0.0 if "TODO" in text and "FIXME" in text else 1.0, case, REFERENCE)
    assert found.blame is Blame.MARKS and found.together and found.sinking == (0, PROSE)


def test_a_case_without_the_marks_that_sink_together_given_no_score_with_one_back_is_not_excused():
    case = commented(REWORDED, "# one", "# two", "# three", "# four", "# five")
    found, _ = _blamed(lambda text: None if text.count("#") == 2 else at_most_three_comments(text), case, REFERENCE)
    assert found.blame is Blame.UNCARRIED and found.back is None


def test_marks_that_sink_together_cost_a_call_for_all_and_one_for_each_left_out_in_turn():
    """Five marks: five alone (one batch), all of them, each left out in turn, and the case without the four left,
    with each of them back (one batch)."""
    case = commented(REWORDED, "# one", "# two", "# three", "# four", "# five")
    _, pool = _blamed(at_most_three_comments, case, REFERENCE)
    assert len(pool.texts) == 5 + 1 + 5 + (1 + 4)


def test_marks_that_sink_together_but_not_all_the_cases_fault_are_told_so():
    result = _misended(0.0, MarksBlamed(blame=Blame.PART_FAILS, marks=5, sinking=(1, 2, 3, 4), together=True,
                                        named=("# two", "# three", "# four", "# mark"), rest=1.0, back=0.2))
    assert result.passed is False and "together (no one of them alone) make the verifier pay" in result.detail
    assert "carrying one of them back (its other marks kept) scored 0.2" in result.detail
