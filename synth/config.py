"""Pipeline configuration: the knobs of one ``run_pipeline`` call, as typed frozen records.

The command line (``synth.generate``) and scheduled cycles (``synth.grow``) both build a :class:`PipelineConfig`;
the effective config is stored on the run's :class:`task_bank.records.GrowthRun`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


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

    def reason(self, pass_rate: float) -> str | None:
        """``too_easy``, ``too_hard`` or None when ``pass_rate`` is inside the band."""
        if pass_rate > self.high:
            return "too_easy"
        if pass_rate < self.low:
            return "too_hard"
        return None


class PipelineConfig(BaseModel):
    """How one pipeline run drafts, repairs and records."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    drafts_per_group: int = Field(default=2, ge=1)
    """Draft slots per failure group; slot i is anchored on member i (cycling)."""
    repair_rounds: int = Field(default=1, ge=0)
    """Repair attempts for a slot whose draft failed to parse or was rejected by the validator."""
    examples_per_prompt: int = Field(default=3, ge=0)
    """Other members of the group shown in the draft prompt as context."""
    redact: bool = True
    """Redact secrets before anything reaches a prompt or the bank."""
    force: bool = False
    """Draft for failures already processed by an earlier run."""
    diagnose: bool = False
    """Ask the generator for a one-line diagnosis per group first (``diagnose.j2``) and pass it to drafting."""
    group_threshold: float = Field(default=0.5, gt=0.0, le=1.0)
    """MinHash Jaccard similarity at which two failures count as the same weakness."""
    group_by_tags: bool = True
    """Also group failures that share their primary tag."""
    structured: bool = True
    """Pass the draft JSON schema to the backend for constrained decoding."""
    validate_batch: int = Field(default=8, ge=1)
    """Specs per ``validate_many`` call (one executor work item)."""
    band: BandConfig | None = None
    """The learnable band, applied when a policy probe is given."""
    run_kind: str = "generate"
    """``GrowthRun.kind`` recorded for the run."""
    record_run: bool = True
    """Create and update the run's GrowthRun; a caller that records the run itself passes False."""
