"""The decoys' checking verifier: the trusted side's own verifier that measures a verifier's requests of its
reference (:mod:`verifier.weak_requests` says why, and asks it).

It runs in the sandbox like any verifier: the reference's code is the text it scores, so the reference runs in
processes of its own (``run_response``), unchanged, and never in the check's. It makes the reference's recorded runs
and their near runs (:mod:`verifier.near_runs`), one after another, over as many calls of its group as they need
(:mod:`verifier.decoy_runs`); takes each run's answer from its returns or what it printed (:mod:`verifier.decoy_views`);
works out each decoy's answers from the arguments (:func:`verifier.decoys.answers_source`); and compares them with
the reference's by the answers check's own lenient comparison (:data:`verifier.lenient_compare.COMPARE`), with a
step bound. Why a module of its own: the template is one concept, the checking program; the bounds it runs under,
and why each is what it is, are another (:mod:`verifier.decoy_bounds`); what a task's requests are found to be, and
how the host asks, is a third (:mod:`verifier.weak_requests`, :mod:`verifier.decoy_questions`).
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from verifier.decoy_bounds import (BUDGET_S, FAIR_S, FAIR_TIMES, MAX_STEPS, NEAR_BUDGET_S, REFUSED, REL_TOL,
                                   ROOMY_TIMES)
from verifier.decoy_runs import GO_ON
from verifier.decoy_views import VIEWS
from verifier.decoys import REARRANGING, Decoy, answers_source
from verifier.lenient_compare import COMPARE
from verifier.near_runs import off_kind, required_near, seen_calls
from verifier.script_decoys import TEXT_SHAPES

__all__ = ["ALL", "APART", "DECOY_CHECK", "MORE", "SHARE", "decoy_source"]

ALL = "all"
"""What a text of :data:`DECOY_CHECK` names after the reference's code to ask about every decoy."""
APART = "apart"
"""What a text of :data:`DECOY_CHECK` names after the reference's code, before decoys' positions, to ask whether the
recorded runs tell any of those from the reference (scored 1.0 if so, else 0.0): a program the validator wrote
(:mod:`verifier.written_decoys`) and the verifier paid as it pays the reference."""
SHARE = "share"
"""As :data:`APART`, to ask the share of the recorded comparisons those answer as the reference did (1.0 where none
was compared), a call the reference answered None without fault among them (a constant None is right there: review of
session 44): a written program paid more than a failure case may be, less than the reference (round 74, A2)."""
MORE = "more"
"""What a text of :data:`DECOY_CHECK` names after the reference's code to have it go on with the reference's runs
(scored 1.0 once they are all made, else 0.0)."""
DECOY_CHECK = '''import json
import math
import re
import time
from envsynth_sandbox import run_limits, run_response

RUNS = json.loads({runs!r})
NEAR = json.loads({near!r})
DECOYS = json.loads({decoys!r})
CUT = {cut!r}
BUDGET = {budget!r}
FAIR_S = {fair_s!r}
FAIR_TIMES = {fair_times!r}
ROOMY_TIMES = {roomy_times!r}
REFUSED = {refused!r}
ELIDED = set({elided!r})
SEEN = set(map(tuple, json.loads({seen!r})))
ROOMY = set()
MORE = {more!r}
RECORDED = [None] * len(RUNS)
TOOK = [0.0] * len(RUNS)
NEAR_RUNS = [None] * len(NEAR)
TRIED = set()
SKIPPED = set()
REQUIRED = {required!r}
LEFT = [{near_budget!r}]
FAILED = []
RIVALS = {{}}
THEIRS = {{}}
''' + COMPARE + '''REARRANGING = {rearranging!r}
TEXT_SHAPES = {text_shapes!r}
OFF_KIND = set({off_kind!r})
{answers}

def held(compare, want, got, raised):
    try:
        return compare(want, got)
    except Costly:
        return None
    except Exception:
        return raised


def where(calls):
    found = {{}}
    for at, (name, _, _) in enumerate(calls):
        found.setdefault(name, []).append(at)
    return found


PLACES = [where(calls) for calls, _ in RUNS]
NEAR_PLACES = [where(calls) for calls, _, _ in NEAR]


''' + GO_ON + '''

''' + VIEWS + '''

def printed_answers(name, index, shape, calls, places):
    texts = []
    for at in places.get(name, ()):
        _, args, kwargs = calls[at]
        made, value = decoy_answer(index, shape, args, kwargs)
        text = shown(value) if made else None
        if text is None:
            return None
        texts.append(text)
    return "\\n".join(texts)


def comparisons(name, index, shape, calls, stdin, run, places):
    if not name:
        made, text = script_answer(shape, stdin)
        if not made:
            return
        quiet = not run.stdout.strip() or prompted(run)
        returns = [] if not quiet or not stdin.strip() else [
            at for at, (_, args, kwargs) in enumerate(calls) if not args and not kwargs and at < len(run.calls)]
        if not returns:
            yield (name, -1), ended(run), run.stdout, text, printed
        for at in returns:
            call = run.calls[at]
            got = shown(call.value)
            yield (name, at), call.ok and call.value is not None and got is not None, got, text, printed
    elif printing(name, run, places):
        text = printed_answers(name, index, shape, calls, places)
        if text is not None:
            yield (name, -1), True, run.stdout, text, printed
    else:
        for at in places.get(name, ()):
            if at < len(run.calls):
                _, args, kwargs = calls[at]
                made, value = decoy_answer(index, shape, args, kwargs)
                if made:
                    yield (name, at), run.calls[at].ok, run.calls[at].value, value, alike


def answered(decoy, recorded, elided=False):
    compared = False
    for (calls, stdin), run, places in zip(RUNS, recorded, PLACES):
        for (_, at), _, want, got, compare in comparisons(*decoy, calls, stdin, run, places):
            if not no_answer(run, at):
                same = held(compare, want, got, True)
                if same is False:
                    return False
                compared = compared or same is True
    return compared or (elided and unanswered(decoy, recorded))


def share(decoys, asked_share):
    held_, compared = 0, 0
    for (calls, stdin), run, places in zip(RUNS, RECORDED, PLACES):
        for decoy in decoys:
            for (_, at), ok, want, got, compare in comparisons(*decoy, calls, stdin, run, places):
                if not no_answer(run, at) or (at >= 0 and ok and want is None and asked_share):
                    compared += 1
                    held_ += held(compare, want, got, True) is not False
    return held_ / compared if compared else 1.0


def unanswered(decoy, recorded):
    for (calls, stdin), run, places in zip(RUNS, recorded, PLACES):
        for (_, at), _, _, _, _ in unrun(*decoy, calls, stdin, places):
            if no_answer(run, at):
                return True
    return False


def no_answer(run, at):
    if at < 0:
        return not ended(run) or not run.stdout.strip()
    return at >= len(run.calls) or not run.calls[at].ok or run.calls[at].value is None


def unrun(name, index, shape, calls, stdin, places):
    if not name:
        made, text = script_answer(shape, stdin)
        if made:
            yield (name, -1), False, None, text, printed
    else:
        for at in places.get(name, ()):
            _, args, kwargs = calls[at]
            made, value = decoy_answer(index, shape, args, kwargs)
            if made:
                yield (name, at), False, None, value, alike


def near_comparisons(decoy, at, run):
    calls, stdin, _ = NEAR[at]
    if at in SKIPPED or at in OFF_KIND and not decoy[0] and decoy[2] in TEXT_SHAPES:
        return ()
    if run is None:
        return unrun(*decoy, calls, stdin, NEAR_PLACES[at])
    return comparisons(*decoy, calls, stdin, run, NEAR_PLACES[at])


def rivals_at(at, run, name, strict_only):
    if (at, name, strict_only) not in THEIRS:
        found = {{}}
        for rival in RIVALS.get(name, ()):
            if not strict_only or rival[2] not in REARRANGING:
                for place, _, _, got, _ in near_comparisons(rival, at, run):
                    found.setdefault(place, {{}}).setdefault(repr(got), got)
        THEIRS[at, name, strict_only] = found
    return THEIRS[at, name, strict_only]


def fresh(at, place):
    name, call = place
    if call >= 0:
        return (at, call) not in SEEN
    return any((at, other) not in SEEN for other in NEAR_PLACES[at].get(name, ()))


def wrong(decoy, near):
    agreed = refused = bare = confirmed = 0
    strict = decoy[2] not in REARRANGING
    for at, run in enumerate(near):
        for place, ok, want, got, compare in near_comparisons(decoy, at, run):
            if ok and run.outcome == "completed":
                same = held(compare, want, got, False)
                if same is False:
                    return True
                agreed += same is True
                confirmed += same is True and fresh(at, place)
            else:
                mine, strict_only = repr(got), run is None or not strict
                refused += any(key != mine and held(compare, theirs, got, False) is False
                               for key, theirs in rivals_at(at, run, decoy[0], strict_only).get(place, {{}}).items())
                bare += run is not None or at in ROOMY
    return (refused > 0 and refused >= REFUSED * (refused + agreed)) or (
        strict and bool(decoy[0]) and decoy[1] is not None and bare > 0 and not confirmed)


def verify(response):
    done = go_on(response[:CUT])
    asked = response[CUT:].split()
    if asked == [MORE]:
        return 1.0 if done else 0.0
    if not done:
        raise Uncompared("the reference's runs did not end in this call")
    if asked[:1] in ([{apart!r}], [{share!r}]):
        alike = share([DECOYS[int(index)] for index in asked[1:]], asked[0] == {share!r})
        return alike if asked[0] == {share!r} else 1.0 if alike < 1.0 else 0.0
    if not RIVALS:
        RIVALS[None] = {{at for at, decoy in enumerate(DECOYS) if answered(decoy, RECORDED, at in ELIDED)}}
        for at in sorted(RIVALS[None]):
            RIVALS.setdefault(DECOYS[at][0], []).append(DECOYS[at])
    chosen = range(len(DECOYS)) if asked == [{all!r}] else [int(index) for index in asked]
    weak = [at for at in chosen if at in RIVALS[None] and wrong(DECOYS[at], NEAR_RUNS)]
    return len(weak) / len(chosen)
'''
"""The decoys' checking verifier: the recorded runs (each ``[calls, stdin]``), the near runs (each ``[calls, stdin,
origin]``) and the decoys (each ``[name, index, shape]``, a script's named "") as JSON literals, where the reference's
code ends in the text it scores; after it, the text names the decoys it asks about (their positions, or ``all``; or
:data:`APART` or :data:`SHARE` and positions). It pays the share of those that the recorded runs did not tell from the
reference and that answer a near call otherwise. The reference's runs are made as :mod:`verifier.decoy_runs` says (a
text naming ``more`` only goes on with them, and is paid 1.0 once they are all made); which decoys the recorded runs did
not tell apart (the rivals: ``RIVALS[None]`` their positions, ``RIVALS[name]`` those of a name), and the rivals' answers
on each near run where a refusal is weighed, are made at its first call that needs them; all are kept for the rest of
its process's calls. A recorded run that timed out leaves no verdict (the sandbox's ``verifier_error``), as it left the
replay no digest, and so does a question asked before the runs are all made. One that crashed or exited is compared on
the calls it answered (session 34's red-team: ``os._exit`` on an ignored ``total(None)`` left no verdict, which
validation admitted), and a near call answered in a run that did not complete weighs as a refusal (``os._exit`` patched
to fail after every answer off the request had nothing compared). Where some of what the reference was asked is known by
kinds alone (a request too large to record, shrunk), a decoy that it may have asked (``ELIDED``:
:func:`verifier.decoys.left_out`) and no recorded call told apart is a rival also where none was compared, if it
answered a recorded call that the reference did not (raised on, did not reach, answered None, or a script that did not
load or printed nothing): session 37 found a paid ``total([7, 0, ...])`` too large to record beside a recorded
``total(["x"])``, and a paid input of 1.2 MB beside a recorded ``5 x``, which the reference raised on and the verifier
required it to; no decoy was compared, and both tasks were admitted. The near runs then weigh the reference's refusals
(:data:`verifier.decoy_bounds.REFUSED`). A script decoy is compared with what a run printed wherever the program loaded,
or ended with ``sys.exit()`` or ``sys.exit(0)``, whatever its calls returned (red-team round 70), or ended as every
recorded run of the reference that printed did (``USUAL``: an exception's type, a ``SystemExit``'s message; round 71, A:
``EOFError`` ending a ``while True`` loop over ``input()``, ``sys.exit(1)``, a raise; round 72: one recorded run of an
error ending is no such rule). Where a run printed nothing of a non-blank input, a script decoy is compared with what
its calls of no argument returned, None being no answer (round 71, F: ``solve()`` returned the sum of its input), and so
where it printed only a prompt (``PROMPT``: the one text that every recorded run of a non-blank input printed, on at
least two inputs, while its calls of no argument returned more than one answer; round 72, E2:
``input('Enter numbers: ')`` before the sum was returned). Not a decoy of the input's text on a near run of another
kind of input (``OFF_KIND``: :func:`verifier.near_runs.off_kind`)."""


