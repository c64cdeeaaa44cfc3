"""Held-out evaluation during training: every N steps, how many deployment failures the policy now fixes, and what
it kept of what it could do before (``--eval-every N``, config section ``[heldout]``).

:class:`HeldoutEvalCallback` saves the live policy to a scratch folder, runs ``python -m synth.replay`` on it (the
held-out replay tasks of the bank plus the retention suite, scored in the sandbox, recorded in the bank like any
evaluation) and puts its figures into the trainer's log history, where the training plot draws them beside the
reward (:data:`HELDOUT_CURVES`). It runs the command rather than importing it: ``trainer`` and ``synth`` never import
each other, and the command's ``--json`` output is the contract (``policy``, ``k``, ``total``, ``fixed``,
``pass_at_1``, ``retention``). The first evaluation runs before the first step, so the curves start from the base
policy. An evaluation that fails (no replay tasks in the bank, a sandbox fault) is logged as a warning and
training goes on; a bank without replay tasks stops further attempts.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError
from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from task_bank.exit_codes import EXIT_BANK
from trainer.config import HeldoutSection
from trainer.plots import Curve

logger = logging.getLogger(__name__)

HELDOUT_CURVES = (Curve("heldout/replay_pass_at_1", "held-out replay pass@1", True),
                  Curve("heldout/retention", "retention", True))
"""Panels the training plot adds when held-out evaluation is on."""


class RetentionFigure(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    pass_rate: float | None = None
    total: int = 0


class ReplayFigures(BaseModel):
    """The part of ``synth.replay --json`` the trainer logs."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    policy: str
    k: int
    total: int
    fixed: int
    pass_at_1: float
    retention: RetentionFigure


class ReplayFailed(Exception):
    """``synth.replay`` ended without a report; ``code`` is its exit status."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code


Runner = Callable[[Sequence[str]], ReplayFigures]
"""Runs ``synth.replay`` with these arguments and returns its figures; raises ReplayFailed."""


def run_replay_command(arguments: Sequence[str]) -> ReplayFigures:
    """``python -m synth.replay ARGUMENTS --json`` in a child process (this interpreter)."""
    done = subprocess.run([sys.executable, "-m", "synth.replay", *arguments, "--json"], capture_output=True,
                          text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise ReplayFailed(done.returncode, last)
    try:
        return ReplayFigures.model_validate_json(done.stdout)
    except ValidationError as exc:
        raise ReplayFailed(1, f"synth.replay printed no report ({exc.error_count()} problem(s))") from None


def log_entry(step: int, figures: ReplayFigures) -> dict[str, float | int]:
    """The log-history entry of one evaluation."""
    share = figures.fixed / figures.total if figures.total else 0.0
    entry: dict[str, float | int] = {"step": step, "heldout/replay_pass_at_1": figures.pass_at_1,
                                     "heldout/replay_fixed": figures.fixed, "heldout/replay_fixed_share": share}
    if figures.retention.pass_rate is not None:
        entry["heldout/retention"] = figures.retention.pass_rate
    return entry


class HeldoutEvalCallback(TrainerCallback):
    """Evaluates the live policy on the held-out replay tasks before training and every ``section.every`` steps."""

    def __init__(self, bank: Path, section: HeldoutSection, sandbox: str, scratch: Path,
                 runner: Runner = run_replay_command) -> None:
        self._bank = bank
        self._section = section
        self._sandbox = sandbox
        self._scratch = scratch
        self._runner = runner
        self._stopped = False
        self.evaluations: list[ReplayFigures] = []
        """Figures of every evaluation that succeeded, in order."""

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                       **kwargs: object) -> None:
        """TRL hook: the base policy's figures, step 0 of the curves (skipped on a resumed run)."""
        if state.global_step == 0:
            self._evaluate(state, kwargs)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                    **kwargs: object) -> None:
        """TRL hook: every ``every`` optimizer steps."""
        if state.global_step % self._section.every == 0:
            self._evaluate(state, kwargs)

    def _evaluate(self, state: TrainerState, kwargs: dict[str, object]) -> None:
        if self._stopped or not state.is_world_process_zero:
            return
        folder = self._scratch / f"step-{state.global_step}"
        model, tokenizer = kwargs.get("model"), kwargs.get("processing_class")
        if model is None or tokenizer is None:
            logger.warning("held-out evaluation skipped at step %d: the trainer passed no model", state.global_step)
            return
        model.save_pretrained(folder)  # type: ignore[attr-defined]
        tokenizer.save_pretrained(folder)  # type: ignore[attr-defined]
        s = self._section
        arguments = ["--policy", str(folder), "--bank", str(self._bank), "--k", str(s.k), "--max-new-tokens",
                     str(s.max_new_tokens), "--temperature", str(s.temperature), "--sandbox", self._sandbox,
                     *([] if s.retention else ["--no-retention"])]
        try:
            figures = self._runner(arguments)
        except ReplayFailed as exc:
            logger.warning("held-out evaluation at step %d failed (exit %d): %s", state.global_step, exc.code, exc)
            self._stopped = exc.code == EXIT_BANK
            return
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        self.evaluations.append(figures)
        state.log_history.append(log_entry(state.global_step, figures))
