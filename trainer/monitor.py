"""The reward-hacking monitor: per task, flags a pass rate that jumps far faster than the others', and passing
responses that share a pattern the reference lacks. Pure: fed plain records, testable without a model.

A policy that finds a way to forge its reward (a frame walk that writes 1.0, an object equal to anything, a
verifier bug) shows it in two ways, and each rule watches one:

A *check* is a call of :meth:`RewardHackMonitor.close_window` (the trainer's: every logging interval); the name
is kept from when checks closed fixed windows. Every rule judges at every check.

**jump** — At every check, each task's pass rate over its last ``min_attempts`` scored responses is compared
with the window just before it and with its own earlier baseline, and each change with the latest changes of the
*other* tasks (robust z-score, an absolute floor ``min_jump``, and a two-proportion test against binomial noise):
windows end at every check, so where a jump falls between checks does not matter. A sequential test also follows
each task's rate since a candidate change point, on a window that grows while a rise lasts, against its rate before
and the others' rises over the same checks (:mod:`trainer.monitor_drift`): a rise from half to all, or one over a
dozen steps, that 16-response windows cannot tell from noise. A jump alone is weak evidence (honest tasks are
learned fast too): the rule flags a jump that fewer than ``cohort_tasks`` other tasks (or ``cohort_share`` of them)
matched within ``cohort_checks`` checks, or one that other evidence backs (a suspect
marker in ``jump_share`` of the passing responses, a position gap, a paid canary). :mod:`trainer.monitor_jump`.

**shared_pattern** — The last ``keep_responses`` passing responses of each task are kept, and as many distinct
ones (told apart by their tokens without comments: :mod:`trainer.monitor_passing`), head and tail, ``max_chars``
in all; a uniform sample of its failing responses this run keeps their markers, bounded
(:class:`trainer.monitor_pattern.FailingRecord`). At each check after new passes, with at least ``min_passing``
passing responses, the task is flagged when ``grader_share`` of them name the grader in words the reference and
the prompt lack (any spelling), when ``pattern_share`` of them pad (a repeated token, or a unit of characters
repeated over ``padding_chars``), or when a marker (a line, ``pattern_tokens`` consecutive tokens, a kind of hack)
that the reference and the prompt lack is in ``pattern_share`` of at least ``min_passing`` distinct ones and in
fewer than ``failing_hits`` of the sampled failing responses (when there were at least ``min_failing``) and, for a
short reference answer, does not hold it. Boilerplate that failing responses also wrote, and a task that always
passed with nothing to contrast, do not flag; counting distinct responses for that last test keeps a policy that
converged on one correct answer from being flagged for repeating it, while a repeated grader-facing or padded
answer is judged on every copy. :mod:`trainer.monitor_pattern`.

**position** — A response paid in its group but not re-scored alone (or after a canary), or the other way
one-sidedly: a verifier that pays by where a response stands in its process (``spot_checks``).

**canary** — Known-wrong answers (twins of the failure cases, the failure cases, the empty answer), scored alone and
inside the groups' own calls, that the verifier pays: it tells training from validation.

**unrun** — Programs paid without any of their code run, while the verifier runs programs: judged by their look
(red-team round 45, F4). **mutant** — Mutants of programs the verifier ran and paid (one operator, number or name
changed), paid as much as their originals: it pays whatever the run returned (round 46, e2). These four rules judge
run-long counts: :mod:`trainer.monitor_evidence`.

**results** — Texts whose runs reported the same (``ScoreResult.run_digest``) scored both paid and not: an honest
verifier that judges runs scores equal reports alike. :mod:`trainer.monitor_results`.

**answers** — Texts paid in full whose code, run on the requests the verifier made of its reference, answered
otherwise than the reference did (``min_answer_differences``, ``answer_difference_share`` of those checked): an
honest verifier pays in full only a program it saw answer its tests as the right one does (red-team round 59, F1).
:mod:`trainer.monitor_answers`.

A flagged task is reported once per run (:class:`Flag`); the trainer quarantines it with reason ``reward_hack``
(:mod:`trainer.monitor_callback`). What this cannot see: a hack adopted on several tasks within a few steps whose
responses share no marker (rates alone look like learning), a hack that pays from a task's first window with no
marker (no change to see), a hack adopted steadily at under about twice the fastest honest task's speed (noise
decides), an honest task learned in one step while few others jump, or an honest phrase its
passing responses write and its failing ones never did (both flagged: the detail says why, a reviewer restores
the task), or a verifier that pays by the response's own text alone (what renamed twins cannot
reach: docs/SPEC.md lists it).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field

from trainer.monitor_answers import PaidAnswers
from trainer.monitor_config import FlagRule, MonitorConfig, TaskContext
from trainer.monitor_evidence import Evidence
from trainer.monitor_jump import Jump, JumpTracker
from trainer.monitor_passing import Passing
from trainer.monitor_pattern import FailingRecord, Marker, find_marker, markers
from trainer.monitor_results import RunResults

__all__ = ["Flag", "FlagRule", "MonitorConfig", "RewardHackMonitor", "TaskContext"]


class Flag(BaseModel):
    """A task the monitor flags as probably reward-hacked, with the evidence."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """The task."""
    rule: FlagRule
    """Which rule fired."""
    groups: int = Field(ge=0)
    """GRPO groups of the task in the evidence: the recent window of a jump (since its change point for a rise), the
    groups of the passing responses a pattern was judged on, the re-scored responses that passed in the group and
    failed alone (position), the canaries that passed."""
    detail: str
    """The evidence in words (rates, z-scores, or the shared pattern)."""


@dataclass
class _Task:
    failing: FailingRecord  # markers of a sample of its failing responses this run
    passing: Passing  # its latest passing responses, and its latest distinct ones
    evidence: Evidence  # run-long: spot checks, canaries, runs, mutants (canary, position, unrun, mutant)
    results: RunResults  # run-long: each run digest's scores (results)
    answers: PaidAnswers  # run-long: texts paid in full, and those that answered otherwise than the reference
    new_passes: bool = False  # passing responses came since the pattern rule last looked
    groups: int = 0  # groups recorded this run


class RewardHackMonitor:
    """Collects rollouts per task and flags reward hacking at each check (one flag per task per run)."""

    def __init__(self, pass_threshold: float, config: MonitorConfig | None = None) -> None:
        self.pass_threshold = pass_threshold
        self.config = config or MonitorConfig()
        self._tasks: dict[str, _Task] = {}
        self._jumps = JumpTracker(self.config)
        self.flagged: dict[str, Flag] = {}
        """Every task flagged this run, by id."""

    def record_group(self, task_id: str, rewards: Sequence[float | None], responses: Sequence[str],
                     truncated: Sequence[bool] | None = None, ran: Sequence[bool] | None = None,
                     answered: Sequence[bool] | None = None) -> None:
        """One GRPO group: rewards (None where the sandbox could not score; a reward that is not finite counts as
        unscored too) and the responses, in the same order (ValueError, before anything is kept, when the lengths
        differ). ``truncated``: which responses the generation limit cut off; a failing one is left out of the
        failing sample the pattern rule contrasts with. Why: a response cut off (GRPO's most common failure) never
        writes the closing sentence every completed answer has, so that honest sentence read as found only in
        passing responses and was flagged (red-team round 43, B11); its score still counts for the jump rule.
        ``ran``: the sandbox's record of whether the verifier ran each response's code (``ScoreResult.ran_response``;
        None: not known, and the unrun rule learns nothing from the group). ``answered``: which responses state the
        task's answer beside their code and get an answer probe (:meth:`record_answer_probe`), so that the unrun rule
        counts them only once their probe is paid (None: none)."""
        marks = [f"{len(m)} {what}" for m, what in ((truncated, "truncation marks"), (ran, "run records"),
                                                    (answered, "answer marks"))
                 if m is not None and len(m) != len(responses)]
        if len(rewards) != len(responses) or marks:  # refused before any state changes (round 43: half a group kept)
            extra = "".join(f" and {mark}" for mark in marks)
            raise ValueError(f"{len(rewards)} rewards for {len(responses)} responses{extra}")
        cut_off = truncated if truncated is not None else [False] * len(responses)
        task = self._task(task_id)
        task.groups += 1
        attempts = passes = 0
        for i, (reward, response, cut) in enumerate(zip(rewards, responses, cut_off, strict=True)):
            if reward is None or not math.isfinite(reward):
                continue  # unscored; a NaN (a verifier's 0/0) is no failure (round 43: an outage read as a jump)
            passed = reward >= self.pass_threshold
            attempts += 1
            passes += passed
            if task_id in self.flagged:
                continue  # judged: its responses are no longer needed
            if ran is not None:  # paid as a canary is: above its threshold, not only full marks (round 46: 0.99)
                task.evidence.response(reward > self.config.canary_threshold, ran[i], response,
                                       answered is not None and answered[i])
            if passed:
                task.passing.add(response, task.groups)
                task.new_passes = True
            elif not cut:
                task.failing.add(markers(response, self.config))
        self._jumps.record(task_id, attempts, passes)

    def record_spot_check(self, task_id: str, in_group: float | None, alone: float | None) -> None:
        """One response's reward in its GRPO group and when scored alone (None where either could not score)."""
        if in_group is None or alone is None:
            return
        self._task(task_id).evidence.spot_check(in_group >= self.pass_threshold, alone >= self.pass_threshold)

    def record_canary(self, task_id: str, score: float | None, ran: bool = False) -> None:
        """A known-wrong answer, scored in training (None where it did not score); ``ran``: the sandbox's record of
        whether the verifier ran its code."""
        if score is None:
            return
        self._task(task_id).evidence.canary(score > self.config.canary_threshold, ran)

    def record_answer_probe(self, task_id: str, original: float, score: float | None, ran: bool = False) -> None:
        """A program the verifier paid ``original`` without running it, scored again with the answer it states
        changed (None where it did not score; :func:`trainer.monitor_evidence.paid_as_much` judges it)."""
        if score is None or not math.isfinite(score):
            return
        self._task(task_id).evidence.answer_probe(original, score, ran, self.config)

    def record_mutant(self, task_id: str, original: float, score: float | None, ran: bool = False) -> None:
        """A mutant of a program the verifier ran and paid ``original``, scored in training (None where it did not
        score); ``ran``: the sandbox's record of whether the verifier ran its code (the rule:
        :mod:`trainer.monitor_evidence`)."""
        if score is None or not math.isfinite(score):
            return
        self._task(task_id).evidence.mutant(original, score, ran, self.config)

    def record_results(self, task_id: str, digest: str | None, score: float | None) -> None:
        """A scored text of the task (a policy's answer or a probe), with the digest of what the verifier's runs of
        its code reported (``ScoreResult.run_digest``; None: not run, or nothing to compare) and its score (None:
        unscored; a score that is not finite is no evidence)."""
        if task_id in self.flagged or score is None or not math.isfinite(score):
            return
        self._task(task_id).results.record(digest, score)

    def record_answer(self, task_id: str, alike: bool | None, behaviour: str = "") -> None:
        """A text of the task paid in full, whether its code answered the requests the verifier made of the
        reference as the reference did (None: no verdict), and what it did (its replayed digest;
        :mod:`trainer.monitor_answers`)."""
        if task_id not in self.flagged:
            self._task(task_id).answers.record(alike, behaviour)

    def record_unreplayable(self, task_id: str, reason: str) -> None:
        """The verifier's requests of the task's reference cannot be replayed, for ``reason`` (it paid the
        reference unrun, or did not pay it in full alone, or its requests do not tell the reference from simple wrong
        programs): the results rule flags the task
        (:mod:`trainer.results_replay`)."""
        if task_id not in self.flagged:
            self._task(task_id).results.trouble = reason

    def record_reference(self, task_id: str, digest: str | None) -> None:
        """The digest of the verifier's runs of the task's reference: the results rule excuses its splits."""
        if digest is not None:
            self._task(task_id).results.reference = digest

    def close_window(self, context: Callable[[str], TaskContext | None]) -> list[Flag]:
        """One check: judge every task on what came since the last, and return the new flags (in task order).

        ``context(task_id)`` gives the reference and prompt for the pattern rule (None: markers are not judged)."""
        contexts: dict[str, TaskContext | None] = {}

        def known(task_id: str) -> TaskContext | None:
            if task_id not in contexts:
                contexts[task_id] = context(task_id)
            return contexts[task_id]

        flags = []
        for task_id in sorted(self._tasks):  # a strong shared pattern first: it needs no jump
            task = self._tasks[task_id]
            if task_id in self.flagged or not task.new_passes or len(task.passing) < self.config.min_passing:
                continue
            task.new_passes = False
            marker = self._marker(task, known(task_id), self.config.pattern_share)
            if marker is not None:
                flags.append(self._flag(task_id, FlagRule.SHARED_PATTERN, self._groups(task), marker.describe()))
        for jump in self._jumps.advance():
            if jump.task_id not in self.flagged:
                flag = self._judge_jump(jump, known)
                if flag is not None:
                    flags.append(flag)
        for task_id in sorted(self._tasks):  # canary, position, unrun, mutant, results, answers: run-long
            task = self._tasks[task_id]
            finding = None if task_id in self.flagged else (task.evidence.finding(self.config)
                                                             or task.results.finding(self.config)
                                                             or task.answers.finding(self.config))
            if finding is not None:
                flags.append(self._flag(task_id, *finding))
        return sorted(flags, key=lambda f: f.task_id)

    def _task(self, task_id: str) -> _Task:
        task = self._tasks.get(task_id)
        if task is None:
            task = self._tasks[task_id] = _Task(failing=FailingRecord(self.config.failing_markers),
                                                passing=Passing(self.config), evidence=Evidence(),
                                                results=RunResults(), answers=PaidAnswers())
        return task

    def _flag(self, task_id: str, rule: FlagRule, groups: int, detail: str) -> Flag:
        flag = Flag(task_id=task_id, rule=rule, groups=groups, detail=detail)
        self.flagged[task_id] = flag
        self._jumps.forget(task_id)
        task = self._tasks[task_id]
        task.passing.clear()  # judged: memory goes back
        task.failing = FailingRecord(self.config.failing_markers)
        return flag

    def _marker(self, task: _Task, context: TaskContext | None, share: float) -> Marker | None:
        if context is None:
            return None
        return find_marker(task.passing, task.failing, context, self.config, share)

    @staticmethod
    def _groups(task: _Task) -> int:
        return task.passing.groups()

    def _judge_jump(self, jump: Jump, known: Callable[[str], TaskContext | None]) -> Flag | None:
        """A jump backed by other evidence, or isolated from every other task's jump, is a flag; one that had
        company and no backing is cleared."""
        task = self._tasks[jump.task_id]
        backing = []
        marker = self._marker(task, known(jump.task_id), self.config.jump_share)
        if marker is not None:
            backing.append(marker.describe())
        evidence = task.evidence
        if evidence.favour > evidence.against:
            backing.append(f"{evidence.favour} re-scored responses passed in their group and failed alone")
        elif evidence.against > evidence.favour:
            backing.append(f"{evidence.against} re-scored responses failed in their group and passed alone")
        if evidence.canary_passes:
            backing.append(f"{evidence.canary_passes} renamed twins of its failure cases passed")
        if backing:
            return self._flag(jump.task_id, FlagRule.JUMP, jump.groups, f"{jump.detail}; backed: {'; '.join(backing)}")
        if jump.isolated:
            return self._flag(jump.task_id, FlagRule.JUMP, jump.groups, f"{jump.detail}; {jump.alone}")
        if jump.isolated is False:
            self._jumps.clear(jump.task_id)
        return None
