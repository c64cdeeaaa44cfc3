"""The runs a verifier made of its reference, from the sandbox's records of its requests: what the trainer replays on
every text, and what validation and training measure those requests by (:mod:`verifier.weak_requests`).

Why a module of its own: the records are the verifier's choice (malformed ones, too many, too deep, too long), and
both sides must read them the same way and within the same bounds.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from verifier.sandbox.zygote.fork_protocol import RECORDS_CAP
from verifier.sandbox.zygote.plainjson import UnsafeJSON, loads

__all__ = ["MAX_CALLS", "MAX_RUNS", "replay_runs", "unrecorded"]

MAX_RUNS = 8
"""Runs replayed, at most."""
MAX_CALLS = 64
"""Calls of one run, at most."""
_DEPTH = 64  # nesting of a recorded request's arguments, at most (``run_response``'s own bound on values)
_DIGITS = 4300  # digits of a recorded integer, at most (CPython's own bound on converting one)


def replay_runs(records: Sequence[str]) -> tuple[list[list], bool]:
    """The runs to replay from the records of the reference's requests (``ScoreResult.run_requests``, the
    verifier's choice: malformed ones are dropped), each ``[calls, stdin]``, and whether that is all of them (none
    dropped, none cut by the bounds). Each distinct record is one run, its calls in the order they were recorded:
    a response's code starts afresh in each run, and one that keeps state between calls (a module-level cache)
    answers a call by the calls before it in its run, as it did in the verifier's own (red-team round 58: with the
    calls of a standard input merged and sorted, a right answer that kept its first call's length returned the
    wrong program's results in the replay, was its split, and an honest task was flagged). Where those runs do not
    fit :data:`MAX_RUNS` runs of :data:`MAX_CALLS` calls, the records of the standard inputs with the most of them
    (and of any whose run holds more than :data:`MAX_CALLS` calls) are merged into one run each, as they were
    before: their calls deduplicated and sorted (a run per record would cut them, and a cut replay is never
    excused). Records and runs are sorted, so the replay does not depend on the order the reference's runs ended
    in."""
    distinct, whole = _distinct(records)
    by_stdin: dict[str, list[list]] = {}
    for key in sorted(distinct):
        calls, stdin = json.loads(key)
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
    for stdin, recorded in sorted(by_stdin.items()):
        if stdin in merged:
            calls = sorted({json.dumps(call, sort_keys=True) for run in recorded for call in run})
            whole = whole and len(calls) <= MAX_CALLS
            runs.append([[json.loads(call) for call in calls[:MAX_CALLS]], stdin])
        else:
            runs += [[calls, stdin] for calls in recorded]
    return runs[:MAX_RUNS], whole and len(runs) <= MAX_RUNS


def _distinct(records: Sequence[str]) -> tuple[set[str], bool]:
    """The distinct well-formed records among ``records``, each as sorted JSON (``[calls, stdin]``), and whether
    none was malformed."""
    distinct: set[str] = set()
    whole = True
    for record in records:
        try:
            value = loads(record.encode("utf-8", "surrogatepass"), max_depth=_DEPTH, max_digits=_DIGITS)
        except (UnsafeJSON, UnicodeError):
            whole = False
            continue
        if not (isinstance(value, list) and len(value) == 2 and isinstance(value[1], str)
                and isinstance(value[0], list)):
            whole = False
            continue
        if not all(isinstance(call, list) and len(call) == 3 and isinstance(call[0], str)
                   and isinstance(call[1], list) and isinstance(call[2], dict) for call in value[0]):
            whole = False  # (a response process would have failed the run at it)
            continue
        distinct.add(json.dumps(value, sort_keys=True))
    return distinct, whole


def unrecorded(dropped: int) -> str:
    """Why the records of a reference that ran leave its requests unmeasured: ``dropped`` runs' requests were too
    large to record, or (none dropped) no run left one that can be replayed (a run records its request before any
    of its code runs: only a run ended in between, or a request no response process could have served, leaves
    none). Either way what the requests test is unknown, and an unrecorded run is where a weak test hides: red-team
    round 57 (E4: one 40 KB standard input, when 32 KiB were recorded) in training, and session 34 in validation
    (``total([7])`` beside an ignored call of 200,000 items: the run's record, 1.3 MB, was left out, the decoys'
    check had nothing to measure, and the task was admitted)."""
    if dropped:
        return (f"its reference's requests were too large to record ({dropped} run(s) past what the sandbox "
                f"records: {RECORDS_CAP >> 20} MiB a text, as far as the run's pipe could be grown)")
    return "its reference ran, but no run of it left a request that can be replayed"
