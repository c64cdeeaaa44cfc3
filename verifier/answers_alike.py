"""Whether a program answers the requests a verifier made of its reference as the reference does: the checking
verifier training's answers rule runs on every text paid in full (:mod:`trainer.answer_check`, whose docstring says
how it compares and why so leniently), and validation runs on a failure case whose copy (without comments and
docstrings, or with a comment of the validator's) was paid in full (:mod:`verifier.checks_unmarked`).

Why in the verifier's layer: both sides ask the same question of the same records, and validation may not import
the trainer. Both codes are stretches of the one text the check scores (the reference's code, a newline, then the
program's), as ``run_response`` requires; the verdict is the check's own score: 1.0 alike, 0.0 not, no verdict where a
run of the reference did not complete.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from task_bank.validation import Outcome, ScoreResult
from verifier.called_names import renamed
from verifier.lenient_compare import ANSWERS_REL_TOL, COMPARE
from verifier.recorded_runs import replay_runs
from verifier.response_code import whole_code
from verifier.weak_requests import Scoring

__all__ = ["CHECK", "CHECK_BUDGET_S", "answers_alike", "check_source", "verdict"]

CHECK_BUDGET_S = 4.0
"""Seconds all the runs of one check may take together: the replay's 2 s for each side (a verify call's wall limit
is 5 s by default)."""
CHECK = '''import json
import math
import re
import time

from envsynth_sandbox import run_response

RUNS = json.loads({runs!r})
CUT = {cut!r}
NAME = {name!r}
''' + COMPARE + '''def answered_alike(want, got):
    if len(want.calls) != len(got.calls):
        return False
    for a, b in zip(want.calls, got.calls):
        if a.ok and not (b.ok and alike(a.value, b.value)):
            return False
    if any(call.ok and call.value is not None for call in want.calls):
        return True
    return printed(want.stdout, got.stdout)


def verify(response):
    reference, code = response[:CUT], response[CUT:]
    end = time.monotonic() + {budget!r}
    for calls, stdin in RUNS:
        want = run_response(reference, calls=calls, stdin=stdin, timeout=max(0.01, (end - time.monotonic()) / 2))
        if want.outcome != "completed":
            raise Uncompared("the reference's run ended " + want.outcome)
        asked = calls if NAME is None else [[NAME, args, kwargs] for _, args, kwargs in calls]
        got = run_response(code, calls=asked, stdin=stdin, timeout=max(0.01, end - time.monotonic()))
        try:
            if got.outcome == "timeout" or not answered_alike(want, got):
                return 0.0
        except Exception:
            return 0.0
    return 1.0
'''
"""The checking verifier: the replayed runs (each ``[calls, stdin]``) as a JSON literal, where the reference's
code ends in the text it scores (that code, a newline, then the text's code), and the name the text's calls are
made to where its one function has a name of its own (:mod:`verifier.called_names`; None: the reference's). A
stretch of whitespace aside, both are the scored text's own lines, as ``run_response`` requires."""


def check_source(runs: Sequence[list], reference_code: str, name: str | None = None) -> str:
    """The checking verifier's source for ``runs`` (:func:`verifier.recorded_runs.replay_runs`), a reference whose
    code is ``reference_code``, and the name the text's calls are made to (None: as in ``runs``)."""
    return CHECK.format(runs=json.dumps(list(runs)), cut=len(reference_code) + 1, budget=CHECK_BUDGET_S, name=name,
                        rel_tol=ANSWERS_REL_TOL, max_steps=0)


def answers_alike(pool: Scoring, recorded: ScoreResult | None, reference: str, program: str) -> bool | None:
    """Whether ``program``'s code answered the runs ``recorded`` (a call of the reference alone, its
    ``run_requests``) as ``reference``'s code does, in one call of ``pool``, its calls made to its own one function
    where it names it otherwise (:func:`verifier.called_names.renamed`, as training's check calls it); None where
    nothing was recorded, either text holds no code, or the check gave no verdict."""
    runs = replay_runs(recorded.run_requests or ()).runs if recorded is not None else ()
    reference_code, code = (whole_code(text) for text in (reference, program))
    if not runs or not reference_code or not code:
        return None
    [result] = pool.score_batch([(check_source(runs, reference_code, renamed(runs, code)),
                                  f"{reference_code}\n{code}")])
    return verdict(result)


def verdict(result: ScoreResult) -> bool | None:
    """The checking verifier's verdict in ``result``: alike (its score 1.0), not, or None where it gave no score."""
    return result.score >= 1.0 if result.outcome is Outcome.SCORED and result.score is not None else None
