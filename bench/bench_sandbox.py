"""Sandbox scoring throughput: the warm pool against a fresh bwrap+python per call and a plain subprocess per call.

Side by side in one run, for a trivial verifier (a string comparison), a HumanEval-sized one written the old way
(execs the response in its own process and runs a dozen test cases) and the same HumanEval task written the safe
way (``run-response``: the response's code runs through ``envsynth_sandbox.run_response``, one response process per
verify call, so its calls/s are response-code executions/s), on 1 and 2 workers (concurrent callers for the
per-call baselines):

- ``pool-group16``: the warm bwrap pool, one request per GRPO group of 16 responses (the training path; the pool
  scores a verifier that names ``run_response`` 8 responses to a process, ``verifier.pool.CODE_GROUP_SIZE``)
- ``pool-group16-isolated``: the same with ``Limits(isolate_responses=True)``: a further fork per response
- ``pool-group16-unpinned``: ``pool-group16`` with workers the scheduler moves between CPUs as it likes, as before
  a worker was pinned to one CPU while it scores a group (``verifier/sandbox/cpu_pinning.py``): what the pin is worth
- ``pool-group1``: the warm bwrap pool, one request (and one fork) per response
- ``bwrap-fresh``: a new bwrap sandbox and a new interpreter for every call (the naive baseline)
- ``subprocess``: a new plain interpreter for every call (no isolation at all)

Reported: verify calls/s, and p50/p99 latency of one scoring request (a group of 16, or one call) in ms. The machine
is shared, so each row is measured ``--repeats`` times and the best run (highest calls/s) is kept. Goals on
the 2-core machine: >= 5,000 calls/s for the trivial verifier scored in groups, >= 20x ``bwrap-fresh``, and
>= 500 response-code executions/s through ``run_response``. The ``x bwrap-fresh`` column of ``run-response`` rows
compares with the old-way HumanEval verifier run naively (a new bwrap and interpreter per call).

    python bench/bench_sandbox.py [--seconds 1.5] [--repeats 3] [--out bench/results]

Writes ``sandbox.json`` and ``sandbox.md`` under ``--out``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine_speed import calibrate, describe  # noqa: E402
from verifier import Limits, open_pool  # noqa: E402
from verifier.sandbox.bwrap import BwrapBackend, containment, python_paths  # noqa: E402
from verifier.sandbox.registry import BackendRegistry  # noqa: E402

GROUP = 16
GOAL_CALLS_PER_S = 5000.0
GOAL_RATIO = 20.0
GOAL_EXECUTIONS_PER_S = 500.0

TRIVIAL = "def verify(response: str) -> float:\n    return 1.0 if response.strip() == '42' else 0.0\n"
HUMANEVAL = '''CASES = [([], 0), ([3], 3), ([1, 2, 3], 6), ([-1, 1], 0), ([7, 7, 7], 21), (list(range(10)), 45),
         ([5, -5, 5], 5), ([100], 100), ([2] * 7, 14), ([-3, -4], -7), (list(range(-5, 6)), 0), ([9, 1], 10)]


def verify(response: str) -> float:
    """Execs the submitted ``total(xs)`` and runs the test cases; the score is the fraction passed."""
    namespace = {}
    try:
        exec(compile(response, "<response>", "exec"), namespace)
    except Exception:
        return 0.0
    total = namespace.get("total")
    if not callable(total):
        return 0.0
    passed = 0
    for args, expected in CASES:
        try:
            passed += total(list(args)) == expected
        except Exception:
            pass
    return passed / len(CASES)
'''
RUN_RESPONSE = '''from envsynth_sandbox import plain, run_response

CASES = [([], 0), ([3], 3), ([1, 2, 3], 6), ([-1, 1], 0), ([7, 7, 7], 21), (list(range(10)), 45),
         ([5, -5, 5], 5), ([100], 100), ([2] * 7, 14), ([-3, -4], -7), (list(range(-5, 6)), 0), ([9, 1], 10)]


def verify(response: str) -> float:
    """Runs the submitted ``total(xs)`` in a response process of its own; the score is the fraction passed."""
    run = run_response(response, calls=[("total", [xs]) for xs, _ in CASES], timeout=2.0)
    return sum(c.ok and c.value == plain(want) for c, (_, want) in zip(run.calls, CASES)) / len(CASES)
'''
TOTAL = "def total(xs):\n    result = 0\n    for x in xs:\n        result += x\n    return result\n"
WRONG_TOTAL = "def total(xs):\n    return 0\n"
VERIFIERS = {  # source, a passing response, a failing one
    "trivial": (TRIVIAL, "42", "wrong"),
    "humaneval": (HUMANEVAL, TOTAL, "wrong"),
    # the failing response is code that runs: "wrong" is a bare unknown name, which run_response answers without a
    # process, so half the group would not be executions at all; and every response of a group is made distinct
    # (``measure``), since the same request for the same text again is answered without one
    "run-response": (RUN_RESPONSE, TOTAL, WRONG_TOTAL),
}
METHODS = {
    "trivial": ("pool-group16", "pool-group16-unpinned", "pool-group16-isolated", "pool-group1", "bwrap-fresh",
                "subprocess"),
    "humaneval": ("pool-group16", "pool-group16-isolated", "pool-group1", "bwrap-fresh", "subprocess"),
    "run-response": ("pool-group16", "pool-group16-unpinned", "pool-group1"),
}
ONE_SHOT = ("import json, sys\nns = {}\nexec(compile(sys.argv[1], '<verifier>', 'exec'), ns)\n"
            "print(json.dumps({'score': ns['verify'](sys.argv[2])}))\n")


def fresh_argv(kind: str, source: str, response: str) -> list[str]:
    """One call in a new interpreter: inside a new bwrap sandbox, or as a bare subprocess."""
    binary, prefix = python_paths()
    command = [str(binary), "-S", "-s", "-B", "-c", ONE_SHOT, source, response]
    if kind == "subprocess":
        return command
    argv = ["bwrap", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--die-with-parent",
            "--new-session", "--ro-bind", "/usr", "/usr"]
    for top in ("/lib", "/lib64", "/bin"):
        if Path(top).is_symlink():
            argv += ["--symlink", os.readlink(top), top]
    for parent in reversed(prefix.parents[:-1]):
        argv += ["--perms", "0755", "--dir", str(parent)]
    argv += ["--ro-bind", str(prefix), str(prefix), "--proc", "/proc", "--dev", "/dev", "--tmpfs", "/scratch",
             "--chdir", "/scratch", "--"]
    return argv + command


def drive(callers: int, seconds: float, call) -> tuple[int, list[float], float]:
    """Run ``call`` (returns how many verify calls it made) from ``callers`` threads for ``seconds``."""
    latencies: list[float] = []
    counts = [0] * callers
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def loop(slot: int) -> None:
        while time.monotonic() < stop:
            started = time.perf_counter()
            made = call()
            elapsed = (time.perf_counter() - started) * 1000
            with lock:
                latencies.append(elapsed)
                counts[slot] += made

    threads = [threading.Thread(target=loop, args=(i,)) for i in range(callers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts), latencies, time.perf_counter() - began


def measure(method: str, verifier: str, workers: int, seconds: float) -> dict[str, object]:
    source, good, bad = VERIFIERS[verifier]
    responses = [good if i % 2 == 0 else bad for i in range(GROUP)]
    if verifier == "run-response":  # each a text of its own: a verifier process answers a repeat from its first run
        responses = [f"{text}# response {i}\n" for i, text in enumerate(responses)]
    if method.startswith("pool"):
        group = 1 if method == "pool-group1" else GROUP
        limits = Limits(isolate_responses=method.endswith("isolated"))
        registry = unpinned_registry() if method.endswith("unpinned") else None
        with open_pool("bwrap", workers=workers, limits=limits, group_size=group, registry=registry) as pool:
            pool.score(source, responses)

            def call() -> int:
                results = pool.score(source, responses[:group])
                if any(r.score is None for r in results):
                    raise RuntimeError(f"benchmark call failed: {results[0]}")
                return len(results)

            calls, latencies, elapsed = drive(workers, seconds, call)
    else:
        kind = "subprocess" if method == "subprocess" else "bwrap"

        def call() -> int:
            done = subprocess.run(fresh_argv(kind, source, good), capture_output=True, timeout=30, env={})
            if done.returncode != 0:
                raise RuntimeError(f"benchmark call failed: {done.stderr[-300:]!r}")
            return 1

        calls, latencies, elapsed = drive(workers, seconds, call)
    latencies.sort()
    return {"method": method, "verifier": verifier, "workers": workers, "calls": calls,
            "calls_per_s": round(calls / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 2),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 2),
            "calls_per_request": 1 if method in ("pool-group1", "bwrap-fresh", "subprocess") else GROUP}


def unpinned_registry() -> BackendRegistry:
    """A registry whose bwrap backend leaves its workers unpinned."""
    registry = BackendRegistry()
    registry.register(BwrapBackend.name, partial(BwrapBackend, pin_cpus=False))
    return registry


def table(rows: list[dict[str, object]]) -> str:
    lines = ["| verifier | method | workers | calls/s | p50 ms / request | p99 ms / request | x bwrap-fresh |",
             "|---|---|---|---|---|---|---|"]
    base = {(r["verifier"], r["workers"]): r["calls_per_s"] for r in rows if r["method"] == "bwrap-fresh"}
    for r in rows:
        naive = "humaneval" if r["verifier"] == "run-response" else r["verifier"]
        ratio = r["calls_per_s"] / base[(naive, r["workers"])]
        lines.append(f"| {r['verifier']} | {r['method']} | {r['workers']} | {r['calls_per_s']:.0f} | "
                     f"{r['p50_ms']} | {r['p99_ms']} | {ratio:.1f} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="time per measurement")
    parser.add_argument("--repeats", type=int, default=2, help="measurements per row; the best is kept")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent / "results")
    args = parser.parse_args()
    speed = calibrate()
    rows = [max((measure(method, verifier, workers, args.seconds) for _ in range(args.repeats)),
                key=lambda row: row["calls_per_s"])
            for verifier in VERIFIERS for workers in (1, 2) for method in METHODS[verifier]]
    executions = max(r["calls_per_s"] for r in rows
                     if r["verifier"] == "run-response" and not r["method"].endswith("unpinned"))
    pinning = {f"{r['verifier']} x{r['workers']}": round(r["calls_per_s"] / next(
        u["calls_per_s"] for u in rows if u["method"] == "pool-group16-unpinned" and u["verifier"] == r["verifier"]
        and u["workers"] == r["workers"]), 2)
        for r in rows if r["method"] == "pool-group16" and "pool-group16-unpinned" in METHODS[r["verifier"]]}
    best = {v: max(r["calls_per_s"] for r in rows if r["verifier"] == v and r["method"] == "pool-group16")
            for v in VERIFIERS}
    fresh = {v: max(r["calls_per_s"] for r in rows if r["verifier"] == v and r["method"] == "bwrap-fresh")
             for v in VERIFIERS if "bwrap-fresh" in METHODS[v]}
    report = {
        "benchmark": "sandbox", "when": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "kernel": platform.release(),
                    "load_average": [round(x, 2) for x in os.getloadavg()], "containment": containment(),
                    "speed": speed},
        "group_size": GROUP, "seconds_per_measurement": args.seconds, "repeats": args.repeats, "rows": rows,
        "pinned_over_unpinned": pinning,
        "goals": {"trivial_group_calls_per_s": {"goal": GOAL_CALLS_PER_S, "measured": best["trivial"],
                                                "met": best["trivial"] >= GOAL_CALLS_PER_S},
                  "ratio_vs_bwrap_fresh": {"goal": GOAL_RATIO,
                                           "measured": round(best["trivial"] / fresh["trivial"], 1),
                                           "met": best["trivial"] / fresh["trivial"] >= GOAL_RATIO},
                  "run_response_executions_per_s": {"goal": GOAL_EXECUTIONS_PER_S, "measured": executions,
                                                    "met": executions >= GOAL_EXECUTIONS_PER_S}},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "sandbox.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = (f"# Sandbox scoring throughput\n\n{report['when']}, {report['machine']['cpus']} CPUs (shared), load "
                f"{report['machine']['load_average']}, containment: {report['machine']['containment']}; "
                f"{describe(speed)}; "
                f"best of {args.repeats} x {args.seconds} s per row; a request is one group of {GROUP} (pool-group16*) or one call.\n\n"
                f"{table(rows)}\n\nGoals: trivial verifier in groups >= {GOAL_CALLS_PER_S:.0f} calls/s: "
                f"{best['trivial']:.0f} ({'met' if report['goals']['trivial_group_calls_per_s']['met'] else 'NOT met'}); "
                f">= {GOAL_RATIO:.0f}x bwrap-fresh: {report['goals']['ratio_vs_bwrap_fresh']['measured']}x "
                f"({'met' if report['goals']['ratio_vs_bwrap_fresh']['met'] else 'NOT met'}); "
                f"response-code executions through run_response >= {GOAL_EXECUTIONS_PER_S:.0f}/s: {executions:.0f} "
                f"({'met' if report['goals']['run_response_executions_per_s']['met'] else 'NOT met'}).\n\n"
                "Workers pinned to one CPU while they score a group against unpinned (pool-group16 / pool-group16-unpinned, calls/s): "
                + ", ".join(f"{key}: {ratio}x" for key, ratio in pinning.items()) + ".\n")
    (args.out / "sandbox.md").write_text(markdown)
    print(markdown)


if __name__ == "__main__":
    main()
