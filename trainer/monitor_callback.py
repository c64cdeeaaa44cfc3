"""The reward-hacking monitor in training: after each logging interval, quarantine what it flags and say how much.

:class:`MonitorCallback` closes the :class:`trainer.monitor.RewardHackMonitor` windows that the reward function
filled (:class:`trainer.reward.VerifierReward` records every group into it), quarantines each flagged task that
is still admitted, with reason ``reward_hack`` and the evidence in the history entry (``actor="trainer"``), so the
web view shows both, and logs how many GRPO groups it flagged: as a warning, and in TRL's logged metrics
(``monitor/flagged_groups`` and ``monitor/quarantined``, this run so far, in every log entry and ``log_history``).
A quarantined task is no longer sampled; a reviewer restores it if the flag was wrong. In multi-process training
only the main process curates. Environment training quarantines differently
(:class:`trainer.monitor_env.EnvironmentMonitorCallback` overrides :meth:`MonitorCallback.quarantine` and
:meth:`MonitorCallback.context`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from task_bank import TaskStatus
from task_bank.safe_text import escape_line
from task_bank.store import Bank
from task_bank.validation import Reason
from trainer.monitor import Flag, RewardHackMonitor, TaskContext

logger = logging.getLogger(__name__)

FLAGGED_GROUPS = "monitor/flagged_groups"
"""TRL log key: GRPO groups of the tasks the monitor flagged, this run so far."""
QUARANTINED = "monitor/quarantined"
"""TRL log key: tasks this run quarantined as reward-hacked, so far."""


class MonitorCallback(TrainerCallback):
    """Quarantines the tasks the monitor flags; counts the flagged groups."""

    QUARANTINE_WORDS = "quarantined"
    """What :meth:`quarantine` did, as the warning says it."""

    def __init__(self, bank: Bank | None, monitor: RewardHackMonitor,
                 drain: Callable[[bool], int] | None = None) -> None:
        self._bank = bank
        self._monitor = monitor
        self._drain = drain  # the reward function's: hands finished spot checks to the monitor first
        self.flagged_groups = 0
        """GRPO groups of flagged tasks, in the windows that were flagged."""
        self.quarantined: list[str] = []
        """Task ids this run quarantined as reward-hacked."""

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl,
               logs: dict[str, Any] | None = None, **kwargs: object) -> None:
        """TRL hook: judge once per logging interval, and add the counts to the interval's log entry.

        transformers appends a copy of ``logs`` to ``state.log_history`` just before calling this hook, so the
        counts go into both: ``logs`` for the callbacks after this one (the console printer, reporting
        integrations), the history's last entry (the same step's) for the record."""
        if not state.is_world_process_zero:
            return
        self.check(wait=False)
        if logs is None:
            return
        counts = {FLAGGED_GROUPS: float(self.flagged_groups), QUARANTINED: float(len(self.quarantined))}
        last = state.log_history[-1] if state.log_history else None
        if last is not None and last.get("step") == state.global_step and all(k in last for k in logs):
            last.update(counts)
        logs.update(counts)

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
        flags = self._monitor.close_window(self.context)
        for flag in flags:
            self.flagged_groups += flag.groups
            if not self.quarantine(flag):
                continue
            self.quarantined.append(flag.task_id)
            logger.warning("reward hacking suspected on task %s (%s): %s; %s", escape_line(flag.task_id),
                           flag.rule.value, escape_line(flag.detail), self.QUARANTINE_WORDS)
        if flags:
            logger.warning("reward-hack monitor flagged %d group(s) of %d task(s) (%d group(s) this run)",
                           sum(f.groups for f in flags), len(flags), self.flagged_groups)
        return flags

    def quarantine(self, flag: Flag) -> bool:
        """Quarantine the flagged task in the bank, reason ``reward_hack`` with the evidence in its history; False
        when it is not (or no longer) admitted there."""
        bank = self._bank
        record = bank.find(flag.task_id) if bank is not None else None
        if bank is None or record is None or record.status is not TaskStatus.ADMITTED:
            return False
        bank.set_status(flag.task_id, TaskStatus.QUARANTINED, actor="trainer", action="quarantine",
                              reason=f"{flag.rule.value}: {flag.detail}", reasons=(Reason.REWARD_HACK,))
        return True

    def context(self, task_id: str) -> TaskContext | None:
        """The reference and prompt the monitor's pattern rule compares passing responses with."""
        record = self._bank.find(task_id) if self._bank is not None else None
        if record is None:
            return None
        return TaskContext(reference=record.spec.reference, prompt=record.spec.prompt_text)
