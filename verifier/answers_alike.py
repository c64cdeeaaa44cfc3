"""Whether a failure case answers the requests a verifier made of its reference and of it as the reference does:
validation's answers check, run on a case whose copy (without comments and docstrings, or with a comment of the
validator's) was paid in full (:mod:`verifier.checks_unmarked`). It chooses the runs to replay, the names to call
the case by, and adds up what the checking verifier (:mod:`verifier.answers_check`, the template training's answers
rule runs too: :mod:`trainer.answer_check`, whose docstring says how it compares and why so leniently) found of each
run, one call each, into a typed verdict (:class:`Answered`).

Why in the verifier's layer: both sides ask the same question of the same records, and validation may not import
the trainer. Why more than training's check: validation replays the verifier's requests of the case too, and tells
apart what training's does not (nothing compared, a reference that did not finish, records left out)."""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from enum import Enum

from task_bank.validation import Outcome, ScoreResult
from verifier.answers_check import (ENDED_SCORE, MAX_STEPS, MISENDED_SCORE, UNCOMPARED_SCORE, UNFINISHED_SCORE,
                                    VALIDATION_ENDINGS, check_source)
from verifier.called_names import called_name, judged_names, names_of, own_function, with_name, with_names
from verifier.recorded_runs import replay_runs
from verifier.response_code import whole_code
from verifier.weak_requests import Scoring

__all__ = ["CHECKED_RUNS", "SWEEP_CHUNK", "SWEPT_RUNS", "Answered", "answers_alike", "reference_calls"]

CHECKED_RUNS = 32
"""Runs validation's check replays, at most, drawn by validation's secret source where the verifier made more (half
of them, or more where it made fewer others, of its runs of the reference; the rest of its runs of the case and what
was made of it). Why drawn, and why more than training's :data:`verifier.recorded_runs.MAX_RUNS`: a run the check
leaves out is one the case is not asked, and a cut the verifier can predict is one it can fill (the session-48
review's ``HC`` sorted its deciding calls after 64 others); a check run once a task can afford more. Each run is
replayed whole (since 1.42; 1.41 drew 512 of its calls): a verifier that asked the case 30,000 filler calls beside two
deciding ones in one run (one process, well within its call's time) was caught only as often as the draw kept one,
and a run in a checking call of its own has the 2 s the verifier's own call had for it; the records' region (1 MiB a
text) bounds what a run can hold. Runs cost a verifier a process each (a few ms), so filler runs cannot be had
so cheaply; the draw of runs stays, and the runs it leaves out are swept (:data:`SWEPT_RUNS`, since 1.44)."""
SWEPT_RUNS = 512
"""Runs past the draw that validation's check replays too, at most (drawn by the secret source where there are more),
:data:`SWEEP_CHUNK` runs a checking call, each call replaying as many as its time allows and passing over a run the
reference or the case did not finish there (``check_source``'s ``sweep``); only what such a call found answered
otherwise counts (since 1.44). Why: a deciding run among a few hundred filler runs was replayed only as often as the
draw kept it (32 of them), and a run of the draw has a call of its own because a reference slow on it must have the
2 s the verifier's call had (:func:`answers_alike`); a sweep gives no run that time, so what it cannot finish is no
verdict, and what it finishes costs a process a side. Open: a reference slow on the filler runs (which the verifier
need never ask it) makes the sweep pass them over, or run out of time, and leaves the draw."""
SWEEP_CHUNK = 32
"""Runs a sweeping checking call holds (16 calls for :data:`SWEPT_RUNS`): each run costs a process a side, and a sweep
has 1.25 s under validation's 2 s wall."""


