"""The validation rules as pure functions over observed scores (no sandbox): one rule per test."""

from __future__ import annotations

import pytest

from task_bank.spec import TaskSpec
from task_bank.validation import Outcome, ScoreResult
from verifier import checks
from verifier.checks_probes import Probe, ProbeKind, build_probes, junk_response
from verifier.run_order import run_order

REF = Probe(kind=ProbeKind.REFERENCE, label="reference", response="42")
FAIL = Probe(kind=ProbeKind.FAILURE_CASE, label="failure_cases[0]", response="41")
EMPTY = Probe(kind=ProbeKind.TRIVIAL, label="trivial:empty", response="")


def scored(x: float, ms: float = 1.0) -> ScoreResult:
    return ScoreResult(outcome=Outcome.SCORED, score=x, duration_ms=ms)


def fault(outcome: Outcome) -> ScoreResult:
    return ScoreResult(outcome=outcome, detail="boom")


def spec(**kw) -> TaskSpec:
    fields = {"prompt": "What is 6*7?", "verifier": "def verify(r):\n    return float(r == '42')\n",
              "reference": "42", "failure_cases": ["41"]}
    return TaskSpec(**{**fields, **kw})


def test_reference_scoring_one_everywhere_passes():
    assert checks.check_reference([(REF, scored(1.0)), (REF, scored(1.0))]).passed is True


def test_reference_below_one_in_any_call_is_unsolvable():
    result = checks.check_reference([(REF, scored(1.0)), (REF, scored(0.99))])
    assert (result.passed, result.reason) == (False, "unsolvable")


def test_reference_crash_is_verifier_error():
    assert checks.check_reference([(REF, fault(Outcome.CRASHED))]).reason == "verifier_error"


def test_reference_invalid_score_is_verifier_error():
    assert checks.check_reference([(REF, fault(Outcome.INVALID))]).reason == "verifier_error"


def test_sandbox_failure_outranks_other_faults():
    result = checks.check_reference([(REF, fault(Outcome.CRASHED)), (REF, fault(Outcome.ERROR))])
    assert result.reason == "sandbox_error"


def test_failure_case_above_threshold_passes_is_rejected():
    pairs = [(FAIL, scored(0.6))]
    result = checks.check_failure_cases(pairs, pairs, threshold=0.5)
    assert (result.passed, result.reason) == (False, "failure_case_passes")


def test_failure_case_at_threshold_is_accepted():
    pairs = [(FAIL, scored(0.5))]
    assert checks.check_failure_cases(pairs, pairs, threshold=0.5).passed is True


def test_trivial_response_above_threshold_is_trivial():
    pairs = [(EMPTY, scored(1.0))]
    result = checks.check_trivial(pairs, pairs, threshold=0.2)
    assert (result.passed, result.reason) == (False, "trivial")


NUMBERS = [Probe(kind=ProbeKind.TRIVIAL, label=label, response=text) for label, text in
           (("trivial:random_number", "315"), ("trivial:random_number[1]", "9021"), ("trivial:random_number[2]", "46"))]


def test_one_random_number_paid_is_a_right_answer_of_an_open_question_not_a_trivial_one():
    # "any multiple of 7 above 100": a drawn 315 is right; one number drawn rejected that task one time in seven
    pairs = [(NUMBERS[0], scored(1.0)), (NUMBERS[1], scored(0.0)), (NUMBERS[2], scored(0.0))]
    result = checks.check_trivial(pairs, pairs, threshold=0.2)
    assert result.passed is True and "trivial:random_number scored above" in result.detail


def test_every_random_number_paid_is_trivial():
    pairs = [(probe, scored(1.0)) for probe in NUMBERS]
    result = checks.check_trivial(pairs, pairs, threshold=0.2)
    assert (result.passed, result.reason) == (False, "trivial")


def test_a_random_number_paid_beside_another_trivial_answer_paid_is_still_trivial():
    pairs = [(NUMBERS[0], scored(1.0)), (NUMBERS[1], scored(0.0)), (NUMBERS[2], scored(0.0)), (EMPTY, scored(1.0))]
    result = checks.check_trivial(pairs, pairs, threshold=0.2)
    assert result.reason == "trivial" and "trivial:empty" in result.detail


def test_a_trivial_response_whose_call_crashes_counts_as_failing():
    pairs = [(EMPTY, fault(Outcome.CRASHED))]
    result = checks.check_trivial(pairs, pairs, threshold=0.2)
    assert result.passed is True
    assert "crashed" in result.detail


