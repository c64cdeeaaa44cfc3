"""GRPO on environments: environment specs -> sandboxed session pool -> TRL's ``environment_factory`` -> ``train()``.

Wiring only, like :mod:`trainer.grpo` (whose GRPOConfig, LoRA and resume helpers it reuses): the environments come
from an environment spec v1 JSONL file (``python -m trainer.grpo --environments FILE``) or from the caller; each is
exposed through :func:`trainer.environments.environment_factories`, rows carry the environment id and seed, and the
reward is each rollout's ``score``. TRL's tool loop runs at most the largest ``metadata.max_turns`` of the
environments (default 8) rounds; each adapter refuses tool calls past its own ``max_turns``.

The reward-hacking monitor watches every environment as it watches bank tasks (:mod:`trainer.monitor_env`): a
flagged environment is set aside for the rest of the run, and the flagged groups are logged (``monitor/...`` in
TRL's logs) and counted in the summary.

Held-out replay environments (a line with ``"split": "heldout"``, as ``task_bank export`` writes them) are never
trained on: :func:`read_environments` leaves them out, and a file holding nothing else is refused.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

from task_bank import ConfigError, InputError
from task_bank.environment import DEFAULT_TURNS, EnvironmentLine, EnvironmentSpec
from task_bank.spec import TaskSplit
from trainer.config import TrainConfig

if TYPE_CHECKING:
    from transformers import TrainerCallback

    from trainer.grpo import TrainSummary


def read_environments(path: Path) -> list[EnvironmentSpec]:
    """Every training environment in a JSONL file (held-out lines left out); InputError naming the line and field
    for a bad one."""
    specs = []
    heldout = 0
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read the file: {exc.strerror}", path=str(path)) from None
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            parsed = EnvironmentLine.model_validate(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"not valid JSON: {exc.msg}", path=str(path), line=number) from None
        except ValidationError as exc:
            error = exc.errors()[0]
            raise InputError(f"not an environment spec v1: {error['msg']}", path=str(path), line=number,
                             field=".".join(str(p) for p in error["loc"]) or None) from None
        if parsed.split is TaskSplit.HELDOUT:
            heldout += 1
        else:
            specs.append(parsed.spec)
    if not specs:
        why = f"only held-out replay environments ({heldout}), which are never trained on" if heldout else \
            "no environments"
        raise InputError(f"{why} in the file", path=str(path))
    return specs


def train_environments(config: TrainConfig, specs: Sequence[EnvironmentSpec],
                       callbacks: Sequence[TrainerCallback] = ()) -> TrainSummary:
    """Run GRPO on ``specs`` as configured (the bank is not read: environments train from the given specs)."""
    from trl import GRPOTrainer

    from trainer.environments import EnvironmentReward, environment_factories, environment_rows
    from trainer.grpo import TrainSummary, grpo_arguments, lora_config, resume_point
    from trainer.monitor import RewardHackMonitor
    from trainer.monitor_env import EnvironmentMonitorCallback, MonitoredEnvironmentReward
    from verifier.sessions import SessionLimits, SessionPool

    resume = resume_point(config)
    args = grpo_arguments(config)
    args.max_tool_calling_iterations = max(spec.max_turns or DEFAULT_TURNS for spec in specs)
    r = config.reward
    limits = SessionLimits.for_rewards()  # exactly validation's: an environment reads its limits
    with SessionPool(backend=r.backend, workers=r.workers, limits=limits) as pool:
        factories = environment_factories(specs, pool)
        dataset = environment_rows(specs, config.grpo.seed)
        monitor = RewardHackMonitor(r.pass_threshold)
        reward = MonitoredEnvironmentReward(EnvironmentReward(), monitor, group_size=config.grpo.num_generations)
        watch = EnvironmentMonitorCallback(monitor, reward, specs)
        try:
            trainer = GRPOTrainer(model=config.policy, reward_funcs=reward, args=args,
                                  train_dataset=dataset, environment_factory=factories,
                                  peft_config=lora_config(config), callbacks=[watch, *callbacks])
        except OSError as exc:
            raise ConfigError(f"cannot load policy {config.policy!r} ({exc}); pass a local model directory or a hub "
                              f"id", field="policy") from None
        trainer.train(resume_from_checkpoint=resume)
        trainer.save_model(str(config.output))
    logged = [entry for entry in trainer.state.log_history if "reward" in entry]
    return TrainSummary(output=str(config.output), steps=trainer.state.global_step,
                        last_reward=logged[-1]["reward"] if logged else None,
                        last_pass_rate=logged[-1].get("environment/solved") if logged else None,
                        stats_written=0, groups=0, equal_groups=0, retired=(), promoted=(),
                        flagged_groups=watch.flagged_groups, quarantined=tuple(watch.quarantined), plot=None)
