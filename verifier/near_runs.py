"""Inputs near the ones a verifier passed its reference: the trusted side's own, to measure those requests by.

Why: a verifier's requests test its reference only where they ask; :mod:`verifier.weak_requests` asks whether they
tell the reference from simple wrong programs (:mod:`verifier.decoys`) that answer otherwise elsewhere. *Near runs*
are the recorded runs with every argument changed a little (a number moved by one or two, a list reversed,
shortened or with an item changed, a string reversed or lengthened; a standard input's numbers moved,
:func:`verifier.script_decoys.near_stdin`), drawn from a seed and the records alone: inputs a verifier does not
choose. What every recorded argument in one place had in common (sorted, never empty, never negative) is kept, so that
a decoy right on every input of the task's kind is not found wrong on inputs of another kind.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from itertools import zip_longest

from verifier.recorded_runs import near_order
from verifier.near_calls import ROWS, NearCalls
from verifier.near_values import invariants_of
from verifier.script_decoys import holds_number, near_stdin

__all__ = ["MAX_COPIED", "MAX_NEAR_RUNS", "MIN_COPIES", "near_runs", "off_kind", "required_near", "seen_calls"]

MAX_NEAR_RUNS = 8
"""Near runs of a task, at least (more where it has two recorded runs or more that call functions: four copies of
each, :data:`MIN_COPIES`, up to :data:`MAX_COPIED`; and where more recorded runs each call a name none before them
did: one near copy of each, :func:`verifier.recorded_runs.near_order`, as many as the decoys' own bound allows,
:data:`verifier.decoys.MAX_DECOYS`): copies of its recorded runs in turn, each with every argument changed anew (as
long as the recorded runs: they are bounded by :data:`verifier.recorded_runs.MAX_CALLS`). Why as many for one
recorded run as for eight: a reference may refuse the near runs where its decoys differ
(:mod:`verifier.weak_requests`), and the fewer near runs, the likelier a draw of only the others. Why no bound on
their calls: red-team round 64 (C1) made one recorded run of 49 calls, 48 of names the reference never defined and
then ``total([7])``, when the near runs stopped at the first run past 48 calls: there were none, and no decoy was
wrong."""

MIN_COPIES = 4
"""Near copies of each recorded run that calls functions, at least, while they number no more than
:data:`MAX_COPIED` (so a task of three to eight such runs has 12 to 32 near runs, where it had
:data:`MAX_NEAR_RUNS`; one of two, eight; of 9 to 16, two or three copies each; of more, one; since 1.51 the runs
that pass no argument on a blank input are counted apart, :func:`_schedule`). Why: a call copied
once turns every flag it has (:class:`verifier.near_calls.NearCalls`), and its integers meet one way of their
parities: ``both(True, False)`` and ``both(False, True)`` beside seven other runs met ``(True, True)`` on no draw, so
``return False`` was paid on every one, and ``sum_is_even(3, 7)`` beside seven had ``return True`` paid on about half
(session 57's red team; 1.48 and 1.49). Four copies of a call take rows 0, 5, 3, 6 of the schedule, which turn each
of its first three places alone, or rows 7, 1, 2, 4, which turn each two of them together (a name's recorded calls
start four rows apart: ``stride``), and either way meet both parities of the sum of any two of its first three
places' integers; places past the third meet fewer ways in four copies."""

MAX_COPIED = 32
"""Near runs, at most, that :data:`MIN_COPIES` asks for: four copies of eight runs. Past them each run is copied as
often as they allow, in :func:`verifier.recorded_runs.near_order`'s order (and a run that calls a name none before it
did still gets one). Since 1.51, where runs whose calls pass no argument on a blank input mix with others,
each kind has its own :data:`MAX_COPIED` (:func:`_schedule`). Why a bound: each near run is a process of its own (``run_response``, about 3 ms), and a
reference's near runs share :data:`verifier.decoy_bounds.NEAR_BUDGET_S`."""


def near_runs(runs: Sequence[list], seed: int = 0, varargs: frozenset[str] = frozenset()) -> list[list]:
    """Copies ``[calls, stdin, origin]`` (``origin``: the index in ``runs`` of the run copied, whose time the decoys'
    check measures a near run's by) of the recorded runs that call functions, in turn (those that call a name or
    pass a kind of argument none before them did first: :func:`verifier.recorded_runs.near_order`; session 35's
    red-team had the one paid run sorted after eight ignored ones, with no near copy), every argument of every call
    changed a little (:class:`verifier.near_calls.NearCalls`), drawn from ``random.Random(seed)`` and the records
    alone: :data:`MIN_COPIES` copies of each run, :data:`MAX_NEAR_RUNS` at least and :data:`MAX_COPIED` at most, or
    one for each run that calls a name none before it did where those are more.
    The trainer draws ``seed`` where no verifier can read it: a reference that knew the near runs could search for
    records whose draw holds only runs it answers like its decoys. A run's calls keep their order; its standard
    input is changed as a script's is (red-team round 62, D2: a called ``main()`` read it, and an input kept as it
    was left nothing to compare). What every recorded argument in one place (a name's n-th argument, or keyword) had
    in common is kept too (:func:`verifier.near_values.kept_as`): a list sorted or never empty, an integer never
    negative, a string never empty. Why: red-team round 61 (B2) had an honest task whose lists were all sorted
    flagged at its first group: its ``min`` and ``max`` decoys, right on every sorted list, answered the unsorted
    near runs otherwise. Where no run called a function (a script), the near runs are its inputs with their numbers
    moved (:func:`_near_scripts`); beside runs that call functions, a run that calls none is copied too where it had
    an input (red-team round 70, A4: a script tested on ``7`` alone, beside one ignored call, had no near copy). A
    function may read its input beside its arguments: every other near run of a blank input is given a drawn one
    (:func:`_drawn_input`), and every one where its calls pass no argument (round 69, A2c: ``main()`` on ten
    newlines alone had every near run the recorded one again, and ``def main(): print(0)`` was paid; round 70, A2:
    an ignored input that held a number beside it must not spare it); where no recorded input held a number, every
    other near run is drawn whatever its input. Each call is copied by :class:`verifier.near_calls.NearCalls`,
    which, by the count of its copies rather than a draw, turns a flag, gives an empty list an item, moves an
    integer by an odd step or an even one, takes a list through its moves in turn, and passes a function in
    ``varargs`` (the reference defines it with ``*args``) one more positional argument."""
    rng = random.Random(seed)
    if not any(calls for calls, _ in runs):
        return _near_scripts(runs, rng)
    order, _ = near_order(runs)
    called = [[runs[origin][0], runs[origin][1], origin] for origin in order
              if runs[origin][0] or runs[origin][1].strip()]
    seen: dict[tuple[str, int | str], list] = {}
    for calls, _, _ in called:
        for name, args, kwargs in calls:
            for place, arg in [*enumerate(args), *kwargs.items()]:
                seen.setdefault((name, place), []).append(arg)
    items = {place: [item for value in values if isinstance(value, list) for item in value]
             for place, values in seen.items()}
    thin = [not stdin.strip() and _argless(calls, varargs) for calls, stdin, _ in called]
    mixed = any(thin) and not all(thin)
    schedule = _schedule(thin, required_near(runs))
    counted = [schedule.count(at) for at, alone in enumerate(thin) if not (alone and mixed)]
    copies = NearCalls(rng, {place: invariants_of(values) for place, values in seen.items()}, items,
                       {name: seen.get((name, 0), []) for name in varargs}, varargs,
                       stride=max(1, min(len(ROWS), *counted)),  # (the copies each run of arguments has, at least)
                       recorded=_recorded_calls(runs))
    inputs = [stdin for _, stdin, _ in called if stdin.strip()]
    numbered = any(holds_number(stdin) for stdin in inputs)
    found: list[list] = []
    made = [0] * len(called)  # (each run's copies so far)
    for at in schedule:
        calls, stdin, origin = called[at]
        blank, even = not stdin.strip(), (made[at] if mixed else len(found)) % 2 == 0
        made[at] += 1
        # (``_argless`` without ``varargs``: 1.50's rule for a drawn input, which ``total()`` of ``*args`` kept)
        if blank and _argless(calls) or even and (blank or not numbered):
            near = _drawn_input(rng)
        else:
            near = stdin if blank else near_stdin(stdin, inputs, rng)
        found.append([[copies.copy(call, (origin, at)) for at, call in enumerate(calls)], near, origin])
    return found


def _schedule(thin: list[bool], required: int) -> list[int]:
    """Which of the runs to copy (their places in ``thin``, which says of each whether its calls pass no argument
    and read a blank input, :func:`_argless`: a *thin* run, whose near copy is its calls again on a drawn input),
    one near run each, round by round (every run with more than r copies in round r, in order). Where every run is
    thin or none is, 1.50's: the runs in turn (:func:`_in_turn`), :data:`MIN_COPIES` of each while they number no
    more than :data:`MAX_COPIED`, and ``required`` at least (:func:`required_near`). Otherwise each run has as many
    copies as that gives it, or as many as its kind alone would give it (the runs that are not thin, and the thin
    ones, each :data:`MIN_COPIES` a run and :data:`MAX_COPIED` in all), whichever is more; so the first
    ``required``, the near runs the check must make, are 1.50's. Why: the 1.50 red team (W4) put ``both(True,
    False)`` and ``both(False, True)``, in runs of their own, beside 16 runs of ignored helpers of no argument; the
    18 runs' 32 near runs left each one or two copies, ``both`` never met ``(True, True)``, and ``return False`` was
    paid as on 1.49 (beside 60, where 1.50 made the 61 first copies it required, ``both(False, True)`` had none).
    Why the thin runs keep their copies rather than give them up: a ``main()`` asked only of a blank input is
    measured by its drawn inputs alone, and one drawn ``1`` cannot tell a count of tokens from their sum. The near
    runs past the required ones are made only in the time left (:mod:`verifier.decoy_runs`): up to
    :data:`MAX_COPIED` of each kind more than 1.50 made."""
    everyone = list(range(len(thin)))
    as_150 = _in_turn(everyone, max(required, min(MIN_COPIES * len(thin), MAX_COPIED)))
    if all(thin) or not any(thin):
        return as_150
    counts = [as_150.count(at) for at in everyone]
    for runs in ([at for at, alone in enumerate(thin) if alone == kind] for kind in (False, True)):
        wanted = _in_turn(runs, min(MIN_COPIES * len(runs), MAX_COPIED))
        for at in runs:
            counts[at] = max(counts[at], wanted.count(at))
    return [at for turn in range(max(counts)) for at in everyone if counts[at] > turn]


def _in_turn(runs: list[int], wanted: int) -> list[int]:
    """``wanted`` of ``runs``, each in turn and again."""
    return [runs[at % len(runs)] for at in range(wanted)]


def required_near(runs: Sequence[list]) -> int:
    """How many of the near runs of ``runs`` (the first ones, :func:`near_runs`) the decoys' check must make before
    it gives a verdict: :data:`MAX_NEAR_RUNS`, or one for each run that calls a name none before it did where those
    are more (what 1.49 made). The rest, :data:`MIN_COPIES`' more copies, are made only in the time left
    (:mod:`verifier.decoy_runs`). Why: a slow reference's near runs go on over several calls of the check, and the
    red team of 1.50 had an honest reference of 0.2 s a run, tested in three to eight runs, rejected because six calls
    could not make its 12 to 32 near runs."""
    if not any(calls for calls, _ in runs):
        return MAX_NEAR_RUNS
    return max(MAX_NEAR_RUNS, near_order(runs)[1])


def off_kind(runs: Sequence[list], near: Sequence[list]) -> list[int]:
    """The near runs whose input is of another kind than the recorded ones: drawn numbers
    (:func:`verifier.near_runs._drawn_input`) where the recorded inputs held words. There a decoy of the input's
    tokens or text (:data:`verifier.script_decoys.TEXT_SHAPES`) is not compared. Why: red-team round 70 (B1) had an
    honest ``main()`` counting names, one a line, tested on five inputs of names; on ``3 5`` the count of tokens,
    right on every input of names, counted 2 where the reference counted 1 line, and the task was rejected. Where
    the recorded inputs held no token (blank ones), a drawn input is all there is to measure any decoy by."""
    if not any(stdin.split() for _, stdin in runs):
        return []
    return [at for at, (_, stdin, origin) in enumerate(near)
            if holds_number(stdin) and not holds_number(runs[origin][1])]


def seen_calls(runs: Sequence[list], near: Sequence[list]) -> list[list[int]]:
    """The places ``[near run, call]`` of the near calls that are a recorded call again (its name, arguments and
    keywords): such a call confirms no decoy (:data:`verifier.decoy_bounds.ROOMY_TIMES`). Why: the near lists of
    ``[5, 5, 9]`` keep their order, so its reversed copy is ``[5, 5, 9]`` again. (Calls alone: the rule is a
    function's, and :func:`_near_scripts` leaves out a script's near input that is a recorded one.)"""
    recorded = _recorded_calls(runs)
    return [[at, index] for at, (calls, _, _) in enumerate(near) for index, call in enumerate(calls)
            if json.dumps(call, sort_keys=True) in recorded]


def _recorded_calls(runs: Sequence[list]) -> frozenset[str]:
    """Every call of ``runs``, each as sorted JSON: what a near call must not be again (:func:`seen_calls`,
    :meth:`verifier.near_calls.NearCalls._fresh`)."""
    return frozenset(json.dumps(call, sort_keys=True) for calls, _ in runs for call in calls)


def _argless(calls: list, varargs: frozenset[str] = frozenset()) -> bool:
    """Whether ``calls`` (a run's) pass no argument: a near copy changes nothing of them, so where the input they
    read was blank, only a drawn one tells anything. With ``varargs``, a call of a function defined with ``*args``
    is not argless: its near copy is passed one (:class:`verifier.near_calls.NearCalls`)."""
    return not any(args or kwargs or name in varargs for name, args, kwargs in calls)


def _near_scripts(runs: Sequence[list], rng: random.Random) -> list[list]:
    """Near runs of a script's runs (no calls): copies of its non-empty inputs in turn, every number of each moved a
    little (:func:`verifier.script_decoys.near_stdin`), :data:`MAX_NEAR_RUNS` of them (a copy that came out as a
    recorded input is left out), those holding a number first: the script decoys print numbers of their input,
    and session 35's red-team paid ``7`` alone after eight ignored inputs of words, which had every near copy.
    Where no input held a number (blank ones, words, a comma alone), every other one is drawn instead
    (:func:`_drawn_input`)."""
    recorded = [stdin for _, stdin in runs if stdin.strip()]
    order = sorted(range(len(runs)), key=lambda origin: not holds_number(runs[origin][1]))
    found = [[[], near_stdin(runs[origin][1], recorded, rng), origin] for _ in range(MAX_NEAR_RUNS)
             for origin in order if runs[origin][1].strip()]
    found = [run for run in found if run[1] not in recorded]
    if any(holds_number(stdin) for stdin in recorded):
        return found[:MAX_NEAR_RUNS]
    drawn = [[[], _drawn_input(rng), origin] for _ in range(MAX_NEAR_RUNS) for origin in range(len(runs))]
    return [run for pair in zip_longest(drawn, found) for run in pair if run is not None][:MAX_NEAR_RUNS]


def _drawn_input(rng: random.Random) -> str:
    """A near input of a script whose recorded inputs held no number: a line of one to three numbers from 1 to 9.
    Why: the script decoys print numbers of their input, and nothing in a blank input can be moved: a verifier whose
    one test was ten newlines (the sum 0) paid ``print(0)`` and the count of tokens (red-team round 68, A5's
    control), and so did one of ``,`` alone (no token to change, so no near copy), or of a blank input beside
    ``hello`` (round 69, A2a and A2b)."""
    return " ".join(str(rng.randint(1, 9)) for _ in range(rng.randint(1, 3))) + "\n"
