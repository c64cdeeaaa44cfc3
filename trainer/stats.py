"""Training statistics back to the bank, and the status changes they justify.

Each time TRL saves a checkpoint the callback drains the :class:`trainer.ledger.ScoreLedger` and writes one
``TrainingStat(source="train")`` per task that was rolled out since the last save: attempts, mean score and pass
rate, under the id of that checkpoint (``OUTPUT/checkpoint-N``). A statistic therefore always names a policy that
exists on disk; what the steps after the last checkpoint tallied is written at the end of training under the
output directory itself, where the final model is saved. Those rates feed the sampler of this run (and of the
next ``synth.probe`` or ``synth.grow``).

Then it curates, with ``actor="trainer"`` so every change is in the task's history:

- **retire** an admitted task whose last ``stats.retire_window`` measurements *of this run* all reached
  ``stats.mastery_pass_rate``: the policy has mastered it and its groups would only score equal (reason
  ``mastered``);
- **promote** (re-admit) a task that was rejected as outside the learnable band (``stats.promote_reasons``) once the
  latest pass rate the bank holds for it, measured after the rejection (training or probing), lies strictly
  between 0 and mastery (reason ``solvable``). One query finds them (:meth:`Bank.measured_since_status_change`).

Groups whose scores were all equal are counted (``equal_groups``), beside TRL's ``frac_reward_zero_std``. In
multi-process training only the main process writes, with the tallies it saw.
"""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from task_bank import TaskStatus, TrainingStat
from task_bank.records import StatSource
from task_bank.validation import Reason
from task_bank.store import Bank
from trainer.config import StatsSection
from trainer.ledger import ScoreLedger, TaskTally

def checkpoint_prefix(output_dir: str | Path) -> str:
    """What the id of every checkpoint of one training run (one output directory) starts with."""
    return str(Path(output_dir) / "checkpoint-")


def checkpoint_id(output_dir: str | Path, step: int) -> str:
    """The policy id recorded with statistics: the checkpoint TRL saved at this step."""
    return f"{checkpoint_prefix(output_dir)}{step}"


def of_this_run(policy: str, output_dir: str | Path) -> bool:
    """Whether a statistic's policy is one of this run's: a checkpoint in ``output_dir``, or the final model."""
    return policy.startswith(checkpoint_prefix(output_dir)) or policy == str(Path(output_dir))


class BankStatsCallback(TrainerCallback):
    """Writes per-task statistics after each logging interval; retires mastered tasks, promotes solvable ones."""

    def __init__(self, bank: Bank, ledger: ScoreLedger, stats: StatsSection) -> None:
        self._bank = bank
        self._ledger = ledger
        self._config = stats
        self.stats_written = 0
        """TrainingStat records written so far."""
        self.groups = 0
        """GRPO groups tallied so far."""
        self.equal_groups = 0
        """Groups whose scores were all equal."""
        self.retired: list[str] = []
        """Task ids this run retired."""
        self.promoted: list[str] = []
        """Task ids this run promoted."""

    def on_save(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                **kwargs: object) -> None:
        """TRL hook, after a checkpoint is written: its statistics name it."""
        if state.is_world_process_zero:
            self.flush(args.output_dir, state.global_step)

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: object) -> None:
        """TRL hook: what the steps after the last checkpoint tallied goes to the final model (the output
        directory, where ``trainer.grpo`` saves it next)."""
        if state.is_world_process_zero:
            self.flush(args.output_dir, state.global_step, policy=str(Path(args.output_dir)))

    def flush(self, output_dir: str | Path, step: int, *, policy: str | None = None) -> list[TrainingStat]:
        """Write the tallies since the last flush as statistics of ``policy`` (default: the checkpoint of
        ``step``), then curate; returns what was written."""
        tallies = self._ledger.drain()
        policy = policy or checkpoint_id(output_dir, step)
        stats = [self._stat(task_id, tally, policy, step) for task_id, tally in sorted(tallies.items())
                 if tally.attempts]
        self.groups += sum(t.groups for t in tallies.values())
        self.equal_groups += sum(t.equal_groups for t in tallies.values())
        if stats:
            self._bank.add_stats(stats)
            self.stats_written += len(stats)
        if self._config.retire:
            self._retire_mastered([s.task_id for s in stats], output_dir)
        if self._config.promote and stats:
            self._promote_solvable()
        return stats

    @staticmethod
    def _stat(task_id: str, tally: TaskTally, policy: str, step: int) -> TrainingStat:
        return TrainingStat(task_id=task_id, policy=policy, source=StatSource.TRAIN, step=step, attempts=tally.attempts,
                            mean_score=min(1.0, tally.mean_score), pass_rate=tally.pass_rate)

    def _retire_mastered(self, task_ids: list[str], output_dir: str | Path) -> None:
        """Retire tasks whose last ``retire_window`` pass rates *of this run* are all mastered: measurements of
        another run or model say nothing about this policy."""
        window, mastery = self._config.retire_window, self._config.mastery_pass_rate
        for task_id in task_ids:
            recent = [s for s in self._bank.stats(task_id)
                      if s.source is StatSource.TRAIN and of_this_run(s.policy, output_dir)][-window:]
            if len(recent) < window or any(s.pass_rate < mastery for s in recent):
                continue
            record = self._bank.find(task_id)
            if record is None or record.status is not TaskStatus.ADMITTED:
                continue
            self._bank.set_status(task_id, TaskStatus.RETIRED, actor="trainer", reasons=(Reason.MASTERED,))
            self.retired.append(task_id)

    def _promote_solvable(self) -> None:
        """Re-admit tasks rejected as too hard once a pass rate measured *after* the rejection (by ``synth.probe
        --status rejected`` or training) shows the policy sometimes solves them. The measurement that rejected a
        task never promotes it, and a task dedup would refuse stays rejected."""
        mastery = self._config.mastery_pass_rate
        pending = self._bank.measured_since_status_change(TaskStatus.REJECTED, self._config.promote_reasons)
        solvable = [record.id for record, latest in pending
                    if 0.0 < latest.pass_rate < mastery and self._bank.duplicate_of(record.spec) is None]
        for task_id in solvable:
            self._bank.set_status(task_id, TaskStatus.ADMITTED, actor="trainer", reasons=(Reason.SOLVABLE,))
            self.promoted.append(task_id)
