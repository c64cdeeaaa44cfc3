"""Benchmark of the task bank: admission with dedup, ``show`` and filtered ``list`` latency, bytes per task.

Synthetic but realistic tasks: prompts of 40-140 words drawn from a 3,000-word vocabulary, verifiers of 1-4 KB
(helpers, constants, regexes, docstrings), and 3% each of exact, renamed-verifier and near-prompt duplicates so
every dedup path runs. Only ``Bank.admit_many`` is timed for inserts (specs are built beforehand, chunk by chunk).

    python bench/bench_task_bank.py --sizes 10000 100000

Writes ``bench/results/task_bank.json`` and ``bench/results/task_bank.md``; results for sizes not rerun are kept,
and every row names the commit and machine it was measured on.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from task_bank.records import TaskStatus
from task_bank.spec import TaskSpec
from task_bank.store import Bank

ROOT = Path(__file__).resolve().parent
SKILLS = ["arithmetic", "dates", "json_format", "units", "regex", "sorting", "parsing", "geometry"]
_SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "pe", "da", "zu", "fi", "go", "ha", "je", "ba", "co"]


def vocabulary(rng: random.Random, size: int = 3000) -> list[str]:
    """Pseudo-words, so prompts are varied without any external corpus."""
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def make_prompt(rng: random.Random, vocab: list[str], n: int) -> str:
    body = " ".join(rng.choice(vocab) for _ in range(rng.randint(40, 140)))
    return f"Problem {n}. {body}. Answer with the final value on the last line."


def make_verifier(rng: random.Random, vocab: list[str], n: int) -> str:
    """A plausible verifier of 1-4 KB: parsing helpers, a tolerance check, optional extra rules."""
    name = lambda: rng.choice(vocab) + "_" + rng.choice(vocab)  # noqa: E731
    expected = rng.randint(-10**6, 10**6) + n * 1_000_003
    parts = [
        f'"""Verifier for problem {n}: checks the final value and the answer format."""',
        "import math\nimport re\n",
        f"EXPECTED = {expected}\nTOLERANCE = {rng.choice([0, 1e-6, 1e-3, 0.5])}\n",
        f"def {(parse := name())}(text: str) -> list[float]:\n"
        f'    """Every number in the text, in order."""\n'
        f"    values = []\n"
        f"    for token in re.findall(r\"-?\\d+(?:\\.\\d+)?\", text):\n"
        f"        try:\n            values.append(float(token))\n"
        f"        except ValueError:\n            continue\n    return values\n",
    ]
    rules = []
    target = rng.randint(1000, 4000)
    while sum(len(p) for p in parts) < target - 400:
        rule = name()
        limit = rng.randint(1, 500)
        word = rng.choice(vocab)
        kind = rng.randrange(3)
        if kind == 0:
            body = f"    return len(response) <= {limit * 40} and {word!r} not in response.lower()\n"
        elif kind == 1:
            body = (f"    lines = [line for line in response.splitlines() if line.strip()]\n"
                    f"    return bool(lines) and len(lines) <= {limit}\n")
        else:
            body = (f"    counts = {{}}\n    for ch in response:\n        counts[ch] = counts.get(ch, 0) + 1\n"
                    f"    return max(counts.values(), default=0) < {limit * 10}\n")
        parts.append(f"def {rule}(response: str) -> bool:\n    # rule {len(rules)}: {word}\n{body}")
        rules.append(rule)
    checks = " and ".join(f"{r}(response)" for r in rules) or "True"
    parts.append(
        f"def verify(response: str) -> float:\n"
        f"    numbers = {parse}(response)\n"
        f"    if not numbers:\n        return 0.0\n"
        f"    close = math.isclose(numbers[-1], EXPECTED, abs_tol=TOLERANCE)\n"
        f"    return 1.0 if close and ({checks}) else 0.0\n")
    return "\n\n".join(parts)


def make_specs(rng: random.Random, vocab: list[str], start: int, count: int,
               recent: list[TaskSpec]) -> list[TaskSpec]:
    """``count`` specs; every 33rd is an exact, renamed-verifier or near-prompt copy of a recent one."""
    specs = []
    for n in range(start, start + count):
        if recent and n % 11 == 0:
            base = rng.choice(recent)
            kind = (n // 11) % 3
            if kind == 0:
                spec = base.model_copy(update={"id": f"t_copy_{n}"})
            elif kind == 1:
                spec = TaskSpec(prompt=make_prompt(rng, vocab, n), verifier=base.verifier.replace("numbers", "vals"),
                                reference=base.reference, failure_cases=base.failure_cases, metadata=base.metadata)
            else:
                spec = TaskSpec(prompt=base.prompt_text + " Please be careful.", verifier=make_verifier(rng, vocab, n),
                                reference=base.reference, failure_cases=base.failure_cases, metadata=base.metadata)
        else:
            value = str(n * 1_000_003)
            spec = TaskSpec(prompt=make_prompt(rng, vocab, n), verifier=make_verifier(rng, vocab, n),
                            reference=f"The answer is\n{value}", failure_cases=(f"The answer is\n{value}1",),
                            metadata={"skill": SKILLS[n % len(SKILLS)], "difficulty": rng.randint(1, 5)})
        specs.append(spec)
        if n % 7 == 0:
            recent[:] = (recent + [spec])[-200:]
    return specs


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def run_size(size: int, workdir: Path, chunk: int, seed: int) -> dict[str, object]:
    rng = random.Random(seed)
    vocab = vocabulary(rng)
    path = workdir / f"bench_{size}.db"
    recent: list[TaskSpec] = []
    insert_s = insert_cpu_s = 0.0
    ids: list[str] = []
    verifier_bytes = 0
    with Bank.open(path) as bank:
        for start in range(0, size, chunk):
            specs = make_specs(rng, vocab, start, min(chunk, size - start), recent)
            verifier_bytes += sum(len(s.verifier) for s in specs)
            t0, c0 = time.perf_counter(), time.process_time()
            records = bank.admit_many(specs, batch_size=1000)
            insert_s += time.perf_counter() - t0
            insert_cpu_s += time.process_time() - c0
            ids.extend(r.id for r in records)
            print(f"  {size}: {start + len(specs)} admitted in {insert_s:.1f} s", file=sys.stderr)
        summary = bank.summary()
        show_ms = []
        for task_id in rng.sample(ids, min(1000, len(ids))):
            t0 = time.perf_counter()
            bank.get(task_id)
            bank.reports(task_id)
            bank.stats(task_id)
            bank.history(task_id)
            show_ms.append((time.perf_counter() - t0) * 1000)
        list_ms = []
        for i in range(300):
            t0 = time.perf_counter()
            bank.list(status=TaskStatus.ADMITTED, skill=SKILLS[i % len(SKILLS)], limit=50,
                      offset=rng.randrange(0, 20) * 50)
            list_ms.append((time.perf_counter() - t0) * 1000)
        search_ms = []
        for _ in range(100):
            t0 = time.perf_counter()
            bank.list(text=rng.choice(vocab), limit=50)
            search_ms.append((time.perf_counter() - t0) * 1000)
        bank.checkpoint()
    size_bytes = path.stat().st_size
    result = {
        "tasks": size,
        "insert_s": round(insert_s, 2),
        "tasks_per_s": round(size / insert_s, 1),
        "insert_cpu_s": round(insert_cpu_s, 2),
        "tasks_per_cpu_s": round(size / insert_cpu_s, 1),
        "load_average_1m": round(os.getloadavg()[0], 1),
        "admitted": summary["by_status"]["admitted"],  # type: ignore[index]
        "duplicates": summary["duplicates"],
        "show_p50_ms": round(percentile(show_ms, 50), 3), "show_p99_ms": round(percentile(show_ms, 99), 3),
        "list_p50_ms": round(percentile(list_ms, 50), 3), "list_p99_ms": round(percentile(list_ms, 99), 3),
        "search_p50_ms": round(percentile(search_ms, 50), 3), "search_p99_ms": round(percentile(search_ms, 99), 3),
        "bank_bytes": size_bytes,
        "bytes_per_task": round(size_bytes / size),
        "mean_verifier_bytes": round(verifier_bytes / size),
        "mean_show_ms": round(statistics.mean(show_ms), 3),
    }
    path.unlink()
    return result


def git_commit() -> str | None:
    """Short hash of the checked-out commit, so each figure names the code it measured."""
    try:
        out = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             timeout=10)
    except OSError:
        return None
    return out.stdout.strip() or None


def merge(path: Path, fresh: list[dict[str, object]]) -> list[dict[str, object]]:
    """Earlier results for other sizes kept (each names its commit), fresh ones replacing the same sizes."""
    kept: list[dict[str, object]] = []
    if path.exists():
        sizes = {r["tasks"] for r in fresh}
        kept = [r for r in json.loads(path.read_text())["results"] if r["tasks"] not in sizes]
    return sorted(kept + fresh, key=lambda r: int(str(r["tasks"])))


def markdown(results: list[dict[str, object]]) -> str:
    lines = ["# task bank benchmark", "",
             "Insert time is wall clock (tasks/s) and this process's CPU time (tasks per CPU-second); the machine is "
             "shared, so the load average at the end of each run is given too.", "",
             "| tasks | commit | insert s | tasks/s | CPU s | tasks/CPU-s | load | admitted | dup exact/ast/near | show p50/p99 ms | list p50/p99 ms "
             "| search p50/p99 ms | bytes/task | mean verifier bytes |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        dup = r["duplicates"] if isinstance(r["duplicates"], dict) else {}
        lines.append(f"| {r['tasks']} | {r.get('commit')} | {r['insert_s']} | {r['tasks_per_s']} | {r['insert_cpu_s']} | "
                     f"{r['tasks_per_cpu_s']} | {r['load_average_1m']} | {r['admitted']} | "
                     f"{dup['exact']}/{dup['verifier_ast']}/{dup['near_prompt']} | "
                     f"{r['show_p50_ms']}/{r['show_p99_ms']} | {r['list_p50_ms']}/{r['list_p99_ms']} | "
                     f"{r['search_p50_ms']}/{r['search_p99_ms']} | {r['bytes_per_task']} | "
                     f"{r['mean_verifier_bytes']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10000, 100000])
    parser.add_argument("--chunk", type=int, default=10000, help="specs built (untimed) then admitted per round")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", default=None, help="where bench banks go (default: a temp dir)")
    parser.add_argument("--out", default=str(ROOT / "results" / "task_bank"), help="output path without suffix")
    args = parser.parse_args()
    machine = f"{platform.machine()}, {os.cpu_count()} cpus, Python {platform.python_version()}"
    fresh = []
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        for size in args.sizes:
            result = run_size(size, Path(tmp), args.chunk, args.seed)
            fresh.append({**result, "commit": git_commit(), "machine": machine})
            print(json.dumps(fresh[-1]), file=sys.stderr)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    results = merge(out.with_suffix(".json"), fresh)
    out.with_suffix(".json").write_text(json.dumps({"results": results}, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
