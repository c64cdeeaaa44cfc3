"""``python -m synth.replay``: a tiny model sampled on held-out replay tasks, reported per group with intervals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from synth.replay import main
from task_bank.evaluations import EvalSuite
from task_bank.provenance import Provenance
from task_bank.records import TaskSplit
from task_bank.spec import Message, TaskSpec
from task_bank.store import Bank

GROUPS = {"units": ("f_units_01", "f_units_02"), "dates": ("f_dates_01",)}


def _replay_task(failure_id: str, group: str, n: int) -> TaskSpec:
    answer = f"{n * 11} kg" if group == "units" else f"2024-03-0{n}"
    return TaskSpec(
        prompt=(Message(role="user", content=f"Question {n} of the {group} failures: what is the answer?"),),
        verifier=f"def verify(response: str) -> float:\n    return 1.0 if response.strip() == {answer!r} else 0.0\n",
        reference=answer, failure_cases=("the deployed model's wrong answer",),
        metadata={"skill": group, "kind": "replay"})


@pytest.fixture()
def replay_bank(tmp_path: Path) -> Path:
    path = tmp_path / "bank.db"
    with Bank.open(path) as bank:
        n = 1
        for group, failures in GROUPS.items():
            for failure_id in failures:
                bank.admit(_replay_task(failure_id, group, n), split=TaskSplit.HELDOUT,
                           provenance=Provenance(source_failure_ids=(failure_id,), failure_group=f"g_{group}"))
                n += 1
    return path


@pytest.fixture()
def small_retention(tmp_path: Path) -> Path:
    """Two general tasks with standard-library verifiers (the shipped suite needs if-verifiable in the sandbox)."""
    path = tmp_path / "retention.jsonl"
    rows = [{"prompt": f"Say {word}.", "reference": word, "failure_cases": ["no"],
             "verifier": f"def verify(response: str) -> float:\n    return float(response.strip() == {word!r})\n",
             "metadata": {"checker": "general"}} for word in ("yes", "maybe")]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.slow
def test_replay_json_reports_fixed_failures_per_group_with_wilson_intervals(tiny_model_dir, replay_bank,
                                                                           small_retention, capsys):
    code, out, err = _run(capsys, "--policy", str(tiny_model_dir), "--bank", str(replay_bank), "--k", "2",
                          "--max-new-tokens", "4", "--retention", str(small_retention), "--json")
    assert code == 0, err
    report = json.loads(out)
    assert report["policy"] == str(tiny_model_dir) and report["k"] == 2
    assert report["total"] == 3 and 0 <= report["fixed"] <= 3
    low, high = report["interval"]
    assert 0.0 <= low <= report["fixed"] / 3 <= high <= 1.0
    assert set(report["by_group"]) == {"units", "dates"}
    assert {name: g["total"] for name, g in report["by_group"].items()} == {"units": 2, "dates": 1}
    for group in report["by_group"].values():
        assert set(group) >= {"total", "fixed", "pass_at_1", "interval"}
    assert report["retention"]["total"] == 2 and 0.0 <= report["retention"]["pass_rate"] <= 1.0
    assert 0.0 <= report["pass_at_1"] <= 1.0


@pytest.mark.slow
def test_replay_records_the_evaluation_and_each_failures_result_in_the_bank(tiny_model_dir, replay_bank,
                                                                           small_retention, capsys):
    code, out, err = _run(capsys, "--policy", str(tiny_model_dir), "--bank", str(replay_bank), "-k", "1",
                          "--max-new-tokens", "2", "--retention", str(small_retention), "--json")
    assert code == 0, err
    with Bank.open(replay_bank) as bank:
        [summary] = bank.replay_evals()
        results = bank.replay_results(summary.id)
        rates = bank.failure_replay_rates("f_units_01")
    assert summary.id == json.loads(out)["id"]
    assert sorted(r.suite.value for r in results) == ["replay"] * 3 + ["retention"] * 2
    assert [r.failure_id for r in results if r.suite is EvalSuite.REPLAY] == ["f_units_01", "f_units_02",
                                                                               "f_dates_01"]
    assert [(r.policy, r.attempts) for r in rates] == [(str(tiny_model_dir), 1)]


@pytest.mark.slow
def test_against_compares_two_policies_on_the_same_plan_with_mcnemar(tiny_model_dir, replay_bank,
                                                                    small_retention, capsys):
    code, out, err = _run(capsys, "--policy", str(tiny_model_dir), "--against", str(tiny_model_dir),
                          "--bank", str(replay_bank), "-k", "1", "--max-new-tokens", "3", "--temperature", "0",
                          "--retention", str(small_retention), "--json")
    assert code == 0, err
    against = json.loads(out)["against"]
    # the same model, greedy, on the same plan: every task agrees, so nothing is discordant
    assert against["test"]["method"] == "mcnemar_exact"
    assert (against["test"]["only_this"], against["test"]["only_other"]) == (0, 0)
    assert against["test"]["significant"] is False


def test_k_below_one_is_a_one_line_input_error(replay_bank, capsys):
    code, out, err = _run(capsys, "--policy", "whatever", "--bank", str(replay_bank), "--k", "0")
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "--k" in err and "at least 1" in err


def test_a_bank_without_replay_tasks_says_how_to_make_them(tmp_path, small_retention, capsys):
    path = tmp_path / "empty.db"
    Bank.open(path).close()
    code, out, err = _run(capsys, "--policy", "whatever", "--bank", str(path), "--retention", str(small_retention),
                          "--sandbox", "unsafe-local")
    assert code == 5 and out == ""
    assert err.count("\n") == 1 and "no held-out replay tasks" in err and "synth.generate" in err


def test_a_policy_that_cannot_be_loaded_is_a_one_line_backend_error(tmp_path, replay_bank, small_retention,
                                                                    capsys):
    code, out, err = _run(capsys, "--policy", str(tmp_path / "no-such-model"), "--bank", str(replay_bank),
                          "--retention", str(small_retention), "--sandbox", "unsafe-local")
    assert code == 3 and out == ""
    assert err.count("\n") == 1 and "no-such-model" in err


def test_a_missing_bank_is_refused_without_creating_one(tmp_path, capsys):
    code, _, err = _run(capsys, "--policy", "whatever", "--bank", str(tmp_path / "nope.db"))
    assert code == 2 and "--bank" in err
    assert not (tmp_path / "nope.db").exists()