def decoy_source(runs: Sequence[list], near: Sequence[list], made: Sequence[Decoy], reference_code: str,
                 elided: Sequence[int] = ()) -> str:
    """:data:`DECOY_CHECK`'s source for the recorded ``runs``, their ``near`` runs, the decoys ``made`` and a
    reference whose code is ``reference_code``; ``elided``: the positions of the decoys that a request known by
    kinds alone may have asked (:func:`verifier.decoys.left_out`; :data:`DECOY_CHECK` says what that changes)."""
    return DECOY_CHECK.format(runs=json.dumps(list(runs)), near=json.dumps(list(near)),
                              decoys=json.dumps([[decoy.name, decoy.index, decoy.shape] for decoy in made]),
                              cut=len(reference_code) + 1, budget=BUDGET_S, all=ALL, more=MORE, apart=APART,
                              share=SHARE, elided=sorted(elided), near_budget=NEAR_BUDGET_S,
                              seen=json.dumps(seen_calls(runs, near)), roomy_times=ROOMY_TIMES,
                              fair_s=FAIR_S, fair_times=FAIR_TIMES, refused=REFUSED, rel_tol=REL_TOL,
                              max_steps=MAX_STEPS,
                              rearranging=sorted(REARRANGING), text_shapes=sorted(TEXT_SHAPES),
                              off_kind=off_kind(runs, near), required=required_near(runs),
                              answers=answers_source())
