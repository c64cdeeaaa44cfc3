"""Bank records around a task: its status, training statistics, growth runs and curation history.

:class:`~task_bank.spec.TaskSplit` is defined beside the JSONL line that carries it and re-exported here.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum

from pydantic import BaseModel, ConfigDict, Field

from task_bank.provenance import Provenance, utcnow
from task_bank.spec import TaskSpec, TaskSplit
from task_bank.validation import Reason


class TaskStatus(str, Enum):
    """Where a task stands in its life."""

    CANDIDATE = "candidate"
    """Drafted, not yet judged."""
    ADMITTED = "admitted"
    """Passed validation and dedup; the trainer samples it."""
    REJECTED = "rejected"
    """Failed validation, was a duplicate, or fell outside the learnable band; ``reasons`` says which."""
    RETIRED = "retired"
    """Mastered by the policy (or retired by a reviewer); no longer sampled."""
    QUARANTINED = "quarantined"
    """Set aside by a reviewer; not sampled until restored."""


ONCE_ADMITTED: frozenset[TaskStatus] = frozenset({TaskStatus.ADMITTED, TaskStatus.RETIRED, TaskStatus.QUARANTINED})
"""Statuses only a task that passed validation and dedup can have: dedup matches against them (a reviewer's
quarantine cannot be undone by regenerating the task), and the dashboards count them as admitted."""


class DuplicateKind(str, Enum):
    """How a duplicate matched the task it duplicates."""

    EXACT = "exact"
    """Same canonical content hash."""
    VERIFIER_AST = "verifier_ast"
    """Verifier code equal up to names, comments and formatting."""
    NEAR_PROMPT = "near_prompt"
    """Prompt above the MinHash similarity threshold."""


class TaskRecord(BaseModel):
    """A task as the bank holds it: the spec plus its status and provenance."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    spec: TaskSpec
    """The task itself (spec v1)."""
    status: TaskStatus = TaskStatus.CANDIDATE
    """Current status."""
    reasons: tuple[Reason, ...] = ()
    """Machine-readable reasons for the status (rejection reasons, 'duplicate', 'too_easy', 'mastered', ...)."""
    provenance: Provenance = Field(default_factory=Provenance)
    """Where the task came from."""
    duplicate_of: str | None = None
    """For a duplicate: the id of the task it duplicates."""
    duplicate_kind: DuplicateKind | None = None
    """For a duplicate: how it matched."""
    created_at: datetime = Field(default_factory=utcnow)
    """When the bank first stored the task."""
    updated_at: datetime = Field(default_factory=utcnow)
    """When status or statistics last changed."""
    status_changed_at: datetime | None = None
    """When the status last changed (None: never, since ``created_at``); a statistic recorded after it is evidence
    the status has not yet seen."""
    split: TaskSplit = TaskSplit.TRAIN
    """Training or held-out evaluation; decided at admission and never changed by curation."""

    @property
    def id(self) -> str:
        """The task id."""
        return self.spec.id

    @property
    def status_since(self) -> datetime:
        """When the task got its current status: the last status change, else its creation."""
        return self.status_changed_at or self.created_at


class StatSource(StrEnum):
    """Who measured a pass rate."""

    TRAIN = "train"
    """GRPO rollouts during training."""
    PROBE = "probe"
    """``synth.probe`` sampling a policy on bank tasks."""


