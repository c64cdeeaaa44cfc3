"""What the verifier's handling of the programs the validator wrote (:mod:`verifier.written_decoys`) says of it.

Why apart from the writing: the programs are made before run 0 from the task's text alone; these verdicts read run
0's results and the decoys' check's answers afterwards (:func:`verifier.checks_weak.weak_tests`). A written
program paid as the reference is, that the verifier's own recorded requests of the reference tell apart, rejects the
task as ``failure_case_passes`` (:func:`paid_told_apart`, validator 1.34); one asked first what the reference never
was, as ``weak_tests`` (:func:`asked_otherwise`, validator 1.35); a program returning a shape of its argument, where
the reference's call recorded nothing, by the requests run 0 made of the program itself (:func:`judged_by_own_requests`,
validator 1.38).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from task_bank.validation import CheckResult, ScoreResult
from verifier.checks_probes import Probe, ProbeKind
from verifier.weak_requests import Scoring, recorded_weak, weak_trouble
from verifier.written_decoys import LABEL, WrittenDecoy

__all__ = ["asked_otherwise", "judged_by_own_requests", "paid_beyond", "paid_told_apart"]


def paid_told_apart(labels: list[str], unasked: bool = False) -> CheckResult:
    """The verdict where the verifier paid programs the validator wrote (``labels``) as it pays the reference, and
    its recorded requests of the reference do not show them right (they answer one otherwise, or never ask what it
    defines: :func:`verifier.weak_requests.weak_decoys`), or (``unasked``) paid them more than a failure case may be
    and validation recorded no request of the reference at all to judge them by."""
    named = ", ".join(label.removeprefix(f"{LABEL}:") for label in labels)
    how, why = (("more than a failure case may be paid", "and validation recorded no request of the reference to "
                 "judge them by") if unasked else
                ("as it pays the reference", "though its own requests of the reference answer otherwise, or never "
                 "ask what they define"))
    return CheckResult(name="failure_cases", passed=False, reason="failure_case_passes",
                       detail=f"the verifier paid {len(labels)} program(s) the validator wrote ({named}), each "
                              f"returning or printing a constant, {how}, {why}: it judges some "
                              "programs by their text (a docstring, a comment, a name), or its tests give a constant "
                              "full credit; run the same tests, which a constant fails, on every program")


def paid_beyond(paid: Sequence[tuple[str, float, float]], fail: float, own: bool = False) -> CheckResult | None:
    """The verdict where the verifier paid programs the validator wrote (each ``(label, pay, share)``) more than
    their answers earn: ``pay`` more than ``fail`` (the failure cases' threshold) above the ``share`` of the
    reference's recorded requests they answer alike (``own``: of the requests the verifier made of the program itself,
    answered by the reference: :func:`judged_by_own_requests`); else None (``paid`` empty).

    Why: a program the validator wrote is a failure case whose share of right answers the check knows. Red-team
    round 74 (A2) paid 0.9 to every program without its author's mark, under the 0.95 that counts as paid as the
    reference is: no written program was judged, and training would pay the policy's wrong programs 0.9, a verifier
    that paid its right ones less teaching it to be wrong. An honest verifier that pays a share of tests passed pays
    a constant about its share; one that gives credit for the form too (a function defined, output that parses)
    pays it more, by less than a failure case may be paid."""
    if not paid:
        return None
    named = ", ".join(f"{label.removeprefix(f'{LABEL}:')} paid {pay:.2f}, answering {share:.0%} alike"
                      for label, pay, share in paid)
    share_of = ("the requests it made of them that they answer as the reference does (it asked the reference "
                "nothing; validation ran the reference on those requests)" if own
                else "the reference's recorded requests they answer as it does")
    return CheckResult(name="failure_cases", passed=False, reason="failure_case_passes",
                       detail=f"the verifier paid {len(paid)} program(s) the validator wrote, each returning or "
                              f"printing a constant or a simple function of its argument, more than {fail:g} above "
                              f"the share of {share_of} ({named}): "
                              "it judges some programs by their text (a docstring, a comment, a name), or pays "
                              "wrong answers; pay every program by the answers it gets right")


def judged_by_own_requests(pool: Scoring, pairs: Sequence[tuple[Probe, ScoreResult]],
                           shaped: Sequence[WrittenDecoy], pay: Mapping[str, float], reference_code: str, seed: int,
                           fail: float) -> CheckResult | None:
    """Where the reference's call recorded no request, the verdict on the programs of ``shaped`` (each returning a
    shape of its argument, paid ``pay`` more than ``fail``) by the requests run 0 recorded of each itself, answered by
    the reference in the decoys' check: rejected where those requests do not tell the reference from simple wrong
    programs, or cannot be measured (:attr:`verifier.weak_requests.WeakRequests.trouble`, or no verdict twice), or
    where the program was paid more than ``fail`` above the share of them it answers alike; else None.

    Why: red-team round 74's review (``e9``) had a verifier that knew its reference by a digest of the text and paid
    it 1.0 without running it, stayed honest on programs answering constants, and paid every other program 1.0. With
    nothing recorded of the reference, the shaped program had no share to be judged by (1.37), and training would pay
    nearly every wrong program. A verifier that never runs the reference yet runs other programs is not one an
    honest author writes, so the program's own requests stand in for the reference's; the decoys' check runs the
    reference unchanged on them, and knows its answers without the verifier. A program asked nothing, or one the
    check does not model as the verifier asked it (:func:`verifier.decoys.as_asked`), is not judged."""
    for written in shaped:
        record = next((r for p, r in pairs if p.label == written.label and r.run_requests), None)
        own = recorded_weak(pool, record, reference_code, seed, (), [written.decoys])
        if own is None:
            continue
        name = written.label.removeprefix(f"{LABEL}:")
        if own.trouble or not own.measured:
            return CheckResult(name="failure_cases", passed=False, reason="failure_case_passes",
                               detail=f"the verifier paid a program the validator wrote ({name}) "
                                      f"{pay[written.label]:.2f} "
                                      "and asked the reference nothing, and the requests it made of that program, "
                                      "run on the reference, are weak or cannot be measured (as requests of the "
                                      f"reference: {weak_trouble(own)}); run the same tests, which such programs "
                                      "fail, on every program, the reference too")
        share = own.shares[0] if own.shares else None
        if share is not None and pay[written.label] - share > fail:
            return paid_beyond([(written.label, pay[written.label], share)], fail, own=True)
    return None


def asked_otherwise(pairs: Sequence[tuple[Probe, ScoreResult]],
                    written: Sequence[WrittenDecoy]) -> CheckResult | None:
    """The verdict where the verifier asked a program the validator wrote, first, for a request it never made of the
    reference, while it asked the reference the same first request in every recorded call; else None.

    Why: a verifier that chooses its tests by the program alone (its text, before any answer came back) asks every
    program the same first request; only an answer that differs may change what it asks next. Red-team round 74 (A4,
    A7) ran the author's tests on programs carrying the author's mark, and one weak test on every other program
    (``total([7])``, or the input ``7`` of a script): no constant passes that test, so no written program was paid,
    and training paid the largest item, the first, the last. Their first request names the trick. A verifier whose
    first request of the reference varies from call to call (its random draws go on from one response to the next)
    is not judged here; nor is one whose records of the reference left some out (too many, too large), where a
    request missing from them proves nothing; nor one that asked a failure case, a twin or a mutant first for a
    request it never made of the reference (tests drawn from a seed of the text: an honest verifier asks each text
    its own); nor a program of ``written`` laid out otherwise than the reference (a verifier may run a fenced text
    otherwise than a bare one), or whose functions are not written as the reference's are (another parameter's
    name, an annotation, ``async``, code run at the top level that the program does not run alike: a verifier may
    read those to choose its calls; see :attr:`WrittenDecoy.judged` and :mod:`verifier.written_runs`)."""
    reference = [r for p, r in pairs if p.kind is ProbeKind.REFERENCE and r.run_requests]
    if not reference or any(r.run_requests_dropped for r in reference) or \
            len({r.run_requests[0] for r in reference}) != 1:
        return None
    asked = {request for r in reference for request in r.run_requests}
    if any(r.run_requests and r.run_requests[0] not in asked for p, r in pairs
           if p.kind in (ProbeKind.FAILURE_CASE, ProbeKind.MUTANT)):  # (not a mutant's unmarked copy: a verifier
           # running a weak test on programs without its author's mark asks it one too)
        return None
    judged = {w.label for w in written if w.judged}
    other = sorted({p.label.removeprefix(f"{LABEL}:") for p, r in pairs if p.kind is ProbeKind.DECOY and
                    p.label in judged and r.run_requests and r.run_requests[0] not in asked})
    if not other:
        return None
    return CheckResult(name="weak_tests", passed=False, reason="weak_tests",
                       detail=f"the verifier's first request of {len(other)} program(s) the validator wrote "
                              f"({', '.join(other)}) is none it made of the reference, whose first request is the "
                              "same in every call, as it is of every failure case and mutant: it chooses its tests "
                              "by a program's text (a docstring, a comment, a name), and may test the programs a "
                              "policy writes more weakly than the reference; ask every program the same requests")
