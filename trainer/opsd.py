"""``python -m trainer.opsd``: on-policy self-distillation (OPSD) of a policy from the hindsight in the task bank.

Wiring only, in the order data flows: config -> rows (a snapshot of the bank: student prompt + privileged context,
:mod:`trainer.opsd_data`) -> TRL's SDFTTrainer (not subclassed; its own SDFTConfig from ``[sdft]``) -> the pre-flight
self-teacher gap (:mod:`trainer.self_teacher`, scored in the sandbox) -> ``train()`` -> the trained policy's pass
rates back to the bank through GRPO's statistics writer. Usage::

    python -m trainer.opsd --policy PATH_OR_ID --bank BANK --output DIR [--config FILE] [--resume [CKPT]]
                           [--set section.field=value ...] [--max-steps N] [--lora] [--json]

The teacher is TRL's ``base`` by default: the policy as it was before training, shown the privileged context (with
``--lora`` that is the same weights with the adapter switched off, not a second copy). A bad setting, a missing bank,
a prompt SDFT cannot use or an unloadable policy ends with one ``error:`` line and the shared exit code.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict

from task_bank import ConfigError
from task_bank.cli_support import emit_json, run_command
from trainer.command_line import add_run_args
from trainer.command_line import config_from_args as run_config_from_args
from trainer.grpo import lora_config, start_run
from trainer.opsd_config import OpsdConfig, sdft_arguments
from trainer.plots import Curve
from trainer.self_teacher import SelfTeacherGap

if TYPE_CHECKING:
    from transformers import TrainerCallback

    from verifier import BackendRegistry

FLAGS = {"max_steps": "sdft.max_steps", "learning_rate": "sdft.learning_rate", "seed": "sdft.seed",
         "num_generations": "sdft.num_generations", "batch_size": "sdft.per_device_train_batch_size",
         "alpha": "sdft.distillation_alpha", "teacher": "sdft.teacher_model_kind", "prompts": "data.prompts",
         "samples": "measure.samples", "sandbox": "reward.backend", "workers": "reward.workers",
         "eval_every": "heldout.every"}
"""Plain command-line flags and the config field each one sets."""

LOSS = "sdft/distillation_loss"
"""TRL's log key of the distillation loss."""

CURVES = (Curve(LOSS, "distillation loss", False),
          Curve("completions/mean_length", "completion length (tokens)", False),
          Curve("completions/clipped_ratio", "cut at max length", True))
"""The OPSD plot: the loss should fall; completions that all hit the length limit teach a truncated habit."""

GAP_FILE = "self_teacher_gap.json"
"""The pre-flight measurement, in the output directory."""


