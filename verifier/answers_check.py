"""The answers checks' checking verifier: the source both checks run in the sandbox (:data:`CHECK`), its bounds and
the scores by which it tells what it found. Validation's check (:mod:`verifier.answers_alike`) and training's
(:mod:`trainer.answer_check`) each make it of their runs and read its score.

Why one template: both sides ask the same question of the same records (does the text answer the verifier's requests
as the reference does?), and a check that differs between them is a verifier that can tell them apart. Why a
verifier of its own, run in the sandbox: the reference and the text are hostile code, so both run only through
``run_response`` (each in a process of its own), and the comparison of what they answered runs where they ran.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from task_bank.validation import Outcome, ScoreResult
from verifier.lenient_compare import ANSWERS_REL_TOL, COMPARE

__all__ = ["CHECK", "CHECK_BUDGET_S", "ENDED_SCORE", "MAX_STEPS", "MISENDED_SCORE", "TRAINING_ENDINGS",
           "UNCOMPARED_SCORE", "UNFINISHED_SCORE", "VALIDATION_ENDINGS", "check_source", "verdict"]

MAX_STEPS = 1_000_000
"""Values one comparison of the answers checks (validation's and, since 1.43, training's) may compare: past them the
text answered otherwise. 20 times the decoys' check's (:data:`verifier.decoy_bounds.MAX_STEPS`) since 1.43: a right
answer of 62,500 floats (a 250 by 250 matrix) each within 1% of the reference's and not equal costs a step each,
and the session-51 review's right programs of six ways were all answered otherwise in training under 50,000 (a false
flag); a million took about half a second here, and the records' 8 MiB a result hold fewer values."""
CHECK_BUDGET_S = 4.0
"""Seconds the runs of one checking call may take together: each reference run half of what is left, the rest for the
text's (a verify call's wall limit is 5 s by default). Training's call holds every run; validation's one run each, so
there the reference has 2 s. A bounded check (validation's; training's since 1.43) also stops comparing, and scores
0.0, past the call's wall less a share of its slack (``STOP``): the session-50 final read made 600 comparisons of 13
ms each, each under its step bound, run past the wall, which gave no score and no verdict."""
CHECK = '''import json
import math
import re
import time

from envsynth_sandbox import run_response

RUNS = json.loads({runs!r})
CUT = {cut!r}
NAMES = {names!r}
UNFINISHED = {unfinished!r}
SWEEP = {sweep!r}
ENDINGS = {endings!r}
STOP = [math.inf]
''' + COMPARE + '''def answered_alike(want, got):
    if len(want.calls) != len(got.calls):
        return False
    for a, b in zip(want.calls, got.calls):
        if MAX_STEPS and time.monotonic() > STOP[0]:
            raise Costly("past the call's time")
        if a.ok and not (b.ok and alike(a.value, b.value)):
            return False
    if any(call.ok and call.value is not None for call in want.calls):
        return True
    return printed(want.stdout, got.stdout)


def ending(want, got):
    if any(not a.ok and b.ok for a, b in zip(want.calls, got.calls)):
        return 3
    raised = [(a.error, b.error) for a, b in zip(want.calls, got.calls) if not a.ok]
    if want.load_error is not None or got.load_error is not None:
        raised.append((want.load_error, got.load_error))
    for a, b in raised:
        if a is None or b is None or a.type != b.type or not alike(a.message, b.message):
            return 2
    if not alike(want.stderr, got.stderr):
        return 2 if raised or want.stderr.strip() else 4
    return 1 if raised or want.stderr.strip() else 0


def verify(response):
    reference, code = response[:CUT], response[CUT:]
    end = time.monotonic() + {budget!r}
    if MAX_STEPS:  # (a bounded check's comparisons stop short of the call's wall)
        from envsynth_sandbox import run_limits
        longest, slack = run_limits()
        STOP[0] = time.monotonic() + longest + 1.5 * slack
        if SWEEP:  # (a sweep stops before its comparisons could reach the wall)
            end = min(end, STOP[0] - slack)
    evidence, ended = False, 0
    for calls, stdin in RUNS:
        if SWEEP and time.monotonic() >= end - 0.05:
            break
        want = run_response(reference, calls=calls, stdin=stdin, timeout=max(0.01, (end - time.monotonic()) / 2))
        if want.outcome != "completed":
            if SWEEP:
                continue
            if UNFINISHED is None:
                raise Uncompared("the reference's run ended " + want.outcome)
            return UNFINISHED
        asked = [[NAMES.get(name, name), args, kwargs] for name, args, kwargs in calls]
        got = run_response(code, calls=asked, stdin=stdin, timeout=max(0.01, end - time.monotonic()))
        if SWEEP and (got.outcome == "timeout" or got.detail.startswith("the sandbox could not start")):
            continue
        try:
            if got.outcome == "timeout" or not answered_alike(want, got):
                return 0.0
            told = bool(want.stdout.strip()) or any(call.ok and call.value is not None for call in want.calls)
            if not told:
                ended = max(ended, ending(want, got))
        except Exception:
            if SWEEP and time.monotonic() > STOP[0]:
                break
            return 0.0
        evidence = evidence or told
    if SWEEP and ended >= 2:
        return ENDINGS[ended]
    return 1.0 if evidence else ENDINGS[ended]
'''
"""The checking verifier: the replayed runs (each ``[calls, stdin]``) as a JSON literal, where the reference's
code ends in the text it scores (that code, a newline, then the text's code), and the names the text's calls are
made to in place of the reference's (:mod:`verifier.called_names`; a name not in the map is called as recorded). A
stretch of whitespace aside, both are the scored text's own lines, as ``run_response`` requires. ``ENDINGS``: the
scores where the runs compared nothing (no call of the reference returned a value, and it printed nothing), by how
the text ended the calls (``ending``: 0 nothing showed how, 1 alike, 2 otherwise in an exception's type or
message or in stderr, 3 it returned where the reference raised, 4 it wrote to stderr in a run where the reference
raised nothing and wrote nothing there; a sweep that found 2 or more says so whatever else it compared);
``UNFINISHED``: the score where a run of the reference did not complete (None: no score, no verdict). Training's
check scores 1.0 where nothing was compared and gives no verdict where the reference did not finish; validation's
scores are :class:`verifier.answers_alike.Answered`'s."""

