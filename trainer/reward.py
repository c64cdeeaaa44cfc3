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
whenever the monitor judges.

Raising would abort ``train()``, so nothing here raises for a bad rollout. Counts of each outcome
(``verifier/scored``, ``verifier/error``, ...), the pass rate, the equal-score groups and the scoring time
(``verifier/seconds``) are logged per call through TRL's ``log_metric`` hook, which averages them over the logging
interval; per-task tallies go to the :class:`trainer.ledger.ScoreLedger` for the statistics callback.
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from task_bank import Outcome, TaskSpec
from trainer.background_checks import BackgroundChecks, draw_canary
from trainer.ledger import ScoreLedger
from trainer.monitor import RewardHackMonitor
from trainer.monitor_evidence import is_program
from trainer.reference_answers import ReferenceAnswers, states_answer
from trainer.scoring import ZERO_OUTCOMES, ScoringPool, TaskLookup, completion_text, reward_of
from verifier.checks_probes import prompt_words
from verifier.code_mutation import mutated
from verifier.reference_mutants import is_program_reference
from verifier.stated_answers import stated_answer_changed, stated_numbers

__all__ = ["ZERO_OUTCOMES", "ScoringPool", "TaskLookup", "VerifierReward", "completion_text", "reward_of"]

_PAID_KEPT = 8
"""Programs a task's verifier ran and paid that are kept (the latest) to make mutants of."""
_ANSWERS_KEPT = 16
"""Answer probes waiting for a group of their task, at most (the oldest go first)."""


class _Kind(StrEnum):
    CANARY = "canary"  # a known-wrong answer
    MUTANT = "mutant"  # a program the verifier ran and paid, one token changed
    ANSWER = "answer"  # a program it paid unrun, the numbers it states changed


