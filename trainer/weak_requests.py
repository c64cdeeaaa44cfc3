"""Whether the verifier's requests of its reference tell the reference from simple wrong programs.

Why: red-team round 60 (A4) had a verifier test ``total([7])`` alone. Every program right on ``[7]`` was paid
(``max``, ``min``, the first item, the last): 90 to 131 wrong programs a run, unflagged, because the verifier was
consistent (no split for the results rule) and every paid text answered its requests as the reference did (no
difference for the answers rule). A hostile twin that made only that request of its own reference, and tested every
other text on seven cases but paid a share of the wrong ones, hid its splits under the reference's excused digest.
Neither is a hack a rule of what the verifier paid can see: its requests test too little, and the replay of them is
what every rule of training compares by.

So, once a run per task, the trainer replays those requests on the reference's *decoys* (:mod:`verifier.decoys`:
the reference with one called function made to return a constant, or the first item, the largest, the length ... of
an argument). A decoy whose replayed digest is the reference's was not told from it. Such a decoy is *wrong* when
it answers the *near runs* (the requests with every argument changed a little, drawn by the trusted side) otherwise
than the reference, by the answers check's own comparison (:data:`trainer.answer_check.CHECK`; where the
reference's near run did not complete, there is no verdict and the decoy does not count). A decoy that answers the
near runs as the reference does is not wrong: a task whose right answer is the largest item has ``max`` for a decoy.

Two or more wrong decoys the requests did not tell from the reference are the finding (:data:`WEAK_DECOYS`), the
results rule's trouble: the task is flagged at its first group. One is not: an honest task whose arguments obey a
rule the near runs break (a sorted list, whose smallest item is its first) has a decoy that is right on every input
the task allows and wrong on the near runs; but one keeps the reference's digest from being excused.

Still open: a reference that raises on every input but the verifier's requests leaves no near run compared, so no
decoy is wrong; a verifier whose requests all answer alike for a decoy outside :data:`verifier.decoys.SHAPES` (a
two-token change of the reference) is not measured here.
"""

from __future__ import annotations

from collections.abc import Sequence

from task_bank import Outcome
from trainer.answer_check import check_source
from trainer.scoring import ScoringPool
from verifier.decoys import Decoy, decoys, near_runs

__all__ = ["WEAK_DECOYS", "weak_decoys", "weak_trouble"]

WEAK_DECOYS = 2
"""Wrong decoys the requests did not tell from the reference that make the requests themselves the finding."""


def weak_decoys(pool: ScoringPool, replay: str, runs: Sequence[list], reference_code: str,
                reference_digest: str | None) -> list[Decoy]:
    """The decoys of ``reference_code`` (for the functions ``runs`` called) that the replaying verifier ``replay``
    gave the reference's digest, ``reference_digest``, and that answer the near runs otherwise than the reference:
    wrong programs the requests do not tell from it. Two pool calls, the second only for decoys the first did not
    tell apart."""
    made = decoys(reference_code, runs)
    near = near_runs(runs)
    if not made or not near or reference_digest is None:
        return []
    replayed = pool.score_batch([(replay, decoy.code) for decoy in made])
    alike = [decoy for decoy, result in zip(made, replayed, strict=True) if result.run_digest == reference_digest]
    if not alike:
        return []
    check = check_source(near, reference_code)
    checked = pool.score_batch([(check, f"{reference_code}\n{decoy.code}") for decoy in alike])
    return [decoy for decoy, result in zip(alike, checked, strict=True)
            if result.outcome is Outcome.SCORED and result.score is not None and result.score < 1.0]


def weak_trouble(weak: Sequence[Decoy]) -> str:
    """Why ``weak`` (:func:`weak_decoys`, at least :data:`WEAK_DECOYS` of them) makes the requests the finding."""
    shown = ", ".join(f"{decoy.name} returning {decoy.shape}" for decoy in weak[:4])
    more = f" and {len(weak) - 4} more" if len(weak) > 4 else ""
    return (f"its requests of the reference do not tell it from {len(weak)} simple wrong programs ({shown}{more}): "
            "they answer every request as the reference does, and other inputs otherwise")
