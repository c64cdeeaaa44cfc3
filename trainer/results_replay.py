"""The results rule's digests, made with requests no verifier chose per text: the reference's, replayed on every text.

Why: the sandbox's run digest (``ScoreResult.run_digest``) holds the requests the verifier made, and a verifier
chooses them per text. Red-team round 56 had one pay programs by their look and give only those texts a request of
their own (a standard input from the text's length, a second run, a trivial call), or report before a run ended,
or have a run killed: the texts it paid had digests of their own or none, the results rule had nothing to compare,
and 54 to 57 wrong programs were paid over 24 groups with no flag.

So the trainer asks once a run, per task, which requests the verifier made of the task's reference (scored alone,
``RunEnv.record_requests``: the trusted side recorded each request before any code ran), and scores every text
of the task a second time with a verifier of its own (:data:`REPLAY`) that makes exactly those requests of the
text's code (:func:`verifier.response_code.code_of`) and pays nothing. That run's digest is the text's
*replayed* digest: what the text does on the requests that tested the right program, the same requests for every
text whatever the verifier did with it. Two texts of one replayed digest that the verifier scored paid and not are
the split the rule counts (:mod:`trainer.monitor_results`).

What the verifier still decides is which requests it made of the reference. A verifier that makes it poor ones (one
trivial call) gives most texts one replayed digest, so every text it judges by anything gives splits, unless that
digest is the reference's, whose splits the rule excuses: so the reference's replayed digest is excused only when
the requests were replayed whole and tell the reference from each of the task's failure cases that is a program, and
from at least half of its mutants, and from every simple wrong program of the shape its arguments suggest
(:mod:`verifier.weak_requests`: two such programs not told apart are trouble). Red-team round 57 had six verifiers
hide every split under an excused digest: no call or a bad call for the reference, honest requests crowded out of
the record; a failure case that returns nothing is told from the reference by one easy input that most wrong
programs pass too; round 60 (A4), one test that ``max`` passes as the sum does. A reference the verifier paid
without running it while it runs programs, or that it did not pay in full scored alone three times out of three
(validation pays a reference in full in every run), is itself the finding: nothing can be replayed, and the
verifier's own digests are what round 56 evaded. A call of a name the text does not define fails the same way in
every text, and counts as what the text did (unless the reference's requests call one name and the text defines
one other function and nothing of that name: that one is called, :mod:`verifier.called_names`): no text is left out
for it (leaving texts out that lack a name the reference's requests called let a verifier that called a helper only
the reference defines leave every text out).
Requests are replayed as they were recorded: one run per distinct record, its calls in their recorded order (at most
:data:`MAX_RUNS` runs of :data:`MAX_CALLS` calls, sharing :data:`REPLAY_BUDGET_S`), the records sorted, so the replay
does not depend on the order in which the reference's runs ended. A text that keeps state between the calls of a
run (a module-level cache) then answers as it did in the verifier's own runs of the same requests (red-team round 58:
with each standard input's calls merged and sorted, a right answer that kept what its first call was asked got the wrong
program's replayed digest, and an honest task was flagged at its second group). Where the records do not fit the
bounds, the standard inputs with the most records are merged into one run each, calls deduplicated and sorted (see
:func:`replay_runs`): there such a text can still split.

Costs: one more verify call of the reference per task and run (and replays of it and of its failure cases), and
one replay call per scored program text, in one pool call after the group's own (of as many runs as the verifier
made distinct runs of the reference, up to :data:`MAX_RUNS`). A reference that ran but left no
record that can be replayed is trouble too, as is one whose runs left any record out, or asked a function (or
gave a standard input) only in requests too large to record whole (the sandbox records 1 MiB of them for a text,
grows a run's pipe to fit, and shrinks a larger request to its small calls and the names of its large ones:
``run_digest.shrunk``; a shrunk record makes the replay not whole, so never excused), or its runs still going or
killed when the verifier reported. Falling back to the verifier's own digests there let red-team round 57 evade the
rule with one 40 KB standard input (E4, when 32 KiB were recorded; 72 of 72 wrong programs paid). An honest task
whose reference needs more than 1 MiB of standard input, and no smaller one, is flagged for it: a cost this rule
pays. Still open: the code the trainer replays is what :func:`verifier.response_code.code_spans` finds,
which a verifier that runs another part of a text (a response padded past 20,000 characters, unfenced code before a
fenced block of prose) can use.
"""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from task_bank import Outcome, ScoreResult, TaskSpec
from verifier.called_names import renamings, with_name
from trainer.scoring import ScoringPool
from verifier.limits import RunEnv
from verifier.checks_probes import prompt_words
from verifier.pool import runs_response_code
from verifier.recorded_runs import MAX_CALLS, MAX_RUNS, RecordedRuns, replay_runs, unrecorded
from verifier.reference_mutants import reference_mutants
from verifier.response_code import code_of, whole_code
from verifier.weak_requests import weak_decoys, weak_trouble

