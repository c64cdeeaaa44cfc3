"""Bank records around a task: its status, training statistics, growth runs and curation history."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

from pydantic import BaseModel, ConfigDict, Field

from task_bank.provenance import Provenance, utcnow
from task_bank.spec import TaskSpec


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


class TaskSplit(str, Enum):
    """Which use a task is kept for; the trainer, evolving and the band only ever read the training split."""

    TRAIN = "train"
    """Practice tasks: sampled by the trainer, evolved, probed for the band."""
    HELDOUT = "heldout"
    """Evaluation tasks (failure replays): only ``synth.replay`` samples them. Dedup still compares against them,
    so a practice task that copies one is rejected as a duplicate (a leak from evaluation into training)."""


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
    reasons: tuple[str, ...] = ()
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
    split: TaskSplit = TaskSplit.TRAIN
    """Training or held-out evaluation; decided at admission and never changed by curation."""

    @property
    def id(self) -> str:
        """The task id."""
        return self.spec.id


class TrainingStat(BaseModel):
    """Pass-rate evidence for one task under one policy checkpoint, from training or from probing."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """The task measured."""
    policy: str
    """Policy checkpoint id (path, hub id or run/step name)."""
    source: str = "train"
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


class RunOutcome(str, Enum):
    """How a growth or generate run ended."""

    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    BUDGET_EXHAUSTED = "budget_exhausted"
    INTERRUPTED = "interrupted"


class GrowthRun(BaseModel):
    """One growth cycle (or one ``synth.generate`` run), as recorded in the bank."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    """Run id."""
    kind: str = "grow"
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


class CurationAction(BaseModel):
    """A reviewer's (or the trainer's) change of a task's status, kept as history."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    """Task changed."""
    action: str
    """quarantine, retire, restore, promote."""
    from_status: TaskStatus
    """Status before."""
    to_status: TaskStatus
    """Status after."""
    actor: str
    """Who did it (reviewer name, 'trainer', 'grow')."""
    reason: str = ""
    """Why."""
    at: datetime = Field(default_factory=utcnow)
    """When."""
    from_reasons: tuple[str, ...] = ()
    """The task's reasons before the change (e.g. its rejection reasons), so a change can be read back and undone."""
    from_duplicate_of: str | None = None
    """The task it was recorded as duplicating before the change, if any."""
