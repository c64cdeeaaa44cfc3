"""One growth cycle over 1,000 new failures with the replay backend: wall time, where it goes, local vs Ray.

The feed holds ``--failures`` failure records in groups of ``--group-size`` (one weakness each), and a recorded
valid draft for each of the pipeline's requests (two per group), so every draft is parsed, validated in the bwrap
sandbox and admitted: the cycle does the full work, nothing is short-circuited. Budgets are lifted so that nothing
is cut. Each executor runs on its own fresh bank:

- ``local``: the default :class:`synth.executor.LocalExecutor`, 2 threads, a sandbox pool of 2 workers;
- ``ray``: the same config with ``--executor ray``: :class:`synth.ray_executor.RayExecutor` with 2 worker actors on
  a local Ray instance started by the cycle (``ray.init(num_cpus=2)``), each actor with its own sandbox pool of
  2 workers (what an operator gets by flipping the executor). On 2 cores the ratio shows Ray's overhead on one
  machine; Ray pays off only with more machines.

Reported per executor: the cycle's wall time (from the run record), the time per stage (``runtime`` is building the
backend, the sandbox pool and the executor, Ray start-up included; ``generate.*`` are the pipeline's stages), and
tasks admitted; then ray/local as a ratio. The machine is shared with other work, so the load average is recorded.

    python bench/bench_grow.py [--failures 1000] [--group-size 4] [--skip-ray] [--out bench/results]

Writes ``grow.json`` and ``grow.md`` under ``--out``.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.pipeline import PipelineConfig  # noqa: E402
from synth.grow.config import load_config  # noqa: E402
from synth.grow.cycle import run_cycle  # noqa: E402
from task_bank.records import TaskStatus  # noqa: E402
from task_bank.store import Bank  # noqa: E402


def _fixtures():
    spec = importlib.util.spec_from_file_location("grow_fixtures", ROOT / "tests" / "synth" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["grow_fixtures"] = module
    spec.loader.exec_module(module)
    return module


def build_inputs(folder: Path, failures: int, group_size: int) -> tuple[Path, Path, int]:
    """Feed and recorded drafts for ``failures`` failures in groups of ``group_size``; returns paths and drafts."""
    fx = _fixtures()
    rows = [fx.failure_row(i, tag=f"weakness{i // group_size}") for i in range(failures)]
    feed = fx.write_feed(folder / "feed.jsonl", rows, append=False)
    keys = fx.draft_keys(rows, PipelineConfig())
    drafts = fx.record_drafts(folder / "drafts.jsonl", keys)
    return feed, drafts, len(keys)


def one_cycle(folder: Path, feed: Path, drafts: Path, executor: str) -> dict:
    """Run one cycle with ``executor`` on a fresh bank under ``folder``; return its measurements."""
    fx = _fixtures()
    folder.mkdir(parents=True, exist_ok=True)
    config_path = fx.write_config(folder / "grow.toml", feed=feed, drafts=drafts, executor=executor, workers=2,
                                  sandbox_workers=2,
                                  budget={"max_drafts": 100_000, "max_tokens": 100_000_000, "max_wall_s": 3600,
                                          "max_drafts_per_group": 8})

    bank_path = folder / "bank.db"
    t0 = time.perf_counter()
    report = run_cycle(load_config(config_path), bank_path)
    wall = time.perf_counter() - t0
    with Bank.open(bank_path) as bank:
        admitted = sorted(t.id for t in bank.list(status=TaskStatus.ADMITTED, limit=100_000))
    run = report.run
    return {"executor": executor, "wall_s": round(wall, 3), "outcome": run.outcome.value,
            "admitted": len(admitted), "drafts": run.counts.get("drafts", 0),
            "stage_seconds": report.stage_seconds,
            "admitted_ids_sha256": hashlib.sha256("\n".join(admitted).encode()).hexdigest()[:16],
            "sandbox_workers_total": 4 if executor == "ray" else 2, "executor_workers": 2}


def _markdown(result: dict) -> str:
    rows = result["runs"]
    lines = [f"# Growth cycle: {result['failures']} failures, replay backend", "",
             f"{result['when']} on {result['machine']} (load average at start {result['loadavg']}); "
             f"{result['groups']} weakness groups, {result['drafts_recorded']} recorded drafts, bwrap sandbox.", "",
             "| executor | wall s | admitted | drafts | runtime s | draft s | validate s | admit s | other s |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        s = r["stage_seconds"]
        known = s.get("runtime", 0) + s.get("generate.draft", 0) + s.get("generate.validate", 0) + \
            s.get("generate.admit", 0)
        lines.append(f"| {r['executor']} | {r['wall_s']:.2f} | {r['admitted']} | {r['drafts']} | "
                     f"{s.get('runtime', 0):.2f} | {s.get('generate.draft', 0):.2f} | "
                     f"{s.get('generate.validate', 0):.2f} | {s.get('generate.admit', 0):.2f} | "
                     f"{r['wall_s'] - known:.2f} |")
    for r in rows:
        share = r["stage_seconds"].get("generate.validate", 0) / r["wall_s"] if r["wall_s"] else 0.0
        lines.append(f"\n{r['executor']}: sandboxed validation is {share:.0%} of the cycle "
                     f"({r['admitted'] / r['wall_s']:.1f} tasks admitted per second).")
    lines += ["", "Every stage (seconds):", ""]
    for r in rows:
        stages = ", ".join(f"{k} {v:.3f}" for k, v in sorted(r["stage_seconds"].items()))
        lines.append(f"- {r['executor']}: {stages}")
    if result.get("ray_over_local") is not None:
        lines += ["", f"**ray / local wall time: {result['ray_over_local']:.2f}x** "
                      f"(Ray {result.get('ray_version', '?')}, same admitted set: {result['same_admitted_set']}); "
                      f"without `runtime` (starting and stopping the Ray instance and the driver's pool): "
                      f"{result['ray_over_local_without_startup']:.2f}x."]
    elif result.get("ray_skipped"):
        lines += ["", f"Ray not measured: {result['ray_skipped']}"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--failures", type=int, default=1000)
    parser.add_argument("--group-size", type=int, default=4)
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-grow-") as tmp:
        folder = Path(tmp)
        feed, drafts, n_drafts = build_inputs(folder / "inputs", args.failures, args.group_size)
        result: dict = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                        "machine": f"{platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}",
                        "loadavg": [round(x, 2) for x in os.getloadavg()], "failures": args.failures,
                        "groups": -(-args.failures // args.group_size), "drafts_recorded": n_drafts, "runs": []}
        result["runs"].append(one_cycle(folder / "local", feed, drafts, "local"))
        print(json.dumps(result["runs"][-1]), flush=True)
        if not args.skip_ray:
            try:
                import ray
                result["ray_version"] = ray.__version__
            except ImportError:
                result["ray_skipped"] = "ray is not installed (pip install ray)"
            else:
                result["runs"].append(one_cycle(folder / "ray", feed, drafts, "ray"))
                print(json.dumps(result["runs"][-1]), flush=True)
                local, remote = result["runs"]
                result["ray_over_local"] = round(remote["wall_s"] / local["wall_s"], 3)
                result["ray_over_local_without_startup"] = round(
                    (remote["wall_s"] - remote["stage_seconds"].get("runtime", 0.0))
                    / (local["wall_s"] - local["stage_seconds"].get("runtime", 0.0)), 3)
                result["same_admitted_set"] = local["admitted_ids_sha256"] == remote["admitted_ids_sha256"]
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "grow.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    (args.out / "grow.md").write_text(_markdown(result), encoding="utf-8")
    print(_markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
