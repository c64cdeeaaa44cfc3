"""Replay evaluation: did training fix the failures it was meant to fix, and what did it forget?

A replay task is a deployment failure replayed: the original conversation as the prompt, judged by a verifier the
deployed response fails. They live in the bank's held-out split, so no trainer ever samples them. The retention
suite is a shipped set of everyday requests, unrelated to the failures, judged by IFEval's and IFBench's checkers
(``if-verifiable``) and a few general tasks: what the policy could do before, which training must not break.

:func:`evaluate` samples a policy k times on each task through a :class:`synth.band.PolicyProbe` (the generator
backends and the sandboxed verifier pool, as probing does; request keys and seeds depend only on the task and the
sample index, so two policies see the same sample plan) and :func:`summarise` turns the counts into the
:class:`task_bank.evaluations.ReplaySummary` that ``synth.replay`` prints and stores. A sample the sandbox could not
score is left out of its task's pass rate, never counted as a failure; a task with no scored sample is not fixed and
counted in ``unscored``.

Held-out replay environments (:mod:`synth.env_replay`) are rolled out k times each by :func:`evaluate_environments`
(:func:`synth.env_rollout.roll_out`: multi-turn, with the environment's tools, through sandboxed sessions) and
scored with the environment's ``score``; each gives an :class:`EnvironmentEvalResult` (reported beside the tasks)
and a replay-suite :class:`~task_bank.evaluations.TaskEvalResult` under its id, so it counts in "fixed X of Y", in its
failure's weakness group, and in ``--against``'s paired test like a replay task.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING
from uuid import uuid4

from pydantic import BaseModel, ConfigDict, Field

from synth.backends.base import GeneratorBackend
from synth.band import PolicyProbe
from synth.env_rollout import ToolCallParser, roll_out
from synth.executor import Executor
from synth.stats_intervals import PairedComparison, mcnemar_exact, wilson_interval
from task_bank.lines import BadLine, read_jsonl
from task_bank.environment_store import EnvironmentRecord
from task_bank.errors import BankError, InputError
from task_bank.evaluations import EvalSuite, GroupTally, ReplaySummary, RetentionTally, TaskEvalResult
from task_bank.provenance import utcnow
from task_bank.records import TaskRecord
from task_bank.spec import TaskSpec

if TYPE_CHECKING:
    from task_bank.store import Bank
    from verifier.sessions import SessionPool

RETENTION_SUITE = Path(__file__).resolve().parent.parent / "examples" / "retention" / "tasks.jsonl"
"""The shipped retention suite (task spec v1 JSONL)."""

UNGROUPED = "ungrouped"
"""Group name of a replay task whose failure had no weakness group."""


class EvalItem(BaseModel):
    """One held-out task to sample, with what the report needs to know about it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: TaskSpec
    suite: EvalSuite
    failure_id: str | None = None
    """The failure a replay task replays."""
    group: str | None = None
    """Its weakness group (the group's label)."""


class Comparison(BaseModel):
    """``--against``: the other policy's result on the same sample plan, and the paired test."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy: str
    fixed: int
    total: int
    pass_at_1: float
    retention: RetentionTally
    test: PairedComparison


class EnvironmentEvalResult(BaseModel):
    """One held-out replay environment's k rollouts in one evaluation."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    environment_id: str
    """The held-out environment rolled out."""
    failure_id: str | None = None
    """The failure whose request it replays."""
    group: str
    """That failure's weakness group."""
    samples: int = Field(ge=0)
    """Rollouts made (k)."""
    attempts: int = Field(ge=0)
    """Rollouts scored (sandbox failures and missing replies left out)."""
    passes: int = Field(ge=0)
    """Scored rollouts at or above the pass threshold."""
    mean_score: float | None = Field(default=None, ge=0.0, le=1.0)
    """Mean ``score`` of the scored rollouts."""
    tool_calls: int = Field(ge=0)
    """Tool calls the policy made over all rollouts."""

    def as_task_result(self) -> TaskEvalResult:
        """The replay-suite result it counts as in the summary and the bank."""
        return TaskEvalResult(task_id=self.environment_id, suite=EvalSuite.REPLAY, failure_id=self.failure_id,
                              group=self.group, samples=self.samples, attempts=self.attempts, passes=self.passes)


class ReplayReport(ReplaySummary):
    """What ``synth.replay --json`` prints: the stored summary, the held-out environments' rollouts, and the
    comparison when ``--against`` was given."""

    bank: str
    """The bank whose held-out replay tasks were sampled."""
    environments: tuple[EnvironmentEvalResult, ...] = ()
    """Held-out replay environments, rolled out (also counted among the replay results)."""
    against: Comparison | None = None


def replay_item(record: TaskRecord) -> EvalItem:
    """The evaluation item of a held-out replay task: its failure (the anchor) and weakness group."""
    prov = record.provenance
    group = record.spec.metadata.get("weakness") or record.spec.skill or prov.failure_group or UNGROUPED
    return EvalItem(spec=record.spec, suite=EvalSuite.REPLAY, group=str(group),
                    failure_id=prov.source_failure_ids[0] if prov.source_failure_ids else None)


def replay_items(bank: "Bank", *, environments: bool = False) -> list[EvalItem]:
    """Every admitted held-out replay task of ``bank``; BankError saying how to make them when there are none (and,
    with ``environments``, no held-out replay environment either)."""
    items = [replay_item(record) for record in bank.heldout_tasks()]
    if not items and not (environments and bank.heldout_environments()):
        raise BankError(f"{bank.path}: the bank holds no held-out replay tasks; every `python -m synth.generate "
                        f"--failures FILE ...` run drafts one per failure (try the quickstart: --failures "
                        f"examples/failures.jsonl --backend replay --drafts examples/drafts.jsonl)")
    return items


