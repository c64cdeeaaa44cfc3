"""The generate stage of a growth cycle: new failures through the pipeline, a batch of weakness groups at a time.

Why batches: the pipeline marks failures processed when its run ends. Handing it a cycle's whole backlog at once
would mean that a cycle killed near its end had marked nothing, and the next cycle would draft every group again;
with a deterministic backend that only costs time (the same ids come back), but with a sampling backend it would
store a second set of tasks for groups that already had theirs. So the failures are grouped first, with the
pipeline's own :func:`synth.pipeline.prepare`, and handed over ``groups_per_batch`` groups at a time; after each
batch its failures are processed and the cursors move (``after_batch``), so a kill loses at most one batch.

Grouping a batch gives the same groups as grouping the whole backlog (two failures in different groups are not
linked by any chain, in the whole or in a part; a group's members are all in its batch), so group ids, request
keys and slots are exactly those of a single pipeline run. The cycle's budget is shared: each batch gets what the
batches before it left, and the stage stops at the first batch a budget cut short.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from synth.budget import Budget
from synth.grow_config import GrowConfig
from synth.grow_runs import RunLedger
from synth.grow_runtime import Runtime
from synth.pipeline import prepare, run_pipeline
from synth.prompts import PromptLibrary
from task_bank.failure import FailureRecord
from task_bank.records import RunOutcome
from task_bank.store import Bank


def batches(failures: Sequence[FailureRecord], config: GrowConfig) -> list[list[FailureRecord]]:
    """``failures`` split into batches of ``groups_per_batch`` whole weakness groups, in group order."""
    by_id = {f.id: f for f in failures}
    groups = prepare(failures, config.pipeline, set()).groups
    size = config.groups_per_batch
    return [[by_id[fid] for g in groups[i:i + size] for fid in g.member_ids] for i in range(0, len(groups), size)]


def generate(failures: Sequence[FailureRecord], *, bank: Bank, rt: Runtime, config: GrowConfig, ledger: RunLedger,
             prompts: PromptLibrary, wall_left: Callable[[], float], after_batch: Callable[[], None],
             stage_seconds: dict[str, float]) -> bool:
    """Run the pipeline over ``failures`` batch by batch; returns True when a budget cut the stage short."""
    b = config.budget
    for batch in batches(failures, config):
        drafts_left, tokens_left, wall = b.max_drafts - ledger.drafts, b.max_tokens - ledger.tokens, wall_left()
        if drafts_left <= 0 or tokens_left <= 0 or wall <= 0:
            return True
        budget = Budget(max_drafts=drafts_left, max_tokens=tokens_left, max_wall_s=wall,
                        per_group_cap=b.max_drafts_per_group)
        summary = run_pipeline(batch, bank=bank, backend=rt.backend, validator=rt.validator, config=config.pipeline,
                               executor=rt.executor, run_id=ledger.run.id, budget=budget, prompts=prompts)
        ledger.add("generate", summary.counts())
        ledger.spend(summary.drafts, summary.generator_tokens)
        for stage, seconds in summary.stage_seconds.items():
            stage_seconds[f"generate.{stage}"] = round(stage_seconds.get(f"generate.{stage}", 0.0) + seconds, 4)
        after_batch()
        if summary.outcome is RunOutcome.BUDGET_EXHAUSTED:
            return True
    return False
