"""What a verifier pays the reference carrying a failure case's marks (:func:`carried_paid`, since 1.45), and which of
the marks make it fail the case (:func:`blamed`): validation's blame for a case whose copy without comments and
docstrings was paid in full, where no call returned a value, and that ended some call otherwise than the reference
(:data:`verifier.answers_alike.Answered.MISENDED`, since 1.46).

Why: such a case may be right by its prompt, which fixes no message or allows another exception (``raise ValueError``
or ``TypeError``; "refuse or ignore"), and fail only for a ``TODO`` its author left: validator 1.45 rejected every
such honest case (the session-52 review's ``N1``-``N10``, the session-53 review's ``N0``, ``N12``-``N16``), since the
reference carrying the case's marks (:func:`verifier.carried_marks.carried`) showed only that its text was *enough*
to fail it, not that it was the only fault: the session-53 review's ``H9``, a verifier honest on its author's marked
texts and paying unmarked ones 1.0, failed a case wrong by its messages and carrying a ``TODO``, and failed the
reference carrying that ``TODO`` too. Here each mark is asked alone: the marks that alone sink the reference (paid
no more than the case plus the margin) are the case's fault by its text, and the case without them, its other marks
kept, must be paid in full. ``H9``'s case without its ``TODO`` still holds its author's mark, and that verifier pays
the wrong program carrying it as little as the case. Marks that sink the reference only together (a counting rule:
"at most three comments", and the case holds four; the session-54 review's ``N19``) are blamed together since 1.47:
those of them none of which is needless, and the case without them must then be paid in full with each of them back
too, so that a mark of its author's found among them is told by the verifier paying the wrong program carrying it as
little as the case (a verifier keyed on two marks of its author's, both among them, is not told so: the same verifier
with a right case carrying the same marks was admitted by 1.46, the gap below).

What this does not close: a case whose only marks, or only marks its author keys its verifier on, are among those
that sink it (the case without them is then paid as its copy);
a verifier honest on its author's marked texts that fails one only for a mark its author never leaves on a right
program. Neither admits more than the same verifier with a right case carrying the same marks, which 1.45 admitted
already: the failure-copy check sees a verifier's treatment of wrong programs only through the cases its author
chose (docs/SPEC.md, 1.46). What it gives up: a verifier blind to messages its prompt fixes (it checks the
exception's type only), whose wrong case differs by its messages and carries a ``TODO``, was rejected by 1.45 and is
admitted; no other probe changes a message (the mutants change no string).

Cost: a verifier call for each mark the reference lacks, and for the prose (one batch), and one for the case without
the marks that sink the reference; where none sinks it alone, a call for all of them and a call more for each (one
after another), and one for each of those found to sink it together; a case with over :data:`MAX_MARKS` of them is
not asked (and not excused).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from enum import Enum

from pydantic import BaseModel, ConfigDict

from task_bank.validation import Outcome
from verifier.carried_marks import carried, comments_of, mark_texts
from verifier.response_code import code_spans, whole_code
from verifier.unmarked import bare_code, framed_by, lf, unmarked
from verifier.weak_requests import Scoring

__all__ = ["MAX_MARKS", "PROSE", "PROSE_NAME", "Blame", "Blamer", "MarksBlamed", "blamed", "carried_paid",
           "not_asked", "sinks"]

MAX_MARKS = 12
"""The most marks (comments the reference lacks, docstrings, and the prose around the code, counted one) a case may
hold to be asked."""
PROSE = -1
"""The index that stands for the prose around a case's code in :attr:`MarksBlamed.sinking`."""
PROSE_NAME = "the text around its code"
_FENCE = re.compile(r"(```+|~~~+)[\w+.-]*")


class Blame(Enum):
    """What the marks of a case were found to do."""

    MARKS = "marks"  # some marks alone sink the reference, and the case without them was paid in full
    REST_FAILS = "rest_fails"  # the case without the marks that sink the reference was paid less than in full
    PART_FAILS = "part_fails"  # marks that sink it only together: the case without them carrying one of them back
    # was paid less than in full
    NO_MARK_SINKS = "no_mark_sinks"  # no mark sinks the reference, alone or with the others
    TOO_MANY = "too_many"  # more than MAX_MARKS marks: not asked
    UNCARRIED = "uncarried"  # the marks could not be carried, or the case without some could not be made or scored
    NOT_ASKED = "not_asked"  # the validation did not ask (a unit check's default)


