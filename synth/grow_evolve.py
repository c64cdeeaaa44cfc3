"""The evolve stage of a growth cycle: harder or varied versions of admitted tasks the policy still fails.

A parent is an ADMITTED task whose latest recorded pass rate (``bank.latest_pass_rates()``, from training or
probing) is at or below ``[evolve] max_pass_rate``; lowest first. Each parent gets ``drafts_per_parent`` requests
rendered from ``prompts/evolve.j2`` (variant 0 "vary": same skill, other setting; the rest "harder"), keyed
``evolve/<parent id>/d<variant>/r0`` so the replay backend can answer them. Replies are parsed like any draft,
validated in the sandbox and stored with ``Provenance.parent_task_id`` set, rejected attempts included, so a
reviewer sees every child of a task (``bank.children``).

Why a parent is skipped when it already has a child stored after its latest pass-rate measurement: the cycle
must be idempotent (re-running it admits nothing new) and must not re-evolve the same evidence every six hours;
a new measurement that still shows the policy failing makes the parent eligible again. Drafting stops when the
cycle's budget runs out, and each weakness group (the parent's failure group) is held to the per-group cap.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synth.backends.base import GenerationRequest, GeneratorBackend
from synth.budget import BudgetTracker
from synth.drafts import Draft, DraftError, draft_json_schema, parse_draft
from synth.executor import Executor
from synth.grow_config import EvolveConfig
from synth.prompts import PromptLibrary, RenderedPrompt
from synth.waves import generate_in_waves
from task_bank.provenance import Provenance
from task_bank.records import TaskRecord, TaskSplit, TaskStatus
from task_bank.spec import TaskSpec

if TYPE_CHECKING:
    from task_bank.store import Bank
    from verifier.validate import Validator

TEMPLATE = "evolve.j2"


class Parent(BaseModel):
    """An admitted task chosen for evolution, with the pass rate that made it one."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    record: TaskRecord
    """The admitted task."""
    pass_rate: float = Field(ge=0.0, le=1.0)
    """Its latest recorded pass rate."""

    @property
    def group(self) -> str:
        """The weakness group the per-group cap counts against."""
        return self.record.provenance.failure_group or self.record.id


