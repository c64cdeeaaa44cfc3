"""The probes scored inside a GRPO group's own pool call, for the reward-hacking monitor only: canaries, mutants and
answer probes (:mod:`trainer.reward` scores them with the group; their scores never become a reward).

Kept apart from the reward function because it is one concept with its own state: which programs each task's
verifier paid (to mutate), which answer probes wait for a group, and what each task's reference is (a program
validation mutated; a script that prints an answer). Why each probe exists: :mod:`trainer.monitor_evidence`.
"""

from __future__ import annotations

import math
import random
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from task_bank import TaskSpec
from trainer.background_checks import draw_canary
from trainer.monitor import RewardHackMonitor
from trainer.monitor_evidence import is_program
from trainer.reference_answers import ReferenceAnswers, states_answer
from trainer.scoring import ScoringPool
from verifier.checks_probes import prompt_words
from verifier.code_mutation import mutated
from verifier.reference_mutants import is_program_reference
from verifier.stated_answers import answer_alternatives, stated_answer_changed, stated_numbers

__all__ = ["GroupProbe", "GroupProbeKind", "GroupProbes"]

_PAID_KEPT = 8
"""Programs a task's verifier paid that are kept (the latest) to make mutants of (:meth:`GroupProbes.keep_paid`)."""
_ANSWERS_KEPT = 16
"""Answer probes waiting for a group of their task, at most (the oldest go first)."""


class GroupProbeKind(StrEnum):
    """What a probe in a group's own call is for."""

    CANARY = "canary"  # a known-wrong answer
    MUTANT = "mutant"  # a program the verifier paid, one token changed
    ANSWER = "answer"  # a program it paid unrun, the numbers it states changed
    REFERENCE = "reference"  # the task's reference, once a run: what its runs report is right (the results rule)


@dataclass(frozen=True)
class GroupProbe:
    """A text scored inside a group's own call for the monitor only, never for a reward."""

    row: int  # the group's first row: its task
    text: str
    kind: GroupProbeKind
    original: float = 0.0  # the reward of the response a mutant or answer probe was made from
    original_digest: str | None = None  # what the verifier's runs of a mutant's original reported (``run_digest``)


