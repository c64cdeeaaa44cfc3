"""Gold check: every shipped example task's reference scores 1.0 through the real sandbox, and the task is admitted."""

from __future__ import annotations

from pathlib import Path

import pytest

from task_bank.spec import TaskSpec
from task_bank.validation import Outcome
from verifier import Limits, ValidationConfig, Validator, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "tasks.jsonl"
SPECS = [TaskSpec.model_validate_json(line) for line in EXAMPLES.read_text(encoding="utf-8").splitlines()
         if line.strip()]


@pytest.fixture(scope="module")
def pool():
    with open_pool(backend="bwrap", workers=1, limits=Limits(wall_s=ValidationConfig().call_budget_s)) as pool:
        yield pool


def test_examples_ship_several_tasks():
    assert len(SPECS) >= 8 and len({s.id for s in SPECS}) == len(SPECS)


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_reference_scores_one(pool, spec: TaskSpec):
    (result,) = pool.score(spec.verifier, [spec.reference])
    assert (result.outcome, result.score) == (Outcome.SCORED, 1.0), result.detail


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_example_is_admitted(pool, spec: TaskSpec):
    report = Validator(pool, ValidationConfig()).validate(spec)
    assert report.admitted, [(c.name, c.reason, c.detail) for c in report.checks if c.passed is False]
