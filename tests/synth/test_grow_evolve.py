"""Evolve and re-validation stages of a growth cycle, through the real sandboxed validator."""

from __future__ import annotations

from pathlib import Path

import pytest

from synth.grow.cycle import run_cycle
from synth.grow.revalidate import is_older
from task_bank.records import TaskStatus, TrainingStat
from task_bank.spec import TaskSpec
from task_bank.validation import ValidationReport


@pytest.fixture
def grown(fx, tmp_path):
    """A bank after one cycle over seven failures, with evolve on and re-validation off."""
    setup = fx.Setup(tmp_path, evolve={"max_pass_rate": 0.25, "drafts_per_parent": 2},
                  revalidate={"enabled": False})
    setup.arrive([fx.failure_row(i) for i in range(7)])
    setup.cycle()
    return setup


def _measure(setup: Setup, rates: dict[str, float]) -> None:
    with setup.open() as bank:
        bank.add_stats([TrainingStat(task_id=t, policy="ckpt-1", attempts=8, mean_score=r, pass_rate=r)
                        for t, r in rates.items()])


def _admitted(setup: Setup) -> list[str]:
    with setup.open() as bank:
        return sorted(t.id for t in bank.list(status=TaskStatus.ADMITTED, limit=1000))


def test_evolve_drafts_children_of_low_pass_rate_tasks_linked_to_their_parent(fx, grown):
    low, easy = _admitted(grown)[:2], _admitted(grown)[2]
    _measure(grown, {low[0]: 0.0, low[1]: 0.125, easy: 0.9})
    fx.record_drafts(grown.drafts, fx.evolve_keys(low, 2))
    run = grown.cycle().run
    assert run.counts["evolve:parents"] == 2 and run.counts["evolve:admitted"] == 4
    assert run.counts["admitted"] == 4
    with grown.open() as bank:
        for parent in low:
            children = bank.children(parent)
            assert len(children) == 2
            assert {c.provenance.parent_task_id for c in children} == {parent}
            assert {c.provenance.prompt_template for c in children} == {"evolve.j2"}
            assert {c.provenance.growth_run_id for c in children} == {run.id}
            assert {c.spec.metadata["evolve_mode"] for c in children} == {"vary", "harder"}
            assert all(c.status is TaskStatus.ADMITTED for c in children)
        assert bank.children(easy) == []


def test_the_same_evidence_is_not_evolved_twice_but_a_new_measurement_is(fx, grown):
    parent = _admitted(grown)[0]
    _measure(grown, {parent: 0.0})
    fx.record_drafts(grown.drafts, fx.evolve_keys([parent], 2))
    grown.cycle()
    again = grown.cycle().run
    assert again.counts["evolve:already_evolved"] == 1 and again.counts["admitted"] == 0
    _measure(grown, {parent: 0.1})
    third = grown.cycle().run
    assert third.counts["evolve:parents"] == 1
    assert third.counts["evolve:duplicates"] == 2 and third.counts["admitted"] == 0


def test_evolved_drafts_the_validator_rejects_are_kept_as_rejected_children(fx, grown):
    parent = _admitted(grown)[0]
    _measure(grown, {parent: 0.0})
    keys = fx.evolve_keys([parent], 2)
    fx.record_drafts(grown.drafts, keys, bad_keys=keys[:1])
    run = grown.cycle().run
    assert run.counts["evolve:admitted"] == 1 and run.counts["evolve:rejected:trivial"] == 1
    with grown.open() as bank:
        statuses = sorted(c.status.value for c in bank.children(parent))
    assert statuses == ["admitted", "rejected"]


def test_evolve_stays_within_the_cycle_budget(fx, grown):
    parents = _admitted(grown)[:3]
    _measure(grown, dict.fromkeys(parents, 0.0))
    fx.record_drafts(grown.drafts, fx.evolve_keys(parents, 2))
    run = grown.cycle(budget={"max_drafts": 2}, evolve={"max_pass_rate": 0.25, "drafts_per_parent": 2},
                      workers=1).run
    assert run.counts["evolve:drafts"] == 2 and run.counts["evolve:deferred"] == 4
    assert run.outcome.value == "budget_exhausted"