class OpsdSummary(BaseModel):
    """What a finished run reports."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    output: str
    """Directory holding the final model and the checkpoints."""
    steps: int
    """Optimizer steps completed (including those before a resume)."""
    rows: int
    """Rows in the snapshot the run distilled from."""
    rows_by_origin: dict[str, int]
    """Rows per prompt origin ('task', 'failure')."""
    template_hash: str
    """Content hash of the privileged-context template."""
    last_loss: float | None
    """Distillation loss of the last logged step."""
    gap: SelfTeacherGap | None
    """The pre-flight self-teacher gap (None when measure.gap is off)."""
    pass_rate_after: float | None
    """Pass rate of the trained policy on the measured practice tasks (None when measure.after is off)."""
    stats_written: int
    """TrainingStat records this run wrote to the bank."""
    retired: tuple[str, ...]
    """Tasks this run retired as mastered."""
    promoted: tuple[str, ...]
    """Too-hard tasks this run re-admitted as solvable."""
    plot: str | None
    """The training plot, when plotting is on."""


def build_parser() -> argparse.ArgumentParser:
    """The command line; every flag but --config, --resume and --json is a shortcut for one config field."""
    parser = argparse.ArgumentParser(
        prog="python -m trainer.opsd",
        description="Distil the policy's own hindsight (feedback, corrections, verified answers from the bank) "
                    "into its weights with TRL's SDFTTrainer. Each flag sets one config field; what no flag, --config "
                    "or --set gives keeps its default (trainer/configs/opsd-tiny.toml lists every field; [sdft] "
                    "fields default to TRL's SDFTConfig, except report_to=none and logging_steps=1).")
    add_run_args(parser, set_example="sdft.distillation_alpha=1.0")
    parser.add_argument("--max-steps", type=int, help="optimizer steps (sdft.max_steps; TRL's default -1 runs "
                                                            "sdft.num_train_epochs=3 over the rows)")
    parser.add_argument("--learning-rate", type=float, help="AdamW learning rate (sdft.learning_rate; default 5e-05)")
    parser.add_argument("--num-generations", type=int, help="completions sampled per prompt "
                                                           "(sdft.num_generations; default 8)")
    parser.add_argument("--batch-size", type=int, help="completions per device per micro-batch "
                                                       "(sdft.per_device_train_batch_size; default 8)")
    parser.add_argument("--seed", type=int, help="seed of torch, sampling and the data order "
                                                 "(sdft.seed; default 42)")
    parser.add_argument("--alpha", type=float, help="0 forward KL .. 1 reverse KL "
                                                    "(sdft.distillation_alpha; default 0.5)")
    parser.add_argument("--teacher", choices=("base", "live", "ema"),
                        help="teacher weights: the initial policy, the current one, or their EMA "
                             "(sdft.teacher_model_kind; default base)")
    parser.add_argument("--prompts", choices=("tasks", "failures", "both"),
                        help="student prompts: practice tasks, failing conversations or both (data.prompts; "
                             "default: tasks)")
    parser.add_argument("--samples", type=int, help="responses per task and side in the measurements "
                                                    "(measure.samples; default: 4)")
    parser.add_argument("--sandbox", help="sandbox backend scoring the measurements (reward.backend; default: bwrap)")
    parser.add_argument("--workers", type=int, help="sandbox workers (reward.workers; default: 2)")
    parser.add_argument("--eval-every", type=int, metavar="N",
                        help="run synth.replay on the live policy before training and every N steps, plotted beside "
                             "the loss (heldout.every; default 0: off)")
    parser.add_argument("--no-gap", action="store_true", help="skip the pre-flight self-teacher gap "
                                                              "(default: measured)")
    return parser


def config_from_args(args: argparse.Namespace) -> OpsdConfig:
    """The config file, then plain flags, then ``--set`` overrides, validated as one OpsdConfig."""
    return run_config_from_args(args, OpsdConfig, FLAGS, switches={"no_gap": ("measure.gap", False)})


def train(config: OpsdConfig, callbacks: Sequence[TrainerCallback] = (),
          registry: BackendRegistry | None = None) -> OpsdSummary:
    """Run OPSD as configured.

    ``callbacks`` are extra TrainerCallbacks; TRL's SDFTTrainer also calls their ``on_self_distillation_batch_prepared``
    with the token ids each side saw (tests use it). ``registry`` is a ``verifier.BackendRegistry`` holding the
    sandbox backend named by ``reward.backend`` (default: the shipped ones).
    """
    resume, policy = start_run(config)
    args = sdft_arguments(config)
    # torch, transformers and TRL load here (seconds), after every setting has been checked.
    from trl.experimental.sdft import SDFTTrainer

    from task_bank.store import Bank
    from trainer.ledger import ScoreLedger
    from trainer.opsd_data import PrivilegedTemplate, check_teacher_lengths, opsd_dataset, opsd_rows
    from trainer.opsd_config import PromptSource
    from trainer.heldout_eval import HELDOUT_CURVES, HeldoutEvalCallback
    from trainer.plots import PLOT_NAME, PlotCallback
    from trainer.self_teacher import ModelSampler, measure_gap, measure_into, prompt_tokens
    from trainer.stats import BankStatsCallback
    from verifier.routing import open_scoring_pool

    template = PrivilegedTemplate(config.data.template)
    m, r = config.measure, config.reward
    with Bank.open(config.bank) as bank:
        rows = opsd_rows(bank, config.data, template)
        measured = opsd_rows(bank, config.data.model_copy(update={"prompts": PromptSource.TASKS}), template)
        measured = measured[:m.max_tasks] if m.max_tasks else measured
        verifiers = {row.task_id: bank.get(row.task_id).spec.verifier for row in measured}
        limits = r.limits()  # validation's limits: a verifier cannot tell training by them
        # The scorer GRPO's reward uses: verifiers that run the response get one process per response.
        with open_scoring_pool(backend=r.backend, workers=r.workers, limits=limits, registry=registry) as pool:
            heldout = [HeldoutEvalCallback(config.bank, config.heldout, r.backend, config.output / "heldout-eval")
                       ] if config.heldout.every else []
            curves = (*CURVES, *HELDOUT_CURVES) if heldout else CURVES
            try:
                trainer = SDFTTrainer(model=policy, args=args, train_dataset=opsd_dataset(rows),
                                      peft_config=lora_config(config),
                                      callbacks=[*([PlotCallback(curves)] if config.plot else []), *heldout,
                                                 *callbacks])
            except OSError as exc:
                raise ConfigError(f"cannot load policy {config.policy!r} ({' '.join(str(exc).split())}); pass a "
                                  f"local model directory or a hub id", field="policy") from None
            compose = trainer.teacher_context_builder.select_generation_prompts
            check_teacher_lengths(rows, compose, lambda prompt: prompt_tokens(trainer.processing_class, prompt),
                                  args.max_prompt_length)
            sampler = ModelSampler(trainer.model, trainer.processing_class, max_new_tokens=m.max_new_tokens,
                                   temperature=m.temperature, seed=args.seed)
            gap = None
            if m.gap:
                gap = measure_gap(sampler, pool, compose, measured, verifiers, policy=config.policy,
                                  template_hash=template.hash, samples=m.samples, threshold=r.pass_threshold,
                                  warn_below=m.warn_below)
                (config.output / GAP_FILE).write_text(gap.model_dump_json(indent=2) + "\n", encoding="utf-8")
                print(gap.line(), file=sys.stderr)
            trainer.train(resume_from_checkpoint=resume)
            trainer.save_model(str(config.output))
            ledger = ScoreLedger(r.pass_threshold)
            bank_stats = BankStatsCallback(bank, ledger, config.stats)
            after = None
            if m.after:
                after = measure_into(ledger, sampler, pool, measured, verifiers, m.samples)
                # the final model, saved in the output directory, is what was measured
                bank_stats.flush(config.output, trainer.state.global_step, policy=str(config.output))
    losses = [entry[LOSS] for entry in trainer.state.log_history if LOSS in entry]
    return OpsdSummary(
        output=str(config.output), steps=trainer.state.global_step, rows=len(rows),
        rows_by_origin=dict(Counter(row.origin.value for row in rows)), template_hash=template.hash,
        last_loss=losses[-1] if losses else None, gap=gap, pass_rate_after=after,
        stats_written=bank_stats.stats_written, retired=tuple(bank_stats.retired),
        promoted=tuple(bank_stats.promoted), plot=str(config.output / PLOT_NAME) if config.plot else None)


def report(summary: OpsdSummary) -> str:
    """The human summary."""
    loss = "n/a" if summary.last_loss is None else f"{summary.last_loss:.4g}"
    origins = ", ".join(f"{n} {origin} prompts" for origin, n in sorted(summary.rows_by_origin.items()))
    lines = [f"distilled {summary.steps} steps from {summary.rows} rows ({origins}) -> {summary.output}",
             f"last distillation loss {loss}"]
    if summary.gap is not None:
        lines.append(summary.gap.line())
    if summary.pass_rate_after is not None:
        lines.append(f"pass rate after training {summary.pass_rate_after:.2f}; {summary.stats_written} statistics "
                     f"written to the bank; retired {len(summary.retired)}, promoted {len(summary.promoted)}")
    if summary.plot:
        lines.append(f"plot: {summary.plot}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: 0 on success, else the shared exit code (2 bad input or config, 4 sandbox, 5 bank, ...)."""
    args = build_parser().parse_args(argv)

    def body() -> int:
        with contextlib.redirect_stdout(sys.stderr):  # the trainer prints its logs; stdout carries only the summary
            summary = train(config_from_args(args))
        if args.json:
            emit_json(summary.model_dump(mode="json"))
        else:
            print(report(summary))
        return 0

    return run_command(body)


if __name__ == "__main__":
    sys.exit(main())