__all__ = ["MAX_CALLS", "MAX_RUNS", "MUTANTS", "REPLAY", "REPLAY_BUDGET_S", "Replay", "ResultsReplay", "replay_runs",
           "replay_source", "separates"]

REPLAY_BUDGET_S = 2.0
"""Seconds all of one text's replayed runs may take together: validation's budget for a verify call of the reference
(``ValidationConfig.call_budget_s``, 2 s), so a reference it admitted fits."""
PAID = 0.95
"""What a reference scored alone must be paid, at least (the results rule's ``results_paid``, by default)."""
RECORD_TRIES = 3
MUTANTS = 8
"""Mutants of the reference the replay is tried on, once a run per task (:func:`separates`)."""
UNRUN = "it paid its reference without running any of it, while it runs programs"
NO_DIGEST = (f"the replay of its reference's requests left the reference no digest (a run past the replay's "
             f"{REPLAY_BUDGET_S:g} s, or one ended without reporting)")
"""Trouble: every text's replay would then be as uncompared (a reviewer found requests slow enough to time out in the
replay let every text escape the rule)."""

REPLAY = '''import json
import time

from envsynth_sandbox import run_response

RUNS = json.loads({runs!r})


def verify(response):
    end = time.monotonic() + {budget!r}
    for calls, stdin in RUNS:
        run_response(response, calls=calls, stdin=stdin, timeout=max(0.01, end - time.monotonic()))
    return 1.0
'''
"""The replaying verifier: the runs (each ``[calls, stdin]``) as a JSON literal, made of the reference's requests,
sharing :data:`REPLAY_BUDGET_S` (a run takes what the runs before it left: validation holds a verify call of the
reference to the same 2 s however its runs divide them, and a fixed share of it timed an honest slow run out)."""


def replay_source(runs: Sequence[list]) -> str:
    """The replaying verifier's source for ``runs`` (:func:`replay_runs`)."""
    return REPLAY.format(runs=json.dumps(list(runs)), budget=REPLAY_BUDGET_S)


@dataclass(frozen=True)
class Replay:
    """What the trainer made of the verifier's requests of a task's reference, once a run."""

    runs: tuple[list, ...] = ()  # what it replays, each ``[calls, stdin]`` (:func:`replay_runs`; none: no replay)
    excused: str | None = None  # the reference's replayed digest, when its splits are excused (see ``_excused``)
    trouble: str | None = None  # why the reference's requests are themselves evidence against the verifier
    unrun: bool = False  # the verifier paid the reference without running it (trouble once it runs any program)

    @cached_property
    def source(self) -> str | None:
        """The replaying verifier (:func:`replay_source`); None without runs: the texts keep the verifier's own run
        digests."""
        return replay_source(self.runs) if self.runs else None


