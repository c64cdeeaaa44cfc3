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
from enum import Enum

from task_bank.validation import Outcome, ScoreResult
from verifier.lenient_compare import ANSWERS_REL_TOL, COMPARE

__all__ = ["CHECK", "CHECK_BUDGET_S", "ENDINGS", "MAX_STEPS", "UNCOMPARED_SCORE", "UNFINISHED_SCORE", "Ending",
           "check_source", "verdict"]

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
NOTHING = {nothing!r}
UNFINISHED = {unfinished!r}
RAISES = {raises!r}
NOT_RAISED = ("Timeout", "Crashed", "NoResult", "UnserializableResult", "MalformedResult")
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


def raised(call):
    return not call.ok and call.error.type not in NOT_RAISED and not (
        call.error.type == "NameError" and call.error.message.startswith("the response defines no "))


def raised_alike(want, got):
    """(whether every call the reference raised on, the text raised on as it did, the kinds of ending compared: a
    call that returned, one that raised)."""
    kinds = set()
    for a, b in zip(want.calls, got.calls):
        if raised(a):
            if b.ok or b.error.type != a.error.type:
                return False, kinds
            kinds.add("raised")
        elif a.ok:
            kinds.add("returned")
    return True, kinds


def verify(response):
    reference, code = response[:CUT], response[CUT:]
    end = time.monotonic() + {budget!r}
    if MAX_STEPS:  # (a bounded check's comparisons stop short of the call's wall)
        from envsynth_sandbox import run_limits
        longest, slack = run_limits()
        STOP[0] = time.monotonic() + longest + 1.5 * slack
    evidence, ended, misraised = False, set(), False
    for calls, stdin in RUNS:
        want = run_response(reference, calls=calls, stdin=stdin, timeout=max(0.01, (end - time.monotonic()) / 2))
        if want.outcome != "completed":
            if UNFINISHED is None:
                raise Uncompared("the reference's run ended " + want.outcome)
            return UNFINISHED
        asked = [[NAMES.get(name, name), args, kwargs] for name, args, kwargs in calls]
        got = run_response(code, calls=asked, stdin=stdin, timeout=max(0.01, end - time.monotonic()))
        try:
            if got.outcome == "timeout" or not answered_alike(want, got):
                return 0.0
            told = bool(want.stdout.strip()) or any(call.ok and call.value is not None for call in want.calls)
        except Exception:
            return 0.0
        evidence = evidence or told
        if RAISES and not told and want.loaded:
            same, kinds = raised_alike(want, got)
            misraised = misraised or not same
            ended |= kinds
    if evidence or not RAISES:
        return 1.0 if evidence else NOTHING
    if misraised:
        return RAISES["misraised"]
    return RAISES.get("+".join(sorted(ended)), NOTHING)
'''
"""The checking verifier: the replayed runs (each ``[calls, stdin]``) as a JSON literal, where the reference's
code ends in the text it scores (that code, a newline, then the text's code), and the names the text's calls are
made to in place of the reference's (:mod:`verifier.called_names`; a name not in the map is called as recorded). A
stretch of whitespace aside, both are the scored text's own lines, as ``run_response`` requires. ``NOTHING``: the
score where the runs compared nothing (no call of the reference returned a value, and it printed nothing);
``UNFINISHED``: the score where a run of the reference did not complete (None: no score, no verdict). Training's
check scores 1.0 where nothing was compared and gives no verdict where the reference did not finish; validation's
scores are :class:`verifier.answers_alike.Answered`'s."""

UNCOMPARED_SCORE = 0.5
"""Validation's check's score where its runs compared nothing."""
UNFINISHED_SCORE = 0.25
"""Validation's check's score where a run did not complete in the reference (before 1.42, only one the verifier made of
the case alone: one it made of the reference gave no verdict)."""


class Ending(Enum):
    """How the calls of a checking call's runs ended where they compared no value (validation's check, since 1.44):
    the reference returned None or raised, and printed nothing."""

    RETURNED = "returned"  # the reference's calls returned None, none raised; the case's returned alike
    RAISED = "raised"  # the reference raised on every call, and the case raised as it did (the same type)
    BOTH = "raised+returned"  # some of each, the case ending every call as the reference did
    MISRAISED = "misraised"  # the case did not raise, or raised another type, where the reference raised


ENDINGS = {Ending.MISRAISED: 0.375, Ending.RETURNED: 0.625, Ending.RAISED: 0.75, Ending.BOTH: 0.875}
"""Validation's check's scores for how runs that compared no value ended (:class:`Ending`). Why (since 1.44): a task
whose function returns None and raises on what it refuses (``check_username``) is answered by how its calls end, and
before 1.44 every such run compared nothing (``UNCOMPARED``), so the honest task was rejected wherever its failure
case failed by its text. A reference that both returned and raised, the case ending each call as it did, is evidence
as a returned value is; one that only raised is not (the session-48 review's ``HF`` called its reference without
arguments: every program raises ``TypeError`` there), nor one that only returned None. Where any run compared a value
this says nothing (so no verdict 1.43 gave changes but ``UNCOMPARED``): a right case that returns 0 where the
reference raised on ``f(None)`` is alike, as training's rule has it."""


def check_source(runs: Sequence[list], reference_code: str, names: Mapping[str, str] | None = None,
                 nothing: float = 1.0, unfinished: float | None = None, max_steps: int = 0,
                 raises: Mapping[str, float] | None = None) -> str:
    """The checking verifier's source for ``runs`` (each ``[calls, stdin]``), a reference whose code is
    ``reference_code``, the names the text's calls are made to in place of those ``runs`` call (None: as in
    ``runs``), the score where nothing was compared, the score where a run of the reference did not complete (None:
    no verdict), the steps one comparison may take (0: no bound; past them the text answered otherwise), and the
    scores by which runs that compared no value tell how their calls ended (None: such runs score ``nothing``;
    validation's: :data:`ENDINGS`)."""
    return CHECK.format(runs=json.dumps(list(runs)), cut=len(reference_code) + 1, budget=CHECK_BUDGET_S,
                        names=dict(names or {}), raises=None if raises is None else dict(raises),
                        nothing=nothing, unfinished=unfinished, rel_tol=ANSWERS_REL_TOL, max_steps=max_steps)


def verdict(result: ScoreResult) -> bool | None:
    """The checking verifier's verdict in ``result``: alike (its score 1.0), not, or None where it gave no score."""
    return result.score >= 1.0 if result.outcome is Outcome.SCORED and result.score is not None else None
