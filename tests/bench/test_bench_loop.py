"""``bench/bench_loop.py``: the whole loop (bank, replay before, GRPO, OPSD, replay after) on a tiny model.

The bank is the quickstart's (``examples/failures.jsonl`` and its recorded drafts, standard-library verifiers), the
trainers use their tiny configs, and every step goes through the real entry points in this process.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bench(load_bench):
    return load_bench("bench_loop")


@pytest.fixture(scope="module")
def loop_run(tmp_path_factory, tiny_model_dir, bench) -> Path:
    """One bench run on the tiny model; returns the output path without suffix."""
    tmp = tmp_path_factory.mktemp("loop")
    retention = tmp / "retention.jsonl"
    rows = [{"prompt": f"Say {word}.", "reference": word, "failure_cases": ["no"],
             "verifier": f"def verify(response: str) -> float:\n    return float(response.strip() == {word!r})\n",
             "metadata": {"checker": "general"}} for word in ("yes", "maybe")]
    retention.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp / "loop"
    code = bench.main([
        "--model", str(tiny_model_dir), "--steps", "1", "--k", "1", "--max-new-tokens", "4", "--out", str(out),
        "--failures", str(ROOT / "examples" / "failures.jsonl"), "--drafts", str(ROOT / "examples" / "drafts.jsonl"),
        "--group-threshold", "0.5", "--retention", str(retention),
        "--grpo-config", str(ROOT / "trainer" / "configs" / "tiny.toml"),
        "--opsd-config", str(ROOT / "trainer" / "configs" / "opsd-tiny.toml"),
        "--opsd-set", "sdft.max_prompt_length=2048", "--in-process"])  # the tiny tokenizer spells words in bytes
    assert code == 0
    return out


@pytest.mark.slow
def test_loop_json_holds_the_contract_keys_with_replay_objects_before_and_after_each_trainer(loop_run, tiny_model_dir):
    result = json.loads(loop_run.with_suffix(".json").read_text())
    assert result["model"] == str(tiny_model_dir) and result["device"] == "cpu" and result["steps"] == 1
    assert result["wall_s"] > 0 and set(result["runs"]) == {"grpo", "opsd"}
    for name, run in result["runs"].items():
        assert run["wall_s"] > 0 and run["steps"] == 1
        assert run["before"]["policy"] == str(tiny_model_dir)
        assert run["after"]["policy"] != str(tiny_model_dir)  # the trained model, saved by the trainer
        for report in (run["before"], run["after"]):
            assert {"policy", "k", "total", "fixed", "pass_at_1", "interval", "by_group", "retention"} <= set(report)
            assert report["total"] == result["bank"]["by_split"]["heldout"] > 0
            assert report["retention"]["total"] == 2


@pytest.mark.slow
def test_both_trainers_start_from_the_same_bank_and_base_measurement(loop_run):
    result = json.loads(loop_run.with_suffix(".json").read_text())
    assert result["runs"]["grpo"]["before"] == result["runs"]["opsd"]["before"]
    assert result["bank"]["by_split"]["train"] > 0


@pytest.mark.slow
def test_the_bench_writes_a_plot_and_a_markdown_table_per_weakness_group(loop_run):
    result = json.loads(loop_run.with_suffix(".json").read_text())
    assert loop_run.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    table = loop_run.with_suffix(".md").read_text()
    for group in result["runs"]["grpo"]["before"]["by_group"]:
        assert f"| {group} |" in table
    assert "after GRPO" in table and "after OPSD" in table


def test_a_short_run_keeps_every_practice_draft_and_at_most_n_replay_drafts_per_group(tmp_path, bench):
    drafts = tmp_path / "drafts.jsonl"
    keys = ["g_a/d0/r0", "g_a/replay-f1/r0", "g_a/replay-f2/r0", "g_b/d0/r0", "g_b/replay-f3/r0"]
    drafts.write_text("".join(json.dumps({"key": key, "text": "{}"}) + "\n" for key in keys))
    kept = bench.subset_drafts(drafts, 1, tmp_path / "subset.jsonl")
    assert [json.loads(line)["key"] for line in kept.read_text().splitlines()] == [
        "g_a/d0/r0", "g_a/replay-f1/r0", "g_b/d0/r0", "g_b/replay-f3/r0"]


@pytest.mark.slow
def test_a_failed_step_writes_nothing_and_exits_non_zero(tmp_path, tiny_model_dir, bench):
    from task_bank.store import Bank

    with Bank.open(tmp_path / "empty.db"):
        pass  # a bank without held-out replay tasks: synth.replay refuses it
    out = tmp_path / "loop"
    code = bench.main(["--model", str(tiny_model_dir), "--bank", str(tmp_path / "empty.db"),
                       "--out", str(out), "--no-retention", "--in-process"])
    assert code == 1
    assert not list(tmp_path.glob("loop.*"))


def test_a_bank_without_replay_tasks_stops_the_bench_before_any_model_loads_and_names_the_rejections(tmp_path, bench):
    from task_bank.store import Bank

    calls = []

    def fake_generate(module, argv):
        calls.append(module)
        with Bank.open(Path(argv[argv.index("--bank") + 1])):
            pass  # every draft rejected: an empty bank
        return json.dumps({"admitted": 0, "heldout_admitted": 0, "rejected_by_reason": {"timeout": 3}})

    args = bench.build_parser().parse_args(["--model", "never-loaded", "--work", str(tmp_path / "work")])
    args.argv = []
    with pytest.raises(bench.StepFailed, match="timeout"):
        bench.bench(args, fake_generate)
    assert calls == ["synth.generate"]
