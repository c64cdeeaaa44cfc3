"""Whether the verifier's requests of its reference tell the reference from simple wrong programs.

Why: red-team round 60 (A4) had a verifier test ``total([7])`` alone. Every program right on ``[7]`` was paid (``max``,
``min``, the first item, the last): 90 to 131 wrong programs a run, unflagged, because the verifier was consistent (no
split for the results rule) and every paid text answered its requests as the reference did (no difference for the
answers rule). A hostile twin that made only that request of its own reference, and tested every other text on seven
cases but paid a share of the wrong ones, hid its splits under the reference's excused digest. Neither is a hack a rule
of what the verifier paid can see: its requests test too little, and the replay of them is what every rule of training
compares by.

So, once a run per task, the trainer measures those requests by the reference's *decoys* (:mod:`verifier.decoys`: for
one called function, a program that returns a constant, or the first item, the largest, the length ... of an argument).
One verifier of the trainer's own (:data:`verifier.decoy_check.DECOY_CHECK`) runs the reference, unchanged, on the
recorded requests and on the *near runs* (the requests with every argument changed a little, drawn by the trusted side
from a secret seed), and works out each decoy's answers from the arguments. A decoy that answered every recorded call of
its function exactly as the reference did was not told from it (the replay would have given it the reference's digest).
Such a decoy is *wrong* when it answers a near call otherwise than the reference returned, by the answers check's own
comparison (:data:`verifier.lenient_compare.COMPARE`), or when the reference *refused* a quarter or more of its near
calls where another such decoy answers otherwise (:data:`verifier.decoy_bounds.REFUSED`: raised on them, did not end
them in fair time, or left the check no time for them, :data:`verifier.decoy_bounds.FAIR_TIMES`), or, for a strict one,
when the reference refused near calls of it and answered none alike (:data:`verifier.decoy_bounds.ROOMY_TIMES`). A decoy
that answers the near runs as the reference does is not wrong: a task whose right answer is the largest item has ``max``
for a decoy.

Why refusals count (session 31; red-team round 61, A4): a reference defined only at the verifier's requests (``assert xs
== [7]``, a loop on any other list, or an answer only on the one-item near lists, where every decoy answers as it does)
left no near call compared, so no decoy was wrong and the reference's digest was excused. A right reference is rarely
defined only at its test points, and a refusal weighs only on decoys that the recorded requests did not tell apart. Why
the seed is secret: the reference's author wrote the records, and with a known seed could search for records whose near
runs are only the ones it can answer like its decoys.

Two or more wrong decoys the requests did not tell from the reference are the finding (:data:`WEAK_DECOYS`), the results
rule's trouble: the task is flagged at its first group; so is one that is *strict* (a constant, or a shape that drops
its argument's content: the first item, the largest, a length, a sum; :attr:`verifier.decoys.Decoy.strict`). One that
rearranges its argument (sorted, without duplicates, stripped, lower-cased) is not, but it keeps the reference's digest
from being excused: an honest verifier's tests often miss one such case (a verifier of "return the items in any order"
whose lists hold no duplicate does not tell ``sorted(set(xs))`` from the reference), and a flag quarantines its task.
Why strict ones count alone (session 31): the requests ``[7]``, ``[7, 0]`` and ``[0, 7]`` of a sum left ``max`` alone
not told apart, and paid 48 of 144 wrong programs a run (red-team round 61).

Where it runs: in validation (the check ``weak_tests``: the pool's call of the reference alone records its requests, and
a verifier whose requests are trouble is rejected, the decoys named for the repair round), and once a run per task in
training (the results rule's trouble, :mod:`trainer.results_replay`), for tasks admitted before.

Why the reference runs unchanged, and the decoys' answers are worked out beside it: red-team round 61 (A1) had a
reference that counted the functions its own module defined and refused to load when a decoy redefined one, so every
decoy made of its text was told apart; and 64 decoys, each a replay of its own, cost a slow reference (2 s a replay) 128
s of a worker (round 61, C). Now the reference's runs are made once a group (kept by the verifier process between its
calls, and made over as many of them as they need, :data:`verifier.decoy_questions.GOING_ON`): one pool call (about
every decoy, and about the strict ones) for a task whose requests are no trouble; and where they are, calls about the
decoys in eight parts, and the first part with weak ones in eight again (a call of one group a round, whose runs are
made again), until four are named.

What that leaves: a decoy stands for one function, with every other call answered as the reference answered it; a
function that the reference's other functions call too is measured only by its own calls. Where every call of the
function in a run returned None and the run printed, the decoy prints its answers instead, a line each, compared with
what the run printed (red-team round 62, D1: ``total(xs)`` printed its sum, and no decoy was compared); a script decoy
is compared wherever the program printed, whatever its calls returned and though it ended with ``sys.exit(0)`` (red-team
round 70: ``main()`` ending ``return 0`` was never compared), and a decoy no recorded request could be answered by (its
shape raised on every one) is not weak.

Still open: a verifier whose requests all answer alike for a decoy outside :data:`verifier.decoys.SHAPES` (a sum of the
absolute values, or without duplicates: the requests ``[7]`` and ``[3, 4]``) is not measured here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol

from task_bank import Outcome, ScoreResult
from verifier.decoy_bounds import BUDGET_S
from verifier.decoy_check import ALL, MORE, decoy_source
from verifier.decoy_questions import GOING_ON, named_weak, written_questions
from verifier.decoys import MAX_DECOYS, Decoy, decoys, left_out, varargs_names
from verifier.limits import RunEnv
from verifier.near_runs import near_runs
from verifier.recorded_runs import replay_runs, unrecorded

__all__ = ["WEAK_DECOYS", "WeakRequests", "recorded_weak", "weak_decoys", "weak_trouble"]

WEAK_DECOYS = 2
"""Wrong decoys the requests did not tell from the reference that make the requests themselves the finding."""


class Scoring(Protocol):
    """The part of a sandbox pool the check uses (``verifier.pool.Pool``, ``verifier.routing.ScoringPool``)."""

    def score_batch(self, items: Sequence[tuple[str, str]], run_env: RunEnv | None = None) -> list[ScoreResult]:
        """Score ``(verifier_source, response)`` pairs, results in order."""


@dataclass(frozen=True)
class WeakRequests:
    """What the decoys' check found of a task's requests."""

    count: int = 0  # decoys the requests did not tell from the reference that are wrong on the near runs
    strict: int = 0  # those of them that are strict (:attr:`verifier.decoys.Decoy.strict`)
    named: tuple[Decoy, ...] = ()  # the first :data:`verifier.decoy_questions.SHOWN` of them, once they are
    # :attr:`trouble`
    measured: bool = True  # False: the check gave no verdict (a recorded run of the reference did not complete in
    # it, its runs were not all made in its group's calls, or it failed): the reference's digest is then not excused
    unfinished: bool = False  # the reference's runs were not all made in the check's group's calls
    too_many: bool = False  # the requests give more decoys than :data:`verifier.decoys.MAX_DECOYS`: none was made
    unrecorded: int = 0  # runs whose requests left no record (too large even shrunk, or past the region)
    unreadable: int = 0  # records that could not be read back (:func:`replay_runs`)
    unmeasured: tuple[str, ...] = ()  # functions asked only in requests too large to record
    unmeasured_input: tuple[str, ...] = ()  # what a standard input given only in requests too large to record held
    # that no recorded one did (:attr:`verifier.recorded_runs.RecordedRuns.unmeasured_input`)
    apart: tuple[int, ...] = ()  # the programs of ``paid`` (:func:`weak_decoys`) that the recorded runs tell apart
    shares: tuple[float | None, ...] = ()  # of each of ``overpaid``: the share of recorded comparisons it answers
    # alike (None: a shape the check does not model as the verifier asked it,
    # :func:`verifier.decoys.as_asked`)

    @property
    def trouble(self) -> bool:
        """Whether the requests are themselves the finding: :data:`WEAK_DECOYS` such decoys or more, one that is strict,
        or runs the check could not all make one after another in its group's calls (about 20 s: only a verifier that
        made its runs at once, in threads, can make such requests within validation's 2 s a call; such requests cannot
        be measured, and a verifier may not choose that), or more decoys than the check makes (so many called names and
        arguments that any share of them could be crowded: red-team round 64, C5), or any left unrecorded, or asked only
        in requests too large to record (:func:`recorded_weak`), or any that cannot be read back."""
        return (self.count >= WEAK_DECOYS or self.strict > 0 or self.unfinished or self.too_many
                or self.unrecorded > 0 or self.unreadable > 0 or bool(self.unmeasured) or bool(self.unmeasured_input))


def recorded_weak(pool: Scoring, recorded: ScoreResult | None, reference_code: str,
                  seed: int = 0, paid: Sequence[Sequence[Decoy]] = (),
                  overpaid: Sequence[Sequence[Decoy]] = ()) -> WeakRequests | None:
    """:func:`weak_decoys` on the runs one call of the reference alone recorded (``recorded``, its ``run_requests``);
    None where there are none to measure (a verifier that runs no program). A request too large to record is recorded
    shrunk (``run_digest.shrunk``): its small calls whole, its largest by name and kinds. The check measures the
    calls kept, and training's answers check runs every paid text on them: an honest performance test of 200,000
    items beside small tests is admitted (session 34's red-team). The requests are trouble where a function was asked
    only in calls too large to keep (:attr:`WeakRequests.unmeasured`), or a run left no record at all
    (:attr:`WeakRequests.unrecorded`): what those asked is where a weak test hides (session 34: ``total([7])``, paid
    by ``max`` and the first item, beside an ignored call of 200,000 items in the same run, was admitted; round 66:
    the same beside a recorded run that called nothing a program defines), and training flags such a task at its
    first group. Every record that could be read is measured, none cut
    (:attr:`verifier.recorded_runs.RecordedRuns.every`), and any that could not be is trouble: the paid run made
    unreadable by an ignored argument 397 deep, beside a readable run of a helper, was admitted (session 35's
    red-team, E2; such nesting is past what honest tests need). A check without a verdict (a recorded run of the
    reference that did not end in its 2 s, or the check's process restarted within its group) is made once more, and
    a second without one is what is returned, which validation rejects: a verifier's requests may not be ones the
    check cannot complete (note 34: a reference that ran past its time in the check alone, or a restart mid-group,
    was admitted, as no verdict passed). Training, which checks once a run, does not excuse the reference's digest
    then, and does not flag (a run there may take the verifier's longer wall limit, past the check's 2 s)."""
    if recorded is None:
        return None
    read = replay_runs(recorded.run_requests or ())
    if read.unreadable or read.blind or recorded.run_requests_dropped:
        return WeakRequests(unrecorded=recorded.run_requests_dropped, unreadable=read.unreadable,
                            unmeasured=read.unmeasured, unmeasured_input=read.unmeasured_input)
    if not read.every:
        return None
    weak = weak_decoys(pool, read.every, reference_code, seed, read.elided, paid, overpaid)
    if not weak.measured and not weak.trouble:  # (once more: a run slowed past its 2 s by a busy machine)
        weak = weak_decoys(pool, read.every, reference_code, seed, read.elided, paid, overpaid)
    return weak


def weak_decoys(pool: Scoring, runs: Sequence[list], reference_code: str, seed: int = 0,
                elided: frozenset[tuple] = frozenset(), paid: Sequence[Sequence[Decoy]] = (),
                overpaid: Sequence[Sequence[Decoy]] = ()) -> WeakRequests:
    """The decoys for the functions ``runs`` called (or for the script they ran) that those runs do not tell from the
    reference whose code is ``reference_code`` and that are wrong on the near runs: wrong programs the requests do not
    tell from it. One pool call of one group: :data:`verifier.decoy_questions.GOING_ON` calls that make the
    reference's runs (a slow reference's over several calls), one about every decoy and one about the strict ones
    (:attr:`Decoy.strict`); where that is trouble, calls that name the first :data:`verifier.decoy_questions.SHOWN`
    (:func:`verifier.decoy_questions.named_weak`). ``seed`` draws the near runs
    (:func:`verifier.near_runs.near_runs`): the trainer's is secret. ``elided``: what requests known by kinds alone held
    (:attr:`verifier.recorded_runs.RecordedRuns.elided`; :func:`verifier.decoys.left_out` and
    :data:`verifier.decoy_check.DECOY_CHECK` say what that changes). ``paid``: programs the validator wrote and the
    verifier paid as it pays the reference (:mod:`verifier.written_decoys`), each as the decoys it answers as; where the
    requests are no trouble, a call of one more group asks which the recorded runs tell apart
    (:attr:`WeakRequests.apart`); ``overpaid``: those it paid less, but more than a failure case may be, whose share of
    answers alike it asks in that call too (:attr:`WeakRequests.shares`)."""
    varargs = varargs_names(reference_code)
    made = decoys(runs, varargs)
    if made is None:
        return WeakRequests(too_many=True)
    near = near_runs(runs, seed, varargs)
    if not made or not (near or paid or overpaid):
        return WeakRequests()
    source = decoy_source(runs, near, made, reference_code,
                          [index for index, decoy in enumerate(made) if left_out(decoy, elided)])
    if not near:
        apart, shares = written_questions(pool, source, reference_code, made, runs, paid, overpaid, GOING_ON)
        return WeakRequests(apart=apart, shares=shares)
    strict = [index for index, decoy in enumerate(made) if decoy.strict]
    asked = [*[MORE] * GOING_ON, ALL, *([" ".join(map(str, strict))] if strict else [])]
    results = pool.score_batch([(source, f"{reference_code}\n{question}") for question in asked])
    going, shares = results[:GOING_ON], results[GOING_ON:]
    if any(share.outcome is not Outcome.SCORED for share in shares):
        unfinished = all(call.outcome is Outcome.SCORED and call.score == 0.0 for call in going)
        return WeakRequests(measured=False, unfinished=unfinished)
    found = WeakRequests(count=round(shares[0].score * len(made)),
                         strict=round(shares[1].score * len(strict)) if strict else 0)
    ahead = next((at for at, call in enumerate(going) if call.outcome is Outcome.SCORED and call.score == 1.0),
                 GOING_ON)  # the calls the runs took before the one they ended in (one more, where any: the
    ahead = min(GOING_ON, ahead + 1) if ahead else 0  # first question of a round has comparisons to make, too)
    named = named_weak(pool, source, reference_code, len(made), ahead) if found.trouble else []
    apart, shares = ((), ()) if found.trouble else written_questions(pool, source, reference_code, made, runs, paid,
                                                                     overpaid, ahead)
    return replace(found, named=tuple(made[index] for index in named), apart=apart, shares=shares)


def weak_trouble(weak: WeakRequests) -> str:
    """Why ``weak`` (:func:`weak_decoys`, its ``trouble``) makes the requests the finding."""
    if weak.unfinished:
        return ("its requests of the reference take longer, made one after another, than the check of its tests "
                "can spend (the verifier made them at once); make fewer or quicker requests")
    if weak.unmeasured or weak.unmeasured_input:
        return (f"{unrecorded(0, 0, weak.unmeasured, weak.unmeasured_input)}; the check of its tests cannot measure "
                "what they asked: ask each function (or the program) something small too, beside a large request, "
                "with arguments of the same kinds (a small input holding numbers, where the large one does)")
    if weak.unrecorded or weak.unreadable:
        return (f"{unrecorded(weak.unrecorded, weak.unreadable)}; the check of its tests cannot measure what it was "
                f"asked: make each run's arguments and input smaller (1 MiB of requests a text, all runs together)")
    if not weak.measured:
        return ("the check of its tests could not complete the reference's recorded runs, twice (a run past its "
                f"{BUDGET_S:g} s, or the check's process restarted); make the reference's runs quicker")
    if weak.too_many:
        return (f"its requests of the reference call so many functions with so many arguments that the check of its "
                f"tests cannot measure them (more than {MAX_DECOYS} simple wrong programs to try); call fewer "
                f"functions, with fewer arguments each")
    shown = ", ".join(decoy.described for decoy in weak.named)
    more = weak.count - len(weak.named)
    listed = f" ({shown}{f' and {more} more' if more > 0 else ''})" if shown else ""
    return (f"its requests of the reference do not tell it from {weak.count} simple wrong "
            f"program{'s' if weak.count != 1 else ''}{listed}: "
            "they answer every request as the reference does, and other inputs otherwise")
