"""Policy probing and the learnable band: sample a policy k times per task, score the samples in the sandbox, report
pass rates, and keep a new task only when its pass rate lies within the band.

Used twice: by ``synth.probe`` (record pass@k and pass rate per policy checkpoint as
``TrainingStat(source="probe")``) and by the pipeline's learnable band (store a new task REJECTED with reason
``too_easy``/``too_hard`` when its pass rate falls outside the band). Sampling goes through the same generator
backends the pipeline drafts with; scoring through the verifier pool's ``score_batch``.

A sample the sandbox could not score for infrastructure reasons (outcome ``error``) is left out of the pass rate,
never counted as a failure; a sample that crashed or hung its verifier run scores 0. A task with no scored
sample has no pass rate (``None``).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, model_validator

from synth.backends.base import GenerationRequest, GeneratorBackend
from synth.executor import Executor
from task_bank.records import TrainingStat
from task_bank.spec import Message, TaskSpec
from task_bank.validation import Outcome, Reason

if TYPE_CHECKING:
    from verifier import Pool

_SCORE_CHUNK = 32


class BandConfig(BaseModel):
    """The learnable band: keep a new task only when the policy's pass rate lies within [low, high]."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    low: float = Field(default=0.1, ge=0.0, le=1.0)
    """Below this pass rate the task is stored REJECTED with reason ``too_hard`` (no GRPO signal)."""
    high: float = Field(default=0.9, ge=0.0, le=1.0)
    """Above this pass rate the task is stored REJECTED with reason ``too_easy`` (nothing to learn)."""
    k: int = Field(default=8, ge=1)
    """Policy samples per task."""
    pass_threshold: float = Field(default=1.0, gt=0.0, le=1.0)
    """A sample passes when it scores at least this."""

    @model_validator(mode="after")
    def _ordered(self) -> "BandConfig":
        if self.low > self.high:
            raise ValueError(f"band low ({self.low}) is above band high ({self.high})")
        return self

    def reason(self, pass_rate: float) -> Reason | None:
        """``too_easy``, ``too_hard`` or None when ``pass_rate`` is inside the band."""
        if pass_rate > self.high:
            return Reason.TOO_EASY
        if pass_rate < self.low:
            return Reason.TOO_HARD
        return None


class ProbeMeasure(BaseModel):
    """What probing found for one task."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    task_id: str
    samples: int = Field(ge=0)
    """Samples requested."""
    attempts: int = Field(ge=0)
    """Samples scored (infrastructure errors and empty generations excluded)."""
    passes: int = Field(ge=0)
    """Samples at or above the pass threshold."""
    mean_score: float = Field(ge=0.0, le=1.0)
    pass_rate: float | None = Field(ge=0.0, le=1.0)
    """passes / attempts; None when nothing was scored."""
    pass_at_k: dict[int, float] = Field(default_factory=dict)
    """Unbiased pass@k for k in 1, 2, 4, ... up to ``attempts``."""


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from n samples of which c passed (Chen et al. 2021): 1 - C(n-c, k) / C(n, k)."""
    if n - c < k:
        return 1.0
    return 1.0 - comb(n - c, k) / comb(n, k)


def _ks(n: int) -> list[int]:
    ks, k = [], 1
    while k <= n:
        ks.append(k)
        k *= 2
    if n and ks[-1] != n:
        ks.append(n)
    return ks


class PolicyProbe:
    """Samples ``policy`` through ``backend`` and scores with ``pool``; see the module docstring."""

    def __init__(self, backend: GeneratorBackend, pool: "Pool", *, k: int = 8, pass_threshold: float = 1.0,
                 policy: str | None = None) -> None:
        self.backend = backend
        self.pool = pool
        self.k = k
        self.pass_threshold = pass_threshold
        self.policy = policy or backend.model or backend.name

    def _requests(self, spec: TaskSpec) -> list[GenerationRequest]:
        messages = tuple(Message.model_validate(m) for m in spec.chat_prompt())
        base = self.backend.sampling.seed or 0
        return [GenerationRequest(key=f"{spec.id}/s{i}", messages=messages, seed=base + i) for i in range(self.k)]

    def measure(self, specs: Sequence[TaskSpec], executor: Executor) -> list[ProbeMeasure]:
        """One measure per spec, in order."""
        requests = [r for spec in specs for r in self._requests(spec)]
        size = self.backend.batch_size
        batches = [requests[i:i + size] for i in range(0, len(requests), size)]
        texts = [g.text for batch in executor.map(self.backend.generate, batches) for g in batch]
        pairs: list[tuple[str, str]] = []
        owners: list[int] = []
        for n, spec in enumerate(specs):
            for text in texts[n * self.k:(n + 1) * self.k]:
                if text is not None:
                    pairs.append((spec.verifier, text))
                    owners.append(n)
        chunks = [pairs[i:i + _SCORE_CHUNK] for i in range(0, len(pairs), _SCORE_CHUNK)]
        results = [r for chunk in executor.map(self.pool.score_batch, chunks) for r in chunk]
        scores: list[list[float]] = [[] for _ in specs]
        for owner, result in zip(owners, results):
            if result.outcome is Outcome.ERROR:
                continue
            scores[owner].append(result.score if result.outcome is Outcome.SCORED and result.score else 0.0)
        return [self._summarise(spec.id, s) for spec, s in zip(specs, scores)]

    def _summarise(self, task_id: str, scores: list[float]) -> ProbeMeasure:
        n = len(scores)
        c = sum(1 for s in scores if s >= self.pass_threshold)
        return ProbeMeasure(task_id=task_id, samples=self.k, attempts=n, passes=c,
                            mean_score=sum(scores) / n if n else 0.0, pass_rate=c / n if n else None,
                            pass_at_k={k: pass_at_k(n, c, k) for k in _ks(n)})

    def stat(self, measure: ProbeMeasure) -> TrainingStat | None:
        """The ``TrainingStat(source="probe")`` for a measure, or None when nothing was scored."""
        if measure.pass_rate is None:
            return None
        return TrainingStat(task_id=measure.task_id, policy=self.policy, source="probe", attempts=measure.attempts,
                            mean_score=measure.mean_score, pass_rate=measure.pass_rate,
                            pass_at_k=measure.pass_at_k)
