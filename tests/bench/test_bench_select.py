"""``bench/bench_select.py``: how the validation split chooses among candidate learning rates."""

from __future__ import annotations

import pytest


@pytest.fixture
def select(load_bench):
    return load_bench("bench_select")


def _run(lr: float, rate: float, first: float | None = 56.0, last: float | None = 50.0) -> dict:
    return {"learning_rate": lr, "steps": 10, "train_wall_s": 1.0, "first_length": first, "last_length": last,
            "validation": {"pass_rate": rate, "passed": round(rate * 90), "requests": 90}}


BASE = {"pass_rate": 0.4, "passed": 36, "requests": 90}


def test_the_candidate_with_the_best_validation_pass_rate_is_chosen(select):
    assert select.choose(BASE, [_run(1e-5, 0.42), _run(5e-5, 0.5)])["learning_rate"] == 5e-5


def test_a_candidate_whose_completions_shrank_below_half_is_not_eligible(select):
    assert select.choose(BASE, [_run(1e-5, 0.42), _run(1e-4, 0.9, first=56.0, last=20.0)])["learning_rate"] == 1e-5


def test_a_tie_goes_to_the_smaller_learning_rate(select):
    assert select.choose(BASE, [_run(3e-5, 0.5), _run(1e-5, 0.5)])["learning_rate"] == 1e-5


def test_no_eligible_candidate_chooses_nothing(select):
    assert select.choose(BASE, [_run(1e-4, 0.9, first=60.0, last=10.0)]) is None


def test_the_markdown_marks_the_chosen_candidate_and_shows_the_base_model(select):
    runs = [_run(1e-5, 0.42), _run(5e-5, 0.5)]
    text = select.markdown({"base": BASE, "candidates": runs, "chosen": 5e-5, "command": "x", "wall_s": 1.0,
                            "cpus": 2, "lanes": 2, "max_new_tokens": 64, "verdict": "Chosen: 5e-05."})
    assert "| base model | - | 36/90 | 0.400 |" in text and "| lr 5e-05 **chosen** |" in text
    assert "| lr 1e-05 |" in text


def test_a_candidate_trained_and_validated_by_an_earlier_run_is_reused_without_training(tmp_path, select):
    import argparse
    import json

    output = tmp_path / "run-lr1e-05"
    (output / "checkpoint-10").mkdir(parents=True)
    (output / "config.json").write_text("{}")
    history = [{"reward": 0.1, "completions/mean_length": 56.0}, {"reward": 0.4, "completions/mean_length": 40.0}]
    (output / "checkpoint-10" / "trainer_state.json").write_text(json.dumps({"global_step": 10,
                                                                             "log_history": history}))
    (tmp_path / "val-lr1e-05").mkdir()
    (tmp_path / "val-lr1e-05" / "validation_summary.json").write_text(json.dumps({"pass_rate": 0.5}))
    args = argparse.Namespace(model="never-loaded", steps=10, config=None, sandbox="bwrap", max_new_tokens=64)
    result = select.candidate(1e-5, tmp_path / "no-bank.db", tmp_path, args)
    assert result["reused"] and result["steps"] == 10 and result["last_reward"] == 0.4
    assert (result["first_length"], result["last_length"]) == (56.0, 40.0)
    assert result["validation"] == {"pass_rate": 0.5}
