"""Benchmark: choose the GRPO settings of ``trainer/configs/small.toml`` on the validation split, never on replay.

Issue 13 asks that the small-model config be chosen on a validation split. ``examples/smollm2`` has one: 90
requests over 30 everyday asks that were never deployed, so no failure, practice task or held-out replay task comes
from them. For each candidate learning rate this script

1. trains the base model with ``trainer.grpo`` for ``--steps`` on a fresh copy of a bank built by
   ``synth.generate --backend replay`` from the shipped log (the same bank ``bench/bench_loop.py`` builds);
2. answers the validation requests with ``examples/smollm2/deploy.py --split validation`` (IFEval's strict checks),
   at the trainers' completion length;

and the base model is measured the same way. Candidates run side by side, ``--lanes`` at a time (one torch thread
each: on a 2-core machine two lanes use both cores). The winner is the candidate with the highest validation pass
rate; a candidate whose training completions shrank to under half their first-step length is not eligible (the measured
failure mode of this model: short, evasive answers). Writes ``<out>.json`` and ``<out>.md``. Usage::

    python bench/bench_select.py --lr 1e-5 --lr 5e-5 --steps 10
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "smollm2"


def _run(argv: list[str], log: Path) -> str:
    """Run ``python ARGV`` in the repository with one torch thread; stdout back, stderr to ``log``."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"}
    with log.open("w", encoding="utf-8") as err:
        done = subprocess.run([sys.executable, *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err,
                              text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv[:3])} exited {done.returncode}; see {log}")
    return done.stdout


def build_bank(work: Path, sandbox: str) -> Path:
    bank = work / "bank.db"
    _run(["-m", "synth.generate", "--failures", str(EXAMPLE / "failures.jsonl"), "--backend", "replay",
          "--drafts", str(EXAMPLE / "drafts.jsonl"), "--group-threshold", "0.7", "--bank", str(bank),
          "--sandbox", sandbox, "--json"], work / "generate.log")
    return bank


def validate(model: str, out: Path, args: argparse.Namespace) -> dict:
    """``deploy.py --split validation`` for ``model``: its summary (pass rates overall and per instruction).

    A summary already in ``out`` (from an earlier run with the same ``--work``) is reused as it is."""
    if (out / "validation_summary.json").is_file():
        return json.loads((out / "validation_summary.json").read_text(encoding="utf-8"))
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    _run([str(EXAMPLE / "deploy.py"), "--split", "validation", "--model", model, "--out", str(out),
          "--max-new-tokens", str(args.max_new_tokens), "--seed", "0"], out / "deploy.log")
    summary = json.loads((out / "validation_summary.json").read_text(encoding="utf-8"))
    summary["wall_s"] = round(time.perf_counter() - start, 1)
    return summary


def candidate(lr: float, bank: Path, work: Path, args: argparse.Namespace) -> dict:
    """Train one learning rate from the base model on its own copy of the bank, then validate it."""
    name = f"lr{lr:g}"
    output = work / f"run-{name}"
    if (output / "config.json").is_file():  # trained by an earlier run with the same --work: reuse the model
        return {"learning_rate": lr, **finished(output), "reused": True,
                "validation": validate(str(output), work / f"val-{name}", args)}
    own = work / f"bank-{name}.db"
    shutil.copyfile(bank, own)
    start = time.perf_counter()
    summary = json.loads(_run(["-m", "trainer.grpo", "--policy", args.model, "--bank", str(own), "--output",
                               str(output), "--config", str(args.config), "--max-steps", str(args.steps),
                               "--set", f"grpo.learning_rate={lr}", "--set", f"grpo.save_steps={args.steps}",
                               "--sandbox", args.sandbox, "--json"], work / f"{name}.log"))
    train_s = round(time.perf_counter() - start, 1)
    return {"learning_rate": lr, "steps": summary["steps"], "train_wall_s": train_s,
            "last_reward": summary.get("last_reward"), **completion_lengths(output),
            "validation": validate(summary["output"], work / f"val-{name}", args)}


