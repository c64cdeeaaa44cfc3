"""The ``weak_tests`` check, and with it the verdict on the programs the validator wrote.

Why a module of its own: it is the one check of validation that asks the sandbox questions of its own after the
probes' runs (the decoys' check on the requests the verifier made of the reference alone, and the requests made of a
shape it paid), and it weighs what run 0 paid the written programs (:mod:`verifier.written_decoys`) against them; the
validator (:mod:`verifier.validate`) only orders the work.
"""

from __future__ import annotations

import random
import time
from collections.abc import Sequence

from task_bank.spec import TaskSpec
from task_bank.validation import CheckResult, Outcome, ScoreResult
from verifier import checks
from verifier.checks_probes import Probe, ProbeKind
from verifier.response_code import whole_code
from verifier.validation_config import ValidationConfig
from verifier.weak_requests import Scoring, recorded_weak
from verifier.written_decoys import WrittenDecoy
from verifier.written_verdicts import asked_otherwise, judged_by_own_requests, paid_beyond, paid_told_apart

__all__ = ["weak_tests"]


def weak_tests(pool: Scoring, config: ValidationConfig, spec: TaskSpec, pairs: Sequence[tuple[Probe, ScoreResult]],
               alone: Sequence[tuple[Probe, ScoreResult]], rng: random.Random,
               written: Sequence[WrittenDecoy]) -> tuple[CheckResult, CheckResult | None]:
    """Whether the requests the verifier made of the reference alone (recorded in the pool's call, as training
    records them) tell it from simple wrong programs (:mod:`verifier.weak_requests`, near runs drawn from
    ``rng``). Why here as well as in training: such a verifier pays wrong programs from its first group, and
    the repair round can add the tests it lacks; training's check stays (a task admitted before it). With it,
    the verdict on the programs the validator wrote (``written``: :mod:`verifier.written_decoys`), where run 0
    paid any as it pays the reference (within the mutants' margin, as :mod:`verifier.checks_mutants` counts a
    mutant paid; red-team round 74 paid 0.999) and those requests tell it apart, or paid any more than a
    failure case may be (``fail_threshold``) above the share of those requests it answers alike (round 74, A2,
    paid 0.9), or the reference's call made none (a shaped program then by the requests made of it:
    :func:`verifier.written_verdicts.judged_by_own_requests`); else None."""
    t0 = time.perf_counter()
    reference = _recorded(alone)
    floor = 1.0 - config.mutant_margin  # paid as the reference is: as the mutants' rule counts it
    fail = config.fail_threshold
    pay = {w.label: max((r.score for p, r in pairs if p.label == w.label and r.outcome is Outcome.SCORED),
                        default=0.0) for w in written}
    paid = [w for w in written if pay[w.label] >= floor and not w.shaped]
    overpaid = [w for w in written if fail < pay[w.label] and (pay[w.label] < floor or w.shaped)]  # (round 74:
    # A2 paid 0.9; A6 paid 1.0 a program whose answer varies, which may be right on most requests)
    reference_code = whole_code(spec.reference)
    weak = recorded_weak(pool, reference, reference_code, rng.getrandbits(64), [w.decoys for w in paid],
                         [w.decoys for w in overpaid])
    result = checks.check_weak_tests(weak)
    if result.passed:  # (and where it asked the programs the validator wrote otherwise: round 74, A4, A7)
        result = asked_otherwise(pairs, written) or result
    unasked = [w.label for w in paid + overpaid if not w.shaped]  # (a shape may be the reference's answer)
    if weak is None and unasked:  # nothing of the reference run, yet a written constant was paid (A5)
        verdict = paid_told_apart(unasked, unasked=True)
    elif weak is None:  # a shape paid is judged by what was asked of it instead (round 74's review, e9)
        verdict = judged_by_own_requests(pool, pairs, [w for w in overpaid if w.shaped], pay,
                                         reference_code, rng.getrandbits(64), fail)
    elif not result.passed:
        verdict = None
    else:
        verdict = (paid_told_apart([paid[at].label for at in weak.apart]) if weak.apart else None) or \
            paid_beyond([(w.label, pay[w.label], share) for w, share in zip(overpaid, weak.shares)
                         if share is not None and pay[w.label] - share > fail], fail)
    return result.model_copy(update={"duration_ms": (time.perf_counter() - t0) * 1000}), verdict


def _recorded(alone: Sequence[tuple[Probe, ScoreResult]]) -> ScoreResult | None:
    """The reference's call alone that recorded its requests (as training records them), if any."""
    return next((r for p, r in alone if p.kind is ProbeKind.REFERENCE and r.run_requests is not None), None)
