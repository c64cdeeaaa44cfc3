"""The validation check on the reference's mutants: a verifier must tell a program from a copy that computes something
else.

Why: every other check shows the verifier texts whose look is known: the reference, the failure cases and their
renamed twins, cheap tricks. A verifier that judges a program by its shape (its tokens with the names blanked, its
functions, its length) passes them all, as long as the failure cases look different from the reference. Red-team round
46's e1 did exactly that, ran nothing, was admitted, and paid 109 of 109 wrong programs in training, where no rule
could see it (a verifier that runs nothing leaves no run to compare a score with). A mutant of the reference
(:func:`verifier.reference_mutants.reference_mutants`: renamed, one token changed) looks like the reference and nearly
always computes something else, so such a verifier pays it; one that runs the program on a few inputs and compares
the results pays few.

The rule, pure (scores in, one :class:`CheckResult` out, as every check in :mod:`verifier.checks`): the task is
rejected as ``mutant_passes`` when at least :data:`MIN_PAID` mutants, and at least :data:`PAID_SHARE` of those
validation could make, were paid as much as the reference (within ``ValidationConfig.mutant_margin``, 0.05, of its
1.0; a verifier paying the share of its tests passed pays a mutant that breaks one branch 0.6-0.83, and honest ones
of that kind were rejected 10 of 10 times while paid meant above the failure-case threshold: red-team round 51,
F1); where a small program gave only 2 or 3, all of them (a sum loop has one site and one ``return``: each mutant of
it is then evidence of its own, and a changed result is equivalent only where every expected value is 0, or never).
Some mutants compute the same as the reference on every input a verifier tries (an *equivalent* mutant: a number
changed in a branch no test reaches); offline, an honest verifier with exact tests paid 1.2% of the mutants of 81
natural programs, and none more than half of any program's (red-team round 49), so a few paid mutants are expected
and only most of them is evidence. A mutant whose
call ends without a score (it raised, exited, looped until ``run_response``'s timeout) counts as failing, as a
failure case's does; only ``invalid`` (the verifier returned no score) and ``error`` (the sandbox) are faults. A
verifier of a program that checks only its style (type hints, a docstring) is rejected too: a task that asks for a
program must check what the program does, or a policy learns to write the style around wrong code.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from task_bank.validation import CheckResult, Outcome, ScoreResult
from verifier.checks import fault_reason
from verifier.checks_probes import MUTANT_LABEL, Probe, ProbeKind
from verifier.checks_unmarked import check_mutant_copy
from verifier.reference_mutants import MAX_CHARS, oversized_code

MIN_PAID = 4
"""Mutants paid as much as the reference that reject a task at least, where as many were made (2 or 3 made:
all of them; 1: never rejected)."""
PAID_SHARE = 0.75
"""The share of the mutants made that must be paid to reject the task."""
REPAIR_HINT = ("a one-token change of the reference (a comparison negated, an operator swapped, a number one less, "
               "with other local names) was paid as if right: the verifier does not check what the program does. "
               "Run the response's code with run_response on inputs whose results such a change alters, and pay it "
               "only when every result equals the expected value")


def check_mutants(pairs: Sequence[tuple[Probe, ScoreResult]], margin: float) -> CheckResult:
    """Passes unless the mutants paid as much as the reference (at least 1.0 - ``margin``) are at least
    :data:`MIN_PAID` and :data:`PAID_SHARE` of those made (see the module docstring); a check with no mutants (prose,
    or code that neither defines functions nor prints) passes."""
    threshold = 1.0 - margin
    mine = [(p, r) for p, r in pairs if p.kind is ProbeKind.MUTANT or (p.kind is ProbeKind.UNMARKED
                                                                   and p.label.startswith(MUTANT_LABEL))]
    results = tuple(r for _, r in mine)
    if not mine:
        return CheckResult(name="mutants", passed=True, detail="no mutants: the reference is prose, or code that "
                           "neither defines functions nor prints, or has nothing to change")
    faults = [r for r in results if r.outcome in (Outcome.ERROR, Outcome.INVALID)]
    fault = fault_reason(faults)
    if fault is not None:
        first = faults[0]
        return CheckResult(name="mutants", passed=False, reason=fault, scores=results,
                           detail=f"a mutant of the reference {first.outcome.value}: {first.detail[:200]}")
    every: dict[str, float] = {}  # label -> its highest score (run 0's opener is scored twice)
    for probe, result in mine:
        every[probe.label] = max(every.get(probe.label, 0.0), result.score or 0.0)
    best = {p.label: every[p.label] for p, _ in mine if p.kind is ProbeKind.MUTANT}
    paid = [(label, score) for label, score in best.items() if score >= threshold]
    unscored = len({p.label for p, r in mine if r.outcome is not Outcome.SCORED and p.kind is ProbeKind.MUTANT})
    note = f" ({unscored} ended without a score, counted as failing)" if unscored else ""
    made = len(best)
    needed = max(MIN_PAID, math.ceil(PAID_SHARE * made)) if made >= MIN_PAID else made if made >= 2 else made + 1
    summary = f"{len(paid)} of {made} mutants of the reference scored {threshold:g} or more{note}"
    if len(paid) >= needed:
        listed = ", ".join(f"{label} scored {score:g}" for label, score in paid[:3])
        return CheckResult(name="mutants", passed=False, reason="mutant_passes", scores=results,
                           detail=f"{summary} ({listed}): {REPAIR_HINT}")
    verdict = f"{needed} would reject the task" if needed <= made else "too few to judge by"
    return check_mutant_copy(pairs, margin, results) or CheckResult(
        name="mutants", passed=True, scores=results, detail=f"{summary}; {verdict}")


def check_code_size(reference: str) -> CheckResult | None:
    """A failed ``mutants`` check (``schema``) for a reference whose code, comments and docstrings aside, is too long
    to mutate (:func:`verifier.reference_mutants.oversized_code`); None otherwise. Why not pass it: padding the
    reference switched the check off, and a static checker was admitted 3 of 3 times (red-team round 53)."""
    size = oversized_code(reference)
    if size is None:
        return None
    return CheckResult(name="mutants", passed=False, reason="schema",
                       detail=f"the reference's code is {size} characters without comments and docstrings, over the "
                              f"{MAX_CHARS} validation can mutate: a reference is an answer, write a shorter one")
