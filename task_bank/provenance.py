"""Provenance: where a task came from, kept with every task the project generates.

The chain a reviewer follows is failure records -> prompt template + hash -> generator backend/model/sampling ->
draft -> validation -> admission; these fields hold every link of it.
"""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import BaseModel, ConfigDict, Field, model_validator

from task_bank.safe_text import holds_lone_surrogate


def utcnow() -> datetime:
    """Timezone-aware now in UTC; every timestamp in the bank is UTC."""
    return datetime.now(timezone.utc)


class SamplingSettings(BaseModel):
    """The generator's sampling settings, recorded so a draft can be reproduced. Numbers are finite: an infinite
    temperature was stored as ``null`` and then failed every read of the bank (red-team round 42)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    temperature: float = Field(default=0.7, ge=0.0)
    """Softmax temperature; 0 means greedy."""
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    """Nucleus sampling mass."""
    max_new_tokens: int = Field(default=1024, ge=1)
    """Upper bound on generated tokens per draft."""
    seed: int | None = None
    """Sampling seed, when the backend honours one."""


class Provenance(BaseModel):
    """Where a task came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source_failure_ids: tuple[str, ...] = ()
    """Ids of the failure records the task was drafted from (empty for imported or hand-written tasks)."""
    failure_group: str | None = None
    """Id of the weakness group those failures were clustered into."""
    generator_backend: str | None = None
    """Registry name of the generator backend (transformers, vllm, openai, replay)."""
    generator_model: str | None = None
    """Model path or hub id the backend ran."""
    sampling: SamplingSettings | None = None
    """Sampling settings of the generating call."""
    prompt_template: str | None = None
    """Name of the Jinja2 template in ``prompts/`` that produced the generator prompt."""
    prompt_template_hash: str | None = None
    """Content hash of that template file at generation time."""
    draft_id: str | None = None
    """Id of the raw draft (generator output) the task was parsed from."""
    repair_round: int = Field(default=0, ge=0)
    """0 for a first draft, n for the n-th repair after rejection."""
    parent_task_id: str | None = None
    """The task this one was evolved from, for harder or varied versions."""
    growth_run_id: str | None = None
    """The growth cycle (or generate run) that produced the task."""
    imported_from: str | None = None
    """File the task was imported from, for tasks that were not generated here."""
    created_at: datetime = Field(default_factory=utcnow)
    """When the task was drafted or imported."""

    @model_validator(mode="after")
    def _valid_text(self) -> "Provenance":
        if holds_lone_surrogate(self.model_dump()):
            raise ValueError("contains a lone surrogate (such as \\ud800 in the JSON): not valid Unicode text")
        return self
