"""Benchmark: the share of a GRPO step spent scoring rewards, with steps/s and tokens/s.

Runs ``trainer.grpo.train`` for a few steps against a fresh bank of one verifier kind at a time, through the real
sandbox pool, and times each optimizer step from outside (``on_step_end`` to ``on_step_end``) and the reward call
from inside (the reward function's ``verifier/seconds`` metric). Goal: scoring under 5% of step time.

Verifier kinds:
- ``trivial``: one comparison on the response (the pool's fixed cost per batch);
- ``humaneval``: HumanEval-sized checks, ~1.5 KB of verifier each: compile the response, then run ten test cases
  against it and a reference implementation. A random policy never writes a valid function, so the checks run the
  reference in its place (scoring 0): every call pays the full cost of a real HumanEval check.

Models are built from a config (no weights are downloaded): ``tiny`` (the test fixture's ~100k-parameter Qwen2) or
``qwen2-0.5b`` (Qwen2-0.5B's shape, 494M parameters, random weights, the tiny tokenizer; ids beyond its 400 tokens
decode to nothing, so token counts are real while texts are short). Usage::

    python bench/bench_trainer.py                                    # tiny, CPU: writes bench/results/trainer.*
    python bench/bench_trainer.py --model-config qwen2-0.5b --device cuda --out bench/results/trainer_gpu
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from transformers import TrainerCallback  # noqa: E402

from task_bank import TaskSpec  # noqa: E402
from task_bank.store import Bank  # noqa: E402
from trainer.config_loader import load_config  # noqa: E402
from trainer.grpo import train  # noqa: E402

PROBLEMS = {
    "dedupe": ("def dedupe(xs):\n    seen = set()\n    out = []\n    for x in xs:\n        if x not in seen:\n"
               "            seen.add(x)\n            out.append(x)\n    return out\n",
               [([1, 2, 1, 3],), ([],), ([5, 5, 5],), (list(range(20)) * 2,), (["a", "b", "a"],), ([0, -1, 0],),
                ([3, 2, 1, 2, 3],), ([1],), ([True, False, True],), (list("mississippi"),)]),
    "is_palindrome": ("def is_palindrome(s):\n    t = [c.lower() for c in s if c.isalnum()]\n    return t == t[::-1]\n",
                      [("",), ("a",), ("Racecar",), ("A man, a plan, a canal: Panama",), ("ab",), ("No 'x' in Nixon",),
                       ("12321",), ("123",), ("Was it a car or a cat I saw?",), ("abca",)]),
    "running_max": ("def running_max(xs):\n    out, best = [], None\n    for x in xs:\n"
                    "        best = x if best is None or x > best else best\n"
                    "        out.append(best)\n    return out\n",
                    [([1, 3, 2, 5, 4],), ([],), ([-1, -2, -3],), ([7],), (list(range(30, 0, -1)),), ([2, 2, 2],),
                     ([0, 10, 5, 20, 15],), ([1.5, 0.5, 2.5],), ([9, 1, 9, 1],), (list(range(25)),)]),
    "roman": ("def roman(n):\n    vals = [(1000, 'M'), (900, 'CM'), (500, 'D'), (400, 'CD'), (100, 'C'), (90, 'XC'),\n"
              "            (50, 'L'), (40, 'XL'), (10, 'X'), (9, 'IX'), (5, 'V'), (4, 'IV'), (1, 'I')]\n"
              "    out = ''\n    for v, s in vals:\n        while n >= v:\n            out += s\n            n -= v\n"
              "    return out\n",
              [(1,), (4,), (9,), (14,), (40,), (90,), (400,), (1994,), (2024,), (3999,)]),
}

HUMANEVAL_VERIFIER = '''REFERENCE = {reference!r}
TESTS = {tests!r}
NAME = {name!r}


def _load(source):
    namespace = {{}}
    try:
        exec(compile(source, "<candidate>", "exec"), namespace)
    except Exception:
        return None
    function = namespace.get(NAME)
    return function if callable(function) else None


def verify(response: str) -> float:
    """HumanEval-style check: ten test cases, compared with the reference implementation."""
    reference = _load(REFERENCE)
    candidate = _load(response)
    subject = candidate or reference
    passed = 0
    for args in TESTS:
        try:
            if subject(*args) == reference(*args):
                passed += 1
        except Exception:
            pass
    return passed / len(TESTS) if candidate is not None else 0.0
'''


def tasks(kind: str, count: int) -> list[TaskSpec]:
    """``count`` distinct tasks of one verifier kind."""
    specs = []
    for i in range(count):
        if kind == "trivial":
            verifier = f"def verify(response: str) -> float:\n    return float(len(response) % 2 == {i % 2})\n"
            specs.append(TaskSpec(prompt=f"Reply with an {'odd' if i % 2 else 'even'}-length text ({i}).",
                                  verifier=verifier, reference="a" if i % 2 else "ab",
                                  failure_cases=("ab" if i % 2 else "a",)))
            continue
        name = list(PROBLEMS)[i % len(PROBLEMS)]
        reference, tests = PROBLEMS[name]
        prompt = (f"Write a Python function `{name}` (variant {i}). It must behave like this reference on every "
                  f"input; reply with the code only.\n\n{reference}")
        specs.append(TaskSpec(prompt=prompt, reference=reference, failure_cases=("pass",),
                              verifier=HUMANEVAL_VERIFIER.format(reference=reference, tests=tests, name=name)))
    return specs


def build_policy(model_config: str, path: Path) -> tuple[Path, int]:
    """Save a randomly initialised policy built from a config; returns its path and parameter count."""
    spec = importlib.util.spec_from_file_location("envsynth_tiny_model", ROOT / "tests" / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.build_tiny_model(path)
    from transformers import AutoModelForCausalLM, AutoTokenizer, Qwen2Config

    if model_config == "qwen2-0.5b":
        tok = AutoTokenizer.from_pretrained(path)
        config = Qwen2Config(vocab_size=151936, hidden_size=896, intermediate_size=4864, num_hidden_layers=24,
                             num_attention_heads=14, num_key_value_heads=2, max_position_embeddings=32768,
                             rope_theta=1_000_000.0, tie_word_embeddings=True, bos_token_id=tok.bos_token_id,
                             eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
        AutoModelForCausalLM.from_config(config).save_pretrained(path)
    model = AutoModelForCausalLM.from_pretrained(path)
    return path, sum(p.numel() for p in model.parameters())


class StepTimer(TrainerCallback):
    """Wall time of every optimizer step, and the per-step metrics TRL logs."""

    def __init__(self) -> None:
        self.ends: list[float] = []
        self.logs: list[dict[str, float]] = []

    def on_train_begin(self, args, state, control, **kwargs):
        self.ends.append(time.perf_counter())

    def on_step_end(self, args, state, control, **kwargs):
        self.ends.append(time.perf_counter())

    def on_log(self, args, state, control, logs=None, **kwargs):
        if logs and "verifier/seconds" in logs:
            self.logs.append(dict(logs))


def measure(kind: str, args: argparse.Namespace, policy: Path, workdir: Path) -> dict[str, object]:
    bank_path = workdir / f"{kind}.db"
    with Bank.open(bank_path) as bank:
        for spec in tasks(kind, args.tasks):
            bank.admit(spec)
    config = load_config(None, {
        "policy": str(policy), "bank": str(bank_path), "output": str(workdir / f"out-{kind}"), "plot": False,
        "grpo.max_steps": args.warmup + args.steps, "grpo.num_generations": args.num_generations,
        "grpo.per_device_train_batch_size": args.batch_size, "grpo.max_completion_length": args.max_completion_length,
        "grpo.learning_rate": 1e-5, "grpo.logging_steps": 1, "grpo.save_steps": 10_000, "grpo.device": args.device,
        "reward.backend": args.backend, "reward.workers": args.workers, "stats.retire": False,
        "stats.promote": False})
    timer = StepTimer()
    train(config, callbacks=[timer])
    walls = [b - a for a, b in zip(timer.ends, timer.ends[1:])][args.warmup:]
    logs = timer.logs[args.warmup:]
    scoring = [entry["verifier/seconds"] for entry in logs]
    completion_tokens = sum(entry["completions/mean_length"] * args.batch_size for entry in logs)
    all_tokens = timer.logs[-1]["num_tokens"] - (timer.logs[args.warmup - 1]["num_tokens"] if args.warmup else 0)
    total = sum(walls)
    return {
        "verifiers": kind, "steps_timed": len(walls), "step_s_median": statistics.median(walls),
        "scoring_s_median": statistics.median(scoring), "scoring_share": sum(scoring) / total,
        "steps_per_s": len(walls) / total, "tokens_per_s": all_tokens / total,
        "completion_tokens_per_s": completion_tokens / total,
        "calls_per_step": args.batch_size, "scoring_ms_per_call": 1000 * statistics.median(scoring) / args.batch_size,
    }


def markdown(result: dict[str, object]) -> str:
    lines = ["# Trainer benchmark: share of a GRPO step spent scoring rewards", "",
             f"Model `{result['model_config']}` ({result['parameters']:,} parameters) on `{result['device']}`, "
             f"{result['num_generations']} completions per prompt, {result['batch_size']} completions per step, "
             f"up to {result['max_completion_length']} new tokens; sandbox `{result['backend']}` with "
             f"{result['workers']} workers; {result['machine']}. Goal: scoring under 5% of step time.", "",
             "| verifiers | step (median s) | scoring (median s) | scoring share | ms per verify call | steps/s | "
             "tokens/s | completion tokens/s |", "|---|---|---|---|---|---|---|---|"]
    for row in result["runs"]:
        lines.append(f"| {row['verifiers']} | {row['step_s_median']:.3f} | {row['scoring_s_median']:.4f} | "
                     f"{100 * row['scoring_share']:.1f}% | {row['scoring_ms_per_call']:.2f} | "
                     f"{row['steps_per_s']:.2f} | {row['tokens_per_s']:.0f} | {row['completion_tokens_per_s']:.0f} |")
    lines += ["", "Step time is measured from outside (one `on_step_end` to the next: generation, scoring, loss, "
              "optimizer, logging, bank statistics); scoring time is the reward function's own wall time for the "
              "whole batch (one `score_batch` call). The CPU is shared with other jobs, so step times vary from run "
              "to run; the scoring share is the figure to compare with the 5% goal.", "",
              f"Command: `{result['command']}`", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model-config", choices=("tiny", "qwen2-0.5b"), default="tiny")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--verifiers", default="trivial,humaneval", help="comma-separated kinds to measure")
    parser.add_argument("--steps", type=int, default=8, help="timed steps per kind")
    parser.add_argument("--warmup", type=int, default=2, help="untimed steps first")
    parser.add_argument("--tasks", type=int, default=8, help="tasks in the bank")
    parser.add_argument("--num-generations", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--max-completion-length", type=int, default=64)
    parser.add_argument("--backend", default="bwrap")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "trainer")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="envsynth-bench-trainer-") as tmp:
        policy, parameters = build_policy(args.model_config, Path(tmp) / "policy")
        runs = [measure(kind, args, policy, Path(tmp)) for kind in args.verifiers.split(",")]
    result = {"model_config": args.model_config, "parameters": parameters, "device": args.device,
              "num_generations": args.num_generations, "batch_size": args.batch_size,
              "max_completion_length": args.max_completion_length, "backend": args.backend,
              "workers": args.workers, "machine": f"{platform.machine()}, {len(os.sched_getaffinity(0))} cores",
              "command": " ".join(["python", "bench/bench_trainer.py", *sys.argv[1:]]), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n")
    args.out.with_suffix(".md").write_text(markdown(result))
    print(markdown(result))


if __name__ == "__main__":
    main()
