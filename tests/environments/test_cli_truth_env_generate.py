"""The README's environment example tells the truth: an admitted environment settles its failure's group, so its
practice and replay slots ending ``no_output`` defer nothing and a second run skips the failures as processed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


def _generate(bank: Path) -> dict:
    cmd = [sys.executable, "-m", "synth.generate", "--failures", "examples/environments/failures.jsonl", "--backend",
           "replay", "--drafts", "examples/environments/drafts.jsonl", "--bank", str(bank), "--json"]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_failures_whose_environment_was_admitted_are_processed_though_their_other_slots_got_no_output(tmp_path):
    first = _generate(tmp_path / "env.db")
    second = _generate(tmp_path / "env.db")
    assert first["rejected_by_reason"] == {"no_output": first["rejected"]} and first["rejected"] > 0
    assert (first["failures_read"], first["failures_deferred"]) == (3, 0)
    assert (second["failures_skipped"], second["failures_deferred"], second["admitted"]) == (3, 0, 0)


def test_the_readme_says_the_example_defers_no_failure():
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("## Environments: seeded simulators with tools")[1]
    section = section.split("\n## ")[0]
    assert '"failures_deferred": 0' in section and "stay unprocessed for a real generator" not in section
