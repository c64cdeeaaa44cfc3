"""The validation checks as pure functions: scores observed in the sandbox in, one :class:`CheckResult` out.

Keeping the judgement apart from the sandbox calls means every rule can be read in one place and tested without a
sandbox. Each check fails with exactly one machine-readable reason; the detail says what was seen:

=====================  ==============================================================================
check                  fails with
=====================  ==============================================================================
schema                 ``schema``: a field the sandbox cannot use (oversized, reference among failures)
compiles               ``verifier_error``: the source does not parse, or loading it defines no ``verify``
static_determinism     ``nondeterministic``: the source reads clocks, pids, entropy, set order, ...
reference              ``unsolvable`` (< 1.0), or the fault reason of a call that did not score
failure_cases          ``failure_case_passes`` (> fail threshold; renamed twins included; or a program the
                       validator wrote, paid as the reference is, that the verifier's requests do not show right,
                       or paid more than the fail threshold above the share of them it answers alike: the
                       only rule for one returning a shape of its argument, by the requests made of it where the
                       reference was asked none; :mod:`verifier.written_decoys`; or a failure case's copy
                       without comments and docstrings, or with a comment of the validator's in their place, paid
                       in full, more than the case as written: :mod:`verifier.checks_unmarked`),
                       ``few_twins`` (the failure cases that are programs gave
                       fewer renamed twins than one training process scores), or a fault reason
mutants                ``mutant_passes`` (most of the reference's mutants paid as much as the reference, or the last
                       one's copy without comments and docstrings paid in full, more than it:
                       :mod:`verifier.checks_mutants`,
                       :mod:`verifier.checks_unmarked`), ``schema`` (its code too long to mutate), or a fault reason
weak_tests             ``weak_tests``: the requests the verifier made of the reference do not tell it from one
                       simple wrong program that drops its argument's content, or two that rearrange it
                       (:mod:`verifier.weak_requests`); or its first request of a program the validator wrote is
                       none it made of the reference (:func:`verifier.written_verdicts.asked_otherwise`)
trivial                ``trivial`` (> trivial threshold), or a fault reason
determinism            ``nondeterministic``: one probe scored differently across runs or repeated calls
budget                 ``timeout``: a reference call was killed for time, or a scored call took longer than
                       the budget
=====================  ==============================================================================

Fault reasons, from the outcome of a call that did not score: ``sandbox_error`` (the sandbox failed; says nothing
about the task), ``timeout``, ``verifier_error`` (verify raised, died, or returned a non-score).

Blame where it belongs: the reference must score exactly 1.0 in every call, so any call of it that ends without a
score rejects the task with that fault. A failure case or trivial response whose call ends without a score
(``crashed``: an exception, ``sys.exit``, ``os._exit``, a signal, a forged result printed instead of returned;
``timeout``) *counts as failing*, as it earns 0 in training, and the outcome is recorded in the check's detail and
scores: the response misbehaved, not the verifier. Only ``invalid`` (verify returned a non-score: the verifier's
own doing) and ``error`` (infrastructure) are faults there.
"""

from __future__ import annotations

from collections.abc import Sequence

from task_bank.spec import TaskSpec
from task_bank.validation import CheckResult, Outcome, ScoreResult
from verifier.checks_probes import COMMENTED_SUFFIX, NUMBER_LABEL, RENAMED_SUFFIX, Probe, ProbeKind
from verifier.static_determinism import Finding
from verifier.weak_requests import WeakRequests, weak_trouble

_FAULT_PRIORITY = ((Outcome.ERROR, "sandbox_error"), (Outcome.TIMEOUT, "timeout"),
                   (Outcome.CRASHED, "verifier_error"), (Outcome.INVALID, "verifier_error"))
_MAX_LISTED = 5
PROBE_FAULTS = (Outcome.ERROR, Outcome.INVALID)  # for failure cases and trivial responses; see the docstring
_RECOGNISES = (" (a renamed twin is its failure case with other local names, and does what the original does: the "
               "verifier judges its failure cases by their text, not by what they do; if the task is about those "
               "names, name them in the prompt and they are kept)")


def skipped(name: str, why: str) -> CheckResult:
    """A check that did not run because an earlier one already decided the task."""
    return CheckResult(name=name, passed=None, detail=f"skipped: {why}")


def sandbox_failed(name: str, where: str) -> CheckResult:
    """A check that could not run because the sandbox failed (infrastructure): ``sandbox_error``, never the task's
    fault, and never a rejection without a reason."""
    return CheckResult(name=name, passed=False, reason="sandbox_error", detail=f"the sandbox failed on {where}")


