"""The training configuration: one frozen record with a section per concern, read from TOML or YAML.

Every setting lives in a file (``trainer/configs/tiny.toml`` shows all of them) and any one can be overridden on
the command line as ``--set section.field=value``. This module is the schema (each field with its meaning, default
and bounds); reading a file and overrides into it, and explaining a wrong value, is :mod:`trainer.config_loader`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from verifier.limits import Limits

REMOVED_LIMITS = ("wall_s", "cpu_s", "memory_mb")  # [reward] settings that once made training's limits differ


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)


class ModelSection(_Section):
    """How the policy is loaded."""

    dtype: Literal["auto", "float32", "bfloat16", "float16"] = "auto"
    """Weights dtype; 'auto' is float32 on CPU and bfloat16 on GPU."""
    gradient_checkpointing: bool = False
    """Trade compute for memory on large policies."""
    trust_remote_code: bool = False
    """Allow model code shipped with the checkpoint (hub models only)."""
    threads: int | None = Field(default=None, ge=1)
    """torch CPU threads (None: torch's default). On a shared CPU use 1: two threads ran 12x slower than one here
    when the other core was busy."""


class LoraSection(_Section):
    """Train low-rank adapters through peft instead of every weight."""

    enabled: bool = False
    """Wrap the policy in a LoRA adapter."""
    r: int = Field(default=16, ge=1)
    """Adapter rank."""
    alpha: int = Field(default=32, ge=1)
    """LoRA scaling numerator."""
    dropout: float = Field(default=0.05, ge=0.0, lt=1.0)
    """Dropout on the adapter input."""
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj")
    """Module names that get adapters."""


class GrpoSection(_Section):
    """The GRPO loop itself (passed through to TRL's GRPOConfig)."""

    max_steps: int = Field(default=100, ge=1)
    """Optimizer steps to run; the bank is an endless stream, so this is what ends training."""
    learning_rate: float = Field(default=1e-6, gt=0.0)
    """AdamW learning rate."""
    num_generations: int = Field(default=8, ge=2)
    """Completions sampled per prompt (a GRPO group)."""
    per_device_train_batch_size: int = Field(default=8, ge=1)
    """Completions per device per micro-batch; times gradient_accumulation_steps it must be a multiple of
    num_generations."""
    gradient_accumulation_steps: int = Field(default=1, ge=1)
    """Micro-batches per optimizer step."""
    max_completion_length: int = Field(default=256, ge=1)
    """Upper bound on generated tokens per completion."""
    temperature: float = Field(default=1.0, gt=0.0)
    """Sampling temperature of the rollouts."""
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    """Nucleus sampling mass of the rollouts."""
    beta: float = Field(default=0.0, ge=0.0)
    """KL penalty coefficient; 0 skips the reference model."""
    scale_rewards: Literal["group", "batch", "none"] = "group"
    """How advantages are normalised."""
    logging_steps: int = Field(default=1, ge=1)
    """Steps per logging interval (TRL's log lines and the training plot)."""
    save_steps: int = Field(default=50, ge=1)
    """Steps between checkpoints; bank statistics are written at each checkpoint, under its id."""
    save_total_limit: int | None = Field(default=3, ge=1)
    """Checkpoints kept on disk (oldest deleted first)."""
    seed: int = 0
    """Seed for torch, the task sampler and generation."""
    device: Literal["auto", "cpu", "cuda"] = "auto"
    """'auto' trains on CUDA when available, else on CPU."""

    @model_validator(mode="after")
    def _groups_fit_the_batch(self) -> "GrpoSection":
        batch = self.per_device_train_batch_size * self.gradient_accumulation_steps
        if batch % self.num_generations:
            raise ValueError(
                f"grpo.per_device_train_batch_size * grpo.gradient_accumulation_steps = {batch} is not a multiple "
                f"of grpo.num_generations = {self.num_generations}, so a batch would split a group; set "
                f"grpo.per_device_train_batch_size to a multiple of {self.num_generations}")
        return self


class VllmSection(_Section):
    """Generate rollouts with vLLM (GPU only; install the 'vllm' extra)."""

    enabled: bool = False
    """Use vLLM instead of model.generate."""
    mode: Literal["colocate", "server"] = "colocate"
    """'colocate' runs vLLM inside the training process; 'server' talks to `trl vllm-serve`."""
    server_base_url: str | None = None
    """Server mode: base URL of the vLLM server (overrides host and port)."""
    server_host: str = "0.0.0.0"
    """Server mode: host of the vLLM server."""
    server_port: int = Field(default=8000, ge=1, le=65535)
    """Server mode: port of the vLLM server."""
    gpu_memory_utilization: float = Field(default=0.3, gt=0.0, le=1.0)
    """Colocate mode: share of GPU memory vLLM may take."""


class SamplingSection(_Section):
    """Which bank tasks the policy sees, and how often."""

    floor: float = Field(default=0.05, gt=0.0, le=1.0)
    """Weight of a task the policy always or never solves (pass rate 0 or 1); a mid-rate task weighs 1."""
    unknown_weight: float = Field(default=1.0, gt=0.0)
    """Weight of a task with no recorded pass rate yet (new tasks are worth a look)."""
    sharpness: float = Field(default=1.0, gt=0.0)
    """Exponent on 4p(1-p); above 1 concentrates sampling on pass rates near 0.5."""
    refresh_every: int = Field(default=8, ge=1)
    """Prompts drawn between two queries of the bank (lower sees new tasks sooner)."""
    policy: str | None = None
    """Only use pass rates recorded for this policy id; None uses the latest of any policy."""
    skill: str | None = None
    """Only sample tasks whose metadata skill is this."""


class RewardSection(_Section):
    """How completions are scored: the verifier pool."""

    backend: str = "bwrap"
    """Sandbox backend of the verifier pool (bwrap, docker, unsafe-local)."""
    workers: int = Field(default=2, ge=1)
    """Sandbox workers scoring in parallel."""
    pass_threshold: float = Field(default=1.0, gt=0.0, le=1.0)
    """A score at or above this counts as a pass in pass rates."""

    @model_validator(mode="before")
    @classmethod
    def _no_limit_knobs(cls, data: Any) -> Any:
        """Refuse the removed limit settings by name: a verifier reads its limits (``CALL_WALL_S``, RLIMIT_AS), so
        training with other limits than validation's is a tell (a verifier honest in validation, 1.0 in training)."""
        for name in REMOVED_LIMITS:
            if isinstance(data, Mapping) and name in data:
                raise ValueError(f"'reward.{name}' is no longer a setting: rewards are scored under verifier.Limits() "
                                 f"(the limits validation uses); delete the line")
        return data

    def limits(self) -> Limits:
        """The limits rewards are scored under: exactly validation's (``verifier.Limits()``), never configurable."""
        return Limits()


class StatsSection(_Section):
    """What the trainer writes back to the bank, and the status changes it may make."""

    retire: bool = True
    """Retire tasks the policy has mastered."""
    retire_window: int = Field(default=3, ge=1)
    """Consecutive training measurements that must all reach mastery_pass_rate before retiring."""
    mastery_pass_rate: float = Field(default=0.95, gt=0.0, le=1.0)
    """Pass rate that counts as mastered."""
    promote: bool = True
    """Re-admit rejected tasks that the policy now sometimes solves."""
    promote_reasons: tuple[str, ...] = ("too_hard",)
    """Rejection reasons a rising pass rate can undo (synth stores tasks below the learnable band as too_hard)."""


class HeldoutSection(_Section):
    """Held-out evaluation during training: ``synth.replay`` on the live policy (``trainer.heldout_eval``)."""

    every: int = Field(default=0, ge=0)
    """Evaluate before training and every this many optimizer steps; 0 turns it off."""
    k: int = Field(default=4, ge=1)
    """Samples per held-out task."""
    max_new_tokens: int = Field(default=64, ge=1)
    """Tokens per sampled answer at most."""
    temperature: float = Field(default=0.7, ge=0.0)
    """Sampling temperature of the evaluation (0 is greedy)."""
    retention: bool = True
    """Also sample the shipped retention suite."""


class RunConfig(_Section):
    """What every trainer's run needs, whatever the algorithm: the policy, the bank, where to write, how to load."""

    policy: str = Field(min_length=1)
    """Local path or hub id of the policy to train."""
    bank: Path
    """The task bank (SQLite file) to train on and write statistics to."""
    output: Path
    """Directory for checkpoints, the final model and the training plot."""
    resume: str | None = None
    """'auto' to resume from the newest checkpoint in output, or a checkpoint path."""
    plot: bool = True
    """Write training_curves.png beside each checkpoint."""
    model: ModelSection = ModelSection()
    lora: LoraSection = LoraSection()


class TrainConfig(RunConfig):
    """Everything one GRPO training run needs."""

    grpo: GrpoSection = GrpoSection()
    vllm: VllmSection = VllmSection()
    sampling: SamplingSection = SamplingSection()
    reward: RewardSection = RewardSection()
    stats: StatsSection = StatsSection()
    heldout: HeldoutSection = HeldoutSection()
