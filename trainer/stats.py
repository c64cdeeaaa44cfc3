"""Training statistics back to the bank, and the status changes they justify.

After every logging interval the callback drains the :class:`trainer.ledger.ScoreLedger` and writes one
``TrainingStat(source="train")`` per task that was rolled out: attempts, mean score and pass rate for the checkpoint
being trained. Those rates feed the sampler of this run (and of the next ``synth.probe`` or ``synth.grow``).

Then it curates, with ``actor="trainer"`` so every change is in the task's history:

- **retire** an admitted task whose last ``stats.retire_window`` training measurements all reached
  ``stats.mastery_pass_rate``: the policy has mastered it and its groups would only score equal (reason
  ``mastered``);
- **promote** (re-admit) a task that was rejected as outside the learnable band (``stats.promote_reasons``) once the
  latest pass rate the bank holds for it (from training or probing) lies strictly between 0 and mastery (reason
  ``solvable``).

Groups whose scores were all equal are counted per interval (``equal_groups``), beside TRL's
``frac_reward_zero_std``. In multi-process training only the main process writes, with the tallies it saw.
"""

from __future__ import annotations

from pathlib import Path

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from task_bank import TaskStatus, TrainingStat
from task_bank.store import Bank
from trainer.config import StatsSection
from trainer.ledger import ScoreLedger, TaskTally

def checkpoint_prefix(output_dir: str | Path) -> str:
    """What every policy id of one training run (one output directory) starts with."""
    return str(Path(output_dir) / "checkpoint-")


def checkpoint_id(output_dir: str | Path, step: int) -> str:
    """The policy id recorded with statistics: the checkpoint path this step produces."""
    return f"{checkpoint_prefix(output_dir)}{step}"


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

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               **kwargs: object) -> None:
        """TRL hook: flush once per logging interval."""
        if state.is_world_process_zero:
            self.flush(args.output_dir, state.global_step)

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: object) -> None:
        """TRL hook: flush what the last, partial interval tallied."""
        if state.is_world_process_zero:
            self.flush(args.output_dir, state.global_step)

    def flush(self, output_dir: str | Path, step: int) -> list[TrainingStat]:
        """Write the tallies since the last flush as statistics, then curate; returns what was written."""
        tallies = self._ledger.drain()
        policy = checkpoint_id(output_dir, step)
        stats = [self._stat(task_id, tally, policy, step) for task_id, tally in sorted(tallies.items())
                 if tally.attempts]
        self.groups += sum(t.groups for t in tallies.values())
        self.equal_groups += sum(t.equal_groups for t in tallies.values())
        if stats:
            self._bank.add_stats(stats)
            self.stats_written += len(stats)
        if self._config.retire:
            self._retire_mastered([s.task_id for s in stats], checkpoint_prefix(output_dir))
        if self._config.promote and stats:
            self._promote_solvable()
        return stats

    @staticmethod
    def _stat(task_id: str, tally: TaskTally, policy: str, step: int) -> TrainingStat:
        return TrainingStat(task_id=task_id, policy=policy, source="train", step=step, attempts=tally.attempts,
                            mean_score=min(1.0, tally.mean_score), pass_rate=tally.pass_rate)

    def _retire_mastered(self, task_ids: list[str], run_prefix: str) -> None:
        """Retire tasks whose last ``retire_window`` pass rates *of this run* (its checkpoints, ``run_prefix``) are
        all mastered: measurements of another run or model say nothing about this policy."""
        window, mastery = self._config.retire_window, self._config.mastery_pass_rate
        for task_id in task_ids:
            recent = [s for s in self._bank.stats(task_id)
                      if s.source == "train" and s.policy.startswith(run_prefix)][-window:]
            if len(recent) < window or any(s.pass_rate < mastery for s in recent):
                continue
            record = self._bank.find(task_id)
            if record is None or record.status is not TaskStatus.ADMITTED:
                continue
            self._bank.set_status(task_id, TaskStatus.RETIRED, actor="trainer", action="retire", reason="mastered")
            self.retired.append(task_id)

    def _promote_solvable(self) -> None:
        """Re-admit tasks rejected as too hard once a pass rate measured *after* the rejection (by ``synth.probe
        --status rejected`` or training) shows the policy sometimes solves them. The measurement that rejected a
        task never promotes it, and a task dedup would refuse stays rejected."""
        wanted = set(self._config.promote_reasons)
        mastery = self._config.mastery_pass_rate
        solvable = []
        for record in self._bank.iter_tasks(status=TaskStatus.REJECTED):
            if not wanted & set(record.reasons):
                continue
            # updated_at moves with every statistic written, so the rejection time is creation or the last status change
            rejected_at = max([record.created_at, *(action.at for action in self._bank.history(record.id))])
            later = [s for s in self._bank.stats(record.id) if s.recorded_at > rejected_at]
            if later and 0.0 < later[-1].pass_rate < mastery and self._bank.duplicate_of(record.spec) is None:
                solvable.append(record.id)
        for task_id in solvable:
            self._bank.set_status(task_id, TaskStatus.ADMITTED, actor="trainer", action="promote", reason="solvable")
            self.promoted.append(task_id)
