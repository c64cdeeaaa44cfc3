"""``python -m trainer.grpo``: train a policy with GRPO on the task bank.

Wiring only, in the order data flows: config -> dataset (bank stream) -> reward (verifier pool) -> TRL's
GRPOTrainer (not subclassed; it gets the pieces it asks for) -> ``train()``, with two callbacks: statistics back to
the bank and the training plot. Usage::

    python -m trainer.grpo --policy PATH_OR_ID --bank BANK --output DIR [--config FILE] [--resume [CKPT]]
                           [--set section.field=value ...] [--max-steps N] [--lora] [--vllm colocate|server]

A bad setting, a missing bank, an unwritable output directory or an unloadable policy ends with one ``error:``
line naming the field and the fix, and the shared exit code; never a traceback. With ``--json`` stdout carries the
summary only: TRL's per-step log lines go to stderr.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from task_bank import BankError, ConfigError, TaskSplit, TaskStatus
from task_bank.cli_support import emit_json, run_command
from task_bank.model_sources import resolve_model
from trainer.command_line import add_run_args
from trainer.command_line import config_from_args as run_config_from_args
from trainer.config import GrpoSection, RewardSection, RunConfig, TrainConfig

if TYPE_CHECKING:
    from transformers import TrainerCallback

    from verifier import BackendRegistry

FLAGS = {"max_steps": "grpo.max_steps", "learning_rate": "grpo.learning_rate", "seed": "grpo.seed",
         "num_generations": "grpo.num_generations", "batch_size": "grpo.per_device_train_batch_size",
         "sandbox": "reward.backend", "workers": "reward.workers", "eval_every": "heldout.every", "vllm": "vllm.mode"}
"""Plain command-line flags and the config field each one sets."""


class TrainSummary(BaseModel):
    """What a finished run reports."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    output: str
    """Directory holding the final model and the checkpoints."""
    steps: int
    """Optimizer steps completed (including those before a resume)."""
    last_reward: float | None
    """Mean reward of the last logged step."""
    last_pass_rate: float | None
    """Pass rate of the last logged step."""
    stats_written: int
    """TrainingStat records this run wrote to the bank."""
    groups: int
    """GRPO groups this run scored."""
    equal_groups: int
    """Groups whose scores were all equal (no learning signal)."""
    retired: tuple[str, ...]
    """Tasks this run retired as mastered."""
    promoted: tuple[str, ...]
    """Too-hard tasks this run re-admitted as solvable."""
    flagged_groups: int = 0
    """GRPO groups the reward-hacking monitor flagged (:mod:`trainer.monitor`)."""
    quarantined: tuple[str, ...] = ()
    """Tasks this run quarantined as reward-hacked (reason ``reward_hack``)."""
    plot: str | None
    """The training plot, when plotting is on."""