def finished(output: Path) -> dict:
    """What :func:`candidate` reports of a run trained earlier, read back from its last checkpoint's state."""
    states = sorted(output.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    state = json.loads(states[-1].read_text(encoding="utf-8")) if states else {"log_history": []}
    rewards = [e["reward"] for e in state["log_history"] if "reward" in e]
    return {"steps": state.get("global_step"), "train_wall_s": None, "last_reward": rewards[-1] if rewards else None,
            **completion_lengths(output)}


def completion_lengths(output: Path) -> dict[str, float | None]:
    """Mean completion length (tokens) of the first and the last logged GRPO steps, from the trainer state."""
    states = sorted(output.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    history = json.loads(states[-1].read_text(encoding="utf-8"))["log_history"] if states else []
    lengths = [e["completions/mean_length"] for e in history if "completions/mean_length" in e]
    return {"first_length": lengths[0] if lengths else None, "last_length": lengths[-1] if lengths else None}


def choose(base: dict, runs: list[dict]) -> dict | None:
    """The eligible candidate with the best validation pass rate (ties: the smaller learning rate); a candidate
    whose completions shrank to under half their length at the first step is not eligible."""
    eligible = [r for r in runs if r["first_length"] is None or (r["last_length"] or 0) >= r["first_length"] / 2]
    return max(eligible, key=lambda r: (r["validation"]["pass_rate"], -r["learning_rate"]), default=None)


def markdown(result: dict) -> str:
    base = result["base"]
    rows = [f"| base model | - | {base['passed']}/{base['requests']} | {base['pass_rate']:.3f} | - | - |"]
    for r in result["candidates"]:
        v = r["validation"]
        mark = " **chosen**" if result["chosen"] == r["learning_rate"] else ""
        rows.append(f"| lr {r['learning_rate']:g}{mark} | {r['steps']} | {v['passed']}/{v['requests']} | "
                    f"{v['pass_rate']:.3f} | {r['first_length']} -> {r['last_length']} | {r['train_wall_s']} |")
    return "\n".join([
        "# Choosing small.toml's learning rate on the validation split", "",
        f"Command: `{result['command']}`. Whole run {result['wall_s']} s on {result['cpus']} CPUs, "
        f"{result['lanes']} lanes side by side. Each candidate: `trainer.grpo` from the base model for the steps "
        "below on the practice tasks of the shipped log, then `examples/smollm2/deploy.py --split validation` "
        f"(90 requests never deployed, one sample each, {result['max_new_tokens']} new tokens, seed 0). "
        "The held-out replay tasks play no part.", "",
        "| policy | steps | validation passed | pass rate | completion tokens, first -> last step | train wall s |",
        "|---|---|---|---|---|---|", *rows, "",
        result["verdict"], ""])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--model", default="smollm2-135m", help="base policy")
    parser.add_argument("--lr", type=float, action="append", help="candidate learning rate (repeatable; "
                        "default: 1e-5 and 5e-5)")
    parser.add_argument("--steps", type=int, default=10, help="GRPO steps of each candidate (the loop's budget)")
    parser.add_argument("--max-new-tokens", type=int, default=64, help="validation answer length (the trainers')")
    parser.add_argument("--config", type=Path, default=ROOT / "trainer" / "configs" / "small.toml")
    parser.add_argument("--lanes", type=int, default=2, help="candidates run at once, one thread each")
    parser.add_argument("--sandbox", default="bwrap")
    parser.add_argument("--bank", type=Path, default=None, help="reuse a bank built by synth.generate (a copy)")
    parser.add_argument("--work", type=Path, default=None, help="keep models and logs here (default: a temp dir)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "select_small")
    args = parser.parse_args(argv)
    lrs = args.lr or [1e-5, 5e-5]
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="envsynth-select-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        bank = work / "bank.db"
        if args.bank:
            shutil.copyfile(args.bank, bank)
        else:
            bank = build_bank(work, args.sandbox)
        with ThreadPoolExecutor(max_workers=args.lanes) as lanes:
            base_job = lanes.submit(validate, args.model, work / "val-base", args)
            jobs = [lanes.submit(candidate, lr, bank, work, args) for lr in lrs]
            base, runs = base_job.result(), [job.result() for job in jobs]
    best = choose(base, runs)
    if best is None:
        verdict = "No candidate is eligible: every trained policy's completions shrank to under half their length."
    else:
        gain = best["validation"]["pass_rate"] - base["pass_rate"]
        verdict = (f"Chosen: learning rate {best['learning_rate']:g} (validation pass rate "
                   f"{best['validation']['pass_rate']:.3f} against the base model's {base['pass_rate']:.3f}, "
                   f"{gain * 100:+.1f} points on 90 requests, one sample each).")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    result = {"model": args.model, "commit": head.stdout.strip() or None, "steps": args.steps, "max_new_tokens": args.max_new_tokens, "lanes": args.lanes,
              "base": base, "candidates": runs, "chosen": best["learning_rate"] if best else None,
              "verdict": verdict, "wall_s": round(time.perf_counter() - start, 1), "cpus": os.cpu_count(),
              "command": "python bench/bench_select.py " + " ".join(argv if argv is not None else sys.argv[1:])}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    args.out.with_suffix(".md").write_text(markdown(result), encoding="utf-8")
    print(verdict)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
