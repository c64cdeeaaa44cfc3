"""The runs a verifier made of its reference, from the sandbox's records of its requests: what the trainer replays on
every text, and what validation and training measure those requests by (:mod:`verifier.weak_requests`).

Why a module of its own: the records are the verifier's choice (malformed ones, too many, too deep, too long), and
both sides must read them the same way and within the same bounds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from verifier.decoys import kind_of
from verifier.sandbox.zygote.fork_protocol import RECORDS_CAP
from verifier.sandbox.zygote.plainjson import UnsafeJSON, loads
from verifier.sandbox.zygote.run_digest import input_kinds

__all__ = ["MAX_CALLS", "MAX_DEPTH", "MAX_RUNS", "RecordedRuns", "near_order", "replay_runs", "unrecorded"]

MAX_RUNS = 8
"""Runs replayed, at most."""
MAX_CALLS = 64
"""Calls of one run, at most."""
MAX_DEPTH = 400
"""Nesting of a record, at most (its arguments' less four: the record, its calls, a call, its arguments). Why not
the 64 of a response's results: session 34's red-team had honest records 80 deep (a nested list of a depth task)
dropped as malformed, and a task whose records were all dropped flagged in training; and a hostile verifier hid its
one weak test in a run beside an ignored argument 70 deep (E4), which validation admitted with nothing to measure.
Why a bound at all: the trusted side reads the records, and the checking verifiers pass them on, with the
interpreter's own recursion (its limit, 1,000 frames); 400 leaves them room."""
_NAMED = 5  # functions an unmeasured message names, at most
_DIGITS = 4300  # digits of a recorded integer, at most (CPython's own bound on converting one)


@dataclass(frozen=True)
class RecordedRuns:
    """The runs read from the records of the reference's requests (:func:`replay_runs`), and what they leave out."""

    runs: tuple[list, ...] = ()  # what the trainer replays, each ``[calls, stdin]``, a call ``[name, args, kwargs]``
    every: tuple[list, ...] = ()  # every distinct readable record as a run of its own, none cut (what the decoys'
    # check measures: :mod:`verifier.weak_requests`)
    unreadable: int = 0  # records that could not be read back (not JSON of calls and a standard input, or nested
    # deeper than :data:`MAX_DEPTH`)
    cut: bool = False  # runs or calls past the replay's bounds were left out of ``runs`` (new names kept first)
    shrunk: int = 0  # records the sandbox shrank to fit (``run_digest.shrunk``): their largest calls, or standard
    # input, are known by name and kinds alone, and left out of ``runs`` and ``every``
    unmeasured: tuple[str, ...] = ()  # names a shrunk record called, or passed a kind of argument in a place, where
    # no call of ``every`` did
    unmeasured_input: tuple[str, ...] = ()  # what a standard input that a shrunk record left out held, and no run
    # of ``every`` did: ``"input"`` (no run has a non-blank one), ``"number"``, ``"word"`` (:func:`input_kinds`)
    elided: frozenset[tuple] = frozenset()  # what shrunk records left out held (:func:`_features`: a name, a name's
    # kind of argument in a place, a standard input and its kinds), whether measured elsewhere or not

    @property
    def whole(self) -> bool:
        """Whether the runs are every record's requests, none left out."""
        return not (self.unreadable or self.cut or self.shrunk)

    @property
    def blind(self) -> bool:
        """Whether some of what the reference was asked is known only by name: a function called, or a standard
        input given, only in requests too large to record (:attr:`unmeasured`, :attr:`unmeasured_input`). What
        those asked is where a weak test hides (a call paid by ``max``'s answer, padded past the records' region),
        so validation rejects it and training flags it; a small request of the same function beside it is
        measured, and training's answers check replays it on every paid text."""
        return bool(self.unmeasured or self.unmeasured_input)


def replay_runs(records: Sequence[str]) -> RecordedRuns:
    """The runs to replay from the records of the reference's requests (``ScoreResult.run_requests``, the
    verifier's choice: malformed ones are counted unreadable). Each distinct record is one run, its calls in the
    order they were recorded: a response's code starts afresh in each run, and one that keeps state between calls (a
    module-level cache) answers a call by the calls before it in its run, as it did in the verifier's own (red-team
    round 58: with the calls of a standard input merged and sorted, a right answer that kept its first call's length
    returned the wrong program's results in the replay, was its split, and an honest task was flagged). Where those
    runs do not fit :data:`MAX_RUNS` runs of :data:`MAX_CALLS` calls, the records of the standard inputs with the
    most of them (and of any whose run holds more than :data:`MAX_CALLS` calls) are merged into one run each, as they
    were before: their calls deduplicated and sorted. Records and runs are sorted, so the replay does not depend on
    the order the reference's runs ended in.

    What still does not fit is cut from the replay (:attr:`RecordedRuns.cut`), the runs and calls that call a name,
    or pass an argument a kind, that none before them did kept first (:func:`_covering`), so that training's answers
    check, which replays them, compares every name it can. The decoys' check measures every record
    (:attr:`RecordedRuns.every`): session 34's red-team made 64 ignored calls of a helper that sorted before
    ``total([7])``, the one test the verifier paid by (E3), or eight ignored runs whose inputs sorted before its own
    (E2), and the cut left ``total`` unmeasured; and round 66 crowded a chosen cut too (64 calls each of a keyword
    of its own, or eight ignored standard inputs without a number before the paid one), which no cut the host makes
    without the reference's answers escapes. A record the sandbox shrank (``run_digest.shrunk``) gives the run of
    the calls it kept, and the names of those it left out (:attr:`RecordedRuns.blind`)."""
    read = _distinct(records)
    every = tuple(json.loads(key) for key in sorted(read.distinct))
    by_stdin: dict[str, list[list]] = {}
    for calls, stdin in every:
        by_stdin.setdefault(stdin, []).append(calls)
    merged = {stdin for stdin, recorded in by_stdin.items() if any(len(calls) > MAX_CALLS for calls in recorded)}
    count = sum(1 if stdin in merged else len(recorded) for stdin, recorded in by_stdin.items())
    for stdin in sorted(by_stdin, key=lambda each: (-len(by_stdin[each]), each)):
        if count <= MAX_RUNS:
            break
        if stdin not in merged:
            merged.add(stdin)
            count -= len(by_stdin[stdin]) - 1
    runs: list[list] = []
    cut = False
    for stdin, recorded in sorted(by_stdin.items()):
        if stdin in merged:
            calls = [json.loads(call) for call in sorted({json.dumps(call, sort_keys=True)
                                                          for run in recorded for call in run})]
            cut = cut or len(calls) > MAX_CALLS
            runs.append([_covering(calls, MAX_CALLS, lambda call: _features([call], "")), stdin])
        else:
            runs += [[calls, stdin] for calls in recorded]
    kept = _covering(runs, MAX_RUNS, lambda run: _features(*run))
    measured = set().union(*(_features(calls, "") for calls, _ in every))
    measured_input = set().union(*(_input_features(stdin) for _, stdin in every))
    return RecordedRuns(tuple(kept), every, read.unreadable, cut or len(runs) > MAX_RUNS, read.shrunk,
                        tuple(sorted({feature[0] for feature in read.elided - measured if feature[0].isidentifier()})),
                        tuple(sorted(feature[1] if len(feature) > 1 else "input"
                                     for feature in read.elided_input - measured_input)),
                        frozenset(read.elided | read.elided_input))


def _features(calls: list, stdin: str) -> set[tuple]:
    """What a run's requests hold that the decoys (:mod:`verifier.decoys`) are made by: each called name (one a
    program can define), each kind of argument passed in each place of it, and a standard input that is not
    blank, with what its tokens are (:func:`_input_features`)."""
    found = _input_features(stdin)
    for name, args, kwargs in calls:
        if name.isidentifier():
            found.add((name,))
            found.update((name, place, kind_of(value)) for place, value in [*enumerate(args), *kwargs.items()])
    return found


def _input_features(stdin: str) -> set[tuple]:
    """What a standard input holds that the script decoys (:mod:`verifier.script_decoys`) read: ``("stdin",)``
    where it is not blank (a feature of one element, as a name is: :func:`_order`), and ``("stdin", kind)`` for each
    kind of its tokens (:func:`input_kinds`)."""
    return {("stdin",), *(("stdin", kind) for kind in input_kinds(stdin))} if stdin.strip() else set()


def _covering(items: list, bound: int, features) -> list:
    """At most ``bound`` of ``items``, in their order: those that :func:`_order` puts first."""
    return items if len(items) <= bound else [items[at] for at in sorted(_order(items, features)[0][:bound])]


def near_order(runs: Sequence[list]) -> tuple[list[int], int]:
    """The positions of ``runs`` in the order their near copies are drawn (:mod:`verifier.near_runs`), and how many
    come first for a name (or an input) none before them held: :func:`_order`'s. Why: a run of the one paid test
    sorted after eight ignored ones had no near copy; and since 1.48 each of those first runs gets one, past eight
    too (eight runs of ignored helpers, ``h0()`` ... ``h7()``, before ``total(7)`` had taken every near copy)."""
    return _order(list(runs), lambda run: _features(*run))


def _order(items: list, features) -> tuple[list[int], int]:
    """Every position of ``items``: first each item that holds a name (a feature of one element, as
    ``features(item)`` gives them; a standard input is one too) none before it holds, then each that holds any
    other feature none before it holds, then the rest, in order; and how many the names put first. Why names
    first: round 66 gave 64 ignored calls a keyword each, which a cut by any new feature kept before the paid call
    of a name of its own."""
    held = [features(item) for item in items]
    seen: set = set()
    chosen: dict[int, None] = {}  # (in the order chosen)
    named = 0
    for names_only in (True, False):
        for at, found in enumerate(held):
            new = {feature for feature in found - seen if len(feature) == 1 or not names_only}
            if new and at not in chosen:
                chosen[at] = None
                seen |= new
        named = named or len(chosen)
    return [*chosen, *(at for at in range(len(items)) if at not in chosen)], named


@dataclass
class _Read:
    """What :func:`_distinct` read of the records."""

    distinct: set[str] = field(default_factory=set)  # the recorded runs, each as sorted JSON (``[calls, stdin]``)
    unreadable: int = 0
    shrunk: int = 0  # records the sandbox shrank (``run_digest.shrunk``)
    elided: set[tuple] = field(default_factory=set)  # what the calls they left out held (:func:`_features`)
    elided_input: set[tuple] = field(default_factory=set)  # what the standard inputs they left out held
    # (:func:`_input_features`)


def _is_input_kinds(kinds: object) -> bool:
    """Whether ``kinds`` is what a shrunk record holds in place of its standard input (:func:`input_kinds`)."""
    return isinstance(kinds, list) and kinds in ([], ["number"], ["word"], ["number", "word"])


def _is_kinds(kinds: object) -> bool:
    """Whether ``kinds`` is what a shrunk call holds in place of its arguments: ``[place, kind]`` pairs."""
    return isinstance(kinds, list) and all(isinstance(pair, list) and len(pair) == 2 and isinstance(pair[1], str)
                                           and type(pair[0]) in (int, str) for pair in kinds)


def _distinct(records: Sequence[str]) -> _Read:
    """The distinct well-formed runs among ``records``, and what was not read of them (NaN and the infinities are
    read: a float argument may be one). A shrunk record (``[calls, stdin, true]``) gives the run of the calls it
    kept (none where it kept none, or left out its standard input: those calls were asked with it), the names of
    those it left out, and what its standard input held where it left that out (:func:`input_kinds`)."""
    read = _Read()
    for record in records:
        try:
            value = loads(record.encode("utf-8", "surrogatepass"), max_depth=MAX_DEPTH, max_digits=_DIGITS,
                          allow_nan=True)
        except (UnsafeJSON, UnicodeError):
            read.unreadable += 1
            continue
        shrunk = isinstance(value, list) and len(value) == 3 and value[2] is True
        if not (isinstance(value, list) and len(value) == 2 + shrunk and isinstance(value[0], list)
                and (isinstance(value[1], str) or (shrunk and _is_input_kinds(value[1])))):
            read.unreadable += 1
            continue
        calls, stdin = value[0], value[1]
        if not all(isinstance(call, list) and len(call) == 3 and isinstance(call[0], str)
                   and ((isinstance(call[1], list) and isinstance(call[2], dict))
                        or (shrunk and call[1] is None and _is_kinds(call[2]))) for call in calls):
            read.unreadable += 1  # (a response process would have failed the run at it)
            continue
        if shrunk:
            read.shrunk += 1
            kept = [call for call in calls if call[1] is not None] if isinstance(stdin, str) else []
            for name, args, kinds in calls:
                if args is not None and not isinstance(stdin, str):
                    read.elided |= _features([[name, args, kinds]], "")
                elif args is None:  # (a name no program can define is left out at the end)
                    read.elided |= {(name,), *((name, place, kind) for place, kind in kinds)}
            if not isinstance(stdin, str):  # (a blank one too: a script asked only that pays constants, round 68's A5)
                read.elided_input |= {("stdin",), *(("stdin", kind) for kind in stdin)}
            if not kept:
                continue
            value = [kept, stdin]
        try:
            read.distinct.add(json.dumps(value, sort_keys=True))
        except RecursionError:  # (within MAX_DEPTH, only where the trusted side's own stack is deep already)
            read.unreadable += 1
    return read


def unrecorded(dropped: int, unreadable: int = 0, unmeasured: Sequence[str] = (),
               unmeasured_input: Sequence[str] = ()) -> str:
    """Why the records of a reference that ran leave its requests unmeasured: ``dropped`` runs' requests left no
    record at all, or ``unmeasured`` functions (and a standard input, or one of numbers or words, ``unmeasured_input``:
    :attr:`RecordedRuns.unmeasured_input`) were asked only in
    requests too large to record, or with a kind of argument passed only there (:attr:`RecordedRuns.blind`), or
    ``unreadable`` records could not be read back (:func:`replay_runs`), or (none of these) no run left one (a run records its request before any of its code
    runs: only a run ended in between leaves none). Either way what the requests test is unknown, and an unrecorded
    run is where a weak test hides: red-team round 57 (E4: one 40 KB standard input, when 32 KiB were recorded) in
    training, and session 34 in validation (``total([7])`` beside an ignored call of 200,000 items: the run's
    record, 1.3 MB, was left out, the decoys' check had nothing to measure, and the task was admitted; or beside an
    ignored argument nested 70 deep)."""
    if dropped:
        return (f"its reference's requests were too large to record ({dropped} run(s) past what the sandbox "
                f"records: {RECORDS_CAP >> 20} MiB a text, as far as the run's pipe could be grown)")
    if unmeasured or unmeasured_input:
        asked = [*(f"`{name}`" for name in unmeasured[:_NAMED]), *([_input_told(unmeasured_input)]
                                                                     if unmeasured_input else [])]
        more = len(unmeasured) - _NAMED
        return (f"its reference was asked {', '.join(asked)}{f' and {more} more' if more > 0 else ''} only in "
                f"requests too large to record, or with a kind of argument passed only there ({RECORDS_CAP >> 20} "
                f"MiB a text, as far as the run's pipe could be grown: those are known by name and kinds alone)")
    if unreadable:
        return (f"its reference's requests could not be read back ({unreadable} record(s) nested deeper than "
                f"{MAX_DEPTH - 4} levels of arguments, holding an integer of more than {_DIGITS} digits, or not calls "
                f"of named functions)")
    return "its reference ran, but no run of it left a request that can be replayed"


def _input_told(kinds: Sequence[str]) -> str:
    """An unmeasured standard input (:attr:`RecordedRuns.unmeasured_input`) as a person reads it."""
    held = [{"number": "numbers", "word": "words"}[kind] for kind in kinds if kind != "input"]
    return "a standard input" + (f" holding {' and '.join(held)}" if held and "input" not in kinds else "")
