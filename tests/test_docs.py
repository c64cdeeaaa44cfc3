"""The README is tested: every command is documented, the quickstart is what CI runs, and its output is real."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENTRY_POINTS = {
    "task_bank": "task_bank.cli",
    "verifier": "verifier.cli",
    "synth.generate": "synth.generate",
    "synth.probe": "synth.probe",
    "synth.replay": "synth.replay",
    "synth.grow": "synth.grow.cli",
    "trainer.grpo": "trainer.grpo",
    "trainer.opsd": "trainer.opsd",
    "trainer.tiny_model": "trainer.tiny_model",
}


def _subcommands(parser: argparse.ArgumentParser) -> list[str]:
    return [name for action in parser._actions if isinstance(action, argparse._SubParsersAction)
            for name in action.choices]


def _documented(command: str) -> bool:
    return re.search(rf"python3? -m {re.escape(command)}(\s|$|`)", README, re.MULTILINE) is not None


@pytest.mark.parametrize("module", sorted(ENTRY_POINTS))
def test_every_entry_point_is_documented(module):
    assert _documented(module), f"README does not show `python -m {module}`"


@pytest.mark.parametrize("module", sorted(ENTRY_POINTS))
def test_every_subcommand_is_documented(module):
    parser = importlib.import_module(ENTRY_POINTS[module]).build_parser()
    missing = [sub for sub in _subcommands(parser) if not _documented(f"{module} {sub}")]
    assert missing == [], f"README does not show these `python -m {module}` subcommands: {missing}"


def _code_blocks() -> list[str]:
    return re.findall(r"```(?:bash)?\n(.*?)```", README, re.DOTALL)


def test_readme_opens_with_setup_plus_main_job_then_the_test_command():
    first, second = _code_blocks()[:2]
    assert "scripts/setup.sh" in first and "synth.generate" in first
    assert second.strip() == "bash scripts/test.sh"


def test_ci_runs_the_readme_setup_and_test_commands():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/setup.sh" in ci and "scripts/test.sh" in ci


def test_setup_installs_pinned_torch_before_the_project():
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert setup.index("torch==2.13.0") < setup.index("-e '.[")


def test_setup_installs_into_a_virtual_environment_never_the_system_python():
    setup = (ROOT / "scripts" / "setup.sh").read_text(encoding="utf-8")
    assert "python3 -m venv .venv" in setup
    assert "python3 -m pip" not in setup and re.search(r"^\$PY -m pip install", setup, re.MULTILINE)


def test_readme_commands_run_in_the_set_up_environment():
    first = _code_blocks()[0]
    test_script = (ROOT / "scripts" / "test.sh").read_text(encoding="utf-8")
    assert ".venv/bin/python -m synth.generate" in first
    assert "PY=.venv/bin/python" in test_script and '"$PY" -m pytest' in test_script


def _readme_table_value(metric: str) -> int:
    match = re.search(rf"│ {re.escape(metric)}\s+│\s+(\d+)", README)
    assert match, f"README quickstart table has no row '{metric}'"
    return int(match.group(1))


@pytest.mark.slow
def test_quickstart_output_in_readme_matches_a_real_run(tmp_path):
    env = {**os.environ, "ENVSYNTH_BANK": str(tmp_path / "bank.db")}
    cmd = [sys.executable, "-m", "synth.generate", "--failures", str(ROOT / "examples/failures.jsonl"),
           "--backend", "replay", "--drafts", str(ROOT / "examples/drafts.jsonl"), "--json"]
    done = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout)
    assert summary["admitted"] == _readme_table_value("admitted")
    assert summary["rejected"] == _readme_table_value("rejected")
    assert summary["groups"] == _readme_table_value("groups")
    assert summary["failures_read"] == _readme_table_value("failures read")