UNCOMPARED_SCORE = 0.5
"""Validation's check's score where its runs compared nothing."""
UNFINISHED_SCORE = 0.25
"""Validation's check's score where a run did not complete in the reference (before 1.42, only one the verifier made of
the case alone: one it made of the reference gave no verdict)."""
ENDED_SCORE = 0.75
"""Validation's check's score where its runs compared no value, and the text ended every call as the reference did,
and something showed how: each call the reference raised on raised an exception of the same type and a message alike
(``SystemExit``'s is its status), what went to stderr alike, one of them at least (since 1.45). Why messages too: a
first version of 1.45 compared types only (the session-52 review's honest right cases worded their messages
otherwise in ten tasks of eleven), and the session-53 review's ``H9`` paid a wrong case, whose messages the prompt
fixed, nothing for its ``TODO``, and the reference carrying that ``TODO`` nothing too: the text was enough to fail
the case, and not all that was wrong with it."""
MISENDED_SCORE = 0.375
"""Validation's check's score where its runs compared no value, and the text ended some call otherwise than the
reference: it returned where the reference raised, raised another exception or a message not alike, or wrote to
stderr otherwise (since 1.45)."""
VALIDATION_ENDINGS = (UNCOMPARED_SCORE, ENDED_SCORE, MISENDED_SCORE, MISENDED_SCORE, 0.0)
"""Validation's scores where no value was compared (``check_source``'s ``endings``). Why stderr where the reference
was silent answers otherwise (0.0, since 1.46): a case is excused where it ended some call otherwise only if the
right program carrying its marks would have been (:mod:`verifier.sinking_marks`), and in a run where the reference
raised nothing and wrote nothing that program shows nothing; the session-54 review's ``HA`` wrote to stderr there."""
TRAINING_ENDINGS = (1.0, 1.0, 1.0, 0.0, 1.0)
"""Training's: a text that returned where the reference raised answered otherwise, where no run compared a value
(since 1.45); every other ending is alike, as an honest verifier may accept another exception, message or stderr."""


def check_source(runs: Sequence[list], reference_code: str, names: Mapping[str, str] | None = None,
                 nothing: float = 1.0, unfinished: float | None = None, max_steps: int = 0,
                 sweep: bool = False, endings: Sequence[float] | None = None) -> str:
    """The checking verifier's source for ``runs`` (each ``[calls, stdin]``), a reference whose code is
    ``reference_code``, the names the text's calls are made to in place of those ``runs`` call (None: as in
    ``runs``), the score where nothing was compared, the score where a run of the reference did not complete (None:
    no verdict), the steps one comparison may take (0: no bound; past them the text answered otherwise), and whether
    to sweep: replay as many of ``runs`` as the call's time allows, passing over a run the reference or the text did
    not finish (validation's sweep of the runs past its draw, where only "otherwise" counts), and the scores where
    no run compared a value, by how the text ended the calls (``endings``: nothing showed how, alike, otherwise in
    its exception, message or stderr, returned where the reference raised, wrote to stderr where the reference was
    silent; None: ``nothing`` for each)."""
    endings = tuple(endings) if endings is not None else (nothing,) * 5
    return CHECK.format(runs=json.dumps(list(runs)), cut=len(reference_code) + 1, budget=CHECK_BUDGET_S,
                        names=dict(names or {}), sweep=sweep, endings=list(endings),
                        unfinished=unfinished, rel_tol=ANSWERS_REL_TOL, max_steps=max_steps)


def verdict(result: ScoreResult) -> bool | None:
    """The checking verifier's verdict in ``result``: alike (its score 1.0), not, or None where it gave no score."""
    return result.score >= 1.0 if result.outcome is Outcome.SCORED and result.score is not None else None
