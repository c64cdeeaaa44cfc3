"""Web view latency on a 100k-task bank: p50/p99 of the task list, a filtered search and a task page, as HTML
pages and as JSON API calls, measured over real HTTP against ``python -m task_bank serve`` in its own process.

The bank is built once with ``Bank.admit_many(dedup=False)`` (every task with a validation report, most with a
pass rate, spread over skills, statuses, failure groups and growth runs) and cached under ``/tmp``, so re-runs
measure only the server. Goal: p99 under 100 ms for every measured route.

    python bench/bench_web.py [--tasks 100000] [--requests 300] [--out bench/results]

Writes ``web.json`` (machine-readable) and ``web.md`` (a table) under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from task_bank import (CheckResult, FailureRecord, FailureSignal, GrowthRun, Message, Outcome,  # noqa: E402
                       Provenance, RunOutcome, ScoreResult, SignalKind, TaskSpec, TrainingStat, ValidationReport)
from task_bank.store import AdmitItem, Bank  # noqa: E402

GOAL_P99_MS = 100.0
SKILLS = ["unit_conversion", "date_arithmetic", "json_formatting", "regex_extraction", "arithmetic",
          "string_formatting", "sorting", "csv_parsing"]
WORDS = ("convert metres kilometres date weekday json object key regex zip code sum product list sort csv column "
         "format currency percent round integer string reverse").split()
REASONS = ["unsolvable", "trivial", "nondeterministic", "failure_case_passes", "compile_error", "duplicate"]
BUILD_VERSION = 2
"""Bump when the bank's content changes, so a stale cached bank is rebuilt."""