class MarksBlamed(BaseModel):
    """Which marks of a case sink the reference (``sinking``: by :func:`verifier.carried_marks.mark_texts`'s index,
    the prose around the code as :data:`PROSE`; ``named``: as written, the prose as :data:`PROSE_NAME`; ``together``:
    only together, none alone), of how many asked (``marks``), what the case without them was paid (``rest``), and,
    for marks that sink it together, the least it was paid carrying one of them back (``back``; each None where not
    scored)."""

    model_config = ConfigDict(frozen=True)

    blame: Blame
    marks: int = 0
    sinking: tuple[int, ...] = ()
    named: tuple[str, ...] = ()
    rest: float | None = None
    together: bool = False
    back: float | None = None

    @property
    def excused(self) -> bool:
        return self.blame is Blame.MARKS


def not_asked(_case: str, _before: float) -> MarksBlamed:
    """A check's default where no pool is at hand: nothing excused."""
    return MarksBlamed(blame=Blame.NOT_ASKED)


def carried_paid(pool: Scoring, verifier: str, reference: str, case: str) -> float | None:
    """What ``verifier`` paid ``reference`` carrying all of ``case``'s marks (:func:`verifier.carried_marks.carried`;
    the check on an ``ENDED`` case since 1.45, and the first on a ``MISENDED`` one), in one call of ``pool``: its
    score; None where the marks could not be carried, or the call gave no score. Why not 0.0 for a crash or a
    timeout, as a failure case's call that ends without a score fails: the session-53 review's ``H11`` raised, or
    looped, on its reference carrying a mark, and was excused."""
    return _scores(pool, verifier, [carried(reference, case)])[0]


def sinks(score: float | None, before: float, margin: float, ceiling: float) -> bool:
    """Whether the reference carrying some of a case's marks, paid ``score``, was paid as little as the case (paid
    ``before``): no more than ``margin`` above it, nor more than ``ceiling`` (validation's fail threshold, since 1.46:
    the session-54 review's ``HC`` stacked the margin over it); a call without a score sinks nothing (``H11``)."""
    return score is not None and score - before <= margin and score <= ceiling


def blamed(pool: Scoring, verifier: str, reference: str, case: str, before: float, margin: float,
           ceiling: float = 1.0) -> MarksBlamed:
    """Which of ``case``'s marks sink ``reference`` (each carried alone, paid no more than ``before`` plus
    ``margin``, nor more than ``ceiling``: validation's fail threshold; a comment the reference holds gives the
    reference back, and is not asked), and whether ``case`` without them, its other marks kept, was paid at least
    1.0 minus ``margin`` (built on its copy without marks,
    :func:`verifier.unmarked.unmarked`: the copy validation paid in full may be the one carrying the validator's
    comment, the session-54 read's ``F1``). Where no mark alone sinks it, the marks that sink it together, none
    needless (:func:`_needed`), and then the case without them must be paid in full carrying any one of them back too
    (since 1.47: a verifier honest only on texts carrying its author's mark would otherwise find that mark among them
    where the author counted it with the rest, and the case without them paid in full)."""
    texts = mark_texts(case)
    known = comments_of(reference)
    asked = [index for index, text in enumerate(texts) if text not in known]
    prose = _has_prose(case)
    units = asked + ([PROSE] if prose else [])
    if len(units) > MAX_MARKS:
        return MarksBlamed(blame=Blame.TOO_MANY, marks=len(units))
    scores = _scores(pool, verifier, [_carrying(reference, case, {index}) for index in units])
    sinking = tuple(index for index, score in zip(units, scores) if sinks(score, before, margin, ceiling))
    together = not sinking and len(units) > 1
    if together:
        sinking = _needed(lambda marks: sinks(_scores(pool, verifier, [_carrying(reference, case, marks)])[0],
                                              before, margin, ceiling), units)
    if not sinking:
        return MarksBlamed(blame=Blame.NO_MARK_SINKS, marks=len(units))
    named = tuple(texts[index] if index != PROSE else PROSE_NAME for index in sinking)
    kept = (set(range(len(texts))) | ({PROSE} if prose else set())) - set(sinking)
    copy = unmarked(case)
    # with marks that sink only together, the case without them, each carried back alone (the rest's others kept)
    parts = [kept | {index} for index in sinking] if together else []
    rest, *back = _scores(pool, verifier, [None if copy is None else _carrying(copy, case, marks, base=True)
                                           for marks in [kept, *parts]])
    least = None if None in back else min(back, default=None)
    found = {"marks": len(units), "sinking": sinking, "named": named, "together": together, "rest": rest,
             "back": least}
    if rest is None or None in back:
        return MarksBlamed(blame=Blame.UNCARRIED, **found)
    blame = (Blame.REST_FAILS if rest < 1.0 - margin else
             Blame.PART_FAILS if least is not None and least < 1.0 - margin else Blame.MARKS)
    return MarksBlamed(blame=blame, **found)


