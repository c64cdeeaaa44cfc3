"""``synth.generate`` drafts a held-out replay task for every failure it draws from, through the one drafting loop."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from synth.generate import main as generate
from task_bank.records import TaskSplit, TaskStatus
from task_bank.store import Bank
from task_bank.validation import Reason

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
FAILURE = {"id": "f_half", "conversation": [{"role": "user", "content": "What is 6 times 7? Answer with a number."}],
           "response": "6 x 7 = 43", "signal": {"kind": "correction", "detail": "it is 42"}, "expected": "42",
           "tags": ["arith"]}


def _draft(verifier: str) -> str:
    return json.dumps({"prompt": "What is 6 times 7?", "verifier": verifier, "reference": "42",
                       "failure_cases": ["41"], "skill": "multiplication"})


@pytest.fixture(scope="module")
def quickstart(tmp_path_factory) -> Path:
    bank = tmp_path_factory.mktemp("quickstart") / "bank.db"
    code = generate(["--failures", str(ROOT / "examples/failures.jsonl"), "--backend", "replay",
                     "--drafts", str(ROOT / "examples/drafts.jsonl"), "--bank", str(bank), "--json"])
    assert code == 0
    return bank


def test_after_the_quickstart_every_weakness_group_has_heldout_replay_tasks(quickstart):
    with Bank.open(quickstart) as bank:
        groups = {g for r in bank.training_tasks() for g in [r.provenance.failure_group] if g}
        replayed = Counter(r.provenance.failure_group for r in bank.heldout_tasks())
    assert groups and groups <= set(replayed)
    assert all(n >= 1 for n in replayed.values())


def test_each_replay_task_replays_its_failures_conversation_and_links_to_it(quickstart):
    failures = {json.loads(line)["id"]: json.loads(line) for line in (ROOT / "examples/failures.jsonl").open()}
    with Bank.open(quickstart) as bank:
        replays = list(bank.heldout_tasks())
        stored = {r.provenance.source_failure_ids[0]: r for r in replays}
        assert len(stored) == len(replays) == len(failures)  # one per failure
        record = stored["f_units_01"]
        failure = bank.get_failure("f_units_01")
    assert record.spec.prompt == failure.conversation
    assert failure.response in record.spec.failure_cases
    assert record.provenance.prompt_template == "replay.j2" and record.split is TaskSplit.HELDOUT


def test_stats_count_the_quickstarts_tasks_by_split(quickstart):
    with Bank.open(quickstart) as bank:
        summary = bank.summary()
    assert summary["by_split"]["heldout"] == 32 and summary["by_split"]["train"] >= 6


def _run_one(tmp_path: Path, verifier: str, *extra: str) -> Path:
    failures, drafts, bank = tmp_path / "f.jsonl", tmp_path / "d.jsonl", tmp_path / "bank.db"
    failures.write_text(json.dumps(FAILURE) + "\n")
    from synth.grouping import group_failures
    from synth.loaders import load_failures
    [group] = group_failures(list(load_failures(failures).records), threshold=0.5, use_tags=True)
    drafts.write_text(json.dumps({"key": f"{group.id}/replay-f_half/r0", "text": _draft(verifier)}) + "\n")
    assert generate(["--failures", str(failures), "--backend", "replay", "--drafts", str(drafts), "--bank", str(bank),
                     "--repair-rounds", "0", "--json", *extra]) == 0
    return bank


def test_a_replay_verifier_that_half_accepts_the_deployed_answer_is_rejected(tmp_path):
    half = ("def verify(response: str) -> float:\n    text = response.strip()\n"
            "    return 1.0 if text == '42' else (0.5 if '6 x 7' in text else 0.0)\n")
    with Bank.open(_run_one(tmp_path, half)) as bank:
        [record] = bank.list(split=TaskSplit.HELDOUT)
    assert record.status is TaskStatus.REJECTED
    assert record.reasons == (Reason.DEPLOYED_RESPONSE_PASSES,)


def test_no_replay_drafts_no_heldout_task(tmp_path):
    exact = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n"
    with Bank.open(_run_one(tmp_path, exact, "--no-replay")) as bank:
        assert bank.count(split=TaskSplit.HELDOUT) == 0