def build_parser() -> argparse.ArgumentParser:
    """The command line; every flag but --config, --resume and --json is a shortcut for one config field."""
    g, r = GrpoSection(), RewardSection()
    parser = argparse.ArgumentParser(
        prog="python -m trainer.grpo", usage="%(prog)s --policy PATH_OR_ID --output DIR [options]",
        description="Train a policy with GRPO on the task bank's admitted tasks. --policy and --output are required "
                    "(on the command line or in --config); the defaults below are those of an empty config.")
    add_run_args(parser, set_example="grpo.max_steps=10")
    parser.add_argument("--max-steps", type=int, metavar="N", help=f"optimizer steps (default: {g.max_steps})")
    parser.add_argument("--learning-rate", type=float, metavar="LR", help=f"AdamW learning rate (default: {g.learning_rate:g})")
    parser.add_argument("--num-generations", type=int, metavar="N",
                        help=f"completions per prompt, one GRPO group (default: {g.num_generations})")
    parser.add_argument("--batch-size", type=int, metavar="N",
                        help=f"completions per device per micro-batch (default: {g.per_device_train_batch_size})")
    parser.add_argument("--seed", type=int, help=f"seed of sampling and training (default: {g.seed})")
    parser.add_argument("--sandbox", "--backend", dest="sandbox", metavar="NAME",
                        help=f"sandbox backend of the verifier pool: bwrap, docker, unsafe-local (default: {r.backend})")
    parser.add_argument("--workers", type=int, metavar="N", help=f"sandbox workers (default: {r.workers})")
    parser.add_argument("--eval-every", type=int, metavar="N",
                        help="run synth.replay on the live policy before training and every N steps (default: off)")
    parser.add_argument("--vllm", choices=("colocate", "server"),
                        help="generate with vLLM in this mode (default: off, generate with transformers)")
    parser.add_argument("--environments", type=Path, metavar="FILE",
                        help="train on the environment spec v1 lines of FILE (TRL's environment_factory, sandboxed "
                             "sessions) instead of the bank's tasks (default: off)")
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The config file, then plain flags, then ``--set`` overrides, validated as one TrainConfig."""
    return run_config_from_args(args, TrainConfig, FLAGS, switches={"vllm": ("vllm.enabled", True)})


def on_cpu(config: TrainConfig) -> bool:
    """True when this run trains on the CPU (asked for, or 'auto' with no CUDA device)."""
    import torch

    return config.grpo.device == "cpu" or (config.grpo.device == "auto" and not torch.cuda.is_available())


def grpo_arguments(config: TrainConfig):
    """TRL's GRPOConfig for this run; a value TRL refuses becomes a ConfigError."""
    from trl import GRPOConfig

    cpu = on_cpu(config)
    if config.vllm.enabled and (cpu or importlib.util.find_spec("vllm") is None):
        raise ConfigError("vLLM generation needs a CUDA GPU and the 'vllm' extra (pip install 'envsynth[vllm]'); "
                          "set vllm.enabled=false to generate with transformers", field="vllm.enabled")
    dtype = config.model.dtype if config.model.dtype != "auto" else ("float32" if cpu else "bfloat16")
    g, v = config.grpo, config.vllm
    try:
        return GRPOConfig(
            output_dir=str(config.output), max_steps=g.max_steps, learning_rate=g.learning_rate,
            num_generations=g.num_generations, per_device_train_batch_size=g.per_device_train_batch_size,
            gradient_accumulation_steps=g.gradient_accumulation_steps, max_completion_length=g.max_completion_length,
            temperature=g.temperature, top_p=g.top_p, beta=g.beta, scale_rewards=g.scale_rewards,
            logging_steps=g.logging_steps, save_steps=g.save_steps, save_total_limit=g.save_total_limit, seed=g.seed,
            use_cpu=cpu, bf16=not cpu and dtype == "bfloat16", fp16=not cpu and dtype == "float16",
            gradient_checkpointing=config.model.gradient_checkpointing,
            model_init_kwargs={"dtype": dtype}, trust_remote_code=config.model.trust_remote_code,
            shuffle_dataset=False, remove_unused_columns=False, report_to="none", disable_tqdm=True,
            use_vllm=v.enabled, vllm_mode=v.mode, vllm_server_base_url=v.server_base_url,
            vllm_server_host=v.server_host, vllm_server_port=v.server_port,
            vllm_gpu_memory_utilization=v.gpu_memory_utilization)
    except ValueError as exc:
        raise ConfigError(f"TRL refused the GRPO settings: {exc}", field="grpo") from None


def lora_config(config: RunConfig):
    """peft's LoraConfig when LoRA is enabled, else None (full fine-tuning)."""
    if not config.lora.enabled:
        return None
    from peft import LoraConfig

    lora = config.lora
    return LoraConfig(r=lora.r, lora_alpha=lora.alpha, lora_dropout=lora.dropout,
                      target_modules=list(lora.target_modules), task_type="CAUSAL_LM")


def resume_point(config: RunConfig) -> str | None:
    """The checkpoint to resume from, or None for a fresh run."""
    if config.resume is None:
        return None
    if config.resume != "auto":
        if not Path(config.resume).is_dir():
            raise ConfigError(f"checkpoint {config.resume!r} not found; pass an existing checkpoint-N directory "
                              f"or --resume alone for the newest one", field="resume")
        return config.resume
    from transformers.trainer_utils import get_last_checkpoint

    last = get_last_checkpoint(str(config.output)) if config.output.is_dir() else None
    if last is None:
        raise ConfigError(f"no checkpoint-N directory in {config.output} to resume from; drop --resume to start "
                          f"afresh", field="resume")
    return last


def check_output(output: Path) -> None:
    """ConfigError naming ``output`` when the directory cannot be created or written (checked before the policy
    loads, so a read-only folder is never blamed on the policy)."""
    try:
        output.mkdir(parents=True, exist_ok=True)
        with open(output / ".envsynth-write-check", "w", encoding="utf-8"):
            pass
        (output / ".envsynth-write-check").unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write to the output directory {output} ({exc.strerror}); pass a writable "
                          f"--output", field="output") from None


def start_run(config: RunConfig) -> tuple[str | None, str]:
    """What every trainer checks and sets before it loads anything: the bank exists, the output is writable, the
    resume point, the policy to load (a .gguf file or a packaged short name becomes its cached folder) and the
    torch thread count. Returns ``(checkpoint to resume from or None, policy to load)``."""
    if not config.bank.is_file():
        raise ConfigError(f"bank {config.bank} not found; pass an existing bank with --bank", field="bank")
    check_output(config.output)
    resume = resume_point(config)
    policy = resolve_model(config.policy, field="policy")
    if config.model.threads is not None:
        import torch

        torch.set_num_threads(config.model.threads)
    return resume, policy


