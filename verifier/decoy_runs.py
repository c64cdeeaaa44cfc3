"""How the decoys' checking verifier (:mod:`verifier.decoy_check`) makes the reference's runs: the part of its
template that runs the reference's recorded runs, then its near runs, each in a process of its own
(``run_response``), within the time one call of the check may take.

Why a module of its own: making the runs is one concept, bounded by time, and comparing what they answered with the
decoys' answers is another. The recorded runs come first, one after another, each given ``BUDGET`` at most
(:data:`verifier.decoy_bounds.BUDGET_S`); one that runs out of the time left in this call waits for the next call,
and one that times out within its own budget leaves the check without a verdict (``Uncompared``): training's replay
got no digest of it either. The near runs then go round by round (every recorded run's first copy before any run's
second: the 1.50 review, four copies of quick runs of ignored helpers could take the budget before a slower paid
run's first), shortest first within a round, each allowed ``FAIR_TIMES`` the time of the recorded run it copies
(``FAIR_S`` at least) out of ``LEFT``, the near runs' budget: one that the time left in this call cannot hold waits
for the next call; one that the budget left cut short is not run at all (``TRIED``, below ``FAIR_S``) or counts as
unanswered (``None``); one that timed out within a roomy allowance (``ROOMY_TIMES``) is a refusal (``ROOMY``).
The near runs past the first ``REQUIRED`` (:func:`verifier.near_runs.required_near`: as many as
1.49 made) come after those, and only within the call that made the last of those: the first that this call, or
what is left of the budget, cannot hold leaves it and every later one ``SKIPPED``, compared with nothing (the 1.50
red team: a reference of 0.2 s a run, tested in three to eight runs, had 12 to 32 near runs that six calls could not
hold, and its honest task was rejected as taking too long). ``go_on`` returns whether every run is made.

The text is a piece of :data:`verifier.decoy_check.DECOY_CHECK`'s source, formatted with it: it holds no brace.
"""

from __future__ import annotations

__all__ = ["GO_ON"]

GO_ON = '''def go_on(reference):
    if FAILED:
        raise Uncompared("a run of the reference's requests did not complete")
    longest, slack = run_limits()
    end = time.monotonic() + longest + slack / 2
    each = min(BUDGET, longest)
    for at, (calls, stdin) in enumerate(RUNS):
        if RECORDED[at] is None:
            given = min(each, end - time.monotonic())
            if given < FAIR_S:
                return False
            start = time.monotonic()
            run = run_response(reference, calls=calls, stdin=stdin, timeout=given)
            if run.outcome != "timeout":
                RECORDED[at], TOOK[at] = run, time.monotonic() - start
            elif given < each:
                return False
            else:
                FAILED.append(at)
                raise Uncompared("a run of the reference's requests did not complete")
    allowed = [max(FAIR_S, FAIR_TIMES * TOOK[origin]) for _, _, origin in NEAR]
    origins = [origin for _, _, origin in NEAR]
    rounds = [origins[:at].count(origin) for at, origin in enumerate(origins)]
    for at in sorted(range(len(NEAR)), key=lambda at: (at >= REQUIRED, rounds[at], allowed[at])):
        if at in TRIED:
            continue
        given = min(allowed[at], longest, LEFT[0])
        if at >= REQUIRED and (given < allowed[at] or end - time.monotonic() < given):
            SKIPPED.update(other for other in range(REQUIRED, len(NEAR)) if other not in TRIED)
            TRIED.update(SKIPPED)
            return True
        if given < FAIR_S:
            TRIED.add(at)
            continue
        if end - time.monotonic() < given:
            return False
        TRIED.add(at)
        calls, stdin, _ = NEAR[at]
        start = time.monotonic()
        run = run_response(reference, calls=calls, stdin=stdin, timeout=given)
        LEFT[0] -= time.monotonic() - start
        NEAR_RUNS[at] = None if run.outcome == "timeout" and given < allowed[at] else run
        if run.outcome == "timeout" and given >= min(ROOMY_TIMES * TOOK[NEAR[at][2]], longest):
            ROOMY.add(at)
    return True
'''
"""``go_on(reference)``: the reference's recorded runs, then its near runs, as far as this call's time allows."""
