"""The reward-hacking monitor in training: after each logging interval, quarantine what it flags and say how much.

:class:`MonitorCallback` closes the :class:`trainer.monitor.RewardHackMonitor` windows that the reward function
filled (:class:`trainer.reward.VerifierReward` records every group into it), quarantines each flagged task that
is still admitted, with reason ``reward_hack`` and the evidence in the history entry (``actor="trainer"``), so the
web view shows both, and logs how many GRPO groups it flagged. A quarantined task is no longer sampled; a reviewer
restores it if the flag was wrong. In multi-process training only the main process curates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from task_bank import TaskStatus
from task_bank.store import Bank
from task_bank.validation import Reason
from trainer.monitor import Flag, RewardHackMonitor, TaskContext

logger = logging.getLogger(__name__)


class MonitorCallback(TrainerCallback):
    """Quarantines the tasks the monitor flags; counts the flagged groups."""

    def __init__(self, bank: Bank, monitor: RewardHackMonitor,
                 drain: Callable[[bool], int] | None = None) -> None:
        self._bank = bank
        self._monitor = monitor
        self._drain = drain  # the reward function's: hands finished spot checks to the monitor first
        self.flagged_groups = 0
        """GRPO groups of flagged tasks, in the windows that were flagged."""
        self.quarantined: list[str] = []
        """Task ids this run quarantined as reward-hacked."""

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               **kwargs: object) -> None:
        """TRL hook: judge once per logging interval."""
        if state.is_world_process_zero:
            self.check(wait=False)

    def on_train_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
                     **kwargs: object) -> None:
        """TRL hook: judge what the last interval gathered."""
        if state.is_world_process_zero:
            self.check()

    def check(self, wait: bool = True) -> list[Flag]:
        """Close full windows, quarantine every new flag, log the counts; returns the new flags. The spot checks
        that finished (every one, waiting, when ``wait``) are handed to the monitor first."""
        if self._drain is not None:
            self._drain(wait)
        flags = self._monitor.close_window(self._context)
        for flag in flags:
            self.flagged_groups += flag.groups
            record = self._bank.find(flag.task_id)
            if record is None or record.status is not TaskStatus.ADMITTED:
                continue
            self._bank.set_status(flag.task_id, TaskStatus.QUARANTINED, actor="trainer", action="quarantine",
                                  reason=f"{flag.rule.value}: {flag.detail}", reasons=(Reason.REWARD_HACK,))
            self.quarantined.append(flag.task_id)
            logger.warning("reward hacking suspected on task %s (%s): %s; quarantined", flag.task_id,
                           flag.rule.value, flag.detail)
        if flags:
            logger.warning("reward-hack monitor flagged %d group(s) of %d task(s) (%d group(s) this run)",
                           sum(f.groups for f in flags), len(flags), self.flagged_groups)
        return flags

    def _context(self, task_id: str) -> TaskContext | None:
        record = self._bank.find(task_id)
        if record is None:
            return None
        return TaskContext(reference=record.spec.reference, prompt=record.spec.prompt_text)