class GroupProbes:
    """Draws each group's probes and keeps what they are made from, on the trainer's thread."""

    def __init__(self, pool: ScoringPool, monitor: RewardHackMonitor | None, specs: dict[str, TaskSpec | None],
                 group_rng: random.Random) -> None:
        self._monitor = monitor
        self._specs = specs  # the reward function's cache of task specs, filled before any probe is drawn
        self._group_rng = group_rng
        self._paid: dict[str, deque[tuple[str, float, str | None]]] = {}  # per task: programs its verifier paid,
        # to mutate, with the digest of its runs of each
        self._programs: dict[str, bool] = {}  # per task: whether its reference is a program (``_program_task``)
        self._scripts: dict[str, bool] = {}  # per task: whether its reference can print an answer (``_script_task``)
        self._answers: dict[str, deque[tuple[str, float]]] = {}  # per task: answer probes waiting for a group
        self._reference = ReferenceAnswers(pool)  # which stated numbers are a task's answer
        self._referenced: set[str] = set()  # tasks whose reference was scored this run (``rows``)
        self.dropped_answers = 0  # answer probes dropped unscored, the oldest of a full queue (see ``keep_paid``)

    def rows(self, task_ids: Sequence[str], groups: Sequence[tuple[int, int]],
                     todo: set[int]) -> list[int | GroupProbe]:
        """The rows to score, in order: each group's rows to score, with ``group_canaries`` known-wrong answers
        (:meth:`_canary`), ``group_mutants`` mutants (:meth:`_mutant`), the task's waiting answer probes (up to
        ``group_answer_probes``; :meth:`keep_paid`) and, in its first group, its reference (:meth:`_reference_probe`)
        each put at a drawn place among them. The
        pool scores a task's rows in order, a process to each ``group_size`` of them, so a canary lands in a training
        process at any call, after the group's own responses before it, as no canary scored alone can (red-team
        round 45); a mutant likewise meets the verifier exactly where a policy's answer does."""
        config = self._monitor.config if self._monitor is not None else None
        rows: list[int | GroupProbe] = []
        for start, end in groups:
            mine: list[int | GroupProbe] = [i for i in range(start, end) if i in todo]
            probes: list[GroupProbe] = []
            if config is not None and mine:
                task = task_ids[start]
                probes += [GroupProbe(start, text, GroupProbeKind.CANARY) for _ in range(config.group_canaries)
                           if (text := self._canary(task, self._group_rng)) is not None]
                probes += [probe for _ in range(config.group_mutants)
                           if (probe := self._mutant(task, start, self._group_rng)) is not None]
                # (with the replay, the reference is scored alone once a run: ``trainer.results_replay``)
                wanted = config.reference_probe and not config.replay_results
                reference = self._reference_probe(task, start) if wanted else None
                probes += [reference] if reference is not None else []
                waiting = self._answers.get(task, deque())
                for text, reward in [waiting.popleft() for _ in range(min(config.group_answer_probes, len(waiting)))]:
                    probes.append(GroupProbe(start, text, GroupProbeKind.ANSWER, reward))
            for probe in probes:
                mine.insert(self._group_rng.randrange(len(mine) + 1), probe)
            rows += mine
        return rows

    def keep_paid(self, task_ids: Sequence[str], rewards: Sequence[float | None], ran: Sequence[bool],
                   texts: Sequence[str], digests: Sequence[str | None] | None = None) -> list[bool]:
        """Keep the programs each task's verifier paid (above the canary threshold), the latest ``_PAID_KEPT``, to
        mutate: those it ran, and, where :meth:`_program_task`, those it paid unrun that state no number beside their
        code where the reference can print one (:meth:`_script_task`; a number no answer probe could judge, ``-5``
        read as ``5`` or ``1,234``, left an honest program-of-thought verifier's mutants paid: red-team round 52,
        F1). Queue an answer probe for each program it
        paid unrun that states the task's answer beside its code (:mod:`trainer.reference_answers`; the last number
        stated asked first): the same text with that answer changed
        (:func:`verifier.stated_answers.stated_answer_changed`). A task's queue holds ``_ANSWERS_KEPT``; a full one
        drops its oldest probe, counted in :attr:`dropped_answers` (the reward function logs it): that program is then
        neither for nor against the unrun rule. ``digests``: what the verifier's runs of each response reported
        (``ScoreResult.run_digest``), kept with a program to mutate, so that a mutant whose runs reported the same
        is known to be equivalent on the verifier's own tests. Returns which responses got a probe."""
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
                    queue = self._answers.setdefault(task, deque(maxlen=_ANSWERS_KEPT))
                    self.dropped_answers += len(queue) == queue.maxlen  # (its program counts neither way)
                    queue.append((changed, reward))
                    answered[i] = True
            if config.group_mutants and (was_run or (not stated and self._program_task(task, spec))):
                digest = digests[i] if digests is not None else None
                self._paid.setdefault(task, deque(maxlen=_PAID_KEPT)).append((text, reward, digest))
        return answered

    def _script_task(self, task_id: str, spec: TaskSpec | None) -> bool:
        """Whether ``task_id``'s reference can print an answer (:func:`trainer.reference_answers.states_answer`;
        cached): only then may a number a reply states be the task's answer."""
        if task_id not in self._scripts:
            self._scripts[task_id] = spec is not None and states_answer(spec.reference)
        return self._scripts[task_id]

    def _program_task(self, task_id: str, spec: TaskSpec | None) -> bool:
        """Whether ``task_id``'s reference is a program validation mutated (cached; the same test:
        :func:`verifier.reference_mutants.is_program_reference`; a script that prints is one from validator 1.18):
        validation admitted its verifier only as it failed the reference's mutants, so what it pays unrun is mutated
        too (a static checker that knew the reference's look runs nothing: mutants are the only sight of it)."""
        if task_id not in self._programs:
            self._programs[task_id] = spec is not None and is_program_reference(spec.reference)
        return self._programs[task_id]

    def _mutant(self, task_id: str, row: int, draw: random.Random) -> GroupProbe | None:
        """A mutant (:func:`verifier.code_mutation.mutated`; where the prompt names functions, of those) of a program
        of ``task_id`` its verifier paid earlier in the run (:meth:`keep_paid`), drawn with ``draw``, with the numbers
        it states beside its code or in its comments changed where it states any; None when there is none to make."""
        paid = list(self._paid.get(task_id, ()))
        draw.shuffle(paid)
        spec = self._specs.get(task_id)
        names = prompt_words(spec.prompt_text) if spec is not None else frozenset()
        for text, reward, digest in paid[:3]:  # a program with no operator or number to change gives none: try another
            mutant = mutated(text, draw, names)
            if mutant is not None:
                # the numbers it states beside its code or in its comments changed too, as validation's
                # (verifier.reference_mutants): an honest verifier may pay a program of thought's stated answer alone,
                # and a mutant still saying "# Output: 385" was paid (red-team round 55, F1)
                alternatives = answer_alternatives(spec.prompt_text, spec.failure_cases) if spec is not None else ()
                mutant = stated_answer_changed(mutant, draw, comments=True, alternatives=alternatives) or mutant
                return GroupProbe(row, mutant, GroupProbeKind.MUTANT, reward, digest)
        return None

    def _reference_probe(self, task_id: str, row: int) -> GroupProbe | None:
        """The task's reference, in its first group of the run, where it is a program (the results rule,
        :mod:`trainer.monitor_results`, excuses the digest of its runs: a verifier that also judges a program's form
        honestly scores right results two ways); None after that, or where the reference is no program."""
        if task_id in self._referenced:
            return None
        self._referenced.add(task_id)
        spec = self._specs.get(task_id)
        if spec is None or not is_program(spec.reference):
            return None
        return GroupProbe(row, spec.reference, GroupProbeKind.REFERENCE, 1.0)

    def _canary(self, task_id: str, draw: random.Random) -> str | None:
        """A known-wrong answer to the task (:func:`trainer.background_checks.draw_canary`); its spec is looked up
        on the trainer's thread (the bank's connection is that thread's)."""
        return draw_canary(self._specs.get(task_id), draw, in_group=True)