def first_call_timed_out(label: str, detail: str) -> CheckResult:
    """Run 0's first call hit the call limit: validation stops there (a verifier that hangs on every call costs
    one call, not a run of them) with ``timeout``. A verifier must return a score for every response within the
    limit, a looping one included: its own code cannot bound a response it runs in-process, ``run_response``'s
    timeout can."""
    return CheckResult(name="budget", passed=False, reason="timeout",
                       detail=f"run 0's first call ({label}) hit the call limit ({detail[:200]}); validation stops "
                              "there: score every response, a looping program included, within the limit "
                              "(run response code through run_response with a timeout under the budget)")


def fault_reason(results: Sequence[ScoreResult]) -> str | None:
    """The reason for the worst call that did not score (sandbox first), or None when every call scored."""
    outcomes = {r.outcome for r in results}
    for outcome, reason in _FAULT_PRIORITY:
        if outcome in outcomes:
            return reason
    return None


def _describe(label: str, result: ScoreResult) -> str:
    if result.outcome is Outcome.SCORED:
        return f"{label} scored {result.score:g}"
    detail = f": {result.detail[:200]}" if result.detail else ""
    return f"{label} {result.outcome.value}{detail}"


def fault_detail(pairs: Sequence[tuple[Probe, ScoreResult]]) -> str:
    bad = list(dict.fromkeys(_describe(p.label, r) for p, r in pairs if r.outcome is not Outcome.SCORED))
    more = f" (+{len(bad) - _MAX_LISTED} more)" if len(bad) > _MAX_LISTED else ""
    return "; ".join(bad[:_MAX_LISTED]) + more


def check_schema(spec: TaskSpec, max_source_chars: int, max_response_chars: int) -> CheckResult:
    """What pydantic cannot say about a spec: sizes the sandbox can take, and failure cases that are not the answer."""
    problems = []
    if len(spec.verifier) > max_source_chars:
        problems.append(f"verifier: {len(spec.verifier)} characters, over the limit of {max_source_chars}")
    if "\x00" in spec.verifier:
        problems.append("verifier: contains a NUL character")
    for label, text in [("reference", spec.reference)] + [
            (f"failure_cases[{i}]", c) for i, c in enumerate(spec.failure_cases)]:
        if len(text) > max_response_chars:
            problems.append(f"{label}: {len(text)} characters, over the limit of {max_response_chars}")
    if spec.reference in spec.failure_cases:
        problems.append("failure_cases: contains the reference itself; a failure case must be a wrong answer")
    if problems:
        return CheckResult(name="schema", passed=False, reason="schema", detail="; ".join(problems))
    return CheckResult(name="schema", passed=True, detail="task spec v1 fields valid")


def check_compiles(results: Sequence[ScoreResult], load_error: str | None) -> CheckResult:
    """Passes unless the sandbox reported that the module failed to load or defines no callable ``verify``."""
    if load_error is None:
        return CheckResult(name="compiles", passed=True, detail="verify defined and callable in the sandbox")
    return CheckResult(name="compiles", passed=False, reason="verifier_error", detail=load_error[:500],
                       scores=tuple(results[:1]))


def check_static(findings: Sequence[Finding]) -> CheckResult:
    """Fails on any static finding; the detail lists them as ``line:col kind: fix``."""
    if not findings:
        return CheckResult(name="static_determinism", passed=True, detail="no source of nondeterminism found")
    listed = "; ".join(f"line {f.line}:{f.col} {f.kind}: {f.detail}" for f in findings[:_MAX_LISTED])
    return CheckResult(name="static_determinism", passed=False, reason="nondeterministic", detail=listed)


def check_reference(pairs: Sequence[tuple[Probe, ScoreResult]], hint: str = "") -> CheckResult:
    """Every call on the reference (all runs, repeats included) scored exactly 1.0. ``hint``
    (:func:`verifier.reference_hints.plain_value_hint`) is added to the detail of a reference that scored less."""
    mine = [(p, r) for p, r in pairs if p.kind is ProbeKind.REFERENCE]
    results = tuple(r for _, r in mine)
    fault = fault_reason(results)
    if fault is not None:
        return CheckResult(name="reference", passed=False, reason=fault, detail=fault_detail(mine), scores=results)
    low = sorted({r.score for r in results if r.score != 1.0})
    if low:
        return CheckResult(name="reference", passed=False, reason="unsolvable", scores=results,
                           detail=f"the reference must score exactly 1.0; it scored {', '.join(f'{s:g}' for s in low)}"
                                  + (f"; {hint}" if hint else ""))
    return CheckResult(name="reference", passed=True, detail=f"1.0 in all {len(results)} calls", scores=results)


