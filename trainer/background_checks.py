"""The reward function's background checks: responses scored again alone, and known-wrong answers (canaries).

Split from :mod:`trainer.reward` because they run on a thread of their own while the trainer generates the next
batch (waiting for them doubled the reward call of a cheap verifier), and reach the monitor only through
:meth:`BackgroundChecks.drain`, on the trainer's thread. What they are for: the monitor's position rule (a
response that passed in its group and fails alone) and canary rule (a known-wrong answer paid); see
:mod:`trainer.reward` and :mod:`trainer.monitor`. :func:`draw_canary` also draws the canaries put inside each group's
own call.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from task_bank import Outcome, ScoreResult, TaskSpec
from trainer.monitor import RewardHackMonitor
from trainer.scoring import ScoringPool, reward_of
from verifier.checks_probes import failure_case_twin
from verifier.code_reshaping import reshaped


@dataclass(frozen=True)
class Check:
    """One item scored alone in the background: a response again (``in_group``: its reward in its group), or a
    known-wrong answer (``canary``: :func:`draw_canary`)."""

    task_id: str
    source: str
    response: str | None
    """The response to score again; None for a canary, whose text is drawn when it is scored."""
    in_group: float | None
    canary: bool = False
    opened: bool = False
    """Re-scored second, after a fresh canary in the same process, rather than alone."""


def draw_canary(spec: TaskSpec | None, draw: random.Random, in_group: bool = False) -> str | None:
        """A known-wrong answer to the task, drawn afresh: a renamed twin of one of its failure cases (whole or
        partial), one of its failure cases as written, or the empty answer, each kind at even odds (no twin where
        no failure case is a program that can be renamed). Why not twins only: validation always scored the failure
        cases and the empty answer after a probe no policy writes, and a verifier that paid them while its process
        had seen only programs or empty answers (every training group of a coding task) was admitted and paid 82 of
        94 of them with no flag (red-team round 44); and prose tasks had no canary at all. Validation saw each of
        these score low (twins and failure cases under ``fail_threshold``, the empty answer under
        ``trivial_threshold``), so an honest verifier never pays one. ``draw``: the background thread's source, or
        the trainer thread's (each thread its own, so a seeded test draws the same canaries whatever the timing).

        ``in_group``: a canary put inside a group's own call, where it meets the verifier among the policy's answers.
        There, where a failure case is a program, it is one of what validation's run 0 shows among its twins
        (``verifier.run_order.run_order``): a renamed twin, whole or partial and never reshaped (two in three),
        or that failure case as written. Red-team round 58: the empty answer and reshaped twins, which validation
        never shows among programs, told a verifier it was in training, and one that turned dishonest after meeting
        one was admitted 3 of 3 times and paid 40-47% of the wrong programs unflagged. Canaries scored alone keep
        every kind."""
        if spec is None:
            return None
        if in_group:
            for case in draw.sample(list(spec.failure_cases), len(spec.failure_cases)):
                twin = failure_case_twin(spec, case, draw, partial=draw.random() < 0.5)
                if twin is not None and twin != case:
                    return case if draw.random() < 1 / 3 else twin
        kind = draw.randrange(3)
        if kind == 1:
            return draw.choice(spec.failure_cases)
        if kind == 2:
            return ""
        for case in draw.sample(list(spec.failure_cases), len(spec.failure_cases)):
            twin = failure_case_twin(spec, case, draw, partial=draw.random() < 0.5)
            if twin is not None and twin != case:
                # half of them reshaped too (a statement that does nothing added): a verifier that paid every
                # program whose structure no failure case has paid no twin, and every wrong answer (round 45)
                return (reshaped(twin, draw) or twin) if draw.random() < 0.5 else twin
        return draw.choice(spec.failure_cases)



class BackgroundChecks:
    """Scores spot checks and canaries on a thread of its own and hands the results to the monitor."""

    def __init__(self, pool: ScoringPool, monitor: RewardHackMonitor | None, specs: Mapping[str, TaskSpec | None],
                 rng: random.Random, twin_rng: random.Random) -> None:
        self._pool = pool
        self._monitor = monitor
        self._specs = specs  # the reward function's, filled on the trainer's thread (the bank's is that thread's)
        self._rng = rng  # which responses are re-scored alone (each is first wherever drawn)
        self._twin_rng = twin_rng  # the canaries' draws, on this thread
        self._spotter = ThreadPoolExecutor(max_workers=1, thread_name_prefix="spot-check")
        self._pending: list[tuple[Future[list[ScoreResult]], list[Check]]] = []

    def submit(self, task_ids: Sequence[str], groups: Sequence[tuple[int, int]],
               sources: Sequence[str | None], rewards: Sequence[float | None], texts: Sequence[str]) -> int:
        """Submit, for each group, ``spot_checks`` drawn responses to be scored again and ``canaries`` known-wrong
        answers (:func:`draw_canary`), each alone in a process of its own (in the background: :meth:`drain` hands the
        results to the monitor); returns how many."""
        config = self._monitor.config if self._monitor is not None else None
        checks: list[Check] = []
        for start, end in groups:
            scored = [i for i in range(start, end) if rewards[i] is not None]
            if config is None or not scored:
                continue
            for i in self._rng.sample(scored, min(config.spot_checks, len(scored))):
                # alone, or after a fresh canary twin (validation's run 0 opens its processes with twins: a verifier
                # that recognised a twin opener stayed honest there and paid everything else, alone included;
                # red-team round 15), drawn at even odds, so neither layout is one a verifier can count on
                checks.append(Check(task_ids[i], sources[i] or "", texts[i], rewards[i],
                                     opened=self._rng.random() < 0.5))
            # a canary's twin is drawn in the background too (renaming parses the program: not on the trainer's path)
            checks += [Check(task_ids[start], sources[start] or "", None, None, canary=True)] * config.canaries
        rounds: list[list[Check]] = []
        for check in checks:  # a round holds one item per verifier: the pool gives each verifier's group a process
            if check.opened:  # its own call: the twin and the response, one process
                rounds.append([check])
                continue
            free = next((r for r in rounds if all(c.source != check.source for c in r)), None)
            if free is None:
                rounds.append([check])
            else:
                free.append(check)
        for chunk in rounds:
            self._pending.append((self._spotter.submit(self._score_alone, chunk), chunk))
        return len(checks)

    def _score_alone(self, chunk: Sequence[Check]) -> list[ScoreResult]:
        """In the background: draw the canaries' twins, score every item of ``chunk`` in one call (one process each:
        their verifiers differ)."""
        if len(chunk) == 1 and chunk[0].opened:
            check = chunk[0]
            twin = draw_canary(self._specs.get(check.task_id), self._twin_rng)
            if twin is not None:
                return [self._pool.score_batch([(check.source, twin), (check.source, check.response or "")])[1]]
        texts = [check.response if not check.canary else draw_canary(self._specs.get(check.task_id), self._twin_rng)
                 for check in chunk]
        asked = [i for i, text in enumerate(texts) if text is not None]
        scored = iter(self._pool.score_batch([(chunk[i].source, texts[i]) for i in asked]) if asked else [])
        none = ScoreResult(outcome=Outcome.ERROR, detail="the task is no longer in the bank")
        return [next(scored) if text is not None else none for text in texts]

    def drain(self, wait: bool = True) -> int:
        """Hand the finished spot checks and canaries to the monitor (every one, waiting for them, when ``wait``);
        returns how many it handed. One the sandbox could not score, or that timed out, is dropped: it is no
        evidence either way."""
        handed, still = 0, []
        for future, chunk in self._pending:
            if not (wait or future.done()):
                still.append((future, chunk))
                continue
            try:
                results = future.result()
            except Exception:  # noqa: BLE001 - the sandbox failed or the pool closed: no evidence
                continue
            for check, result in zip(chunk, results, strict=True):
                # A time-out is no evidence: alone, a slow but honest answer can run out of time that its group's
                # warm process did not spend (a verifier's first call builds its caches; red-team finding). A crash
                # or a score that is not one is what the reward pays for it, 0.0: dropped, a verifier that raised on
                # every wrong answer it was shown alone hid from the position and canary rules and paid 145 of 168
                # wrong answers in its groups (red-team round 28).
                alone = None if result.outcome is Outcome.TIMEOUT else reward_of(result)
                if self._monitor is None:
                    continue
                if check.canary:
                    self._monitor.record_canary(check.task_id, alone, result.ran_response)
                else:
                    self._monitor.record_spot_check(check.task_id, check.in_group, alone)
                handed += 1
        self._pending = still
        return handed

    def close(self) -> None:
        """Hand over every check still running and stop the background thread."""
        self.drain(wait=True)
        self._spotter.shutdown(wait=True)
