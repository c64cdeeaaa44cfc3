"""How the host asks the decoys' checking verifier (:data:`verifier.decoy_check.DECOY_CHECK`) its questions, in the
calls of one group: the calls that go on with the reference's runs first, then the questions that name the weak decoys
in parts, and those about the programs the validator wrote.

Why a module of its own: what a task's requests are found to be (:mod:`verifier.weak_requests`) is one concept; how a
question is fitted into a group of eight texts, behind the calls that make the reference's runs, and asked once more
where it got no verdict, is another, and its choices (how many calls go on first, why decoys are named in parts rather
than one a call) each have a red-team finding behind them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from task_bank import Outcome
from verifier.decoy_check import APART, MORE, SHARE
from verifier.decoys import Decoy, as_asked
from verifier.pool import CODE_GROUP_SIZE

if TYPE_CHECKING:
    from verifier.weak_requests import Scoring

__all__ = ["GOING_ON", "SHOWN", "named_weak", "written_questions"]

SHOWN = 4
"""Weak decoys named in the finding, at most (the rest are counted)."""
GOING_ON = CODE_GROUP_SIZE - 2
"""Calls of the check's group that go on with the reference's runs before it is asked about the decoys: one group's
texts less the two questions. Why several: the runs are made one after another (never at once: a reference that timed a
loop told runs made beside each other from a verifier's own, session 33), each call within its own wall limit, and a
verifier whose threads made its runs at once may have made more than one call's worth of them (red-team round 64, C6:
four runs of 0.8 s in 0.8 s of wall). A call starts a recorded run with what is left of its window (a run that window
cut short is made again, first, in the next call; one that does not end in :data:`verifier.decoy_bounds.BUDGET_S` of its
own leaves no verdict). A quick reference's runs end in the first call, and the rest cost next to nothing. Runs that the
group's calls could not all make (about 20 s of them, one after another: only a verifier that made them at once fits
them in validation's 2 s a call) are themselves trouble (:attr:`verifier.weak_requests.WeakRequests.trouble`)."""


def written_questions(pool: Scoring, source: str, reference_code: str, made: Sequence[Decoy], runs: Sequence[list],
                      paid: Sequence[Sequence[Decoy]], overpaid: Sequence[Sequence[Decoy]],
                      ahead: int) -> tuple[tuple[int, ...], tuple[float | None, ...]]:
    """The programs of ``paid`` (each as its decoys) the recorded runs tell apart from the reference, and the share of
    its recorded comparisons each of ``overpaid`` answers alike: a call of one group, ``ahead`` calls going on with the
    reference's runs, then a question a program (:data:`APART`, :data:`SHARE`); more calls where the group has no room
    (none asks about several programs at once: review of session 44). A question without a verdict (a slow reference
    on a loaded machine) is asked once more, and without one again counts as told apart, or a share of none; so does a
    program none of whose decoys the check has (``made``): no recorded request asked what it defines, yet it was paid
    (red-team round 74, A5: a reference run with no call). A program the check does not model as ``runs`` asked it
    (:func:`verifier.decoys.as_asked`) is not asked, and has no share (None). No call where nothing is asked."""
    programs = [*((APART, [as_asked(d, made, runs) for d in program]) for program in paid),
                *((SHARE, [as_asked(d, made, runs) for d in program]) for program in overpaid)]
    unknown = {at for at, (_, program) in enumerate(programs) if None in program}
    asked = {at: f"{kind} {' '.join(str(made.index(d)) for d in program if d in made)}"
             for at, (kind, program) in enumerate(programs) if any(d in made for d in program) and at not in unknown}
    answers: dict[int, float | None] = dict.fromkeys(range(len(programs)))
    room = CODE_GROUP_SIZE - ahead
    for _ in range(2):
        unsure = [at for at in asked if answers[at] is None]
        for first in range(0, len(unsure), room):
            texts = [*[MORE] * ahead, *(asked[at] for at in unsure[first:first + room])]
            got = pool.score_batch([(source, f"{reference_code}\n{text}") for text in texts])[ahead:]
            answers.update({at: result.score for at, result in zip(unsure[first:first + room], got, strict=True)
                            if result.outcome is Outcome.SCORED})
    apart = tuple(at for at in range(len(paid)) if answers[at] is None or answers[at] == 1.0)
    return apart, tuple(None if len(paid) + at in unknown else answers[len(paid) + at] or 0.0
                        for at in range(len(overpaid)))


def named_weak(pool: Scoring, source: str, reference_code: str, count: int, ahead: int = 0) -> list[int]:
    """The first :data:`SHOWN` of the ``count`` decoys that ``source`` finds weak: the decoys are asked about in parts
    (eight, less the ``ahead`` calls that go on with the reference's runs first), in order, then the first part with a
    weak one among them in parts again (and the parts after it, as many as one group's texts hold), until single decoys
    are named. Each round is one pool call of one group (the reference's runs made again, the cost of a round). Why not
    each decoy in turn: a task may have :data:`verifier.decoys.MAX_DECOYS` decoys, a group of eight a round; nor every
    part with a weak one each round: four of them made four groups a round (round 64's 7,936 decoys, 45 s)."""
    named: list[int] = []
    parts = [list(range(count))]
    room = CODE_GROUP_SIZE - ahead
    while parts and len(named) < SHOWN:
        asked = _split(parts.pop(0), room)
        while parts and len(asked) + len(_split(parts[0], room)) <= room:
            asked += _split(parts.pop(0), room)
        texts = [*[MORE] * ahead, *(" ".join(map(str, part)) for part in asked)]
        shares = pool.score_batch([(source, f"{reference_code}\n{text}") for text in texts])[ahead:]
        found = [part for part, share in zip(asked, shares, strict=True)
                 if share.outcome is Outcome.SCORED and share.score > 0]
        named += [part[0] for part in found if len(part) == 1]
        parts = sorted([part for part in found if len(part) > 1] + parts)
    return sorted(named)[:SHOWN]


def _split(part: list[int], room: int) -> list[list[int]]:
    """``part`` in ``room`` parts or fewer, in order."""
    size = -(-len(part) // room)
    return [part[at:at + size] for at in range(0, len(part), size)]