def _check_low(name: str, kind: ProbeKind, reason: str, threshold: float,
               pairs: Sequence[tuple[Probe, ScoreResult]], primary: Sequence[tuple[Probe, ScoreResult]],
               together: str | None = None) -> CheckResult:
    """Every probe of ``kind`` scored at most ``threshold``; the probes whose labels start with ``together`` count as
    one, too high only when all of them are."""
    mine = [(p, r) for p, r in pairs if p.kind is kind]
    recorded = tuple(r for p, r in primary if p.kind is kind)
    faulty = [(p, r) for p, r in mine if r.outcome in PROBE_FAULTS]
    fault = fault_reason([r for _, r in faulty])
    if fault is not None:
        return CheckResult(name=name, passed=False, reason=fault, detail=fault_detail(faulty), scores=recorded)
    unscored = fault_detail(mine)
    note = f"; counted as failing, ended without a score: {unscored}" if unscored else ""
    high: dict[str, float] = {}
    for probe, result in mine:
        if result.score is not None and result.score > threshold:
            high[probe.label] = max(result.score, high.get(probe.label, 0.0))
    members = {probe.label for probe, _ in mine if together is not None and probe.label.startswith(together)}
    if members and not members <= high.keys():
        excused = sorted(label for label in members if label in high)
        for label in excused:
            del high[label]
        if excused:
            note += (f"; {', '.join(excused)} scored above {threshold:g} and the other random numbers did not (a "
                     "right answer of an open question, not a trivial one)")
    if high:
        first = sorted(high.items(), key=lambda item: RENAMED_SUFFIX in item[0])  # a failure case before twins
        listed = ", ".join(f"{label} scored {score:g}" for label, score in first[:_MAX_LISTED])
        return CheckResult(name=name, passed=False, reason=reason, scores=recorded,
                           detail=f"must score <= {threshold:g}: {listed}{note}")
    top = max((r.score or 0.0 for _, r in mine), default=0.0)
    return CheckResult(name=name, passed=True, scores=recorded,
                       detail=f"{len(recorded)} responses, highest score {top:g} <= {threshold:g}{note}")


def check_failure_cases(pairs: Sequence[tuple[Probe, ScoreResult]], primary: Sequence[tuple[Probe, ScoreResult]],
                        threshold: float) -> CheckResult:
    """Every failure case, and every renamed twin of one, scored at most ``threshold`` in every call. The note
    that the verifier judges failure cases by their text comes only when twins paid and no failure case did (a
    failure case paid like its twins is plain partial credit; the note misled its author: red-team round 28). (A
    failure case's copy without comments and docstrings is judged apart: :mod:`verifier.checks_unmarked`.)"""
    result = _check_low("failure_cases", ProbeKind.FAILURE_CASE, "failure_case_passes", threshold, pairs, primary)
    passed = {RENAMED_SUFFIX in p.label for p, r in pairs
              if p.kind is ProbeKind.FAILURE_CASE and r.score is not None and r.score > threshold}
    if result.passed is False and result.reason == "failure_case_passes" and passed == {True}:  # only twins paid
        return result.model_copy(update={"detail": result.detail + _RECOGNISES})
    return result


def check_weak_tests(weak: WeakRequests | None) -> CheckResult:
    """The verdict of :func:`verifier.weak_requests.recorded_weak` on the reference's recorded requests (None: it made
    none a program could answer: a verifier that runs no program, or one that passes no arguments and no input).
    A check without a verdict twice (a run of the reference did not complete in it) rejects, as does one whose
    group's calls could not make the reference's runs (:attr:`WeakRequests.trouble`)."""
    if weak is None:
        return CheckResult(name="weak_tests", passed=True, detail="the verifier asked the reference nothing to measure")
    if weak.unfinished or weak.too_many or weak.unrecorded or weak.unreadable or not weak.measured:
        return CheckResult(name="weak_tests", passed=False, reason="weak_tests", detail=weak_trouble(weak))
    if weak.trouble:
        return CheckResult(name="weak_tests", passed=False, reason="weak_tests",
                           detail=weak_trouble(weak) + "; add tests whose right answers these programs do not give")
    return CheckResult(name="weak_tests", passed=True,
                       detail="the requests tell the reference from every simple wrong program tried"
                              + (f" but {weak.count} that rearranges its argument" if weak.count else ""))