def test_invalid_score_on_a_trivial_response_is_verifier_error():
    pairs = [(EMPTY, fault(Outcome.INVALID))]
    assert checks.check_trivial(pairs, pairs, threshold=0.2).reason == "verifier_error"


def test_different_scores_for_one_probe_are_nondeterministic():
    result = checks.check_determinism([(REF, scored(1.0)), (REF, scored(0.0))], runs=3)
    assert (result.passed, result.reason) == (False, "nondeterministic")


def test_outcome_flip_is_nondeterministic():
    result = checks.check_determinism([(FAIL, scored(0.0)), (FAIL, fault(Outcome.CRASHED))], runs=3)
    assert result.reason == "nondeterministic"


def test_agreeing_runs_are_deterministic():
    assert checks.check_determinism([(REF, scored(1.0)), (REF, scored(1.0)), (FAIL, scored(0.0))], runs=3).passed


def test_reference_timeout_fails_the_budget():
    result = checks.check_budget([(FAIL, scored(1.0)), (REF, fault(Outcome.TIMEOUT))], budget_ms=1000)
    assert (result.passed, result.reason) == (False, "timeout")


def test_failure_case_that_hangs_its_call_does_not_fail_the_budget():
    assert checks.check_budget([(REF, scored(1.0)), (FAIL, fault(Outcome.TIMEOUT))], budget_ms=1000).passed


def test_slow_call_over_budget_fails_the_budget():
    assert checks.check_budget([(REF, scored(1.0, ms=1500))], budget_ms=1000).reason == "timeout"


def test_schema_rejects_reference_listed_as_failure_case():
    result = checks.check_schema(spec(failure_cases=["41", "42"]), 10_000, 10_000)
    assert (result.passed, result.reason) == (False, "schema")


def test_schema_rejects_oversized_verifier():
    assert checks.check_schema(spec(), max_source_chars=10, max_response_chars=10_000).reason == "schema"


def test_skipped_check_has_passed_none():
    assert checks.skipped("determinism", "why").passed is None


def test_probes_are_reference_failures_then_trivial():
    labels = [p.label for p in build_probes(spec(failure_cases=["1", "2"]), junk_chars=500)]  # (prose: no copy)
    assert labels == ["reference", "failure_cases[0]", "failure_cases[1]", "trivial:empty", "trivial:whitespace",
                      "trivial:prompt_echo", "trivial:junk", "trivial:random_number", "trivial:random_letters",
                      "trivial:random_number[1]", "trivial:random_number[2]"]


def test_junk_response_has_the_requested_length_and_many_numbers():
    junk = junk_response(5000)
    assert len(junk) == 5000 and " 42 " in junk


def test_first_run_calls_every_probe_twice_reference_first_and_last():
    assert run_order(4, run=0, repeats=2) == [0, 1, 2, 3, 2, 3, 1, 0]


@pytest.mark.parametrize("repeats", [2, 3, 5])
def test_first_run_never_scores_the_same_probe_twice_in_a_row(repeats):
    order = run_order(9, run=0, repeats=repeats, leads=[7, 8])
    assert all(a != b for a, b in zip(order, order[1:]))
    assert all(order.count(i) == repeats for i in range(9))


def test_later_runs_use_distinct_orders():
    assert len({tuple(run_order(5, run=r, repeats=1)) for r in range(1, 5)}) == 4


TWINS = [Probe(kind=ProbeKind.FAILURE_CASE, label=f"failure_cases[0]:renamed[{i}]", response=f"def f(v{i}): pass")
         for i in range(6)]


def test_a_failure_case_paid_like_its_twins_is_named_first_without_the_text_note():
    # Red-team round 28: six paying twins filled the listed slots and the note blamed the text, while the failure
    # case itself was paid too (plain partial credit).
    pairs = [(p, scored(0.6)) for p in TWINS] + [(FAIL, scored(0.6)), (REF, scored(1.0))]
    result = checks.check_failure_cases(pairs, pairs, 0.5)
    assert result.reason == "failure_case_passes"
    assert result.detail.startswith("must score <= 0.5: failure_cases[0] scored 0.6")
    assert "by their text" not in result.detail


def test_only_twins_paid_carries_the_note_that_the_verifier_judges_by_text():
    pairs = [(p, scored(0.6)) for p in TWINS] + [(FAIL, scored(0.0)), (REF, scored(1.0))]
    assert "by their text" in checks.check_failure_cases(pairs, pairs, 0.5).detail