def retention_items(path: Path = RETENTION_SUITE) -> list[EvalItem]:
    """The retention suite at ``path``; InputError naming the first bad line."""
    items = []
    for line in read_jsonl(path, TaskSpec, what="task spec v1"):
        if isinstance(line, BadLine):
            raise InputError(str(line))
        items.append(EvalItem(spec=line.value, suite=EvalSuite.RETENTION,
                              group=str(line.value.metadata.get("checker", "general"))))
    if not items:
        raise InputError("the retention suite holds no task", path=str(path))
    return items


def evaluate(items: Sequence[EvalItem], probe: PolicyProbe, executor: Executor,
             batch: int = 64) -> list[TaskEvalResult]:
    """Sample ``probe``'s policy k times on every item and score each sample; one result per item, in order."""
    results: list[TaskEvalResult] = []
    for start in range(0, len(items), batch):
        chunk = items[start:start + batch]
        for item, m in zip(chunk, probe.measure([i.spec for i in chunk], executor), strict=True):
            results.append(TaskEvalResult(task_id=item.spec.id, suite=item.suite, failure_id=item.failure_id,
                                          group=item.group, samples=probe.k, attempts=m.attempts, passes=m.passes))
    return results


def environment_group(record: EnvironmentRecord) -> str:
    """The weakness group a held-out environment counts in (named as its failure's replay task names it)."""
    prov = record.provenance
    return str(record.spec.metadata.get("weakness") or prov.failure_group or UNGROUPED)


def evaluate_environments(records: Sequence[EnvironmentRecord], backend: GeneratorBackend, parser: ToolCallParser,
                          pool: "SessionPool", executor: Executor, *, k: int,
                          pass_threshold: float = 1.0) -> list[EnvironmentEvalResult]:
    """Roll ``backend``'s policy out k times in each held-out environment and score the rollouts; in order."""
    results = []
    for record in records:
        rollouts = roll_out(record.spec, backend, parser, pool, executor, k)
        scores = [r.reward for r in rollouts if r.reward is not None]
        prov = record.provenance
        results.append(EnvironmentEvalResult(
            environment_id=record.id, failure_id=prov.source_failure_ids[0] if prov.source_failure_ids else None,
            group=environment_group(record), samples=k, attempts=len(scores),
            passes=sum(score >= pass_threshold for score in scores),
            mean_score=sum(scores) / len(scores) if scores else None,
            tool_calls=sum(r.tool_calls for r in rollouts)))
    return results


def _mean_rate(results: Iterable[TaskEvalResult]) -> float | None:
    rates = [r.pass_rate for r in results if r.pass_rate is not None]
    return sum(rates) / len(rates) if rates else None


def _tally(results: Sequence[TaskEvalResult]) -> GroupTally:
    fixed = sum(r.fixed for r in results)
    return GroupTally(total=len(results), fixed=fixed, pass_at_1=_mean_rate(results) or 0.0,
                      interval=wilson_interval(fixed, len(results)))


def retention_of(results: Sequence[TaskEvalResult], was: float | None = None) -> RetentionTally:
    """The retention figure of a run's results (mean pass rate over the suite's scored tasks)."""
    kept = [r for r in results if r.suite is EvalSuite.RETENTION]
    return RetentionTally(pass_rate=_mean_rate(kept), total=len(kept), was=was)


def summarise(results: Sequence[TaskEvalResult], *, policy: str, k: int,
              retention_was: float | None = None, eval_id: str | None = None) -> ReplaySummary:
    """Fixed failures (with a Wilson 95% interval), pass@1, per weakness group, and retention."""
    replay = [r for r in results if r.suite is EvalSuite.REPLAY]
    groups: dict[str, list[TaskEvalResult]] = defaultdict(list)
    for r in replay:
        groups[r.group or UNGROUPED].append(r)
    total = _tally(replay) if replay else GroupTally(total=0, fixed=0, pass_at_1=0.0)
    return ReplaySummary(
        id=eval_id or f"replay-{utcnow():%Y%m%dT%H%M%S}-{uuid4().hex[:6]}", policy=policy, k=k, total=total.total,
        fixed=total.fixed, pass_at_1=total.pass_at_1, interval=total.interval,
        unscored=sum(1 for r in replay if not r.attempts),
        by_group={name: _tally(rows) for name, rows in sorted(groups.items())},
        retention=retention_of(results, retention_was))


def compare(this: Sequence[TaskEvalResult], other: Sequence[TaskEvalResult],
            other_summary: ReplaySummary) -> Comparison:
    """McNemar's exact test over the replay tasks both runs judged (same tasks, same sample plan)."""
    theirs = {r.task_id: r.fixed for r in other if r.suite is EvalSuite.REPLAY}
    mine = [r for r in this if r.suite is EvalSuite.REPLAY and r.task_id in theirs]
    test = mcnemar_exact([r.fixed for r in mine], [theirs[r.task_id] for r in mine])
    return Comparison(policy=other_summary.policy, fixed=other_summary.fixed, total=other_summary.total,
                      pass_at_1=other_summary.pass_at_1, retention=other_summary.retention, test=test)


def previous_retention(bank: "Bank", policy: str) -> float | None:
    """The retention of the latest evaluation of another policy in ``bank`` (the "was" of "retention Z (was W)")."""
    for summary in bank.replay_evals(limit=200):
        if summary.policy != policy and summary.retention.pass_rate is not None:
            return summary.retention.pass_rate
    return None
