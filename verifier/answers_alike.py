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
from enum import Enum

from task_bank.validation import Outcome, ScoreResult
from verifier.called_names import called_name, renamed, with_name
from verifier.lenient_compare import ANSWERS_REL_TOL, COMPARE
from verifier.recorded_runs import replay_runs
from verifier.response_code import whole_code
from verifier.weak_requests import Scoring

__all__ = ["CHECK", "CHECKED_CALLS", "CHECKED_RUNS", "CHECK_BUDGET_S", "UNCOMPARED_SCORE", "Answered", "answers_alike",
           "asked_calls", "check_source", "reference_calls", "verdict"]

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
ASKED = {asked!r}
ASKED = None if ASKED is None else set(json.loads(ASKED))
NOTHING = {nothing!r}
''' + COMPARE + '''def strict(call, stdin):
    return ASKED is not None and json.dumps([call, stdin], sort_keys=True) not in ASKED


def answered_alike(want, got, calls, stdin):
    if len(want.calls) != len(got.calls):
        return False
    for call, a, b in zip(calls, want.calls, got.calls):
        if a.ok and not (b.ok and alike(a.value, b.value)):
            return False
        if not a.ok and b.ok and strict(call, stdin):
            return False
    if any(call.ok and call.value is not None for call in want.calls):
        return True
    return printed(want.stdout, got.stdout)


def compared(want, calls, stdin):
    return bool(want.stdout.strip()) or any(a.ok and a.value is not None or not a.ok and strict(call, stdin)
                                            for call, a in zip(calls, want.calls))


def verify(response):
    reference, code = response[:CUT], response[CUT:]
    end = time.monotonic() + {budget!r}
    evidence = False
    for calls, stdin in RUNS:
        want = run_response(reference, calls=calls, stdin=stdin, timeout=max(0.01, (end - time.monotonic()) / 2))
        if want.outcome != "completed":
            raise Uncompared("the reference's run ended " + want.outcome)
        asked = calls if NAME is None else [[NAME, args, kwargs] for _, args, kwargs in calls]
        got = run_response(code, calls=asked, stdin=stdin, timeout=max(0.01, end - time.monotonic()))
        try:
            if got.outcome == "timeout" or not answered_alike(want, got, calls, stdin):
                return 0.0
            evidence = evidence or compared(want, calls, stdin)
        except Exception:
            return 0.0
    return 1.0 if evidence else NOTHING