class Answered(Enum):
    """What validation's check found of a failure case (:func:`answers_alike`)."""

    ALIKE = "alike"  # it answered every replayed call as the reference did
    OTHERWISE = "otherwise"  # some call it answered otherwise
    UNKNOWN = "unknown"  # nothing of the reference recorded, a text without code, or no verdict (a checking call
    # timed out or its sandbox failed)
    UNCOMPARED = "uncompared"  # the runs compared nothing: no call of the reference returned a value other than
    # None, and it printed nothing
    ENDED = "ended"  # no value compared, and it ended every replayed call as the reference did (the same exception
    # and a message alike, stderr alike), the reference raising or writing to stderr somewhere (since 1.45)
    MISENDED = "misended"  # no value compared, and it ended some call otherwise (since 1.45)
    MISENDED_UNSHOWN = "misended_unshown"  # as MISENDED, but no drawn run showed how the reference ended a call, or
    # some records were left out: the right program carrying the case's marks would not be ENDED (since 1.46)
    UNFINISHED = "unfinished"  # the reference did not complete a replayed run, in the 2 s its own call had
    PARTIAL = "partial"  # alike on what was replayed (or nothing of the reference), but some records were left out
    # (dropped past the records' region, unreadable, or shrunk past what any other record measures: ``blind``)


