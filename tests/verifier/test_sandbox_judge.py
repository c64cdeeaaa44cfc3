"""The trusted side survives any bytes (issue 16, finding 4), through the real default backend (bwrap).

A verifier's process can write anything to its result channel (it can even find its nonce in its own memory):
frames nested 60,000 deep, a score of 4,000 digits, lone surrogates and invalid UTF-8 in what it raises or prints.
None of it may crash the judge (the zygote), the host's reply reader, or the command-line tools; each is a result.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from task_bank.validation import Outcome
from verifier import Limits, open_pool

pytestmark = pytest.mark.sandbox  # needs bubblewrap and root

LIMITS = Limits(wall_s=3.0, cpu_s=3.0, max_processes=32, memory_mb=256)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def pool():
    with open_pool("bwrap", workers=1, limits=LIMITS) as opened:
        yield opened


def no_worker_lost(caplog) -> bool:
    return not [r for r in caplog.records if "worker failed" in r.getMessage()]


def test_sixty_thousand_nested_brackets_do_not_crash_the_judge(pool, caplog):
    source = "import os\ndef verify(response):\n    os.write(3, b'\\n' + b'[' * 60000 + b'\\n')\n    return 0.5\n"
    with caplog.at_level("WARNING", logger="verifier.pool"):
        assert [r.score for r in pool.score(source, ["a", "b"])] == [0.5, 0.5]
    assert no_worker_lost(caplog)


FORGE_HUGE = '''import sys
def verify(response):
    frame = sys._getframe(1)
    frame.f_locals["send"](k="val", i=frame.f_locals["index"], t="float", v=10 ** 4000)
    return 0.5
'''


def test_four_thousand_digit_integer_score_is_invalid(pool, caplog):
    with caplog.at_level("WARNING", logger="verifier.pool"):
        results = pool.score(FORGE_HUGE, ["a", "b"])
    assert [r.outcome for r in results] == [Outcome.INVALID, Outcome.INVALID]
    assert no_worker_lost(caplog)


def test_lone_surrogate_in_exception_is_escaped_in_the_result(pool):
    result = pool.score("def verify(response):\n    raise RuntimeError('\\ud800 and \\udfff')\n", ["a"])[0]
    assert result.outcome is Outcome.CRASHED
    assert result.detail.encode("utf-8").decode("utf-8") == result.detail
    assert "\\ud800" in result.detail


def test_invalid_utf8_output_is_replaced_in_the_result(pool):
    source = "import os\ndef verify(response):\n    os.write(1, b'\\xff\\xfe\\xed' * 10)\n    os._exit(3)\n"
    result = pool.score(source, ["a"])[0]
    assert result.outcome is Outcome.CRASHED
    result.detail.encode("utf-8")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


SURROGATE_TASK = {"id": "surrogate", "prompt": "Say 42.", "reference": "42", "failure_cases": ["41"],
                  "verifier": "def verify(response):\n    if response != '42':\n"
                              "        raise RuntimeError('\\ud800')\n    return 1.0\n"}


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "verifier", *args, "--json", "--workers", "1"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_lone_surrogate_in_exception_does_not_crash_cli_score(tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [SURROGATE_TASK])
    responses = write_jsonl(tmp_path / "responses.jsonl", [{"id": "surrogate", "response": r}
                                                           for r in ("41", "42", "x")])
    done = run_cli("score", str(tasks), "--responses", str(responses))
    assert done.returncode == 0, done.stderr[-2000:]
    outcomes = [json.loads(line)["outcome"] for line in done.stdout.splitlines()]
    assert outcomes == ["crashed", "scored", "crashed"]


def test_lone_surrogate_in_exception_does_not_crash_cli_validate(tmp_path):
    tasks = write_jsonl(tmp_path / "tasks.jsonl", [SURROGATE_TASK, {**SURROGATE_TASK, "id": "second"}])
    done = run_cli("validate", str(tasks))
    assert done.returncode == 0, done.stderr[-2000:]
    assert [json.loads(line)["id"] for line in done.stdout.splitlines()] == ["surrogate", "second"]
