"""Benchmark: drafting throughput of the ``transformers`` generator backend (drafts/s, generated tokens/s).

Runs the real ``synth.generate`` pipeline on ``examples/failures.jsonl`` with a policy built from a config (random
weights give real timings, never real drafts: every draft is rejected, which is expected) and reads the draft
stage's own wall time from the pipeline summary, so parsing, validation and admission are not counted.

    python bench/bench_drafts.py                                           # tiny model, CPU: exercises the path
    python bench/bench_drafts.py --model-config qwen2-0.5b --device cuda   # the GPU figure (Qwen2-0.5B shape)

Writes ``bench/results/drafts.json`` (or ``--out``) and a markdown table beside it.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import platform
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.backends.transformers_backend import TransformersBackend  # noqa: E402
from synth.pipeline import PipelineConfig  # noqa: E402
from synth.loaders import load_failures  # noqa: E402
from synth.pipeline import run_pipeline  # noqa: E402
from task_bank.provenance import SamplingSettings  # noqa: E402
from task_bank.store import Bank  # noqa: E402
from verifier.pool import open_pool  # noqa: E402
from verifier.validate import Validator  # noqa: E402


def build_policy(model_config: str, path: Path) -> tuple[Path, int]:
    """The policy builder of ``bench/bench_trainer.py`` (one definition of the 0.5B shape)."""
    spec = importlib.util.spec_from_file_location("envsynth_bench_trainer", ROOT / "bench" / "bench_trainer.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build_policy(model_config, path)


def measure(policy: Path, device: str, drafts_per_group: int, batch_size: int, max_new_tokens: int) -> dict:
    """One pipeline run; the draft stage's drafts/s and tokens/s."""
    failures = load_failures(ROOT / "examples" / "failures.jsonl").records
    sampling = SamplingSettings(temperature=0.7, top_p=0.95, max_new_tokens=max_new_tokens, seed=0)
    config = PipelineConfig(drafts_per_group=drafts_per_group, repair_rounds=0)
    with tempfile.TemporaryDirectory() as tmp, Bank.open(Path(tmp) / "bank.db") as bank, \
            open_pool("bwrap", workers=2) as pool, Validator(pool) as validator, \
            TransformersBackend(str(policy), sampling=sampling, batch_size=batch_size, device=device) as backend:
        summary = run_pipeline(failures, bank=bank, backend=backend, validator=validator, config=config)
    seconds = summary.stage_seconds.get("draft", 0.0)
    return {"drafts": summary.drafts, "draft_s": round(seconds, 3), "generated_tokens": summary.generator_tokens,
            "drafts_per_s": round(summary.drafts / seconds, 2) if seconds else None,
            "tokens_per_s": round(summary.generator_tokens / seconds, 1) if seconds else None,
            "rejected": summary.rejected, "stage_seconds": summary.stage_seconds}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model-config", choices=("tiny", "qwen2-0.5b"), default="tiny")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--drafts-per-group", type=int, default=4, help="drafts per weakness group (6 groups)")
    parser.add_argument("--batch-size", type=int, default=8, help="requests per generate call")
    parser.add_argument("--max-new-tokens", type=int, default=256)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "drafts"), help="output path, no suffix")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        policy, params = build_policy(args.model_config, Path(tmp) / "policy")
        result = measure(policy, args.device, args.drafts_per_group, args.batch_size, args.max_new_tokens)
    report = {"model_config": args.model_config, "parameters": params, "device": args.device,
              "batch_size": args.batch_size, "max_new_tokens": args.max_new_tokens,
              "machine": f"{platform.machine()}, Python {platform.python_version()}", **result}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.with_suffix(".json").write_text(json.dumps(report, indent=2) + "\n")
    table = ("# Drafting throughput (transformers backend)\n\n"
             "| model | params | device | batch | max new tokens | drafts | draft stage s | drafts/s | tokens/s |\n"
             "|---|---|---|---|---|---|---|---|---|\n"
             f"| {args.model_config} | {params:,} | {args.device} | {args.batch_size} | {args.max_new_tokens} | "
             f"{result['drafts']} | {result['draft_s']} | {result['drafts_per_s']} | {result['tokens_per_s']} |\n")
    out.with_suffix(".md").write_text(table)
    print(json.dumps(report))
    print(table)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
