"""The *answers* rule: a verifier that paid in full programs which answered its own tests otherwise than its
reference did pays wrong programs.

An honest verifier that runs a program and pays it in full has seen it answer the requests it makes as the right
program does; those are the requests it made of its reference (:mod:`trainer.results_replay` records them, once a
run). So the trainer checks every text of a task that was paid in full (at least ``results_paid``): its code and
the reference's, run on those requests, leniently compared (:mod:`trainer.answer_check`). Red-team round 59's F1
paid novel wrong programs by a hash of their results, and nothing else in training or validation saw them (67 to 144
of 144 wrong programs paid over 24 groups, no flag); each of them answered otherwise than the reference.

The rule flags a task once ``min_answer_differences`` texts paid in full answered otherwise, at least
``answer_difference_share`` of the texts paid in full that were checked. Why a share and not the first one: an honest
verifier of a task with many right answers (any valid path, any multiple of 7) pays right programs that answer
otherwise than its reference, and a policy that mostly answers as the reference does should not lose the task for a
few; one whose right answers mostly differ from its reference's (its reference picks one of many, the policy others)
is flagged, a false positive this rule keeps. A text is counted each time it is paid (as the results rule counts
texts): a wrong program paid again and again is as much evidence as many paid once. Texts the check gave no verdict
(no code, a run that timed out) count for neither side.
"""

from __future__ import annotations

from trainer.monitor_config import FlagRule, MonitorConfig

__all__ = ["PaidAnswers"]

Finding = tuple[FlagRule, int, str]


class PaidAnswers:
    """One task's run-long count of the texts paid in full that were checked, and of those that answered
    otherwise than the reference."""

    def __init__(self) -> None:
        self.checked = 0
        self.differing = 0

    def record(self, alike: bool | None) -> None:
        """A text paid in full, and whether it answered the reference's requests as the reference did (None: no
        verdict, not counted)."""
        if alike is None:
            return
        self.checked += 1
        self.differing += not alike

    def finding(self, config: MonitorConfig) -> Finding | None:
        """The flag's (rule, texts in the evidence, detail) once enough paid texts answered otherwise, else None."""
        if self.differing < config.min_answer_differences or (
                self.differing < config.answer_difference_share * self.checked):
            return None
        return (FlagRule.ANSWERS, self.differing,
                f"{self.differing} of {self.checked} texts paid in full answered the requests the verifier made of its "
                "reference otherwise than the reference did: it pays programs whose runs it saw go wrong")
