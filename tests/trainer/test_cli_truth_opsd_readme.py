"""The README's tiny OPSD command runs on the quickstart bank and prints exactly the output the README shows."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _readme_expected_output() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    found = re.search(r"Expected output with the tiny smoke config on the quickstart bank.*?```\n(.*?)```", readme,
                      re.DOTALL)
    assert found, "the README shows no expected output for the tiny OPSD command"
    return found.group(1)


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=900)


def test_the_tiny_config_distils_on_the_quickstart_bank_and_prints_what_the_readme_shows(tiny_model_dir, tmp_path):
    made = _run(["synth.generate", "--failures", "examples/failures.jsonl", "--backend", "replay", "--drafts",
                 "examples/drafts.jsonl", "--bank", str(tmp_path / "task_bank.db")], ROOT)
    assert made.returncode == 0, made.stderr
    done = _run(["trainer.opsd", "--policy", str(tiny_model_dir), "--bank", "task_bank.db", "--output", "runs/opsd",
                 "--config", str(ROOT / "trainer" / "configs" / "opsd-tiny.toml")], tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == _readme_expected_output()
