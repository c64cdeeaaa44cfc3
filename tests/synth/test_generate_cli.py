"""``python -m synth.generate``: the README command runs offline; bad input ends in one line, not a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ["--failures", "examples/failures.jsonl", "--backend", "replay", "--drafts", "examples/drafts.jsonl",
           "--no-replay"]  # practice tasks only: tests/replay covers held-out replay tasks


def _run(args: list[str], tmp_path: Path, env_bank: bool = True) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "COLUMNS": "100"}
    if env_bank:
        env["ENVSYNTH_BANK"] = str(tmp_path / "bank.db")
    return subprocess.run([sys.executable, "-m", "synth.generate", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, env=env)


@pytest.mark.slow
def test_readme_command_prints_the_final_table_and_resumes(tmp_path: Path) -> None:
    done = _run(EXAMPLE, tmp_path)
    assert done.returncode == 0, done.stderr
    for row in ("failures read", "groups", "admitted", "rejected: unsolvable", "duplicates", "time: validate"):
        assert row in done.stdout
    assert "Traceback" not in done.stderr
    again = _run([*EXAMPLE, "--json"], tmp_path)
    summary = json.loads(again.stdout)
    assert (summary["admitted"], summary["failures_skipped"], summary["drafts"]) == (0, 32, 0)


@pytest.mark.slow
def test_json_summary_has_counts_and_stage_times(tmp_path: Path) -> None:
    done = _run([*EXAMPLE, "--json", "--bank", str(tmp_path / "other.db")], tmp_path, env_bank=False)
    summary = json.loads(done.stdout)
    assert (summary["admitted"], summary["rejected"], summary["duplicates"]) == (10, 6, 1)
    assert set(summary["stage_seconds"]) >= {"load", "redact", "group", "draft", "parse", "validate", "admit"}
    assert (tmp_path / "other.db").exists()


def test_dry_run_prints_prompts_without_a_bank(tmp_path: Path) -> None:
    done = _run([*EXAMPLE, "--dry-run"], tmp_path)
    assert done.returncode == 0, done.stderr
    assert "g_011d358681cf/d0/r0" in done.stdout and "draft.j2" in done.stdout
    assert "32 failures, 6 groups, 12 draft prompts" in done.stdout
    assert "[REDACTED_API_KEY]" in done.stdout and "sk-proj-" not in done.stdout
    assert not (tmp_path / "bank.db").exists()


def test_dry_run_with_json_prints_one_json_document_of_the_prompts(tmp_path: Path) -> None:
    """The rendered prompts once went to stdout as text under ``--json`` too (red-team round 30)."""
    done = _run([*EXAMPLE, "--dry-run", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    shown = json.loads(done.stdout)
    assert (shown["failures"], shown["groups"], len(shown["prompts"])) == (32, 6, 12)
    assert shown["prompts"][0]["template"] == "draft.j2" and shown["prompts"][0]["messages"][0]["role"] == "system"
    assert "sk-proj-" not in done.stdout and not (tmp_path / "bank.db").exists()


@pytest.mark.parametrize(("args", "code", "message"), [
    (["--failures", "missing.jsonl", "--backend", "replay", "--drafts", "examples/drafts.jsonl"], 2,
     "missing.jsonl: file not found"),
    (["--failures", "examples/failures.jsonl", "--backend", "vlm"], 2, "did you mean 'vllm'"),
    (["--failures", "examples/failures.jsonl", "--backend", "replay"], 2, "pass --drafts FILE"),
    (["--failures", "examples/failures.jsonl", "--backend", "openai", "--model", "m", "--base-url",
      "http://127.0.0.1:9/v1", "--retries", "0"], 3, "cannot reach http://127.0.0.1:9/v1"),
    (["--failures", "examples/failures.jsonl", "--backend", "replay", "--drafts", "examples/drafts.jsonl",
      "--band-low", "0.9", "--band-high", "0.1", "--policy", "p"], 2, "--band-low (0.9) is above --band-high"),
    (["--failures", "examples/failures.jsonl", "--backend", "replay", "--drafts", "examples/drafts.jsonl",
      "--band-low", "2", "--band-high", "0.1"], 2, "--band-low, --band-high only apply with --policy"),
    (["--failures", "examples/failures.jsonl", "--backend", "replay", "--drafts", "examples/drafts.jsonl",
      "--band-low", "2", "--policy", "p"], 2, "--band-low: Input should be less than or equal to 1"),
])
def test_bad_input_ends_in_one_line_and_a_nonzero_code(tmp_path: Path, args: list[str], code: int,
                                                       message: str) -> None:
    done = _run(args, tmp_path)
    assert done.returncode == code
    lines = done.stderr.strip().splitlines()
    assert lines[-1].startswith("error: ") and message in lines[-1]
    assert "Traceback" not in done.stderr
    # bad input leaves no new empty bank (QA round 30); a backend that failed is a run recorded as failed
    assert (tmp_path / "bank.db").exists() is (code != 2)


def test_bad_failures_line_is_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"messages": [{"role": "user", "content": "hi"}], "rating": "down"}\n')
    done = _run(["--failures", str(bad), "--backend", "replay", "--drafts", "examples/drafts.jsonl"], tmp_path)
    assert done.returncode == 2
    assert f"{bad}:1: the final turn must be the assistant's response (field 'messages')" in done.stderr
