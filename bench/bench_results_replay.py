"""Benchmark: what replaying the reference's requests (the results rule's digests) and checking the paid texts'
answers (the answers rule) add to the reward call.

The reward function with the reward-hacking monitor scores GRPO batches of one task whose verifier runs every
program through ``run_response`` (HumanEval-style: three test cases in one run), through the real bwrap pool, in
three settings interleaved batch by batch so all see the same machine load: the replay and the answers check on
(the default), the replay alone (``MonitorConfig.check_answers`` off), and neither (``replay_results`` off). Each
batch is two groups of 8 programs (two right, six wrong; every text distinct in its batch). With the replay on, the
task's reference is scored once alone to record its requests (the first batch, counted), and every program text is
scored a second time by the replaying verifier; with the check on, each of the four texts paid in full is run once
more beside the reference. Reported: the median wall time of one reward call, and the ratios.

    python bench/bench_results_replay.py [--batches 12] [--workers 2] [--out bench/results]

Writes ``results_replay.json`` and ``results_replay.md`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from task_bank import TaskSpec  # noqa: E402
from trainer.ledger import ScoreLedger  # noqa: E402
from trainer.monitor import RewardHackMonitor  # noqa: E402
from trainer.monitor_config import MonitorConfig  # noqa: E402
from trainer.reward import VerifierReward  # noqa: E402
from verifier import Limits  # noqa: E402
from verifier.routing import open_scoring_pool  # noqa: E402

VERIFIER = '''from envsynth_sandbox import plain, run_response
CASES = [([1, 2, 3], 6), ([], 0), ([5, -5, 5], 5)]

def verify(response):
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=1.0)
    return sum(c.ok and c.value == plain(w) for c, (_, w) in zip(run.calls, CASES)) / len(CASES)
'''
REFERENCE = "def total(xs):\n    return sum(xs)\n"
BODIES = ["return sum(xs)", "return sum(x for x in xs)", "return len(xs)", "return max(xs) if xs else 0",
          "return xs[0] if xs else 0", "return 0", "return sum(xs) + 1", "return -sum(xs)"]


class Bank:
    def __init__(self, spec: TaskSpec) -> None:
        self.spec = spec

    def find(self, task_id: str):
        return self if task_id == self.spec.id else None


def batch(number: int) -> list[str]:
    """16 programs, distinct within the batch (a comment carries the batch number and the place)."""
    return [f"def total(xs):\n    # {number}.{i}\n    {BODIES[i % len(BODIES)]}\n" for i in range(16)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=12, help="reward calls per setting (default: 12)")
    parser.add_argument("--workers", type=int, default=2, help="sandbox workers (default: 2)")
    parser.add_argument("--out", type=Path, default=Path("bench/results"), help="output folder")
    args = parser.parse_args()
    task = TaskSpec(prompt="Write `total(xs)`, the sum of a list of ints.", reference=REFERENCE,
                    failure_cases=("def total(xs):\n    return len(xs)\n",), verifier=VERIFIER)
    times: dict[str, list[float]] = {"replay and answers on": [], "replay on": [], "replay off": []}
    with open_scoring_pool(backend="bwrap", workers=args.workers, limits=Limits()) as pool:
        rewards = {}
        for name in times:
            config = MonitorConfig(spot_checks=0, replay_results=name != "replay off",
                                   check_answers=name == "replay and answers on")
            rewards[name] = VerifierReward(pool, Bank(task), ScoreLedger(1.0), group_size=8,
                                           monitor=RewardHackMonitor(1.0, config), rng=random.Random(1),
                                           canary_rng=random.Random(2))
        pool.score_batch([(VERIFIER, REFERENCE)] * 4)  # warm the workers
        for number in range(args.batches):
            order = list(rewards.items())
            for name, reward in order[number % 3:] + order[:number % 3]:
                texts = batch(number)
                started = time.perf_counter()
                reward([None] * 16, texts, task_id=[task.id] * 16)
                times[name].append(time.perf_counter() - started)
        for reward in rewards.values():
            reward.close()
    medians = {name: statistics.median(values) for name, values in times.items()}
    ratio = medians["replay on"] / medians["replay off"]
    answers = medians["replay and answers on"] / medians["replay on"]
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    load = os.getloadavg()[0]
    result = {"when": stamp, "load": round(load, 2), "machine": f"{platform.machine()}, {os.cpu_count()} cores",
              "workers": args.workers, "batches": args.batches, "median_s": medians, "ratio": ratio,
              "answers_ratio": answers,
              "first_s": {name: values[0] for name, values in times.items()}}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "results_replay.json").write_text(json.dumps(result, indent=2) + "\n")
    lines = ["# Results replay and answers check: what they add to the reward call", "",
             f"{stamp}, load {load:.1f}, {result['machine']}; bwrap pool of {args.workers} workers; "
             f"{args.batches} reward calls per setting, interleaved; each 16 programs (two groups of 8) of one "
             "task whose verifier runs three test cases through `run_response`; monitor on (spot checks off).", "",
             "| setting | median reward call (s) | first call (s) |", "|---|---|---|"]
    lines += [f"| {name} | {medians[name]:.3f} | {times[name][0]:.3f} |" for name in times]
    lines += ["", f"Replay on / off: **{ratio:.2f}x** the reward call's wall time (the first call with the replay "
              "on also records the reference's requests).", "",
              f"Answers check on / off (replay on in both): **{answers:.2f}x**.", "",
              "Command: `python bench/bench_results_replay.py`"]
    (args.out / "results_replay.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
