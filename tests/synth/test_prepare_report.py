"""Preparing failures (redact, resume, group) and rendering the final table; no sandbox needed."""

from __future__ import annotations

from rich.console import Console

from synth.pipeline import PipelineConfig
from synth.pipeline import prepare
from synth.summary import summary_table
from synth.summary import PipelineSummary
from task_bank.failure import FailureRecord
from task_bank.records import RunOutcome


def _f(fid: str, text: str) -> FailureRecord:
    return FailureRecord(id=fid, conversation=[{"role": "user", "content": text}], response="r",
                         signal={"kind": "thumbs_down"})


def test_repeated_ids_are_read_once_and_processed_ones_skipped() -> None:
    failures = [_f("a", "mail x@y.org please"), _f("a", "mail x@y.org please"), _f("b", "other question")]
    prep = prepare(failures, PipelineConfig(), processed={"b"})
    assert [f.id for f in prep.failures] == ["a"] and prep.skipped == 1 and prep.redactions == 1
    assert "x@y.org" not in prep.failures[0].user_text


def test_force_keeps_processed_failures_and_redaction_can_be_off() -> None:
    prep = prepare([_f("a", "mail x@y.org")], PipelineConfig(force=True, redact=False), processed={"a"})
    assert prep.skipped == 0 and prep.failures[0].user_text == "mail x@y.org"


def test_final_table_lists_counts_reasons_and_stage_shares() -> None:
    summary = PipelineSummary(run_id="r", outcome=RunOutcome.BUDGET_EXHAUSTED, failures_read=3, groups=1,
                              drafts=2, repairs=1, admitted=1, rejected=1, rejected_by_reason={"unsolvable": 1},
                              stage_seconds={"validate": 3.0, "draft": 1.0}, budget_exhausted="max_drafts")
    console = Console(width=100, record=True)
    console.print(summary_table(summary))
    text = console.export_text()
    for row in ("failures read", "drafts (repairs)", "2 (1)", "rejected: unsolvable", "time: draft",
                "1.00 s (25%)", "time: validate", "budget_exhausted (max_drafts)"):
        assert row in text
    assert text.index("time: draft") < text.index("time: validate")


def test_another_failure_under_a_repeated_id_keeps_its_own_id() -> None:
    """Feeds number their rows: a second failure "1" was dropped as a repeat (red-team round 30)."""
    prep = prepare([_f("1", "What is 6 * 7?"), _f("1", "How do you spell necessary?")], PipelineConfig(),
                   processed=set())
    first, second = prep.failures
    assert first.id == "1" and second.id.startswith("1~") and second.user_text == "How do you spell necessary?"


def test_a_failure_under_an_id_the_bank_holds_for_another_keeps_its_own_id_and_is_not_skipped() -> None:
    """The bank's failure "1" is another conversation: the new one was skipped as already processed, or its tasks
    were linked to the stored conversation (red-team round 30)."""
    stored = {"1": _f("1", "What is 6 * 7?")}
    prep = prepare([_f("1", "How do you spell necessary?")], PipelineConfig(), processed={"1"}, stored=stored.get)
    assert [f.id[:2] for f in prep.failures] == ["1~"] and prep.skipped == 0


def test_the_same_failure_under_its_stored_id_is_still_skipped_as_processed() -> None:
    stored = {"1": _f("1", "What is 6 * 7?")}
    prep = prepare([_f("1", "What is 6 * 7?")], PipelineConfig(), processed={"1"}, stored=stored.get)
    assert prep.failures == () and prep.skipped == 1


def test_the_id_a_colliding_failure_gets_is_the_same_on_every_run() -> None:
    runs = [prepare([_f("1", "a"), _f("1", "b")], PipelineConfig(), processed=set()) for _ in range(2)]
    assert runs[0].failures[1].id == runs[1].failures[1].id
