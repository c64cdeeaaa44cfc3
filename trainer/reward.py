"""The reward function: every completion of a GRPO batch scored by its task's verifier, in one pool call.

TRL calls a reward function with the whole generation batch (``prompts``, ``completions`` and every dataset
column, here ``task_id``) and expects one float or ``None`` per completion. :class:`VerifierReward` sends the batch
to the verifier pool with a single ``score_batch`` call, so the pool's warm sandbox workers score it in parallel;
the trainer never waits on one verify call after another.

How an outcome becomes a reward (docs/SPEC.md, "Verifier outcomes")::

    scored                      -> the score, a float in [0, 1]
    crashed, timeout, invalid   -> 0.0   the response killed, hung or broke its own run: it earns nothing
    error                       -> None  the sandbox failed; TRL skips the row instead of learning from a fake 0
    task no longer in the bank  -> None  nothing to score it with

With a monitor, ``spot_checks`` responses of each group (drawn) are then scored again, at even odds either *alone*
(one more ``score_batch`` call per round, holding at most one response per verifier, so each is the first and only
call of a fresh process) or *after a canary* (a fresh known-wrong answer first, then the response, in one process:
validation's run 0 opens its processes with twins, and a verifier that recognised such an opener stayed honest there
while it paid every other process, alone included; red-team round 15). The monitor's position rule compares the two
rewards (a verifier that pays by where a response stands in its process shows a gap; :mod:`trainer.monitor`). The
policy learns from the in-group reward only. With a monitor, each group's own call also holds ``group_canaries``
known-wrong answers at drawn places among its responses (their scores go to the monitor's canary rule, never to a
reward): the only canaries a verifier meets at the calls where it meets the group's responses. It holds
``group_mutants`` mutants too: a program of the task that the verifier ran and paid earlier in the run (one of the
latest eight; paid unrun counts too where the reference is a program), with one operator, number or name changed
(:mod:`verifier.code_mutation`), whose scores go to the monitor's mutant rule; and up to ``group_answer_probes``
answer probes: a program it paid without running it, with the numbers it states beside its code changed, whose
scores tell the unrun rule whether the pay was for the stated answer. Spot checks run in the background, while the
trainer generates the next batch (waiting for them doubled the reward call of a cheap verifier);
:meth:`VerifierReward.drain` hands the finished ones to the monitor, on the trainer's thread, at the next call and
whenever the monitor judges. The probes inside a group's own call are drawn by :mod:`trainer.group_probes`.

Raising would abort ``train()``, so nothing here raises for a bad rollout. Counts of each outcome
(``verifier/scored``, ``verifier/error``, ...), the pass rate, the equal-score groups and the scoring time
(``verifier/seconds``) are logged per call through TRL's ``log_metric`` hook, which averages them over the logging
interval; per-task tallies go to the :class:`trainer.ledger.ScoreLedger` for the statistics callback.
"""

from __future__ import annotations

import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from task_bank import Outcome, ScoreResult, TaskSpec
from trainer.answer_check import AnswerCheck
from trainer.background_checks import BackgroundChecks
from trainer.group_probes import GroupProbeKind, GroupProbes
from trainer.ledger import ScoreLedger
from trainer.monitor import RewardHackMonitor
from trainer.results_replay import ResultsReplay
from trainer.scoring import ZERO_OUTCOMES, ScoringPool, TaskLookup, completion_text, reward_of

__all__ = ["ZERO_OUTCOMES", "ScoringPool", "TaskLookup", "VerifierReward", "completion_text", "reward_of"]

