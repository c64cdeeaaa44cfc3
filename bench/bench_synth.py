"""Benchmark: ``synth`` pipeline throughput on the replay backend, and the share of wall time per stage.

The shipped example (32 failures, 6 weaknesses, 2 draft slots per group, 17 recorded drafts) is scaled by
``--copies``: each group gets ``2 * copies`` draft slots, slot k replaying the recording of slot ``k mod 2`` with
its own anchor failure (so its own failure case and task id). Every draft goes through the whole pipeline: parse,
sandboxed validation, dedup at admission (copies of a verifier are caught there, after validation, as in a bank
that keeps seeing one weakness), admit. Copying failures instead would not scale the work: near-duplicate
grouping folds copies of a failure into the same group, as it should. Writes ``bench/results/synth.json`` and
``bench/results/synth.md``.

    python bench/bench_synth.py [--copies 1 4] [--workers 1] [--sandbox bwrap] [--sandbox-workers 2]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.backends.replay import ReplayBackend, load_recordings  # noqa: E402
from synth.pipeline import PipelineConfig  # noqa: E402
from synth.executor import LocalExecutor  # noqa: E402
from synth.loaders import load_failures  # noqa: E402
from synth.pipeline import run_pipeline  # noqa: E402
from task_bank.provenance import SamplingSettings, utcnow  # noqa: E402
from task_bank.store import Bank  # noqa: E402
from verifier.pool import open_pool  # noqa: E402
from verifier.validate import Validator  # noqa: E402


def scaled_recordings(copies: int) -> dict[str, str]:
    """The example's recordings re-keyed for ``2 * copies`` slots per group (slot k replays slot k mod 2)."""
    recordings = load_recordings(ROOT / "examples" / "drafts.jsonl")
    scaled: dict[str, str] = {}
    for key, text in recordings.items():
        group, slot, rnd = key.split("/")
        for k in range(int(slot[1:]), 2 * copies, 2):
            scaled[f"{group}/d{k}/{rnd}"] = text
    return scaled


def run_once(copies: int, workers: int, sandbox: str, sandbox_workers: int) -> dict[str, object]:
    failures = list(load_failures(ROOT / "examples" / "failures.jsonl").records)
    recordings = scaled_recordings(copies)
    backend = ReplayBackend(recordings, model="replay:bench", sampling=SamplingSettings())
    with tempfile.TemporaryDirectory() as tmp, open_pool(sandbox, workers=sandbox_workers) as pool, \
            Bank.open(Path(tmp) / "bench.db") as bank, LocalExecutor(workers) as executor:
        start = time.perf_counter()
        summary = run_pipeline(failures, bank=bank, backend=backend, validator=Validator(pool),
                               config=PipelineConfig(drafts_per_group=2 * copies), executor=executor)
        wall = time.perf_counter() - start
    stages = summary.stage_seconds
    staged = sum(stages.values())
    return {
        "copies": copies, "workers": workers, "sandbox": sandbox, "sandbox_workers": sandbox_workers,
        "failures": summary.failures_read, "groups": summary.groups, "drafts": summary.drafts,
        "validated": summary.validated, "admitted": summary.admitted, "rejected": summary.rejected,
        "duplicates": summary.duplicates, "wall_s": round(wall, 3),
        "failures_per_s": round(summary.failures_read / wall, 2),
        "drafts_per_s": round(summary.drafts / wall, 2),
        "tasks_validated_per_s": round(summary.validated / wall, 2),
        "validate_stage_tasks_per_s": round(summary.validated / stages["validate"], 2),
        "stage_seconds": stages,
        "stage_share": {k: round(v / staged, 4) for k, v in stages.items()},
        "slowest_stage": max(stages, key=stages.__getitem__),
    }


def markdown(result: dict[str, object]) -> str:
    lines = ["# synth pipeline benchmark (replay backend)", "",
             f"{result['date']} on {result['machine']}; sandbox {result['runs'][0]['sandbox']}.", "",
             "| slots/group | failures | drafts | validated | admitted | dups | wall s | failures/s | validated/s "
             "| slowest stage |", "|---|---|---|---|---|---|---|---|---|---|"]
    for r in result["runs"]:
        lines.append(f"| {2 * r['copies']} | {r['failures']} | {r['drafts']} | {r['validated']} | {r['admitted']} "
                     f"| {r['duplicates']} | {r['wall_s']} | {r['failures_per_s']} | {r['tasks_validated_per_s']} "
                     f"| {r['slowest_stage']} |")
    last = result["runs"][-1]
    lines += ["", f"Share of stage time at {2 * last['copies']} slots per group:", "",
              "| stage | seconds | share |", "|---|---|---|"]
    for stage, secs in last["stage_seconds"].items():
        lines.append(f"| {stage} | {secs:.3f} | {last['stage_share'][stage]:.1%} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--copies", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--sandbox-workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    runs = [run_once(c, args.workers, args.sandbox, args.sandbox_workers) for c in args.copies]
    result = {"benchmark": "synth", "date": utcnow().isoformat(timespec="seconds"),
              "machine": f"{platform.machine()}, {os.cpu_count()} CPUs (shared), Python {platform.python_version()}",
              "runs": runs}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "synth.json").write_text(json.dumps(result, indent=2) + "\n")
    (args.out / "synth.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
