"""The training plot: reward, pass rate and the zero-std fraction over steps, as a PNG beside each checkpoint.

Three curves answer "is the policy learning from this bank?": the mean reward should rise, the pass rate with it,
and ``frac_reward_zero_std`` (groups whose completions all scored the same, which teach nothing) should stay low;
if it climbs, the sampler is feeding tasks that are too easy or too hard. The figure is drawn with matplotlib's
Agg backend (no display needed) from ``TrainerState.log_history``, which checkpoints carry, so a resumed run
plots its whole history. Those are GRPO's curves (:data:`CURVES`); another trainer passes its own (``trainer.opsd``
plots its distillation loss).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

PLOT_NAME = "training_curves.png"
"""File name of the plot, in the output directory and in each checkpoint directory."""

class Curve(NamedTuple):
    """One panel of the plot."""

    key: str
    """Key of the value in the trainer's log history."""
    label: str
    """Panel title."""
    share: bool
    """The value is a share in [0, 1] (the y axis is fixed to it)."""


CURVES = (Curve("reward", "mean reward", False), Curve("verifier/pass_rate", "pass rate", True),
          Curve("frac_reward_zero_std", "zero-std fraction", True))
"""GRPO's curves (the default); another trainer passes its own."""


def curves(log_history: Sequence[Mapping[str, object]],
           wanted: Sequence[Curve] = CURVES) -> dict[str, tuple[list[int], list[float]]]:
    """Steps and values of each wanted curve found in a trainer log history."""
    found: dict[str, tuple[list[int], list[float]]] = {}
    for entry in log_history:
        step = entry.get("step")
        for key, _, _ in wanted:
            value = entry.get(key)
            if isinstance(step, int) and isinstance(value, (int, float)):
                steps, values = found.setdefault(key, ([], []))
                steps.append(step)
                values.append(float(value))
    return found


def write_plot(log_history: Sequence[Mapping[str, object]], path: Path, wanted: Sequence[Curve] = CURVES) -> Path:
    """Draw the wanted curves of ``log_history`` into the PNG at ``path`` and return it."""
    from matplotlib.figure import Figure
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    data = curves(log_history, wanted)
    figure = Figure(figsize=(10, 3.2), layout="constrained")
    FigureCanvasAgg(figure)
    for axis, (key, label, share) in zip(figure.subplots(1, len(wanted)), wanted, strict=True):
        steps, values = data.get(key, ([], []))
        axis.plot(steps, values, marker="o", markersize=3)
        axis.set_title(label)
        axis.set_xlabel("step")
        axis.grid(alpha=0.3)
        if share:
            axis.set_ylim(-0.05, 1.05)
        if not steps:
            axis.text(0.5, 0.5, "not logged yet", ha="center", va="center", transform=axis.transAxes)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=100)
    return path


class PlotCallback(TrainerCallback):
    """Writes the plot into each checkpoint as it is saved, and into the output directory when training ends."""

    def __init__(self, wanted: Sequence[Curve] = CURVES) -> None:
        self._wanted = tuple(wanted)

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                **kwargs: object) -> None:
        """TRL hook: the checkpoint directory exists now."""
        if state.is_world_process_zero:
            write_plot(state.log_history, Path(args.output_dir) / f"checkpoint-{state.global_step}" / PLOT_NAME,
                       self._wanted)

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: object) -> None:
        """TRL hook: the final plot beside the final model."""
        if state.is_world_process_zero:
            write_plot(state.log_history, Path(args.output_dir) / PLOT_NAME, self._wanted)
