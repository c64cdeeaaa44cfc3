"""The validation rules on programs shown again without their author's comments and docstrings
(:mod:`verifier.unmarked`): the last mutant of the reference (since 1.38) and one failure case (since 1.39); and on one
failure case shown with a comment of the validator's in their place (:mod:`verifier.commented`, since 1.40: a
verifier that pays programs carrying comments their author never wrote, the session-46 review's ``x1_foreign_mark``).

Why: a copy and its program as written are one program, and a verifier that judges programs by what they do pays
them alike. One that pays the copy more pays a program without its author's text more than one with it, as a
policy's programs are: red-team round 74's A6 and its review's variants were honest on the author's marked programs
and on every program a written one could be (a constant, a length, a sum), and paid the rest 1.0, or 0.49 above their
share (rejected by the mutant's copy since 1.38); the session-46 review's ``x2`` and ``x5`` were honest on programs
near the reference too, which the mutant's copy is, and a failure case, a wrong program most often far from the
reference, is what tells them (since 1.39; ``tests/verifier/test_unmarked.py``).

Why only a copy paid in full (at least 1.0 minus the mutants' margin): the session-46 review found honest verifiers
that pay a program as written less for its text, not its code (an example in its docstring or a claim in its prose
that a mutation made false, a character cap), and pay the copy its share of right answers; a wrong copy is rarely
right on every test, so such a verifier pays it in full only where the program is equivalent to the reference. What
is left open: a verifier paying programs without the mark 0.49 above their share (the review's ``e4``).

Pure, as every check is: scores in, a :class:`CheckResult` (or None: no verdict of its own) out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from task_bank.validation import CheckResult, ScoreResult
from verifier.answers_alike import Answered
from verifier.checks import PROBE_FAULTS, fault_detail, fault_reason
from verifier.sinking_marks import MAX_MARKS, PROSE_NAME, Blame, Blamer, MarksBlamed, not_asked, sinks
from verifier.checks_probes import COMMENTED_SUFFIX, FAILURE_LABEL, MUTANT_LABEL, UNMARKED_SUFFIX, Probe, ProbeKind

__all__ = ["check_failure_copy", "check_mutant_copy", "unmarked_paid_more"]

_PAY_BY_DEEDS = ("the verifier pays a program by the comments and docstrings around its code (its author's, none, or "
                 "others), and may pay a policy's programs, which carry none of its author's, otherwise; pay every "
                 "program by what it does")
_MISENDED = ("no call of the reference the verifier made of it or of the case returned a value, and the case ends "
             "some call otherwise than the reference")
_UNLIKE = {
    Answered.OTHERWISE: "it answers the verifier's requests of the reference, or of it, otherwise than the reference",
    Answered.UNCOMPARED: ("the reference, asked the verifier's requests of it and of the case, returned nothing and "
                          "printed nothing: nothing tells whether the case answers as the reference does"),
    Answered.MISENDED: (_MISENDED + ": it returns where the reference raises, raises another exception or message (or "
                        "exits with another status), or writes to stderr otherwise"),
    Answered.MISENDED_UNSHOWN: (
        _MISENDED + ", but no run drawn for the check showed how the reference ended a call "
        "(a raise, stderr), or some of the verifier's requests were left out of its records: the reference's program "
        "carrying its marks could not be told to end its calls as the reference does either"),
    Answered.UNFINISHED: ("the reference did not complete, within the check's time (a run in a call of its own), a run "
                          "the verifier made of it or of the case: nothing tells whether the case answers it as the "
                          "reference does"),
    Answered.PARTIAL: ("some of the verifier's requests were left out of its records (dropped past the records' "
                       "region, shrunk by the sandbox, or unreadable): the case answered as the reference does only "
                       "on those recorded"),
}
_SHOWN = {UNMARKED_SUFFIX: "without its comments and docstrings",
          COMMENTED_SUFFIX: "with a comment of the validator's (its own comments and docstrings, if any, removed)"}


def unmarked_paid_more(pairs: Sequence[tuple[Probe, ScoreResult]], margin: float,
                       prefix: str) -> tuple[str, float, str, float, str] | None:
    """The first copy (``ProbeKind.UNMARKED``; without marks before commented) of a probe whose label starts with
    ``prefix`` that was paid at least 1.0 - ``margin`` and more than ``margin`` above the probe as written, each at
    its highest over the calls: (the written probe's label, its score, how the copy differs from it, the copy's
    score, the copy's label); else None."""
    best: dict[str, float] = {}
    for probe, result in pairs:
        best[probe.label] = max(best.get(probe.label, 0.0), result.score or 0.0)
    for suffix, shown in _SHOWN.items():  # (the copy without marks first, whatever order the calls came in)
        for probe, _ in pairs:
            if probe.kind is ProbeKind.UNMARKED and probe.label.startswith(prefix) and probe.label.endswith(suffix):
                written = probe.label.removesuffix(suffix)
                if written in best and best[probe.label] >= 1.0 - margin and \
                        best[probe.label] - best[written] > margin:
                    return written, best[written], shown, best[probe.label], probe.label
    return None


def check_mutant_copy(pairs: Sequence[tuple[Probe, ScoreResult]], margin: float,
                      scores: tuple[ScoreResult, ...]) -> CheckResult | None:
    """The ``mutants`` verdict where the last mutant's copy was paid in full, more than ``margin`` above the mutant
    as written; else None (``scores``: the check's)."""
    paid = unmarked_paid_more(pairs, margin, MUTANT_LABEL)
    if paid is None:
        return None
    written, before, shown, after, _ = paid
    return CheckResult(name="mutants", passed=False, reason="mutant_passes", scores=scores,
                       detail=f"{written} (a one-token change of the reference) scored {before:g}, and the same "
                              f"program {shown} scored {after:g}: {_PAY_BY_DEEDS}")


def check_failure_copy(pairs: Sequence[tuple[Probe, ScoreResult]], margin: float, passed: CheckResult,
                       answered_alike: Callable[[str, Sequence[ScoreResult], Sequence[tuple[str, ScoreResult]],
                                                 Sequence[ScoreResult]], Answered],
                       program: bool, carried_paid: Callable[[str], float | None] = lambda _: None,
                       marks_blamed: Blamer = not_asked, ceiling: float = 1.0) -> CheckResult:
    """The ``failure_cases`` verdict on a failure case's copies, given the check ``passed`` on the failure cases and
    their twins: a call of a copy that ended as ``invalid`` or ``error`` is a fault (as a failure case's is); a copy
    paid in full more than ``margin`` above the case as written rejects as ``failure_case_passes`` unless the case
    answers the verifier's requests as the reference does (``answered_alike``, asked of the case as written only
    then, with the results of the reference's calls, and of the case's, its twins' and its copies', whose records
    say what the verifier asked each, and those of every call of the copy paid in full, whose records name the
    function the verifier called in it: :func:`verifier.answers_alike.answers_alike`); where no call returned a value
    and the case ended every call as the reference did (``Answered.ENDED``), only where the reference carrying the
    case's comments and docstrings (:func:`verifier.carried_marks.carried`) was paid no more than ``margin`` above the
    case as written (``carried_paid``: its score, None where the marks could not be carried); where it ended some
    call otherwise (``Answered.MISENDED``, since 1.46), only where that holds too and some of its marks alone sink
    the reference (or, since 1.47, only together) and the case without them, its other marks kept, was paid in full
    (with any one of those that sink it only together back, too; ``marks_blamed``:
    :func:`verifier.sinking_marks.blamed`); else ``passed``. ``ceiling``: the most the reference carrying the marks
    may be paid, whatever the case was (validation's fail threshold, since 1.46: the margin stacked on a case paid
    0.494 let a verifier pay that right program 0.52, over the threshold, the session-54 review's ``HC``).
    ``program``: whether the reference is a program (:func:`verifier.commented.is_program`). A copy's call that ended
    without a score counts as failing, as a failure case's does.

    Why the answers: an honest verifier of a task about the text of code (no ``TODO`` left, lines of at most 60
    characters, ASCII only, no commented-out code) fails a right program whose comment breaks the rule, and pays its
    copy in full; the session-47 review's honest corpus had nine such tasks, all rejected by the rule without it. Such
    a case answers as the reference does; a wrong program most often does not, on the requests the verifier made.
    No verdict (nothing recorded, a run of the reference that did not complete) is no evidence, and excuses.

    Why not where the reference, a program, ran in none of its calls (since 1.40): a verifier judging only text runs
    nothing and is excused; one seen running programs in this validation (``ran_response``, which the sandbox sets)
    that paid its reference by its look, or ran it without calling anything it defines (``run_response`` with no
    calls), left nothing, or empty output, to compare, and is not (the session-48 review's ``HD``). Why not where
    the runs compared nothing, or some were left out of the records, or a run made of the case alone did not
    complete in the reference (since 1.41): the same review's ``HF`` called its reference without arguments (it
    raised, and a call the reference raised on accepts any answer); the session-49 review's ``RC`` filled the records'
    region so that the deciding run was dropped, and its ``RB`` asked the case alone a list its slow reference could
    not finish within the check's time; "alike" on nothing, or on part, is no evidence either. A first version
    of 1.40 also asked the requests' near runs (:mod:`verifier.near_runs`); honest right cases answered them
    otherwise wherever a near run left the prompt's domain (lists of unequal length, ``lo > hi``, a malformed
    numeral, ties of a task with many right answers): 12 of the review's 30 honest tasks were rejected, and it was
    withdrawn; the verifier's own requests of the case (since 1.41) are inside the domain it tests."""
    copies = [(p, r) for p, r in pairs if p.kind is ProbeKind.UNMARKED and p.label.startswith(FAILURE_LABEL)]
    faulty = [(p, r) for p, r in copies if r.outcome in PROBE_FAULTS]
    if faulty:
        return CheckResult(name="failure_cases", passed=False, reason=fault_reason([r for _, r in faulty]),
                           detail=fault_detail(faulty), scores=passed.scores + tuple(r for _, r in copies))
    paid = unmarked_paid_more(pairs, margin, FAILURE_LABEL)
    if paid is None:
        return passed
    written, before, shown, after, copy = paid
    unrun = program and any(r.ran_response for _, r in pairs) and not any(
        r.ran_response for p, r in pairs if p.kind is ProbeKind.REFERENCE)
    if unrun:
        why = ("the verifier ran programs in this validation, but no call of the reference ran it (none called a name "
               "it binds, nor ran it as a script that does more than define): nothing it asked of the reference can "
               "tell whether the case answers as the reference does")
    else:
        alike = answered_alike(next(p.response for p, _ in pairs if p.label == written),
                               [r for p, r in pairs if p.kind is ProbeKind.REFERENCE],
                               [(p.response, r) for p, r in pairs
                                if p.label == written or p.label.startswith(written + ":")],
                               [r for p, r in pairs if p.label == copy])
        case = next(p.response for p, _ in pairs if p.label == written)
        carried = carried_paid(case) if alike in (Answered.ENDED, Answered.MISENDED) else None
        sunk = sinks(carried, before, margin, ceiling)
        if alike is Answered.ENDED and sunk:
            return passed.model_copy(update={"detail": passed.detail + (
                f"; {written} {shown} scored {after:g} against {before:g}, and ends the verifier's requests of the "
                f"reference and of it as the reference does (its exceptions, their messages, its output; no call "
                f"returned a value), and the reference carrying its comments and docstrings scored {carried:g} (what "
                f"it fails by is its text)")})
        blame = marks_blamed(case, before) if alike is Answered.MISENDED and sunk else None
        if blame is not None and blame.excused:
            return passed.model_copy(update={"detail": passed.detail + (
                f"; {written} {shown} scored {after:g} against {before:g}; it ends some of the verifier's requests "
                f"otherwise than the reference (no call returned a value), yet the reference carrying its comments "
                f"and docstrings scored {carried:g}, the reference carrying {_named(blame.named, blame.together)} no "
                f"more than {min(before + margin, ceiling):g}, and {written} without "
                f"{'it' if len(blame.named) == 1 else 'them'} (its other marks kept) {_paid(blame.rest)}" + (
                    f", and at least {1.0 - margin:g} with any one of them back" if blame.together else "") +
                " (what it fails by is its text)")})
        if alike in (Answered.ALIKE, Answered.UNKNOWN):
            return passed.model_copy(update={"detail": passed.detail + (
                f"; {written} {shown} scored {after:g} against {before:g}, and " + (
                    "answers the verifier's requests of the reference and of it as the reference does (what it fails "
                    "by is its text)" if alike is Answered.ALIKE
                    else "whether it answers as the reference does is unknown (no verdict)"))})
        why = _UNLIKE[alike] + (_unblamed(blame, carried) if alike is Answered.MISENDED else "") \
            if alike is not Answered.ENDED else (
            "it ends the verifier's requests as the reference does (no call returned a value), yet the reference "
            "carrying its comments and docstrings " + (
                f"scored {carried:g}: what it fails by is not its text" if carried is not None else
                "could not be made (the marks could not be carried onto its code): nothing tells that what it fails "
                "by is its text"))
    return CheckResult(name="failure_cases", passed=False, reason="failure_case_passes",
                       scores=passed.scores + tuple(r for _, r in copies),
                       detail=f"{written} scored {before:g}, and the same program {shown} scored {after:g}, though "
                              f"{why}: {_PAY_BY_DEEDS}")


def _named(marks: tuple[str, ...], together: bool = False) -> str:
    """The marks, as written (each cut at 60 characters; the prose named, not quoted), alone or ``together``, for a
    detail."""
    shown = [mark if mark == PROSE_NAME else repr(mark if len(mark) <= 60 else mark[:57] + "...")
             for mark in marks[:3]]
    return ("the mark " if len(marks) == 1 else "the marks " if together else "each of the marks ") + ", ".join(
        shown) + (f" (and {len(marks) - 3} more)" if len(marks) > 3 else "") + (
        " together (no one of them alone)" if together else " alone")


def _make(blame: MarksBlamed) -> str:
    """The verb for :func:`_named`'s marks: one mark, or each of several alone, "makes"; several together "make"."""
    return "make" if blame.together and len(blame.named) > 1 else "makes"


def _paid(score: float | None) -> str:
    """A score for a detail; a blame's score is None only where no call scored (never formatted as a number: the
    session-54 review's ``F1`` crashed the validator so)."""
    return "no score" if score is None else f"{score:g}"


def _unblamed(blame: MarksBlamed | None, carried: float | None) -> str:
    """Why the marks of a case that ended some call otherwise were not found to be what it fails by (``blame``
    None: the reference carrying them all was paid more than the case, or, ``carried`` None, could not be made or
    scored)."""
    if blame is None:
        return (", and its comments and docstrings could not be carried onto the reference (or the verifier gave "
                "that text no score)" if carried is None else
                f", and the reference carrying its comments and docstrings was paid {carried:g}, more than it (or "
                f"than the fail threshold)")
    them = "it" if len(blame.named) == 1 else "them"
    if blame.blame in (Blame.REST_FAILS, Blame.PART_FAILS):
        part = blame.blame is Blame.PART_FAILS
        return (f"; {_named(blame.named, blame.together)} {_make(blame)} the verifier pay the reference as little, "
                f"but the case without {them}{' carrying one of them back' if part else ''} (its other marks kept) "
                f"scored {_paid(blame.back if part else blame.rest)}: what it fails by is not only its text")
    if blame.blame is Blame.NO_MARK_SINKS:
        return (", and no comment, docstring or text around its code, alone or with the others, makes the verifier "
                "pay the reference as little (or the verifier gave it no score)")
    if blame.blame is Blame.TOO_MANY:
        return f", and it holds {blame.marks} marks, over the {MAX_MARKS} validation asks one by one"
    if blame.blame is Blame.UNCARRIED:
        return (", and the case without the marks that sink the reference (or with one of them back) could not be "
                "made or scored")
    return ""
