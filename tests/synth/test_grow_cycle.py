"""Growth cycles in-process: run records, cursors over new failures only, idempotence, budgets, interruption."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.pipeline import PipelineConfig
from synth.grow.feeds import FeedPosition
from synth.grow.config import load_config
from synth.grow.cycle import run_cycle
from synth.grow.feeds import cursor_key
from synth.grow.runs import KIND
from task_bank.errors import LockedError
from task_bank.records import GrowthRun, RunOutcome, TaskStatus
from task_bank.store import Bank


@pytest.fixture
def setup(fx, tmp_path):
    return fx.Setup(tmp_path, evolve={"enabled": False}, revalidate={"enabled": False})


def test_a_cycle_turns_new_failures_into_admitted_tasks_and_records_itself(fx, setup):
    keys = setup.arrive([fx.failure_row(i) for i in range(7)])
    report = setup.cycle()
    run = report.run
    assert run.kind == KIND and run.outcome is RunOutcome.SUCCEEDED and run.ended_at is not None
    assert run.inputs_seen == 7
    assert run.counts["generate:admitted"] == len(keys) == run.counts["admitted"]
    assert run.counts["feed:records"] == 7 and run.budget_used["max_drafts"] == len(keys)
    assert set(run.budget) == {"max_drafts", "max_tokens", "max_wall_s", "max_drafts_per_group"}
    with setup.open() as bank:
        assert bank.get_run(run.id) == run
        assert bank.count(status=TaskStatus.ADMITTED) == len(keys)
        assert {t.provenance.growth_run_id for t in bank.list(limit=100)} == {run.id}
        assert bank.processed_failure_ids() >= {r["id"] for r in setup.rows}


def test_rerunning_a_finished_cycle_admits_nothing_new(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(5)])
    first = setup.cycle().run
    with setup.open() as bank:
        before = {t.id: t.status for t in bank.list(limit=1000)}
    second = setup.cycle().run
    assert second.outcome is RunOutcome.SUCCEEDED and second.counts["admitted"] == 0
    assert second.counts.get("generate:drafts", 0) == 0 and second.inputs_seen == 0
    with setup.open() as bank:
        assert {t.id: t.status for t in bank.list(limit=1000)} == before
        assert [r.id for r in bank.list_runs()] == [second.id, first.id]


def test_the_cursor_advances_over_new_failures_only(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(4)])
    setup.cycle()
    with setup.open() as bank:
        after_first = FeedPosition.from_cursor(bank.get_cursor(cursor_key("prod")))
    assert after_first.offset == setup.feed.stat().st_size
    keys = setup.arrive([fx.failure_row(i, tag="fresh") for i in range(100, 103)])
    run = setup.cycle().run
    assert run.inputs_seen == 3 and run.counts.get("feed:already_processed", 0) == 0
    assert run.counts["generate:admitted"] == len(keys)
    with setup.open() as bank:
        assert FeedPosition.from_cursor(bank.get_cursor(cursor_key("prod"))).offset == setup.feed.stat().st_size
        new = bank.list(growth_run_id=run.id, limit=100)
        assert {fid for t in new for fid in t.provenance.source_failure_ids} <= {f"f_grow_{i:05d}"
                                                                                  for i in range(100, 103)}


def test_max_drafts_cuts_the_cycle_and_the_next_one_finishes_the_rest(fx, setup):
    keys = setup.arrive([fx.failure_row(i) for i in range(7)])
    first = setup.cycle(budget={"max_drafts": 3}).run
    assert first.outcome is RunOutcome.BUDGET_EXHAUSTED
    assert first.budget_used["max_drafts"] <= 3 and first.counts["generate:admitted"] <= 3
    assert first.counts["feed:deferred"] > 0
    with setup.open() as bank:
        cursor = FeedPosition.from_cursor(bank.get_cursor(cursor_key("prod")))
    assert cursor.offset < setup.feed.stat().st_size
    second = setup.cycle().run
    assert second.outcome is RunOutcome.SUCCEEDED and second.counts["feed:deferred"] == 0
    with setup.open() as bank:
        assert bank.count(status=TaskStatus.ADMITTED) == len(keys)
        assert bank.count() == len(keys)


def test_the_per_group_cap_keeps_one_noisy_cluster_from_flooding_the_bank(fx, tmp_path):
    setup = fx.Setup(tmp_path, evolve={"enabled": False}, revalidate={"enabled": False},
                  pipeline={"drafts_per_group": 5})
    setup.arrive([fx.failure_row(i, tag="noisy") for i in range(30)] + [fx.failure_row(99, tag="quiet")],
                 per_group_cap=2)
    run = setup.cycle(budget={"max_drafts_per_group": 2}).run
    assert run.counts["generate:groups"] == 2 and run.counts["generate:drafts"] == 4
    with setup.open() as bank:
        groups = [t.provenance.failure_group for t in bank.list(status=TaskStatus.ADMITTED, limit=100)]
        assert sorted(groups.count(g) for g in set(groups)) == [2, 2]
        assert len(bank.processed_failure_ids()) == 31


def test_max_tokens_stops_drafting(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(7)])
    run = setup.cycle(workers=1, budget={"max_tokens": 1}).run
    assert run.outcome is RunOutcome.BUDGET_EXHAUSTED
    assert 0 < run.budget_used["max_drafts"] < 14 and run.budget_used["max_tokens"] >= 1


def test_an_exhausted_wall_time_defers_everything_and_moves_no_cursor(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(3)])
    run = setup.cycle(budget={"max_wall_s": 0.000001}).run
    assert run.outcome is RunOutcome.BUDGET_EXHAUSTED and run.counts.get("generate:drafts", 0) == 0
    with setup.open() as bank:
        assert bank.get_cursor(cursor_key("prod")) is None
        assert bank.processed_failure_ids() == set()


def test_a_running_run_left_by_a_dead_cycle_is_marked_interrupted(setup):
    with setup.open() as bank:
        bank.start_run(GrowthRun(id="grow-dead", kind=KIND))
        bank.start_run(GrowthRun(id="gen-other", kind="generate"))
    report = setup.cycle()
    assert report.interrupted_runs == ("grow-dead",)
    with setup.open() as bank:
        dead = bank.get_run("grow-dead")
        assert dead.outcome is RunOutcome.INTERRUPTED and dead.ended_at is None
        assert report.run.id in dead.message
        assert bank.get_run("gen-other").outcome is RunOutcome.RUNNING


def test_ctrl_c_records_the_run_interrupted_and_releases_the_lock(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(3)])
    with pytest.raises(KeyboardInterrupt):
        setup.cycle(opener=fx.failing_opener(KeyboardInterrupt()))
    with setup.open() as bank:
        (run,) = bank.list_runs()
        assert run.outcome is RunOutcome.INTERRUPTED and "resumes" in run.message
        assert bank.get_cursor(cursor_key("prod")) is None
    assert setup.cycle().run.outcome is RunOutcome.SUCCEEDED


def test_an_error_raised_while_an_interrupt_came_records_the_run_interrupted(fx, setup):
    """CI: SIGTERM's KeyboardInterrupt raised inside a pydantic serializer came out as PydanticSerializationError;
    the run was recorded FAILED and the command exited 1, not 130. Whatever an interrupt comes out as, it is one."""
    setup.arrive([fx.failure_row(i) for i in range(3)])
    with pytest.raises(KeyboardInterrupt):
        run_cycle(setup.config(), setup.bank, opener=fx.failing_opener(ValueError("Error serializing to JSON")),
                  interrupt_came=lambda: True)
    with setup.open() as bank:
        (run,) = bank.list_runs()
        assert run.outcome is RunOutcome.INTERRUPTED and "resumes" in run.message


def test_an_error_without_an_interrupt_records_the_run_failed(fx, setup):
    setup.arrive([fx.failure_row(i) for i in range(3)])
    with pytest.raises(ValueError):
        run_cycle(setup.config(), setup.bank, opener=fx.failing_opener(ValueError("a bug")),
                  interrupt_came=lambda: False)
    with setup.open() as bank:
        (run,) = bank.list_runs()
        assert run.outcome is RunOutcome.FAILED and "a bug" in run.message


def test_a_second_cycle_on_a_locked_bank_refuses_before_touching_it(setup):
    from synth.grow.runs import cycle_lock

    config = setup.config()
    with cycle_lock(config.lock_path(setup.bank)):
        with pytest.raises(LockedError):
            run_cycle(config, setup.bank)
    assert not setup.bank.exists()


def test_unreadable_feed_lines_are_counted_and_named(fx, setup):
    setup.arrive([fx.failure_row(1)])
    with setup.feed.open("a", encoding="utf-8") as fh:
        fh.write("{broken\n")
    run = setup.cycle().run
    assert run.counts["feed:unreadable"] == 1 and "feed.jsonl:2" in run.message
    assert run.outcome is RunOutcome.SUCCEEDED


def test_each_feed_keeps_its_own_cursor(fx, tmp_path):
    setup = fx.Setup(tmp_path, evolve={"enabled": False}, revalidate={"enabled": False})
    folder = tmp_path / "rotated"
    setup.arrive([fx.failure_row(i) for i in range(3)])
    fx.write_feed(folder / "2026-11-24T00.jsonl", [fx.failure_row(i, tag="batch") for i in range(50, 53)])
    everything = setup.rows + [fx.failure_row(i, tag="batch") for i in range(50, 53)]
    fx.record_drafts(setup.drafts, fx.draft_keys(everything, PipelineConfig()))
    config = load_config(fx.write_config(tmp_path / "grow.toml", feed=setup.feed, drafts=setup.drafts,
                                         evolve={"enabled": False}, more_sources={"batch": folder}))
    run = run_cycle(config, setup.bank).run
    assert run.inputs_seen == 6 and run.counts["feed:deferred"] == 0
    with setup.open() as bank:
        prod = FeedPosition.from_cursor(bank.get_cursor(cursor_key("prod")))
        batch = FeedPosition.from_cursor(bank.get_cursor(cursor_key("batch")))
        assert prod == FeedPosition(offset=setup.feed.stat().st_size)
        assert batch.file == "2026-11-24T00.jsonl" and batch.offset == (folder / batch.file).stat().st_size
        assert {f.source for f in bank.list_failures(limit=100)} == {"prod", "batch"}
    fx.write_feed(folder / "2026-11-24T06.jsonl", [fx.failure_row(60, tag="later")])
    again = run_cycle(config, setup.bank).run
    assert again.inputs_seen == 1


def test_a_cycle_killed_between_group_batches_keeps_the_batches_it_finished(fx, tmp_path):
    setup = fx.Setup(tmp_path, evolve={"enabled": False}, revalidate={"enabled": False}, groups_per_batch=2)
    keys = setup.arrive([fx.failure_row(i, tag=f"skill{i}") for i in range(7)])
    with pytest.raises(KeyboardInterrupt):  # each batch of 2 groups is one generate call: the third dies
        setup.cycle(opener=fx.failing_opener(KeyboardInterrupt(), on_call=3))
    with setup.open() as bank:
        assert len(bank.processed_failure_ids()) == 4 and bank.count(status=TaskStatus.ADMITTED) == 8
        cursor = FeedPosition.from_cursor(bank.get_cursor(cursor_key("prod")))
        assert 0 < cursor.offset < setup.feed.stat().st_size
        (interrupted,) = bank.list_runs()
        assert interrupted.counts["generate:admitted"] == 8
    resumed = setup.cycle().run
    assert resumed.inputs_seen == 3 and resumed.counts["generate:groups"] == 3
    with setup.open() as bank:
        assert bank.count(status=TaskStatus.ADMITTED) == bank.count() == len(keys)
