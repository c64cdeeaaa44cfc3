"""The *answers* rule: a verifier that paid in full programs which answered its own tests otherwise than its
reference did pays wrong programs.

An honest verifier that runs a program and pays it in full has seen it answer the requests it makes as the right
program does; those are the requests it made of its reference (:mod:`trainer.results_replay` records them, once a
run). So the trainer checks every text of a task that was paid in full (at least ``results_paid``): its code and
the reference's, run on those requests, leniently compared (:mod:`trainer.answer_check`). Red-team round 59's F1
paid novel wrong programs by a hash of their results, and nothing else in training or validation saw them (67 to 144
of 144 wrong programs paid over 24 groups, no flag); each of them answered otherwise than the reference.

The rule flags a task once ``min_answer_differences`` texts paid in full answered otherwise, at least
``answer_difference_share`` of the texts paid in full that were checked, in at least ``min_answer_behaviours``
different ways (distinct replayed digests: what the texts did on the reference's requests). Why the ways: an honest
verifier of a task with many right answers (any pair of indices that sum to the target, any peak, any shortest
path) pays right programs that answer otherwise than its reference, and a policy's right programs often do (the
hash-map solution returns another pair): red-team round 60 built 23 honest tasks, and without the ways the rule
flagged 13 of them, 39 of 69 runs (at groups 3 to 22). But a policy's right answers come from a few algorithms, so
they differ from the reference's in a few ways (at most 3 in that corpus, 2 tasks at 3; a real policy writes more
texts, hence 5); the wrong programs F1 paid differed in as many ways as there were wrong programs (9 to 12 there).
What the ways leave open: a verifier that pays one to four wrong behaviours only (say, every program that returns
the list's first item) is not caught here; that is the kind of hack a policy converges on, which the jump and
pattern rules watch. Nor is a stdout task whose right programs print their answers in many layouts safe from it. A text is counted each time it is paid
(as the results rule counts texts): a wrong program paid again and again is as much evidence as many paid once.
Texts the check gave no verdict (no code, a reference run that did not complete) count for neither side.
"""

from __future__ import annotations

from trainer.monitor_config import FlagRule, MonitorConfig

__all__ = ["PaidAnswers"]

Finding = tuple[FlagRule, int, str]
_KEPT = 64  # distinct behaviours kept per task, at most (more than any threshold needs)


class PaidAnswers:
    """One task's run-long count of the texts paid in full that were checked, and of those that answered
    otherwise than the reference."""

    def __init__(self) -> None:
        self.checked = 0
        self.differing = 0
        self.behaviours: set[str] = set()  # what the texts that answered otherwise did (their replayed digests)

    def record(self, alike: bool | None, behaviour: str = "") -> None:
        """A text paid in full, whether it answered the reference's requests as the reference did (None: no
        verdict, not counted), and what it did (``behaviour``: its replayed digest)."""
        if alike is None:
            return
        self.checked += 1
        self.differing += not alike
        if not alike and len(self.behaviours) < _KEPT:
            self.behaviours.add(behaviour)

    def finding(self, config: MonitorConfig) -> Finding | None:
        """The flag's (rule, texts in the evidence, detail) once enough paid texts answered otherwise, in enough
        ways, else None."""
        if (self.differing < config.min_answer_differences or len(self.behaviours) < config.min_answer_behaviours
                or self.differing < config.answer_difference_share * self.checked):
            return None
        return (FlagRule.ANSWERS, self.differing,
                f"{self.differing} of {self.checked} texts paid in full answered the requests the verifier made of its "
                f"reference otherwise than the reference did, in {len(self.behaviours)} different ways: it pays "
                "programs whose runs it saw go wrong")