def answers_alike(pool: Scoring, reference: str, rng: random.Random, program: str,
                  references: Sequence[ScoreResult], asked: Sequence[tuple[str, ScoreResult]],
                  paid: Sequence[ScoreResult] = ()) -> Answered:
    """Whether ``program``'s code answered as ``reference``'s code does, each run in a call of ``pool`` of its own (one
    pool call in all), the runs the verifier made of the reference (the records of ``references``, its calls) and of
    the texts ``asked`` (each with its call's result: the program, and what validation made of it, its twins and
    copies; :func:`reference_calls`), at most :data:`CHECKED_RUNS` runs, drawn from ``rng`` where there are more, each
    whole; its calls made to the names the verifier called in the copy it paid in full (the results ``paid``), where
    the case as written agrees, else to its own one function where it names it otherwise
    (:func:`verifier.called_names.judged_names`).

    Why the requests made of the program too (since 1.41): a verifier chooses what it asks its reference, and the
    session-48 review's ``HA`` and ``HH`` asked it only lists whose items lie between -100 and 100, where the copied
    case (wrong only below -100) answered alike, while it failed the case as written on the lists it asked the
    case alone; ``HF`` asked its reference nothing it could answer (a call without arguments: nothing compared). What
    it asked the case is what it failed the case by, and an honest verifier's requests of a right program that fails
    by its text are its tests, inside the domain it tests (unlike near runs). Why each run as the verifier made it
    (not merged, as training's replay merges runs past its bounds): merged calls, deduplicated and sorted, lose a
    repeat (the session-49 review's ``RD``, a memo wrong only on a list asked twice) and an order a stateful program
    answers by (its ``N2``, a stack). Why every reference call's records (run 0's too, not only its call alone): its
    ``RA`` ran the reference in every call but the first of its process, the call alone.

    Why each run in a call of its own, and a run of the reference's own requests it does not complete no verdict no
    longer (since 1.42): the runs of one call shared its 4 s (each reference run half of what was left), and a run of
    the reference that did not complete gave no verdict, which excused the case. A reference slow on its own requests,
    asked in several calls, left a later run, the deciding one, unfinished (the session-49 final read); one that loops
    on a request the verifier asked it with a short timeout, the verdict ignored, left every run unfinished. In a call
    of its own each run has what the verifier's own call of the reference had, 2 s (validation's ``call_budget_s``),
    so a run it does not finish there says the reference does not answer what the verifier asked: ``UNFINISHED``
    (under the default 5 s wall limit; a pool whose wall is validation's 2 s budget, as the tests' is, gives a run 1 s).

    Why a comparison has a bound here (since 1.42; training's since 1.43): the session-50 review's ``C1``-``C3`` had
    the case answer 256 lists of 901 items, in another order and one tag wrong, whose comparison in any order took 30
    million steps: every checking call ran past its wall, gave no score, and no verdict excused the case (1.41 too).
    Past :data:`MAX_STEPS` steps a comparison says the case answered otherwise: a right case answers as the reference
    does, which costs one step, or in another order, a step an item where its items equal the reference's (since
    1.43), or each with each where they are only alike (open: a right answer of more than a million floats each
    within 1% of the reference's but not equal costs a step each, and is answered
    otherwise). Why the name from the copy paid in full, and only where the
    verifier called no other in the case as written: its ``K`` called a right helper in the marked case and the wrong
    last function in the unmarked copy, and the case, called by the helper, was excused; its honest ``P6`` reads the
    TODO before running anything, so the case as written left no records, while the copy it paid did; and the
    session's final read mirrored ``K`` (the wrong function called in the case, the right one in the copy), which the
    copy's name alone excused.

    Why how the calls ended where no value was compared (``ENDED``, ``MISENDED``; since 1.45): a task whose function
    returns None and raises on what it refuses compared nothing, and an honest case failed for its ``TODO`` was never
    excused; the verdict counts a value compared anywhere first (``ALIKE``), then a run ended otherwise, then one
    ended alike, which excuses the case only where the reference carrying its marks is paid as little
    (:func:`verifier.checks_unmarked.check_failure_copy`)."""
    reference_code, code = (whole_code(text) for text in (reference, program))
    own_records = [record for result in references for record in result.run_requests or ()]
    own = replay_runs(own_records)
    left_out = bool(own.unreadable or own.blind) or any(r.run_requests_dropped for r in references)
    read = [(text, result, replay_runs(result.run_requests or ())) for text, result in asked]
    written = [run for text, _, runs in read if text == program for run in runs.every]  # of the case as written
    copy = replay_runs([record for result in paid for record in result.run_requests or ()]).every
    names = judged_names(reference_code, code, own.every, copy, written)
    back = {other: name for name, other in names.items()}
    made: list[list] = []
    renamed = {_key(run) for run in own.every}  # runs in the reference's names: the case's calls go through ``names``
    name = called_name(own.every)
    for text, result, runs in read:
        left_out = left_out or bool(runs.unreadable or runs.blind or result.run_requests_dropped)
        asked_of_reference = reference_calls(runs.every, text, name, back)
        renamed |= {_key(run) for run, was in zip(asked_of_reference, runs.every) if run != was}
        made += asked_of_reference
    if not own.every or not reference_code or not code:
        return Answered.PARTIAL if left_out and reference_code and code else Answered.UNKNOWN
    chosen = _chosen(list(own.every), made, rng)
    checks = [check_source([run], reference_code, names if _key(run) in renamed else None, UNCOMPARED_SCORE,
                           UNFINISHED_SCORE, MAX_STEPS, endings=VALIDATION_ENDINGS) for run in chosen]
    drawn = len(checks)
    for chunk, is_renamed in _swept(list(own.every) + made, chosen, renamed, rng):
        checks.append(check_source(chunk, reference_code, names if is_renamed else None, UNCOMPARED_SCORE,
                                   UNFINISHED_SCORE, MAX_STEPS, sweep=True, endings=VALIDATION_ENDINGS))
    results = pool.score_batch([(source, f"{reference_code}\n{code}") for source in checks])
    found = {_found(result) for result in results[:drawn]}
    found |= {f for result in results[drawn:] if (f := _found(result)) in (Answered.OTHERWISE, Answered.MISENDED)}
    for first in (Answered.OTHERWISE, Answered.UNFINISHED, Answered.UNKNOWN):
        if first in found:
            return first
    shown = any(_found(result) in (Answered.ENDED, Answered.MISENDED) for result in results[:drawn])
    # a call ended otherwise outweighs a value answered alike in another run (since 1.47: the session-52 review's
    # ``H6`` asked a helper's value once, and its wrong case, which misraised in every other run, was found alike)
    for alike in (Answered.MISENDED, Answered.ALIKE, Answered.ENDED):
        if alike in found:
            if alike is Answered.MISENDED and (left_out or not shown):
                return Answered.MISENDED_UNSHOWN
            return Answered.PARTIAL if left_out else alike
    return Answered.UNCOMPARED


