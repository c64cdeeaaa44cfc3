"""Held-out replay environments: the failure's own request, asked again in the environment drafted from it.

When ``synth.generate`` runs with replay on (the default; ``--no-replay`` turns it off) and an environment drafted
from a tool-use failure is admitted, :func:`store_heldout_replay` stores its sibling in the **held-out split**
(``TaskSplit.HELDOUT``): the same simulator, reference and failure cases (the deployed model's trajectory among
them), on the same seed, but whose prompt is the failed conversation itself (redacted like everything else), as a
replay task's is (:mod:`synth.replay_tasks`). ``synth.replay`` rolls the policy out in it
(:mod:`synth.env_rollout`); training never sees it (``trainer.grpo --environments`` leaves held-out lines out).

Validation judges the simulator and its trajectories, never the prompt, so the sibling carries its training
environment's verdict and evidence rather than a second identical validation. Its provenance is the training
environment's (failure, group, generator, template hash, draft, run) with ``parent_task_id`` naming that
environment; its metadata says ``kind: replay`` and ``replays``.

What it measures: whether the policy now handles the request that failed, in the state it failed in. It shares
that state with its training sibling (a different prompt for the same simulator and seed), so it is no test of
generalisation to unseen states; a signature duplicate across splits (the same tools for the same prompt) is
rejected as ``duplicate`` by the bank (:mod:`task_bank.environment_store`).
"""

from __future__ import annotations

from pydantic import ValidationError

from task_bank.environment import EnvironmentSpec
from task_bank.environment_results import EnvironmentEvidence
from task_bank.environment_store import EnvironmentRecord, EnvironmentStore
from task_bank.failure import FailureRecord
from task_bank.provenance import Provenance
from task_bank.records import TaskStatus
from task_bank.spec import TaskSplit
from task_bank.validation import ValidationReport

REPLAY_KIND = "replay"
"""``metadata.kind`` of a held-out replay environment (as of a replay task)."""


def heldout_replay(spec: EnvironmentSpec, failure: FailureRecord, weakness: str) -> EnvironmentSpec | None:
    """The held-out sibling of ``spec``: the failure's conversation as the prompt, everything else kept, and
    ``metadata.weakness`` naming the failure's weakness group as its replay task names it; None when the failure
    carries no tool calls (a seeded family of a single-turn failure has no trajectory to replay) or the
    conversation makes no valid prompt."""
    if not failure.tool_calls:
        return None
    metadata = {**spec.metadata, "kind": REPLAY_KIND, "replays": spec.id, "source_failure": failure.id,
                "weakness": weakness}
    try:
        return EnvironmentSpec(prompt=failure.conversation, environment=spec.environment, reference=spec.reference,
                               failure_cases=spec.failure_cases, metadata=metadata)
    except ValidationError:
        return None


def store_heldout_replay(bank: EnvironmentStore, trained: EnvironmentRecord, failure: FailureRecord, weakness: str,
                         report: ValidationReport, evidence: EnvironmentEvidence | None) -> EnvironmentRecord | None:
    """Store the held-out sibling of an admitted training environment (see the module docstring); the stored
    record (admitted, or rejected as a duplicate), or None when there is none to store."""
    if trained.status is not TaskStatus.ADMITTED or trained.split is not TaskSplit.TRAIN:
        return None
    spec = heldout_replay(trained.spec, failure, weakness)
    if spec is None:
        return None
    provenance: Provenance = trained.provenance.model_copy(update={"parent_task_id": trained.id})
    return bank.add_environment(spec, report.model_copy(update={"task_id": spec.id}), evidence,
                                provenance=provenance, split=TaskSplit.HELDOUT)