def build_bank(path: Path, n_tasks: int, seed: int = 0) -> None:
    """Fill a new bank with ``n_tasks`` varied tasks, their reports, failures, runs and training statistics."""
    rng = random.Random(seed)
    with Bank.open(path) as bank:
        failures = [FailureRecord(conversation=(Message(role="user",
                                                        content=f"question {i} about {rng.choice(WORDS)}"),),
                                  response=f"wrong answer {i}", signal=FailureSignal(kind=SignalKind.THUMBS_DOWN),
                                  tags=(SKILLS[i % len(SKILLS)],), source=f"feed-{i % 3}") for i in range(5000)]
        bank.add_failures(failures)
        runs = [GrowthRun(id=f"grow-{i:03d}", outcome=RunOutcome.SUCCEEDED, inputs_seen=100,
                          counts={"drafts": 2400}, budget={"max_drafts": 3000}) for i in range(50)]
        for run in runs:
            bank.start_run(run)

        def items() -> Iterator[AdmitItem]:
            for i in range(n_tasks):
                skill = SKILLS[i % len(SKILLS)]
                words = " ".join(rng.choice(WORDS) for _ in range(12))
                spec = TaskSpec(prompt=f"Task {i}: {words}. Answer precisely.",
                                verifier=f"def verify(response: str) -> float:\n    # {skill}\n"
                                         f"    return 1.0 if response.strip() == {str(i * 7)!r} else 0.0\n",
                                reference=str(i * 7), failure_cases=(str(i), "no idea"),
                                metadata={"skill": skill, "difficulty": rng.choice(["easy", "medium", "hard"])})
                admitted = rng.random() < 0.72
                reasons = () if admitted else (rng.choice(REASONS),)
                failure = failures[i % len(failures)]
                prov = Provenance(source_failure_ids=(failure.id,), failure_group=f"grp-{skill}-{i % 40}",
                                  generator_backend="vllm", generator_model="Qwen/Qwen3-8B",
                                  prompt_template="draft_task.j2", prompt_template_hash="ab" * 32,
                                  draft_id=f"d_{i}", growth_run_id=runs[i * len(runs) // n_tasks].id)
                scores = tuple(ScoreResult(outcome=Outcome.SCORED, score=1.0, duration_ms=3.0) for _ in range(2))
                report = ValidationReport(
                    task_id=spec.id, admitted=admitted, reasons=reasons, validator_version="1.2",
                    sandbox_backend="bwrap", checks=(
                        CheckResult(name="reference", passed=True, scores=scores),
                        CheckResult(name="failure_cases", passed=admitted, scores=tuple(
                            ScoreResult(outcome=Outcome.SCORED, score=0.0) for _ in range(2))),
                        CheckResult(name="determinism", passed=True)))
                yield spec, prov, report

        ids: list[str] = []
        for record in bank.admit_many(items(), dedup=False, batch_size=2000):
            ids.append(record.id)
        measured = rng.sample(ids, int(len(ids) * 0.6))
        for start in range(0, len(measured), 5000):
            bank.add_stats(TrainingStat(task_id=t, policy="ckpt-800", step=800, attempts=16, mean_score=p,
                                        pass_rate=p) for t in measured[start:start + 5000]
                           for p in [round(rng.random(), 3)])


def cached_bank(n_tasks: int) -> Path:
    """The benchmark bank under /tmp, built on first use (a marker file records that the build finished)."""
    path = Path(f"/tmp/envsynth_bench_web_{n_tasks}_v{BUILD_VERSION}.db")
    marker = path.with_suffix(".done")
    if not marker.exists():
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
        started = time.perf_counter()
        build_bank(path, n_tasks)
        marker.write_text(f"built in {time.perf_counter() - started:.1f} s\n")
    return path


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(bank: Path, port: int) -> subprocess.Popen:
    """``python -m task_bank serve`` in its own process (read-only), waiting until it answers."""
    env = {k: v for k, v in os.environ.items() if k != "ENVSYNTH_WEB_TOKEN"}
    proc = subprocess.Popen([sys.executable, "-m", "task_bank", "serve", "--bank", str(bank), "--port", str(port)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"http://127.0.0.1:{port}/api/", timeout=1.0)
            return proc
        except httpx.TransportError:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError("server did not answer within 60 s")


def measure(client: httpx.Client, urls: list[str], requests: int, warmup: int = 10) -> dict[str, float]:
    """Latency percentiles (ms) over ``requests`` GETs cycling through ``urls``; every answer must be 200."""
    for url in urls[:warmup]:
        client.get(url)
    samples = []
    for i in range(requests):
        url = urls[i % len(urls)]
        started = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "p99_ms": round(samples[int(0.99 * (len(samples) - 1))], 2),
            "mean_ms": round(statistics.fmean(samples), 2), "max_ms": round(samples[-1], 2), "requests": requests}


def measure_cold_overview(client: httpx.Client, bank_path: Path, requests: int = 8) -> dict[str, float]:
    """Overview latency when every request follows a commit (the cache must rebuild every time)."""
    samples = []
    with Bank.open(bank_path) as bank:
        for i in range(requests):
            bank.set_cursor("bench-web", str(i))
            started = time.perf_counter()
            client.get("/").raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    return {"p50_ms": round(statistics.median(samples), 2), "p99_ms": round(samples[-1], 2),
            "mean_ms": round(statistics.fmean(samples), 2), "max_ms": round(samples[-1], 2), "requests": requests}


def main() -> int:
    """Build or reuse the bank, start the server, measure each route, write the results."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    args = parser.parse_args()

    started = time.perf_counter()
    bank_path = cached_bank(args.tasks)
    build_s = time.perf_counter() - started
    rng = random.Random(1)
    with Bank.open(bank_path) as bank:
        summary = bank.summary()
        sample_ids = [r.id for r in bank.list(limit=200, offset=rng.randrange(0, args.tasks - 200))]
        sample_ids += [r.id for r in bank.list(limit=100, sort="pass_rate")]
    rng.shuffle(sample_ids)
    pairs = list(zip(rng.sample(WORDS, 10), [SKILLS[i % len(SKILLS)] for i in range(10)]))
    searches = [f"q={w}&status=admitted&skill={s}" for w, s in pairs]
    banded = [f"q={w}&status=admitted&skill={s}&band=learnable" for w, s in pairs]
    routes = {
        "task list (page)": ["/tasks"],
        "filtered search: text+status+skill (page)": [f"/tasks?{q}" for q in searches],
        "filtered search: text+status+skill+pass band (page)": [f"/tasks?{q}" for q in banded],
        "task page (page)": [f"/tasks/{t}" for t in sample_ids],
        "task list (API)": ["/api/tasks"],
        "filtered search: text+status+skill (API)": [f"/api/tasks?{q}" for q in searches],
        "filtered search: text+status+skill+pass band (API)": [f"/api/tasks?{q}" for q in banded],
        "task (API)": [f"/api/tasks/{t}" for t in sample_ids],
        "overview, cached until the bank changes (page, not in the goal)": ["/"],
        "page 500 sorted by pass rate (page, not in the goal)": ["/tasks?sort=pass_rate&order=asc&page=500"],
    }
    port = free_port()
    load_before = os.getloadavg()[0]
    server = start_server(bank_path, port)
    results = {}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30.0) as client:
            for name, urls in routes.items():
                n = 30 if "not in the goal" in name else args.requests
                results[name] = measure(client, urls, n)
                print(f"{name:66s} p50 {results[name]['p50_ms']:7.2f} ms  p99 {results[name]['p99_ms']:7.2f} ms",
                      flush=True)
            results["overview right after a write (page, not in the goal)"] = measure_cold_overview(
                client, bank_path)
    finally:
        server.terminate()
        server.wait(10)
    goal_routes = {k: v for k, v in results.items() if "not in the goal" not in k}
    report = {
        "benchmark": "web", "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count()},
        "bank": {"tasks": summary["tasks"], "by_status": summary["by_status"], "reports": summary["reports"],
                 "training_stats": summary["training_stats"], "failures": summary["failures"],
                 "bytes": bank_path.stat().st_size, "build_or_reuse_s": round(build_s, 1)},
        "load_average_before_after": [load_before, os.getloadavg()[0]],
        "transport": "HTTP/1.1 keep-alive, httpx client -> uvicorn (python -m task_bank serve) in another process",
        "goal_p99_ms": GOAL_P99_MS,
        "goal_met": all(v["p99_ms"] < GOAL_P99_MS for v in goal_routes.values()),
        "routes": results,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "web.json").write_text(json.dumps(report, indent=2) + "\n")
    lines = [f"# Web view latency ({summary['tasks']:,} tasks)", "",
             f"{report['date']} · {report['transport']} · {os.cpu_count()} CPUs shared with other work "
             f"(1-minute load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after) · "
             f"{args.requests} requests per route after warm-up.", "",
             "| route | p50 ms | p99 ms | mean ms | max ms |", "|---|---:|---:|---:|---:|"]
    lines += [f"| {k} | {v['p50_ms']} | {v['p99_ms']} | {v['mean_ms']} | {v['max_ms']} |" for k, v in results.items()]
    lines += ["", f"Goal: p99 under {GOAL_P99_MS:.0f} ms for the list, a filtered search and a task page "
                  f"(page and API): **{'met' if report['goal_met'] else 'not met'}**.", "",
              "Every search word of the benchmark vocabulary occurs in about 40% of the prompts, a worst case for "
              "full-text search. The task list counts matches within a 20 ms budget "
              "(`task_bank.insights.Insights.count_tasks`); past it, the page shows \"many results\" with "
              "previous/next links instead of a total.", ""]
    (args.out / "web.md").write_text("\n".join(lines))
    print(f"wrote {args.out / 'web.json'} and {args.out / 'web.md'}")
    return 0 if report["goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