class VerifierReward:
    """TRL reward function scoring completions with their task's verifier through a warm pool."""

    def __init__(self, pool: ScoringPool, bank: TaskLookup, ledger: ScoreLedger, group_size: int,
                 monitor: RewardHackMonitor | None = None, rng: random.Random | None = None,
                 canary_rng: random.Random | None = None, max_completion_length: int | None = None) -> None:
        self.__name__ = "verifier"
        self._max_length = max_completion_length  # a completion of this many tokens was cut off (None: unknown)
        self._monitor = monitor
        # canaries, as validation's twins: names no verifier can predict (a seeded source only in tests)
        twin_rng = canary_rng or random.SystemRandom()
        # the canaries put inside groups, drawn on the trainer's thread (``twin_rng`` is the background thread's)
        self._group_rng = random.Random(twin_rng.random()) if canary_rng else random.SystemRandom()
        self._pool = pool
        self._bank = bank
        self._ledger = ledger
        self._group_size = group_size
        self._specs: dict[str, TaskSpec | None] = {}
        self._probes = GroupProbes(pool, monitor, self._specs, self._group_rng)  # canaries, mutants, answer probes
        # which responses are re-scored alone: ``rng`` (each is first wherever drawn)
        self._checks = BackgroundChecks(pool, monitor, self._specs, rng or random.Random(0), twin_rng)
        # the results rule's digests: the reference's requests on every text (near runs drawn as the canaries are)
        self._replay = ResultsReplay(pool, random.Random(0) if canary_rng else None)
        self._answers = AnswerCheck(pool)  # the answers rule: paid texts against the reference, on those requests

    def verifier_source(self, task_id: str) -> str | None:
        """The verifier code of ``task_id``; cached, since a task's id is a hash of its verifier."""
        spec = self._spec(task_id)
        return spec.verifier if spec is not None else None

    def _spec(self, task_id: str) -> TaskSpec | None:
        if task_id not in self._specs:
            record = self._bank.find(task_id)
            self._specs[task_id] = record.spec if record is not None else None
        return self._specs[task_id]

    def __call__(self, prompts: list[Any], completions: list[Any], task_id: list[str],
                 **kwargs: Any) -> list[float | None]:
        """Rewards for a batch, in order. ``kwargs`` are TRL's extras; ``log_metric`` and ``completion_ids`` (with
        ``max_completion_length``, which completions the generation limit cut off) are used. A ``task_id``
        column of another length than the completions is refused (ValueError): rewards would go to the wrong rows."""
        if len(task_id) != len(completions):
            raise ValueError(f"{len(completions)} completions but {len(task_id)} task ids: the dataset's task_id "
                             "column must give one id per completion")
        started = time.perf_counter()
        self.drain(wait=False)
        sources = [self.verifier_source(t) for t in task_id]
        # A task the monitor flagged this run pays nothing more: rows of it drawn before the bank quarantined it
        # (TRL buffers them) kept the hacked verifier's rewards (red-team round 28). None: no learning signal.
        flagged = self._monitor.flagged if self._monitor is not None else {}
        todo = [i for i, src in enumerate(sources) if src is not None and task_id[i] not in flagged]
        groups = self._groups(task_id)
        rows = self._probes.rows(task_id, groups, set(todo))
        texts = [completion_text(c) for c in completions]
        scored = self._pool.score_batch([(sources[r], texts[r]) if isinstance(r, int) else (sources[r.row], r.text)
                                         for r in rows])
        rewards: list[float | None] = [None] * len(completions)
        ran = [False] * len(completions)  # the sandbox's record: the verifier ran some of the response's code
        timed_out = [False] * len(completions)  # ... never re-scored alone: there it may finish (no evidence)
        digests: list[str | None] = [None] * len(completions)  # ... and what those runs reported
        outcomes: Counter[str] = Counter({o.value: 0 for o in Outcome})
        outcomes["missing_task"] = sum(src is None for src in sources)
        outcomes["flagged_task"] = len(completions) - len(todo) - outcomes["missing_task"]
        canaries = mutants = answers = equivalent = 0
        compared: list[tuple[str, str, ScoreResult, float | None, bool]] = []  # for the results rule
        for row, result in zip(rows, scored, strict=True):
            if isinstance(row, int):
                rewards[row], ran[row], digests[row] = reward_of(result), result.ran_response, result.run_digest
                timed_out[row] = result.outcome is Outcome.TIMEOUT
                outcomes[result.outcome.value] += 1
                compared.append((task_id[row], texts[row], result, rewards[row], False))
                continue
            if self._monitor is None:
                continue
            score = None if result.outcome is Outcome.TIMEOUT else reward_of(result)  # a time-out is no evidence
            task = task_id[row.row]
            compared.append((task, row.text, result, score, row.kind is GroupProbeKind.REFERENCE))
            if row.kind is GroupProbeKind.CANARY:
                canaries += 1
                self._monitor.record_canary(task, score, result.ran_response)
            elif row.kind is GroupProbeKind.MUTANT:
                mutants += 1
                # Its runs reported what its original's did: equivalent on the verifier's own tests. Counted, and
                # still evidence: the verifier chooses its tests, and one that ran the programs it pays by look on a
                # trivial call alone would make every mutant of them equivalent (red-team round 56).
                equivalent += result.run_digest is not None and result.run_digest == row.original_digest
                self._monitor.record_mutant(task, row.original, score, result.ran_response)
            elif row.kind is GroupProbeKind.ANSWER:
                answers += 1
                self._monitor.record_answer_probe(task, row.original, score, result.ran_response)
        checked = differing = 0  # texts paid in full run beside the reference (the answers rule), and unlike it
        if self._monitor is not None:
            checked, differing = self._compare_results(compared)
        answered = self._probes.keep_paid(task_id, rewards, ran, texts, digests)
        equal_groups = self._record_groups(task_id, groups, rewards, texts,
                                           self._truncated(kwargs.get("completion_ids"), len(completions)), ran,
                                           answered)
        spot = self._checks.submit(task_id, groups, sources,
                                   [None if late else r for r, late in zip(rewards, timed_out)], texts)
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        if log_metric is not None:
            scored = [r for r in rewards if r is not None]
            for name, count in outcomes.items():
                log_metric(f"verifier/{name}", float(count))
            log_metric("verifier/pass_rate",
                       sum(r >= self._ledger.pass_threshold for r in scored) / len(scored) if scored else 0.0)
            log_metric("verifier/equal_groups", float(equal_groups))
            log_metric("verifier/spot_checks", float(spot))
            log_metric("verifier/group_canaries", float(canaries))
            log_metric("verifier/group_mutants", float(mutants))
            log_metric("verifier/equivalent_mutants", float(equivalent))  # their runs reported their originals'
            log_metric("verifier/answer_probes", float(answers))
            log_metric("verifier/answer_probes_dropped", float(self._probes.dropped_answers))  # in all, this run
            log_metric("verifier/answer_checks", float(checked))
            log_metric("verifier/answers_differing", float(differing))
            log_metric("verifier/seconds", time.perf_counter() - started)
        return rewards

    def _compare_results(self, compared: Sequence[tuple[str, str, ScoreResult, float | None, bool]]
                         ) -> tuple[int, int]:
        """Feed the results rule every scored text of this call, ``(task, text, result, score, is the reference)``,
        with its replayed digest (``replay_results``: :mod:`trainer.results_replay`) or its run digest, and the
        answers rule those paid in full; returns how many of those got a verdict, and how many answered otherwise."""
        assert self._monitor is not None
        compared = [item for item in compared if item[3] is not None]  # unscored: no evidence, nothing to replay
        replaying = self._monitor.config.replay_results
        if replaying:
            found = self._replay.digests([(task, self._specs.get(task), text, result)
                                          for task, text, result, _, _ in compared])
            for task in dict.fromkeys(task for task, _, _, _, _ in compared):
                replay = self._replay.known(task)
                if replay is not None and replay.excused is not None:
                    self._monitor.record_reference(task, replay.excused)
                if replay is not None and replay.trouble is not None:
                    self._monitor.record_unreplayable(task, replay.trouble)
        else:
            found = [result.run_digest for _, _, result, _, _ in compared]
        for (task, _, _, score, reference), digest in zip(compared, found, strict=True):
            self._monitor.record_results(task, digest, score)
            if reference:  # (a reference probe is in the group only without the replay)
                self._monitor.record_reference(task, digest)
        if replaying and self._monitor.config.check_answers:
            return self._check_answers(compared, found)
        return 0, 0

    def _check_answers(self, compared: Sequence[tuple[str, str, ScoreResult, float | None, bool]],
                       digests: Sequence[str | None]) -> tuple[int, int]:
        """Feed the answers rule every text of this call paid in full (``results_paid``) of a task whose requests
        are replayed: whether its code answered them as the reference's did (:mod:`trainer.answer_check`), and
        what it did (its replayed digest, else its text)."""
        assert self._monitor is not None
        paid, behaviours = [], []
        for (task, text, _, score, reference), digest in zip(compared, digests, strict=True):
            replay, spec = self._replay.known(task), self._specs.get(task)
            if (not reference and score is not None and score >= self._monitor.config.results_paid
                    and replay is not None and replay.runs and replay.trouble is None and spec is not None):
                paid.append((task, replay.runs, spec.reference, text))
                behaviours.append(digest or text)
        verdicts = self._answers.alike(paid)
        for (task, *_), alike, behaviour in zip(paid, verdicts, behaviours, strict=True):
            self._monitor.record_answer(task, alike, behaviour)
        return sum(v is not None for v in verdicts), sum(v is False for v in verdicts)

    def _groups(self, task_ids: Sequence[str]) -> list[tuple[int, int]]:
        """The batch's GRPO groups, as (start, end): consecutive rows of one task, at most ``group_size`` each."""
        groups, start = [], 0
        while start < len(task_ids):
            end = start + 1
            while end < len(task_ids) and task_ids[end] == task_ids[start] and end - start < self._group_size:
                end += 1
            groups.append((start, end))
            start = end
        return groups

    def _truncated(self, completion_ids: Sequence[Sequence[int]] | None, rows: int) -> list[bool] | None:
        """Which completions reached ``max_completion_length`` tokens (TRL's ``completion_ids``: a completion that
        ended on its own is shorter, or ends at the limit with its end-of-sequence token, which this cannot tell
        apart and counts as cut off); None when either is unknown or the ids do not match the batch."""
        if self._max_length is None or completion_ids is None or len(completion_ids) != rows:
            return None
        return [len(ids) >= self._max_length for ids in completion_ids]

    def _record_groups(self, task_ids: Sequence[str], groups: Sequence[tuple[int, int]],
                       rewards: Sequence[float | None], texts: Sequence[str], truncated: list[bool] | None,
                       ran: Sequence[bool], answered: Sequence[bool]) -> int:
        """Record each group (in the ledger, and in the reward-hacking monitor with its responses); count the
        equal-score ones."""
        equal = 0
        for start, end in groups:
            group = rewards[start:end]
            self._ledger.record_group(task_ids[start], group)
            if self._monitor is not None:
                self._monitor.record_group(task_ids[start], group, texts[start:end],
                                           truncated[start:end] if truncated is not None else None, ran[start:end],
                                           answered[start:end])
            scored = [r for r in group if r is not None]
            equal += len(scored) >= 2 and len(set(scored)) == 1
        return equal

    def drain(self, wait: bool = True) -> int:
        """Hand the finished spot checks and canaries to the monitor (every one, waiting for them, when ``wait``);
        returns how many it handed (:meth:`trainer.background_checks.BackgroundChecks.drain`)."""
        return self._checks.drain(wait)

    def close(self) -> None:
        """Hand over every spot check still running and stop the background thread."""
        self._checks.close()
