"""The OPSD run's configuration: the shared run settings, the bank rows, the measurements, and TRL's own SDFTConfig.

The loss and the teacher are TRL's business: the ``[sdft]`` section is handed to
``trl.experimental.sdft.SDFTConfig`` as it stands (``distillation_alpha``, ``distillation_mode``,
``teacher_model_kind``, ``teacher_prompt_template``, ``max_steps``, ``learning_rate``, ...), so every field TRL adds
is usable without a line here, and TRL's own checks judge the values. A field TRL does not know is refused with a
did-you-mean, and the few fields envsynth sets from its own settings (where to write, the device, the dtype) are
refused with the setting to use instead. Everything else is a typed section, read and overridden exactly as
``trainer.grpo``'s config is (:func:`trainer.config_loader.load_config`).
"""

from __future__ import annotations

import dataclasses
import difflib
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, JsonValue

from task_bank import ConfigError
from trainer.config import HeldoutSection, RewardSection, RunConfig, StatsSection, _Section

if TYPE_CHECKING:
    from trl.experimental.sdft import SDFTConfig

RESERVED = {"output_dir": "output", "use_cpu": "device", "bf16": "model.dtype", "fp16": "model.dtype",
            "model_init_kwargs": "model.dtype", "trust_remote_code": "model.trust_remote_code",
            "gradient_checkpointing": "model.gradient_checkpointing"}
"""SDFTConfig fields envsynth fills from its own settings, and the setting to change instead."""

DEFAULTS: dict[str, JsonValue] = {"report_to": "none", "disable_tqdm": True, "logging_steps": 1}
"""SDFTConfig values envsynth prefers to TRL's defaults; ``[sdft]`` overrides them."""


class PromptSource(str, Enum):
    """Where a row's student prompt comes from."""

    TASKS = "tasks"
    """The prompt of each practice task (the training split's admitted tasks, as GRPO samples them)."""
    FAILURES = "failures"
    """The failing conversation itself, for each failure a practice task was drafted from."""
    BOTH = "both"
    """One row of each kind."""


class DataSection(_Section):
    """Which bank rows the policy distils from, and what its hindsight holds."""

    prompts: PromptSource = PromptSource.TASKS
    """'tasks' (practice task prompts), 'failures' (the failing conversations) or 'both'."""
    skill: str | None = None
    """Only practice tasks whose metadata skill is this."""
    max_failures: int = Field(default=3, ge=0, le=20)
    """Failures (feedback, correction, expected answer) quoted in one task's privileged context."""
    template: Path | None = None
    """Jinja2 template of the privileged context; None uses the shipped prompts/privileged.j2."""


class MeasureSection(_Section):
    """Pass rates measured by sampling the policy and scoring in the sandbox: the gap before, the rate after."""

    gap: bool = True
    """Measure the self-teacher gap before training: pass rate with and without the privileged context."""
    after: bool = True
    """Measure the trained policy's pass rate on the practice tasks and write it to the bank."""
    samples: int = Field(default=4, ge=1, le=256)
    """Responses sampled per task and side."""
    max_tasks: int | None = Field(default=32, ge=1)
    """Practice tasks measured (the first ones in bank order); None measures them all."""
    max_new_tokens: int = Field(default=128, ge=1)
    """Tokens generated per response."""
    temperature: float = Field(default=1.0, ge=0.0)
    """Sampling temperature; 0 decodes greedily (then samples above 1 repeat the same answer)."""
    warn_below: float = Field(default=5.0, ge=0.0, le=100.0)
    """Warn when the gap is under this many points: OPSD's gain is reported to follow the gap."""


class OpsdConfig(RunConfig):
    """Everything one OPSD run needs."""

    device: Literal["auto", "cpu", "cuda"] = "auto"
    """'auto' trains on CUDA when available, else on CPU."""
    data: DataSection = DataSection()
    measure: MeasureSection = MeasureSection()
    reward: RewardSection = RewardSection()
    """The sandbox that scores the measurements (as GRPO's reward is scored)."""
    stats: StatsSection = StatsSection()
    """Status changes the after-training pass rates may make (retire, promote), as in GRPO."""
    heldout: HeldoutSection = HeldoutSection()
    """Held-out replay evaluation during training (``--eval-every N``), as in GRPO."""
    sdft: dict[str, JsonValue] = Field(default_factory=dict)
    """Fields of TRL's SDFTConfig, passed as they are (e.g. distillation_alpha, teacher_model_kind)."""


def on_cpu(device: str) -> bool:
    """True when the run trains on the CPU (asked for, or 'auto' with no CUDA device)."""
    import torch

    return device == "cpu" or (device == "auto" and not torch.cuda.is_available())


def sdft_arguments(config: OpsdConfig) -> SDFTConfig:
    """TRL's SDFTConfig: envsynth's preferences < ``[sdft]`` < the reserved fields; TRL's refusals as ConfigError."""
    from trl.experimental.sdft import SDFTConfig

    known = {f.name for f in dataclasses.fields(SDFTConfig) if f.init}
    for name in config.sdft:
        if name in RESERVED:
            raise ConfigError(f"envsynth sets sdft.{name} itself; set '{RESERVED[name]}' instead", field=f"sdft.{name}")
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"did you mean 'sdft.{close[0]}'?" if close else \
                "see trl.experimental.sdft.SDFTConfig for the fields"
            raise ConfigError(f"SDFTConfig has no field '{name}'; {hint}", field=f"sdft.{name}")
    cpu = on_cpu(config.device)
    dtype = config.model.dtype if config.model.dtype != "auto" else ("float32" if cpu else "bfloat16")
    reserved = {"output_dir": str(config.output), "use_cpu": cpu, "bf16": not cpu and dtype == "bfloat16",
                "fp16": not cpu and dtype == "float16", "model_init_kwargs": {"dtype": dtype},
                "trust_remote_code": config.model.trust_remote_code,
                "gradient_checkpointing": config.model.gradient_checkpointing}
    try:
        return SDFTConfig(**{**DEFAULTS, **config.sdft, **reserved})
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"TRL refused the SDFT settings: {' '.join(str(exc).split())}", field="sdft") from None