def few_twins(made: int, wanted: int) -> CheckResult:
    """The failure cases that define functions yielded ``made`` renamed twins of the ``wanted`` (one training
    process's worth): a verifier that counted the programs it was shown could stay honest for all of them (red-team
    findings: a failure case whose one renamable name had two possible new names, or none, gave a counting verifier
    its window)."""
    return CheckResult(name="failure_cases", passed=False, reason="few_twins",
                       detail=f"the failure cases that are programs gave {made} different renamed twins, {wanted} are "
                              "needed (as many as one process of this verifier scores in training). A program that "
                              "uses eval, exec, compile, globals, locals, vars, dir, inspect or traceback gets no "
                              "twin at all (renaming could change what it does), and one with few local variables "
                              "gets few: add another failure case, a wrong program with ordinary local variables (an "
                              "accumulator, a loop variable) whose names can vary")


def check_trivial(pairs: Sequence[tuple[Probe, ScoreResult]], primary: Sequence[tuple[Probe, ScoreResult]],
                  threshold: float) -> CheckResult:
    """Empty, whitespace, the prompt echoed, the junk string and the random letters each scored at most
    ``threshold``, and so did at least one of the random numbers (:data:`verifier.checks_probes.RANDOM_NUMBERS`): a
    drawn number can be a right answer of an open question ("any multiple of 7 above 100"), all of them rarely."""
    return _check_low("trivial", ProbeKind.TRIVIAL, "trivial", threshold, pairs, primary, together=NUMBER_LABEL)


def check_determinism(pairs: Sequence[tuple[Probe, ScoreResult]], runs: int) -> CheckResult:
    """Each probe got the same outcome and score in every call (timeouts are left to the budget check)."""
    fault = fault_reason([r for _, r in pairs if r.outcome is Outcome.ERROR])
    if fault is not None:
        return CheckResult(name="determinism", passed=False, reason=fault, detail=fault_detail(pairs))
    seen: dict[str, list[ScoreResult]] = {}
    for probe, result in pairs:
        if result.outcome is not Outcome.TIMEOUT:
            seen.setdefault(probe.label, []).append(result)
    differing = {label: rs for label, rs in seen.items() if len({(r.outcome, r.score) for r in rs}) > 1}
    if differing:
        listed = "; ".join(
            f"{label}: " + ", ".join(sorted({r.outcome.value if r.score is None else f'{r.score:g}' for r in rs}))
            for label, rs in list(differing.items())[:_MAX_LISTED])
        scores = tuple(r for rs in list(differing.values())[:_MAX_LISTED] for r in rs)
        return CheckResult(name="determinism", passed=False, reason="nondeterministic", scores=scores,
                           detail=f"scores differ across {runs} fresh interpreters or repeated calls: {listed}")
    return CheckResult(name="determinism", passed=True,
                       detail=f"{len(pairs)} calls in {runs} fresh interpreters agree for each of {len(seen)} probes")


def check_budget(pairs: Sequence[tuple[Probe, ScoreResult]], budget_ms: float) -> CheckResult:
    """No reference call timed out and the slowest scored call stayed within ``budget_ms``.

    A failure case or trivial response that hangs its call is the response's doing (it counts as failing); a
    call that returned a score late is the verifier's, unless it scored a mutant of the reference or a copy without
    comments and docstrings: validation's own change may make a program loop that the reference's author never
    wrote (red-team round 51, F4: honest verifiers that run each test in its own ``run_response`` call were
    rejected 12 of 12 times). A failure case's copy with a comment of the validator's counts as the case does: a
    comment changes nothing the program does (a verifier slow only on programs carrying foreign comments is slow)."""
    results = [r for _, r in pairs]
    timed_out = sum(r.outcome is Outcome.TIMEOUT for p, r in pairs if p.kind is ProbeKind.REFERENCE)
    scored = [(r.duration_ms, p.label) for p, r in pairs
              if r.outcome is Outcome.SCORED and (p.kind not in (ProbeKind.MUTANT, ProbeKind.UNMARKED)
                                                  or p.label.endswith(COMMENTED_SUFFIX))]  # a mutant may loop
    slowest, label = max(scored, default=(0.0, ""))
    if timed_out:
        return CheckResult(name="budget", passed=False, reason="timeout",
                           detail=f"{timed_out} reference calls of {len(results)} killed by the sandbox's time limit")
    if slowest > budget_ms:
        return CheckResult(name="budget", passed=False, reason="timeout",
                           detail=f"slowest call ({label}) took {slowest:.0f} ms, over the {budget_ms:g} ms budget: "
                                  "a verify call must return within it for every response, a slow or looping "
                                  "program included (the timeouts of its run_response calls must add up to less)")
    return CheckResult(name="budget", passed=True, detail=f"slowest call {slowest:.1f} ms <= {budget_ms:g} ms")