def _found(result: ScoreResult) -> Answered:
    """What one checking call's result says of its run: ``ALIKE`` where it compared a value or output, ``ENDED`` or
    ``MISENDED`` where only how its calls ended (:data:`verifier.answers_check.VALIDATION_ENDINGS`), ``UNCOMPARED``
    where nothing, ``UNKNOWN`` where it gave no score."""
    if result.outcome is not Outcome.SCORED or result.score is None:
        return Answered.UNKNOWN
    if result.score >= 1.0:
        return Answered.ALIKE
    return {UNCOMPARED_SCORE: Answered.UNCOMPARED, UNFINISHED_SCORE: Answered.UNFINISHED, ENDED_SCORE: Answered.ENDED,
            MISENDED_SCORE: Answered.MISENDED}.get(result.score, Answered.OTHERWISE)


def _key(run: list) -> str:
    """A run's identity (its calls' names, arguments and standard input)."""
    return json.dumps(run, sort_keys=True)


def _chosen(own: list[list], made: list[list], rng: random.Random) -> list[list]:
    """The runs to replay (:data:`CHECKED_RUNS` at most, drawn from ``rng`` where there are more, in their order, each
    whole), of the verifier's runs of the reference (``own``) and those of the case
    (``made``) it did not make of the reference, the reference's first."""
    known = {_key(run) for run in own}
    others = list({key: run for run in made if (key := _key(run)) not in known}.values())
    take = min(len(own), max(CHECKED_RUNS // 2, CHECKED_RUNS - len(others)))
    return _drawn(own, take, rng) + _drawn(others, CHECKED_RUNS - take, rng)


def _swept(runs: list[list], chosen: list[list], renamed: set[str], rng: random.Random
           ) -> list[tuple[list[list], bool]]:
    """The runs of ``runs`` the draw left out (:data:`SWEPT_RUNS` at most, drawn from ``rng`` where there are more),
    in chunks of :data:`SWEEP_CHUNK` runs that all are, or all are not, in the reference's names (``renamed``):
    (the chunk, whether its calls go through the names map)."""
    left = {_key(run) for run in chosen}
    rest = list({key: run for run in runs if (key := _key(run)) not in left}.values())
    rest, chunks = _drawn(rest, SWEPT_RUNS, rng), []
    for in_names in (True, False):
        kept = [run for run in rest if (_key(run) in renamed) is in_names]
        chunks += [(kept[at:at + SWEEP_CHUNK], in_names) for at in range(0, len(kept), SWEEP_CHUNK)]
    return chunks


def _drawn(items: list, most: int, rng: random.Random) -> list:
    """``items``, or ``most`` of them drawn from ``rng``, in their order."""
    return items if len(items) <= most else [items[at] for at in sorted(rng.sample(range(len(items)), most))]


def reference_calls(runs: Sequence[list], text: str, name: str | None, back: Mapping[str, str] | None = None
                    ) -> list[list]:
    """``runs``, the verifier's requests of ``text``, with their calls made to the reference's names: through ``back``
    (the case's names to the reference's: :func:`verifier.called_names.judged_names` inverted) where it maps every
    name they call; else to ``name`` (the one name the verifier called in the reference) where they call the one
    function ``text`` defines under a name of its own (:func:`verifier.called_names.own_function`): an honest verifier
    that calls whatever one function a reply defines asks a case ``count_below`` what it asks the reference
    ``negatives`` (the review's ``any_name_helper_todo``)."""
    if back and names_of(runs) and names_of(runs) <= set(back):
        return with_names(runs, back)
    own = called_name(runs)
    if name is None or own is None or own == name or own_function(name, whole_code(text), own) != own:
        return list(runs)
    return with_name(runs, name)