def train(config: TrainConfig, callbacks: Sequence[TrainerCallback] = (),
          registry: BackendRegistry | None = None) -> TrainSummary:
    """Run GRPO as configured.

    ``callbacks`` are extra TrainerCallbacks (tests use one to grow the bank mid-run); ``registry`` is a
    ``verifier.BackendRegistry`` holding the sandbox backend named by ``reward.backend`` (default: the shipped ones).
    """
    resume, policy = start_run(config)
    # The wiring pulls in torch, transformers and datasets (about 10 s): imported here, so that a bad setting is
    # reported by main() before any of it loads.
    from trl import GRPOTrainer

    from task_bank.store import Bank
    from trainer.dataset import bank_dataset, no_tasks_message
    from trainer.ledger import ScoreLedger
    from trainer.monitor import RewardHackMonitor
    from trainer.monitor_callback import MonitorCallback
    from trainer.heldout_eval import HELDOUT_CURVES, HeldoutEvalCallback
    from trainer.plots import CURVES, PLOT_NAME, PlotCallback
    from trainer.reward import VerifierReward
    from trainer.stats import BankStatsCallback
    from verifier.routing import open_scoring_pool

    args = grpo_arguments(config)
    with Bank.open(config.bank) as bank:
        if not bank.count(status=TaskStatus.ADMITTED, skill=config.sampling.skill, split=TaskSplit.TRAIN):
            raise BankError(no_tasks_message(config.bank, config.sampling.skill))
        ledger = ScoreLedger(config.reward.pass_threshold)
        bank_stats = BankStatsCallback(bank, ledger, config.stats)
        r = config.reward
        limits = r.limits()  # validation's limits: a verifier cannot tell training by them
        monitor = RewardHackMonitor(config.reward.pass_threshold)
        # Verifiers that run the response (admitted under --allow-response-exec) get one process per response.
        with open_scoring_pool(backend=r.backend, workers=r.workers, limits=limits, registry=registry) as pool:
            reward = VerifierReward(pool, bank, ledger, group_size=config.grpo.num_generations, monitor=monitor,
                                    max_completion_length=config.grpo.max_completion_length)
            watch = MonitorCallback(bank, monitor, drain=reward.drain)
            dataset = bank_dataset(config.bank, config.sampling, config.grpo.seed)
            heldout = [HeldoutEvalCallback(config.bank, config.heldout, r.backend, config.output / "heldout-eval")
                       ] if config.heldout.every else []
            curves = (*CURVES, *HELDOUT_CURVES) if heldout else CURVES
            try:
                trainer = GRPOTrainer(model=policy, reward_funcs=reward, args=args, train_dataset=dataset,
                                      peft_config=lora_config(config),
                                      callbacks=[bank_stats, watch, *([PlotCallback(curves)] if config.plot else []),
                                                 *heldout, *callbacks])
            except OSError as exc:
                raise ConfigError(f"cannot load policy {config.policy!r} ({exc}); pass a local model directory "
                                  f"or a hub id", field="policy") from None
            try:
                trainer.train(resume_from_checkpoint=resume)
            finally:
                reward.close()  # spot checks still running finish (or fail) while the pool is open
            trainer.save_model(str(config.output))
    logged = [entry for entry in trainer.state.log_history if "reward" in entry]
    return TrainSummary(
        output=str(config.output), steps=trainer.state.global_step,
        last_reward=logged[-1]["reward"] if logged else None,
        last_pass_rate=logged[-1].get("verifier/pass_rate") if logged else None,
        stats_written=bank_stats.stats_written, groups=bank_stats.groups, equal_groups=bank_stats.equal_groups,
        retired=tuple(bank_stats.retired), promoted=tuple(bank_stats.promoted),
        flagged_groups=watch.flagged_groups, quarantined=tuple(watch.quarantined),
        plot=str(config.output / PLOT_NAME) if config.plot else None)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, else the shared exit code (2 bad input or config, 4 sandbox, 5 bank, ...)."""
    args = build_parser().parse_args(argv)
    return run_command(lambda: _main(args))


def _main(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    # With --json stdout is the summary alone: what TRL and transformers print while training goes to stderr.
    with contextlib.redirect_stdout(sys.stderr) if args.json else contextlib.nullcontext():
        if args.environments is not None:  # environments (issue 15): trainer.env_grpo
            from trainer.env_grpo import read_environments, train_environments
            summary = train_environments(config, read_environments(args.environments))
        else:
            summary = train(config)
    if args.json:
        emit_json(summary.model_dump())
        return 0
    reward = "n/a" if summary.last_reward is None else f"{summary.last_reward:.3f}"
    rate = "n/a" if summary.last_pass_rate is None else f"{summary.last_pass_rate:.2f}"
    print(f"trained {summary.steps} steps -> {summary.output}\n"
          f"last reward {reward}, pass rate {rate}; {summary.equal_groups}/{summary.groups} groups scored all "
          f"equal\n{summary.stats_written} statistics written to the bank; retired {len(summary.retired)}, "
          f"promoted {len(summary.promoted)}; reward-hack monitor flagged {summary.flagged_groups} group(s), "
          f"quarantined {len(summary.quarantined)}" + (f"\nplot: {summary.plot}" if summary.plot else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