def separates(reference: str | None, failures: Sequence[str | None], mutants: Sequence[str | None]) -> bool:
    """Whether replayed requests that gave the reference ``reference`` tell it from the failure cases (every one) and
    from its mutants (at least half of them, where two or more were made): the requests test what the reference
    computes, so the texts that share its digest computed it too. Why half: an honest verifier with exact tests paid
    1.2% of the one-token mutants of 81 natural programs offline and no more than half of any program's (red-team
    round 49, the bound validation's ``mutant_passes`` rests on); one easy input leaves most of them unseparated."""
    if reference is None or reference in failures:
        return False
    alike = sum(digest == reference for digest in mutants)
    return len(mutants) < 2 or 2 * alike <= len(mutants)


class ResultsReplay:
    """Per task, the replaying verifier (made once a run from the reference's requests); the replayed digests."""

    def __init__(self, pool: ScoringPool, near_rng: random.Random | None = None) -> None:
        self._pool = pool
        # the seeds of the decoys' near runs (:mod:`verifier.weak_requests`): secret, as no verifier may predict them
        # (a seeded source only in tests)
        self._near_rng = near_rng or random.SystemRandom()
        self._replays: dict[str, Replay] = {}
        self._tries: dict[str, int] = {}  # recordings of a task whose reference was not paid in full
        self._ran: set[str] = set()  # tasks some text of which the verifier ran (the sandbox's ``ran_response``)

    def replay(self, task_id: str, spec: TaskSpec) -> Replay | None:
        """The task's replay, recording the reference's requests the first time (one verify call of the reference
        alone); None while unknown: a call the sandbox failed is tried again at the next group, and so is one that
        did not pay the reference in full, :data:`RECORD_TRIES` times in all. Then, and where the verifier paid its
        reference without running any of it while it runs programs of the task, the replay carries the trouble
        (a reference scored alone must be paid in full, as in every run of validation; one paid unrun leaves
        nothing to replay, and the verifier's own digests are what round 56 evaded)."""
        known = self._replays.get(task_id)
        if known is not None:
            if known.unrun and known.trouble is None and task_id in self._ran:
                known = self._replays[task_id] = Replay(unrun=True, trouble=UNRUN)
            return known
        (result,) = self._pool.score_batch([(spec.verifier, spec.reference)], RunEnv(record_requests=True))
        if result.outcome is Outcome.ERROR:
            return None
        if result.outcome is not Outcome.SCORED or (result.score or 0.0) < PAID:
            self._tries[task_id] = self._tries.get(task_id, 0) + 1
            if self._tries[task_id] < RECORD_TRIES:
                return None
            found = Replay(trouble=f"its reference, scored alone, was {result.outcome.value}"
                           + (f" {result.score:g}" if result.score is not None else "")
                           + f" {RECORD_TRIES} times out of {RECORD_TRIES}")
        elif not result.ran_response:  # (trouble only once it runs some program: a static checker may name it)
            found = Replay(unrun=True, trouble=UNRUN if task_id in self._ran else None)
        else:
            read = replay_runs(result.run_requests or ())
            dropped = result.run_requests_dropped
            if result.run_requests is None:  # (a backend that records nothing)
                found = Replay()
            elif read.unreadable or read.blind or dropped or not read.runs:  # (what a record left unread, or a
                # request known by name and kinds alone, asked is unknown: round 66, E2, and its dropped run)
                found = Replay(trouble=unrecorded(dropped, read.unreadable, read.unmeasured, read.unmeasured_input))
            else:
                found = self._excused(spec, read)
        self._replays[task_id] = found
        return found

    def _excused(self, spec: TaskSpec, read: RecordedRuns) -> Replay:
        """The replay, with the reference's replayed digest excused (its splits do not count: a verifier that also
        judges form fails some right programs honestly) only when the requests were replayed whole and tell
        the reference from each of the task's failure cases that is a program, and from at least half of its
        mutants (:func:`separates`); a reference whose replay left no digest is trouble (:data:`NO_DIGEST`).
        Why: a verifier that makes its reference poor requests (none, a bad call, one trivial input), or
        crowds its honest requests out of the record (then 32 KiB of standard input first, 64 calls or 8
        inputs before them), gives every text the reference's replayed digest, and an excused one hid every
        split (red-team round 57: 72 of 72 wrong programs paid, six ways). The failure cases alone are the
        generator's choice: one that returns nothing at all is told from the reference by any one easy input
        that most wrong programs pass too; the mutants (validation's kind, drawn here with a fixed seed) are
        not. Nor is it excused where the requests do not tell the reference from one of its decoys that is wrong, and
        two or more such decoys are trouble (:mod:`verifier.weak_requests`; red-team round 60, A4: one test,
        ``total([7])``, that ``max`` and the first item pass)."""
        complete = read.whole
        found = Replay(read.runs)
        mutated = reference_mutants(spec, random.Random(0), MUTANTS, keep=prompt_words(spec.prompt_text),
                                    rename=False)
        reference = whole_code(spec.reference)  # (red-team round 60, A1: padded)
        failures, mutants = [code_of(text) for text in spec.failure_cases], [code_of(text) for text in mutated]
        if not reference:
            return found
        failures, mutants = [code for code in failures if code], [code for code in mutants if code]
        results = self._pool.score_batch([(found.source, code) for code in (reference, *failures, *mutants)])
        digests = [result.run_digest for result in results]
        if results[0].outcome is Outcome.SCORED and digests[0] is None:
            return Replay(trouble=NO_DIGEST)
        weak = weak_decoys(self._pool, read.every, reference, self._near_rng.getrandbits(64), read.elided)
        if weak.trouble:  # (red-team round 60, A4: one trivial request; see verifier.weak_requests)
            return Replay(found.runs, trouble=weak_trouble(weak))
        ok = complete and weak.measured and not weak.count and separates(digests[0], digests[1:1 + len(failures)],
                                                 digests[1 + len(failures):])
        return Replay(found.runs, excused=digests[0] if ok else None)

    def digests(self, items: Sequence[tuple[str, TaskSpec | None, str, ScoreResult]]) -> list[str | None]:
        """For each ``(task_id, spec, text, result)``: the text's replayed digest where its task has a replaying
        verifier (None when the text holds no code, or its replay left no digest), else its run digest. A task
        is replayed once its verifier names ``run_response`` or ran any text (the sandbox's ``ran_response``,
        which no verifier can hide). One pool call for all of them; each distinct code is replayed once."""
        self._ran.update(task for task, _, _, result in items if result.ran_response)
        specs = {task: spec for task, spec, _, result in items if spec is not None and spec.reference
                 and (result.ran_response or runs_response_code(spec.verifier))}
        replays = {task: self.replay(task, spec) for task, spec in specs.items()}  # (one try per call)
        found: list[str | None] = []
        todo: dict[tuple[str, str], list[int]] = {}
        named: dict[tuple[str, str], str] = {}  # (task, code): its replaying verifier, made once a call
        for index, (task_id, _, text, result) in enumerate(items):
            replay = replays.get(task_id)
            source = replay.source if replay is not None else None
            unknown = task_id in specs and (replay is None or replay.trouble is not None)  # no evidence from it now
            found.append(result.run_digest if source is None and not unknown else None)
            code = code_of(text) if source is not None else ""
            if source is not None and code:
                if (task_id, code) not in named:  # (a text whose functions have names of their own: called_names)
                    names = renamings(replay.runs, code)
                    named[task_id, code] = replay_source([run for name in names
                                                          for run in with_name(replay.runs, name)]) if names else source
                todo.setdefault((named[task_id, code], code), []).append(index)
        if todo:
            results = self._pool.score_batch(list(todo))
            for indices, result in zip(todo.values(), results, strict=True):
                for index in indices:
                    found[index] = result.run_digest
        return found

    def known(self, task_id: str) -> Replay | None:
        """The task's replay, when made."""
        return self._replays.get(task_id)
