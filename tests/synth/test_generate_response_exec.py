"""``synth.generate --allow-response-exec``: a drafted verifier that runs the response in its own process is admitted
only with the flag, and the admitted task is marked so that the mark travels with it. Real sandbox (bwrap)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from synth.backends.replay import ReplayBackend, load_recordings
from synth.loaders import load_failures
from synth.pipeline import run_pipeline
from task_bank.provenance import SamplingSettings
from task_bank.records import TaskStatus
from task_bank.response_exec import RESPONSE_EXEC_KEY, executes_response
from task_bank.store import Bank
from verifier import ValidationConfig, Validator
from verifier.routing import open_scoring_pool

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
KEY = "g_cc2c7dd8de66/d1/r1"  # the off-by-one repair draft of the shipped replay example
OLD_STYLE = ("def verify(response: str) -> float:\n    namespace = {}\n    try:\n        exec(response, namespace)\n"
             "        cases = [([1, 2, 3, 4, 5], 2, [4, 5]), ([1, 2, 3], 3, [1, 2, 3]), ([1, 2], 0, []), ([], 0, [])]\n"
             "        return 1.0 if all(namespace['last_n'](list(xs), n) == want for xs, n, want in cases) else 0.0\n"
             "    except Exception:\n        return 0.0\n")


def old_style_drafts(path: Path) -> Path:
    """The shipped drafts, with the off-by-one repair written the old way (exec of the response)."""
    lines = []
    for line in (ROOT / "examples" / "drafts.jsonl").read_text(encoding="utf-8").splitlines():
        draft = json.loads(line)
        if draft["key"] == KEY:
            start, end = draft["text"].index("```json\n") + 8, draft["text"].rindex("\n```")
            task = json.loads(draft["text"][start:end])
            task["verifier"] = OLD_STYLE
            draft["text"] = draft["text"][:start] + json.dumps(task) + draft["text"][end:]
        lines.append(json.dumps(draft))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_generate_documents_the_flag():
    done = subprocess.run([sys.executable, "-m", "synth.generate", "--help"], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert "--allow-response-exec" in done.stdout


def test_an_old_style_draft_is_admitted_only_with_the_flag_and_is_marked(tmp_path):
    drafts = old_style_drafts(tmp_path / "drafts.jsonl")
    failures = load_failures(ROOT / "examples" / "failures.jsonl").records
    found = {}
    with open_scoring_pool("bwrap", workers=2) as pool:
        for allowed in (False, True):
            backend = ReplayBackend(load_recordings(drafts), model="replay", sampling=SamplingSettings())
            with Bank.open(tmp_path / f"bank-{allowed}.db") as bank, \
                    Validator(pool, ValidationConfig(allow_response_exec=allowed)) as validator:
                run_pipeline(failures, bank=bank, backend=backend, validator=validator, run_id=f"run-{allowed}")
                found[allowed] = [r for r in bank.iter_tasks() if r.spec.verifier == OLD_STYLE]
    (refused,) = found[False]
    assert refused.status is TaskStatus.REJECTED and "executes_response" in refused.reasons
    (admitted,) = found[True]
    assert admitted.status is TaskStatus.ADMITTED and admitted.spec.metadata[RESPONSE_EXEC_KEY] is True
    assert executes_response(admitted.spec.verifier)
