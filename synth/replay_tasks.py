"""Replay tasks: each failure a generation run draws from, replayed as a held-out task for ``synth.replay``.

A replay task's prompt is the original conversation (redacted like everything else), its verifier is drafted by
the generator from ``prompts/replay.j2`` (the failure's ``expected`` answer and correction steer it), its reference
is a corrected answer, and the deployed model's response is always one of its failure cases. :class:`ReplaySlot`
is the slot kind the drafting loop (:mod:`synth.drafting`) runs for it; the loop is the same as for practice
tasks, with two differences the slot declares:

- it is stored in the **held-out split** (``TaskSplit.HELDOUT``): training, evolving and the band never sample it,
  and the loop never probes it for the band; dedup still compares it with every task, both ways;
- one more check after validation (:func:`check_deployed_response`): the deployed response must score at most the
  trivial threshold (an answer the verifier half-accepts would make "fixed" meaningless), else the attempt is
  rejected with reason ``deployed_response_passes`` and repaired like any other rejection.

Its provenance links it to its failure (``source_failure_ids`` is that one failure) and weakness group; request
keys are ``<group id>/replay-<failure id>/r<round>``, stable across runs for the replay backend.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from synth.drafts import Draft, DraftError
from synth.grouping import FailureGroup
from synth.prompts import PromptLibrary, RenderedPrompt
from synth.slots import Slot
from task_bank.failure import FailureRecord
from task_bank.records import TaskSplit
from task_bank.spec import TaskSpec
from task_bank.validation import CheckResult, Reason, ValidationReport

REPLAY_TEMPLATE = "replay.j2"
DEPLOYED_CHECK = "deployed_response"
"""Name of the replay check in a validation report."""
DEPLOYED_MAX = 0.2
"""Highest score the deployed response may get (the validator's default trivial threshold: as low as a trivial
answer)."""


class ReplaySlot(Slot):
    """A slot anchored on one failure; its task replays that failure's conversation as held-out evaluation."""

    split = TaskSplit.HELDOUT

    def __init__(self, group: FailureGroup, anchor: FailureRecord) -> None:
        super().__init__(0)
        self.group = group
        self.anchor = anchor

    @property
    def stem(self) -> str:
        return f"{self.group.id}/replay-{self.anchor.id}"

    @property
    def group_id(self) -> str:
        return self.group.id

    def first_prompt(self, prompts: PromptLibrary) -> RenderedPrompt:
        return prompts.render(REPLAY_TEMPLATE, group=self.group, anchor=self.anchor)

    def repair_context(self) -> dict[str, Any]:
        return {"group": self.group, "anchor": self.anchor}

    def to_spec(self, draft: Draft) -> TaskSpec:
        """The original conversation as the prompt (the draft's ``prompt`` is ignored); the deployed response is
        always a failure case."""
        cases = [c for c in draft.failure_cases if c != draft.reference]
        if self.anchor.response not in cases:
            cases.append(self.anchor.response)
        metadata = {"skill": self.group.label or self.group.id, "tags": list(self.group.tags), "source": "synth",
                    "kind": "replay", "failure_group": self.group.id}
        try:
            return TaskSpec(prompt=self.anchor.conversation, verifier=draft.verifier, reference=draft.reference,
                            failure_cases=tuple(cases), metadata=metadata)
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'task'}: {e['msg']}"
                                 for e in exc.errors())
            raise DraftError("schema_error", problems) from None

    def provenance_fields(self) -> dict[str, Any]:
        return {"source_failure_ids": (self.anchor.id,), "failure_group": self.group.id}

    def judge(self, spec: TaskSpec, report: ValidationReport) -> ValidationReport:
        return check_deployed_response(spec, report, self.anchor.response)


def check_deployed_response(spec: TaskSpec, report: ValidationReport, deployed: str,
                            threshold: float = DEPLOYED_MAX) -> ValidationReport:
    """``report`` with the replay check appended: the deployed response scored at most ``threshold``.

    The score is read from the validator's own ``failure_cases`` check (its recorded scores follow the order of
    ``spec.failure_cases``), so the response is not run again. A report already rejected gets the check as skipped.
    """
    found = next((c for c in report.checks if c.name == "failure_cases"), None)
    if not report.admitted or found is None or deployed not in spec.failure_cases:
        why = "an earlier check rejected the task" if not report.admitted else "the deployed response was not judged"
        skipped = CheckResult(name=DEPLOYED_CHECK, passed=None if not report.admitted else False,
                              reason=None if not report.admitted else Reason.DEPLOYED_RESPONSE_PASSES, detail=why)
        return _with(report, skipped)
    index = spec.failure_cases.index(deployed)
    result = found.scores[index] if index < len(found.scores) else None
    score = result.score if result is not None else None
    if score is None or score > threshold:
        shown = "no score" if score is None else f"{score:g}"
        check = CheckResult(name=DEPLOYED_CHECK, passed=False, reason=Reason.DEPLOYED_RESPONSE_PASSES,
                            detail=f"the deployed model's response must score <= {threshold:g}; it scored {shown}",
                            scores=(result,) if result is not None else ())
    else:
        check = CheckResult(name=DEPLOYED_CHECK, passed=True, scores=(result,),
                            detail=f"the deployed model's response scored {score:g} <= {threshold:g}")
    return _with(report, check)


def _with(report: ValidationReport, check: CheckResult) -> ValidationReport:
    reasons = report.reasons
    if check.passed is False and check.reason is not None and check.reason not in reasons:
        reasons = (*reasons, check.reason)
    return report.model_copy(update={"checks": (*report.checks, check), "reasons": reasons,
                                     "admitted": report.admitted and check.passed is True})


def plan_replay_slots(groups: list[FailureGroup], failures: dict[str, FailureRecord],
                      prompts: PromptLibrary) -> list[ReplaySlot]:
    """One replay slot per failure of every group, first prompts rendered, in group then member order."""
    slots = []
    for group in groups:
        for failure_id in group.member_ids:
            slot = ReplaySlot(group, failures[failure_id])
            slot.render(prompts)
            slots.append(slot)
    return slots