def _needed(sink: Callable[[set[int]], bool], units: list[int]) -> tuple[int, ...]:
    """Marks that sink the reference together, none of them needless (each left out in turn, in
    :func:`verifier.carried_marks.mark_texts`' order, comments then strings, the prose last, and kept out where the
    others still sink it; none where all of them do not): a counting rule ("at most three comments") fails four
    comments, and no one of them (the session-54 review's ``N19``). A call each, one after another: which to leave
    out next depends on what the last one was paid; never down to a single mark, which the caller found sinks
    nothing alone. "None needless" holds for a rule that a mark more never makes pay more (a count); a call
    without a score keeps the mark left out in (it tells nothing, as for a mark alone)."""
    if not sink(set(units)):
        return ()
    needed = list(units)
    for unit in units:
        trial = [index for index in needed if index != unit]
        if len(trial) > 1 and sink(set(trial)):
            needed = trial
    return tuple(needed)


def _scores(pool: Scoring, verifier: str, texts: list[str | None]) -> list[float | None]:
    """What ``verifier`` paid each text, in one batch (None: no text, or a call without a score: a verifier that
    raised or looped on a mark is not told by it, the session-53 review's ``H11``)."""
    asked = [text for text in texts if text is not None]
    results = iter(pool.score_batch([(verifier, text) for text in asked]) if asked else [])
    out: list[float | None] = []
    for text in texts:
        result = next(results) if text is not None else None
        out.append(result.score if result is not None and result.outcome is Outcome.SCORED else None)
    return out


def _has_prose(case: str) -> bool:
    """Whether ``case`` holds text around its code other than the lines that fence it (the session-54 read's ``F2``:
    a fence alone counted as prose)."""
    spans = code_spans(case, len(case))
    around = (case[:spans[0][0]] + "\n" + case[spans[-1][1]:]) if spans else ""
    return any(line.strip() and not _FENCE.fullmatch(line.strip()) for line in around.splitlines())


def _framed_by_prose(text: str, case: str) -> str | None:
    """``text``'s code (a reference's, or a copy's: no mark of the case) framed by ``case``'s prose; None where the
    framed text's code is not ``text``'s program."""
    code = lf(whole_code(text)).rstrip("\n") + "\n"
    return framed_by(case, code, bare_code(code)) if code.strip() else None


def _carrying(text: str, case: str, marks: set[int], base: bool = False) -> str | None:
    """``text`` (the reference, or the case's copy without marks) carrying ``case``'s marks of these indices
    (:data:`PROSE`: the prose around its code); with none, ``text`` itself where ``base``, else None (the reference
    alone is no question: validation paid it already)."""
    keep = marks - {PROSE}
    if keep:
        return carried(text, case, keep=keep, prose=PROSE in marks)
    return _framed_by_prose(text, case) if PROSE in marks else text if base else None


Blamer = Callable[[str, float], MarksBlamed]
"""``blamed`` with its pool, verifier, reference and margin bound: (the case, its score as written)."""