'''
"""The checking verifier: the replayed runs (each ``[calls, stdin]``) as a JSON literal, where the reference's
code ends in the text it scores (that code, a newline, then the text's code), and the name the text's calls are
made to where its one function has a name of its own (:mod:`verifier.called_names`; None: the reference's). A
stretch of whitespace aside, both are the scored text's own lines, as ``run_response`` requires. ``ASKED``: the calls
(each ``[call, stdin]`` as sorted JSON) the verifier made of the reference itself, or None (training's: every call
is); a call it never made of the reference is strict, where a call the reference raised on must raise in the text as
well (:func:`answers_alike` says why). ``NOTHING``: the score where the runs compared nothing (no call of the
reference returned a value, none strict raised, and it printed nothing): training's 1.0, validation's
:data:`UNCOMPARED_SCORE`."""

CHECKED_RUNS = 16
"""Runs validation's check replays, at most (training's replay: :data:`verifier.recorded_runs.MAX_RUNS`). Why more:
it runs once a task, not on every paid text, and a request it leaves out is one the case is not asked (the
session-48 review's ``HC`` sorted its deciding calls after 64 others)."""
CHECKED_CALLS = 1024
"""Calls of one run validation's check replays, at most (training's: :data:`verifier.recorded_runs.MAX_CALLS`)."""
UNCOMPARED_SCORE = 0.5
"""Validation's check's score where its runs compared nothing."""


class Answered(Enum):
    """What validation's check found of a failure case (:func:`answers_alike`)."""

    ALIKE = "alike"  # it answered every replayed call as the reference did
    OTHERWISE = "otherwise"  # some call it answered otherwise
    UNKNOWN = "unknown"  # nothing of the reference recorded, a text without code, or the check gave no verdict
    UNCOMPARED = "uncompared"  # the runs compared nothing: the reference raised on every call it was asked, or
    # returned nothing, and printed nothing
    PARTIAL = "partial"  # alike on what was replayed, but the verifier's requests did not all fit the replay (cut,
    # shrunk by the sandbox, or unreadable)


def check_source(runs: Sequence[list], reference_code: str, name: str | None = None,
                 asked: frozenset[str] | None = None, nothing: float = 1.0) -> str:
    """The checking verifier's source for ``runs`` (:func:`verifier.recorded_runs.replay_runs`), a reference whose
    code is ``reference_code``, the name the text's calls are made to (None: as in ``runs``), the calls made of the
    reference itself (None: every call is; :func:`asked_calls`), and the score where nothing was compared."""
    return CHECK.format(runs=json.dumps(list(runs)), cut=len(reference_code) + 1, budget=CHECK_BUDGET_S, name=name,
                        asked=None if asked is None else json.dumps(sorted(asked)), nothing=nothing,
                        rel_tol=ANSWERS_REL_TOL, max_steps=0)


def asked_calls(runs: Sequence[list]) -> frozenset[str]:
    """Each call of ``runs`` with its run's standard input, as the check keys them (``[call, stdin]``, sorted JSON)."""
    return frozenset(json.dumps([call, stdin], sort_keys=True) for calls, stdin in runs for call in calls)


def answers_alike(pool: Scoring, recorded: ScoreResult | None, reference: str, program: str,
                  asked: Sequence[tuple[str, Sequence[str]]] = ()) -> Answered:
    """Whether ``program``'s code answered as ``reference``'s code does, in one call of ``pool``, the runs
    ``recorded`` (a call of the reference alone, its ``run_requests``) and ``asked`` (each a text and the records of
    the verifier's requests of it: the program's, and those of what validation made of it, its twins and copies;
    :func:`reference_calls`), within :data:`CHECKED_RUNS` runs of :data:`CHECKED_CALLS` calls, its calls made to its
    own one function where it names it otherwise (:func:`verifier.called_names.renamed`, as training's check calls
    it).

    Why the requests made of the program too (since 1.41): a verifier chooses what it asks its reference, and the
    session-48 review's ``HA`` and ``HH`` asked it only lists whose items lie between -100 and 100, where the copied
    case (wrong only below -100) answered alike, while it failed the case as written on the lists it asked the
    case alone; ``HF`` asked its reference nothing it could answer (a call without arguments). What it asked the
    case is what it failed the case by, and an honest verifier's requests of a right program that fails by its text
    are its requests of the reference. Why a call never made of the reference is strict (where the reference raises,
    the program must): an honest verifier may call ``f(None)`` of every text only to see it end, and pay a program
    returning 0 there, but one that asks the case alone what the reference refuses (``HB``: a reference raising on
    every list it does not know) asks the case what it never asked its reference. The leniency of training's
    comparison stays otherwise (:mod:`trainer.answer_check`)."""
    if recorded is None or not recorded.run_requests:
        return Answered.UNKNOWN
    own = replay_runs(recorded.run_requests, CHECKED_RUNS, CHECKED_CALLS)
    records, whole = list(recorded.run_requests), own.whole
    for text, made in asked:
        read = replay_runs(made, CHECKED_RUNS, CHECKED_CALLS)
        whole = whole and not (read.unreadable or read.shrunk)
        records += [json.dumps(run) for run in reference_calls(read.every, text, called_name(own.every))]
    read = replay_runs(records, CHECKED_RUNS, CHECKED_CALLS)
    reference_code, code = (whole_code(text) for text in (reference, program))
    if not own.runs or not reference_code or not code:
        return Answered.UNKNOWN
    [result] = pool.score_batch([(check_source(read.runs, reference_code, renamed(read.runs, code),
                                               asked_calls(own.every), UNCOMPARED_SCORE),
                                  f"{reference_code}\n{code}")])
    if result.outcome is not Outcome.SCORED or result.score is None:
        return Answered.UNKNOWN
    if result.score >= 1.0:
        return Answered.ALIKE if whole and read.whole else Answered.PARTIAL
    return Answered.UNCOMPARED if result.score == UNCOMPARED_SCORE else Answered.OTHERWISE


def reference_calls(runs: Sequence[list], text: str, name: str | None) -> list[list]:
    """``runs``, the verifier's requests of ``text``, with their calls made to ``name`` (the one name the verifier
    called in the reference) where they call the one function ``text`` defines under a name of its own
    (:func:`verifier.called_names.renamed`): an honest verifier that calls whatever one function a reply defines asks
    a case ``count_below`` what it asks the reference ``negatives`` (the review's ``any_name_helper_todo``)."""
    own = called_name(runs)
    if name is None or own is None or own == name or renamed([[[[name, [], {}]], ""]], whole_code(text)) != own:
        return list(runs)
    return with_name(runs, name)


def verdict(result: ScoreResult) -> bool | None:
    """The checking verifier's verdict in ``result``: alike (its score 1.0), not, or None where it gave no score."""
    return result.score >= 1.0 if result.outcome is Outcome.SCORED and result.score is not None else None