def _old_report(task_id: str, version: str = "0.9", admitted: bool = True) -> ValidationReport:
    return ValidationReport(task_id=task_id, admitted=admitted, reasons=() if admitted else ("trivial",),
                            validator_version=version, sandbox_backend="bwrap")


def _task(n: int, *, accepts_anything: bool = False) -> TaskSpec:
    answer = str(7000 + n)
    body = "return 1.0" if accepts_anything else f"return 1.0 if response.strip() == {answer!r} else 0.0"
    return TaskSpec(prompt=f"Old task {n}: write the number {answer} and nothing else, please.",
                    verifier=f"def verify(response: str) -> float:\n    {body}\n", reference=answer,
                    failure_cases=(str(7001 + n),))


@pytest.fixture
def old_bank(fx, tmp_path):
    """A bank with two tasks admitted by validator 0.9: one still valid, one that accepts any answer."""
    setup = fx.Setup(tmp_path, evolve={"enabled": False})
    with setup.open() as bank:
        for spec in (_task(1), _task(2, accepts_anything=True)):
            bank.admit(spec, report=_old_report(spec.id))
    return setup


def test_tasks_judged_by_an_older_validator_are_revalidated_and_failures_rejected(old_bank):
    good, bad = _task(1).id, _task(2, accepts_anything=True).id
    run = old_bank.cycle().run
    assert run.counts["revalidate:checked"] == 2 and run.counts["revalidate:kept"] == 1
    assert run.counts["revalidate:rejected"] == 1 and run.counts["revalidate:rejected:trivial"] == 1
    with old_bank.open() as bank:
        assert bank.get(good).status is TaskStatus.ADMITTED
        rejected = bank.get(bad)
        assert rejected.status is TaskStatus.REJECTED and "trivial" in rejected.reasons
        (action,) = bank.history(bad)
        assert action.actor == "grow" and action.to_status is TaskStatus.REJECTED and "re-validation" in action.reason
        assert [r.validator_version for r in bank.reports(good)][-1] != "0.9"
    assert old_bank.cycle().run.counts["revalidate:checked"] == 0


def test_a_validator_version_bump_revalidates_every_admitted_task(old_bank):
    old_bank.cycle()
    with old_bank.open() as bank:
        reports_before = len(bank.reports(_task(1).id))
    run = old_bank.cycle(validator_version="99.0").run
    assert run.counts["revalidate:checked"] == 1 and run.counts["revalidate:kept"] == 1
    with old_bank.open() as bank:
        assert len(bank.reports(_task(1).id)) == reports_before + 1


def test_an_admitted_task_that_was_never_validated_is_revalidated(fx, tmp_path):
    setup = fx.Setup(tmp_path, evolve={"enabled": False})
    unjudged = _task(4, accepts_anything=True)
    with setup.open() as bank:
        bank.admit(unjudged)  # no report: imported or stored without validation
        assert bank.reports(unjudged.id) == []
    run = setup.cycle().run
    assert run.counts["revalidate:checked"] == 1 and run.counts["revalidate:rejected:trivial"] == 1
    with setup.open() as bank:
        assert bank.get(unjudged.id).status is TaskStatus.REJECTED and bank.reports(unjudged.id)


def test_a_rejecting_verdict_stored_by_a_killed_cycle_is_applied_by_the_next(fx, tmp_path):
    setup = fx.Setup(tmp_path, evolve={"enabled": False})
    spec = _task(3)
    config = setup.config()
    with setup.open() as bank:
        bank.admit(spec, report=_old_report(spec.id, version="0.9"))
        current = __import__("verifier.validate", fromlist=["x"]).VALIDATOR_VERSION
        bank.add_report(_old_report(spec.id, version=current, admitted=False))
    run = run_cycle(config, setup.bank).run
    assert run.counts["revalidate:checked"] == 0 and run.counts["revalidate:rejected"] == 1
    with setup.open() as bank:
        assert bank.get(spec.id).status is TaskStatus.REJECTED


@pytest.mark.parametrize(("old", "new"), [("0.9", "1.0"), ("1.9", "1.10"), ("1.0", "1.0.1"), ("1", "2")])
def test_validator_versions_compare_numerically(old, new):
    assert is_older(old, new) and not is_older(new, old) and not is_older(new, new)
