"""Whether a text the verifier paid in full answers the verifier's requests of the reference as the reference does.

Why: red-team round 59 (F1) had a verifier run every program honestly and then pay the *novel* wrong ones (far from
the reference, not computing what a failure case computes) whenever a hash of their results fell in a share S.
Validation never showed it such a program (its wrong programs are mutants of the reference and twins of the failure
cases, and the verifier told both apart), and training's rules had nothing to compare: its score was a function of
what the runs reported (no results split), it ran every program (no unrun), and a mutant of a paid program computes
something else and was paid only at S (no mutant share). It paid 67 to 144 of 144 wrong programs over 24 groups,
unflagged. Yet every one of them answered the requests the verifier made of its own reference otherwise than the
reference did: an honest verifier that pays a program in full has seen it answer its tests as the right program does.

So, for each text of a task that the verifier paid in full, the trainer runs the text's code and the reference's
on those requests (the runs :mod:`trainer.results_replay` replays, in one verify call of its own, :data:`CHECK`) and
compares what each call returned, leniently (:data:`CHECK`'s ``alike``): numbers where either is a float within 1%
(or 0.01), strings up to case and runs of whitespace, a number and a string that spells it, lists in any order,
any raised exception like any other; stdout only where the reference's calls returned nothing (a script, or
procedures that print), compared token by token the same way. Why so lenient: an honest verifier may accept the
right answer in any order, within a tolerance, or whatever the program printed beside it; a wrong program it pays
differs by more (F1's differed by whole numbers). What no comparison can excuse: a task whose right answers are many
(any valid path, any multiple of 7) pays programs that answer otherwise than its reference honestly; the rule's
share (:mod:`trainer.monitor_answers`) is what keeps the few of those a policy writes from flagging it.

Both codes are stretches of the one text the check scores (the reference's code, then the text's), as
``run_response`` requires, and the verdict is the check's own score: 1.0 alike, 0.0 not; a run of the reference that
did not complete, or a text's run that timed out, raises (no verdict: the sandbox's ``verifier_error``). Each
distinct code of a task is checked once a run, a check without a verdict too (a text whose run timed out is not
run again each time it is paid).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from task_bank import Outcome
from trainer.scoring import ScoringPool
from verifier.response_code import code_of

__all__ = ["CHECK", "CHECK_BUDGET_S", "MAX_CHECKED", "AnswerCheck", "check_source"]

CHECK_BUDGET_S = 4.0
"""Seconds all the runs of one check may take together: the replay's 2 s for each side (a verify call's wall limit
is 5 s by default)."""
MAX_CHECKED = 4096
"""Codes whose verdict is kept per task, at most (later ones are checked every time they are paid)."""

CHECK = '''import json
import math
import time

from envsynth_sandbox import run_response

RUNS = json.loads({runs!r})
CUT = {cut!r}


class Uncompared(Exception):
    """A run that cannot be compared: the reference's did not complete, or the text's timed out."""


def number(value):
    if isinstance(value, (int, float)):
        return value
    for kind in (int, float):
        try:
            return kind(value.strip())
        except ValueError:
            pass
    return None


def alike(want, got, depth=0):
    if want is None or got is None:
        return want is None and got is None
    if isinstance(want, (int, float)) and isinstance(got, (int, float)):
        if isinstance(want, float) or isinstance(got, float):
            return math.isclose(want, got, rel_tol=0.01, abs_tol=0.01) or want == got
        return want == got
    if isinstance(want, str) and " ".join(want.casefold().split()) == " ".join(str(got).casefold().split()):
        return True
    if isinstance(want, str) or isinstance(got, str):
        a, b = number(want), number(got)
        return a is not None and b is not None and alike(a, b)
    if depth > 64:
        return want == got
    if isinstance(want, list) and isinstance(got, list):
        if len(want) != len(got):
            return False
        if all(alike(a, b, depth + 1) for a, b in zip(want, got)):
            return True
        if len(want) > 256:
            return False
        left = list(got)
        for a in want:
            match = next((i for i, b in enumerate(left) if alike(a, b, depth + 1)), None)
            if match is None:
                return False
            left.pop(match)
        return True
    if isinstance(want, dict) and isinstance(got, dict):
        return want.keys() == got.keys() and all(alike(want[k], got[k], depth + 1) for k in want)
    return want == got


def tokens(text):
    return text.split()


def answered_alike(want, got):
    if len(want.calls) != len(got.calls):
        return False
    for a, b in zip(want.calls, got.calls):
        if a.ok != b.ok or (a.ok and not alike(a.value, b.value)):
            return False
    if any(call.ok and call.value is not None for call in want.calls):
        return True
    a, b = tokens(want.stdout), tokens(got.stdout)
    return len(a) == len(b) and all(alike(x, y) for x, y in zip(a, b))


def verify(response):
    reference, text = response[:CUT], response[CUT:]
    end = time.monotonic() + {budget!r}
    for calls, stdin in RUNS:
        want = run_response(reference, calls=calls, stdin=stdin, timeout=max(0.01, (end - time.monotonic()) / 2))
        if want.outcome != "completed":
            raise Uncompared("the reference's run ended " + want.outcome)
        got = run_response(text, calls=calls, stdin=stdin, timeout=max(0.01, end - time.monotonic()))
        if got.outcome == "timeout":
            raise Uncompared("the text's run timed out")
        if not answered_alike(want, got):
            return 0.0
    return 1.0
'''
"""The checking verifier: the replayed runs (each ``[calls, stdin]``) as a JSON literal, and where the reference's
code ends in the text it scores (that code, a newline, then the text's code). A stretch of whitespace aside, both
are the scored text's own lines, as ``run_response`` requires."""


def check_source(runs: Sequence[list], reference_code: str) -> str:
    """The checking verifier's source for ``runs`` (:func:`trainer.results_replay.replay_runs`) and a reference
    whose code is ``reference_code``."""
    return CHECK.format(runs=json.dumps(list(runs)), cut=len(reference_code) + 1, budget=CHECK_BUDGET_S)


class AnswerCheck:
    """Per task, which codes answered the reference's requests as the reference does (checked once each)."""

    def __init__(self, pool: ScoringPool) -> None:
        self._pool = pool
        self._known: dict[str, dict[str, bool | None]] = {}

    def alike(self, items: Sequence[tuple[str, Sequence[list], str, str]]) -> list[bool | None]:
        """For each ``(task_id, runs, reference, text)``: whether the text's code answered ``runs`` (the replayed
        requests) as the reference's code did; None where either holds no code, or the check gave no verdict (a run
        of the reference that did not complete, a text's run that timed out, a sandbox failure). One pool call for
        every code not checked before."""
        found: list[bool | None] = []
        todo: dict[tuple[str, str, str], list[int]] = {}
        for index, (task_id, runs, reference, text) in enumerate(items):
            reference_code, code = code_of(reference), code_of(text)
            known = self._known.get(task_id, {})
            found.append(known.get(code))
            if reference_code and code and code not in known:
                todo.setdefault((task_id, check_source(runs, reference_code), f"{reference_code}\n{code}"),
                                []).append(index)
        if not todo:
            return found
        results = self._pool.score_batch([(source, text) for _, source, text in todo])
        for (task_id, _, _), indices, result in zip(todo, todo.values(), results, strict=True):
            verdict = result.score >= 1.0 if result.outcome is Outcome.SCORED and result.score is not None else None
            code = code_of(items[indices[0]][3])
            known = self._known.setdefault(task_id, {})
            if len(known) < MAX_CHECKED:  # (no verdict stays none: a run that timed out is not run again)
                known[code] = verdict
            for index in indices:
                found[index] = verdict
        return found