class StageResult(BaseModel):
    """What one stage of a cycle did, for the run record."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    counts: dict[str, int] = Field(default_factory=dict)
    """Counts per outcome and reason."""
    drafts: int = 0
    """Generator calls made."""
    tokens: int = 0
    """Completion tokens spent."""
    cut_by_budget: bool = False
    """True when the budget stopped the stage before its work was done."""
    admitted_ids: tuple[str, ...] = ()
    """Tasks the stage admitted."""


def _already_evolved(bank: "Bank", record: TaskRecord) -> bool:
    stats = bank.stats(record.id)
    since = max((s.recorded_at for s in stats), default=None)
    return any(since is None or child.created_at >= since for child in bank.children(record.id))


def select_parents(bank: "Bank", config: EvolveConfig) -> tuple[list[Parent], int]:
    """Parents for this cycle (lowest pass rate first, at most ``max_parents``) and how many were skipped
    because they were already evolved since their latest measurement."""
    rates = bank.latest_pass_rates(policy=config.policy)
    low = sorted((rate, task_id) for task_id, rate in rates.items() if rate <= config.max_pass_rate)
    parents: list[Parent] = []
    skipped = 0
    for rate, task_id in low:
        if len(parents) >= config.max_parents:
            break
        record = bank.find(task_id)
        if record is None or record.status is not TaskStatus.ADMITTED or record.split is not TaskSplit.TRAIN:
            continue
        if _already_evolved(bank, record):
            skipped += 1
            continue
        parents.append(Parent(record=record, pass_rate=rate))
    return parents, skipped


class _Job:
    def __init__(self, parent: Parent, slot: int, rendered: RenderedPrompt, structured: bool) -> None:
        self.parent, self.slot, self.rendered = parent, slot, rendered
        self.mode = "vary" if slot == 0 else "harder"
        self.request = GenerationRequest(key=f"evolve/{parent.record.id}/d{slot}/r0", messages=rendered.messages,
                                         json_schema=draft_json_schema() if structured else None)


def _spec(draft: Draft, job: _Job) -> TaskSpec:
    parent = job.parent.record
    meta = {**parent.spec.metadata, "source": "evolve", "evolved_from": parent.id, "evolve_mode": job.mode}
    if draft.skill:
        meta["skill"] = draft.skill
    try:
        return TaskSpec(prompt=draft.prompt, verifier=draft.verifier, reference=draft.reference,
                        failure_cases=tuple(c for c in draft.failure_cases if c != draft.reference), metadata=meta)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'task'}: {e['msg']}" for e in exc.errors())
        raise DraftError("schema_error", problems) from None


def _provenance(job: _Job, backend: GeneratorBackend, run_id: str, text: str) -> Provenance:
    parent = job.parent.record
    return Provenance(source_failure_ids=parent.provenance.source_failure_ids,
                      failure_group=parent.provenance.failure_group, generator_backend=backend.name,
                      generator_model=backend.model, sampling=backend.sampling,
                      prompt_template=job.rendered.template, prompt_template_hash=job.rendered.template_hash,
                      draft_id="d_" + hashlib.sha256(f"{job.request.key}\n{text}".encode()).hexdigest()[:16],
                      parent_task_id=parent.id, growth_run_id=run_id)


def plan_jobs(parents: Sequence[Parent], prompts: PromptLibrary, drafts_per_parent: int, per_group_cap: int,
              structured: bool) -> tuple[list[_Job], int]:
    """Requests for every parent, within the per-group cap; returns the jobs and how many the cap refused."""
    per_group: Counter[str] = Counter()
    jobs: list[_Job] = []
    refused = 0
    for parent in parents:
        for slot in range(drafts_per_parent):
            if per_group[parent.group] >= per_group_cap:
                refused += 1
                continue
            per_group[parent.group] += 1
            rendered = prompts.render(TEMPLATE, parent=parent.record.spec, pass_rate=parent.pass_rate, slot=slot,
                                      mode="vary" if slot == 0 else "harder")
            jobs.append(_Job(parent, slot, rendered, structured))
    return jobs, refused


def evolve(parents: Sequence[Parent], *, bank: "Bank", backend: GeneratorBackend, validator: "Validator",
           executor: Executor, prompts: PromptLibrary, tracker: BudgetTracker, run_id: str,
           drafts_per_parent: int, per_group_cap: int, validate_batch: int = 8,
           structured: bool = True) -> StageResult:
    """Draft, validate and store children of ``parents``; see the module docstring."""
    jobs, refused = plan_jobs(parents, prompts, drafts_per_parent, per_group_cap, structured)
    counts: Counter[str] = Counter(parents=len(parents), group_cap_refused=refused, admitted=0, duplicates=0)
    drafts = tokens = 0
    admitted: list[str] = []
    for take, gens in generate_in_waves(jobs, lambda job: job.request, backend, executor, tracker):
        drafts, tokens = drafts + len(gens), tokens + sum(g.completion_tokens for g in gens)
        parsed: list[tuple[_Job, str, TaskSpec]] = []
        for job, gen in zip(take, gens):
            try:
                if gen.text is None:
                    raise DraftError("no_output", gen.error or "the generator returned nothing")
                parsed.append((job, gen.text, _spec(parse_draft(gen.text), job)))
            except DraftError as exc:
                counts[f"rejected:{exc.reason}"] += 1
        chunks = [[s for _, _, s in parsed[k:k + validate_batch]] for k in range(0, len(parsed), validate_batch)]
        reports = [r for chunk in executor.map(validator.validate_many, chunks) for r in chunk]
        for (job, text, spec), report in zip(parsed, reports):
            record = bank.admit(spec, provenance=_provenance(job, backend, run_id, text), report=report)
            if record.provenance.growth_run_id != run_id:
                counts["duplicates"] += 1
            elif record.status is TaskStatus.ADMITTED:
                counts["admitted"] += 1
                admitted.append(record.id)
            else:
                counts.update({f"rejected:{r}": 1 for r in record.reasons or ("rejected",)})
    counts["drafts"] = drafts
    counts["deferred"] = len(jobs) - drafts
    return StageResult(counts=dict(counts), drafts=drafts, tokens=tokens,
                       cut_by_budget=drafts < len(jobs), admitted_ids=tuple(admitted))