@dataclass(frozen=True)
class _Probe:
    """A text scored inside a group's own call for the monitor only, never for a reward."""

    row: int  # the group's first row: its task
    text: str
    kind: _Kind
    original: float = 0.0  # the reward of the response a mutant or answer probe was made from


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
        self._paid: dict[str, deque[tuple[str, float]]] = {}  # per task: programs its verifier paid, to mutate
        self._programs: dict[str, bool] = {}  # per task: whether its reference is a program (``_program_task``)
        self._scripts: dict[str, bool] = {}  # per task: whether its reference can print an answer (``_script_task``)
        self._answers: dict[str, deque[tuple[str, float]]] = {}  # per task: answer probes waiting for a group
        self._reference = ReferenceAnswers(pool)  # which stated numbers are a task's answer
        # which responses are re-scored alone: ``rng`` (each is first wherever drawn)
        self._checks = BackgroundChecks(pool, monitor, self._specs, rng or random.Random(0), twin_rng)

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
        rows = self._with_probes(task_id, groups, set(todo))
        texts = [completion_text(c) for c in completions]
        scored = self._pool.score_batch([(sources[r], texts[r]) if isinstance(r, int) else (sources[r.row], r.text)
                                         for r in rows])
        rewards: list[float | None] = [None] * len(completions)
        ran = [False] * len(completions)  # the sandbox's record: the verifier ran some of the response's code
        outcomes: Counter[str] = Counter({o.value: 0 for o in Outcome})
        outcomes["missing_task"] = sum(src is None for src in sources)
        outcomes["flagged_task"] = len(completions) - len(todo) - outcomes["missing_task"]
        canaries = mutants = answers = 0
        for row, result in zip(rows, scored, strict=True):
            if isinstance(row, int):
                rewards[row], ran[row] = reward_of(result), result.ran_response
                outcomes[result.outcome.value] += 1
                continue
            if self._monitor is None:
                continue
            score = None if result.outcome is Outcome.TIMEOUT else reward_of(result)  # a time-out is no evidence
            task = task_id[row.row]
            if row.kind is _Kind.CANARY:
                canaries += 1
                self._monitor.record_canary(task, score, result.ran_response)
            elif row.kind is _Kind.MUTANT:
                mutants += 1
                self._monitor.record_mutant(task, row.original, score, result.ran_response)
            else:
                answers += 1
                self._monitor.record_answer_probe(task, row.original, score, result.ran_response)
        answered = self._keep_paid(task_id, rewards, ran, texts)
        equal_groups = self._record_groups(task_id, groups, rewards, texts,
                                           self._truncated(kwargs.get("completion_ids"), len(completions)), ran,
                                           answered)
        checked = self._checks.submit(task_id, groups, sources, rewards, texts)
        log_metric: Callable[[str, float], None] | None = kwargs.get("log_metric")
        if log_metric is not None:
            scored = [r for r in rewards if r is not None]
            for name, count in outcomes.items():
                log_metric(f"verifier/{name}", float(count))
            log_metric("verifier/pass_rate",
                       sum(r >= self._ledger.pass_threshold for r in scored) / len(scored) if scored else 0.0)
            log_metric("verifier/equal_groups", float(equal_groups))
            log_metric("verifier/spot_checks", float(checked))
            log_metric("verifier/group_canaries", float(canaries))
            log_metric("verifier/group_mutants", float(mutants))
            log_metric("verifier/answer_probes", float(answers))
            log_metric("verifier/seconds", time.perf_counter() - started)
        return rewards

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

    def _with_probes(self, task_ids: Sequence[str], groups: Sequence[tuple[int, int]],
                     todo: set[int]) -> list[int | _Probe]:
        """The rows to score, in order: each group's rows to score, with ``group_canaries`` known-wrong answers
        (:meth:`_canary`), ``group_mutants`` mutants (:meth:`_mutant`) and the task's waiting answer probes (up to
        ``group_answer_probes``; :meth:`_keep_paid`) each put at a drawn place among them. The
        pool scores a task's rows in order, a process to each ``group_size`` of them, so a canary lands in a training
        process at any call, after the group's own responses before it, as no canary scored alone can (red-team
        round 45); a mutant likewise meets the verifier exactly where a policy's answer does."""
        config = self._monitor.config if self._monitor is not None else None
        rows: list[int | _Probe] = []
        for start, end in groups:
            mine: list[int | _Probe] = [i for i in range(start, end) if i in todo]
            probes: list[_Probe] = []
            if config is not None and mine:
                task = task_ids[start]
                probes += [_Probe(start, text, _Kind.CANARY) for _ in range(config.group_canaries)
                           if (text := self._canary(task, self._group_rng)) is not None]
                probes += [probe for _ in range(config.group_mutants)
                           if (probe := self._mutant(task, start, self._group_rng)) is not None]
                waiting = self._answers.get(task, deque())
                for text, reward in [waiting.popleft() for _ in range(min(config.group_answer_probes, len(waiting)))]:
                    probes.append(_Probe(start, text, _Kind.ANSWER, reward))
            for probe in probes:
                mine.insert(self._group_rng.randrange(len(mine) + 1), probe)
            rows += mine
        return rows

    def _keep_paid(self, task_ids: Sequence[str], rewards: Sequence[float | None], ran: Sequence[bool],
                   texts: Sequence[str]) -> list[bool]:
        """Keep the programs each task's verifier paid (above the canary threshold), the latest ``_PAID_KEPT``, to
        mutate: those it ran, and, where :meth:`_program_task`, those it paid unrun that state no number beside their
        code where the reference can print one (:meth:`_script_task`; a number no answer probe could judge, ``-5``
        read as ``5`` or ``1,234``, left an honest program-of-thought verifier's mutants paid: red-team round 52,
        F1). Queue an answer probe for each program it
        paid unrun that states the task's answer beside its code (:mod:`trainer.reference_answers`; the last number
        stated asked first): the same text with that answer changed
        (:func:`verifier.stated_answers.stated_answer_changed`). Returns which responses got a probe."""
        answered = [False] * len(texts)
        if self._monitor is None:
            return answered
        config = self._monitor.config
        for i, (task, reward, was_run, text) in enumerate(zip(task_ids, rewards, ran, texts, strict=True)):
            if reward is None or not math.isfinite(reward) or reward <= config.canary_threshold:
                continue
            spec = self._specs.get(task)
            stated = [] if was_run or not is_program(text) or not self._script_task(task, spec) else list(
                dict.fromkeys(text[start:end] for start, end in reversed(stated_numbers(text))))
            if stated and config.group_answer_probes and spec is not None:
                answers = self._reference.answers(spec, stated)
                changed = stated_answer_changed(text, self._group_rng, only=answers) if answers else None
                if changed is not None:
                    self._answers.setdefault(task, deque(maxlen=_ANSWERS_KEPT)).append((changed, reward))
                    answered[i] = True
            if config.group_mutants and (was_run or (not stated and self._program_task(task, spec))):
                self._paid.setdefault(task, deque(maxlen=_PAID_KEPT)).append((text, reward))
        return answered

    def _script_task(self, task_id: str, spec: TaskSpec | None) -> bool:
        """Whether ``task_id``'s reference can print an answer (:func:`trainer.reference_answers.states_answer`;
        cached): only then may a number a reply states be the task's answer."""
        if task_id not in self._scripts:
            self._scripts[task_id] = spec is not None and states_answer(spec.reference)
        return self._scripts[task_id]

    def _program_task(self, task_id: str, spec: TaskSpec | None) -> bool:
        """Whether ``task_id``'s reference is a program validation mutated (cached; the same test:
        :func:`verifier.reference_mutants.is_program_reference`): validation 1.17 admitted its verifier only as it
        failed the reference's mutants, so what it pays unrun is mutated too (a static checker that knew the
        reference's look runs nothing: mutants are the only sight of it)."""
        if task_id not in self._programs:
            self._programs[task_id] = spec is not None and is_program_reference(spec.reference)
        return self._programs[task_id]

    def _mutant(self, task_id: str, row: int, draw: random.Random) -> _Probe | None:
        """A mutant (:func:`verifier.code_mutation.mutated`; where the prompt names functions, of those) of a program
        of ``task_id`` its verifier paid earlier in the run (:meth:`_keep_paid`), drawn with ``draw``; None when there
        is none to make."""
        paid = list(self._paid.get(task_id, ()))
        draw.shuffle(paid)
        spec = self._specs.get(task_id)
        names = prompt_words(spec.prompt_text) if spec is not None else frozenset()
        for text, reward in paid[:3]:  # a program with no operator or number to change gives none: try another
            mutant = mutated(text, draw, names)
            if mutant is not None:
                return _Probe(row, mutant, _Kind.MUTANT, reward)
        return None

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

    def _canary(self, task_id: str, draw: random.Random) -> str | None:
        """A known-wrong answer to the task (:func:`trainer.background_checks.draw_canary`); its spec is looked up
        on the trainer's thread (the bank's connection is that thread's)."""
        return draw_canary(self._specs.get(task_id), draw)

    def drain(self, wait: bool = True) -> int:
        """Hand the finished spot checks and canaries to the monitor (every one, waiting for them, when ``wait``);
        returns how many it handed (:meth:`trainer.background_checks.BackgroundChecks.drain`)."""
        return self._checks.drain(wait)

    def close(self) -> None:
        """Hand over every spot check still running and stop the background thread."""
        self._checks.close()