class TrainingStat(BaseModel):
    """Pass-rate evidence for one task under one policy checkpoint, from training or from probing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """The task measured."""
    policy: str
    """Policy checkpoint id (path, hub id or run/step name)."""
    source: StatSource = StatSource.TRAIN
    """Who measured it: 'train' (GRPO rollouts) or 'probe' (synth.probe sampling)."""
    step: int | None = None
    """Training step, when measured during training."""
    attempts: int = Field(ge=0)
    """Responses scored."""
    mean_score: float = Field(ge=0.0, le=1.0)
    """Mean score over the scored attempts."""
    pass_rate: float = Field(ge=0.0, le=1.0)
    """Share of attempts that scored at or above the pass threshold."""
    pass_at_k: dict[int, float] = Field(default_factory=dict)
    """Unbiased pass@k estimates, when probing sampled k responses."""
    recorded_at: datetime = Field(default_factory=utcnow)
    """When the measurement was written."""


class RunKind(StrEnum):
    """What recorded a run."""

    GROW = "grow"
    """A scheduled growth cycle (``synth.grow``)."""
    GENERATE = "generate"
    """A one-off ``synth.generate`` run."""


class RunOutcome(str, Enum):
    """How a growth or generate run ended."""

    RUNNING = "running"
    """Not ended yet, or killed before it could record its end (the next growth cycle marks a stale growth run
    interrupted)."""
    SUCCEEDED = "succeeded"
    """Ran to its end."""
    FAILED = "failed"
    """Stopped by an error, which ``message`` gives."""
    BUDGET_EXHAUSTED = "budget_exhausted"
    """Stopped at a budget (drafts, tokens, wall time); the rest waits for the next run."""
    INTERRUPTED = "interrupted"
    """Stopped by Ctrl-C or SIGTERM; failures it did not finish are left for the next run."""


class GrowthRun(BaseModel):
    """One growth cycle (or one ``synth.generate`` run), as recorded in the bank."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Run id."""
    kind: RunKind = RunKind.GROW
    """'grow' for a scheduled cycle, 'generate' for a one-off run."""
    started_at: datetime = Field(default_factory=utcnow)
    """Start time."""
    ended_at: datetime | None = None
    """End time; None while running or when the run was killed."""
    outcome: RunOutcome = RunOutcome.RUNNING
    """How it ended."""
    inputs_seen: int = Field(default=0, ge=0)
    """Failure records read."""
    counts: dict[str, int] = Field(default_factory=dict)
    """Counts per stage and reason (drafts, admitted, rejected:trivial, duplicates, ...)."""
    budget: dict[str, float] = Field(default_factory=dict)
    """Budget limits in force (max_drafts, max_tokens, max_wall_s, ...)."""
    budget_used: dict[str, float] = Field(default_factory=dict)
    """Budget spent, same keys as ``budget``."""
    config: dict[str, object] = Field(default_factory=dict)
    """The effective configuration of the run."""
    message: str = ""
    """Error or summary text."""


class CurationKind(StrEnum):
    """The kinds of status change the history records."""

    QUARANTINE = "quarantine"
    """A reviewer set the task aside."""
    RETIRE = "retire"
    """No longer sampled: mastered by the policy, or retired by a reviewer."""
    RESTORE = "restore"
    """A quarantined or retired task made admitted again."""
    PROMOTE = "promote"
    """A rejected (or candidate) task admitted: re-validation passed, or the policy now sometimes solves it."""
    REJECT = "reject"
    """Rejected after admission (re-validation under newer rules failed)."""
    RESET = "reset"
    """Back to candidate, to be judged again."""


class CurationAction(BaseModel):
    """A reviewer's (or the trainer's) change of a task's status, kept as history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """Task changed."""
    action: CurationKind
    """quarantine, retire, restore, promote, reject or reset."""
    from_status: TaskStatus
    """Status before."""
    to_status: TaskStatus
    """Status after."""
    actor: str
    """Who did it (reviewer name, 'trainer', 'grow')."""
    reason: str = ""
    """Why, in the actor's words (a reviewer's note; free text)."""
    reasons: tuple[Reason, ...] = ()
    """The machine-readable reasons the task got with this change (its ``TaskRecord.reasons`` afterwards)."""
    at: datetime = Field(default_factory=utcnow)
    """When."""
    from_reasons: tuple[Reason, ...] = ()
    """The task's reasons before the change (e.g. its rejection reasons), so a change can be read back and undone."""
    from_duplicate_of: str | None = None
    """The task it was recorded as duplicating before the change, if any."""
