"""Benchmark: does the loop close on a real model? Held-out replay before and after GRPO, and after OPSD.

One run, end to end, through the project's own entry points (each a subprocess, or its Python ``main`` in this
process with ``--in-process``):

1. ``synth.generate --backend replay`` builds the bank from a shipped deployment log and its recorded drafts
   (default: ``examples/smollm2``; practice tasks in the train split, replay tasks in the held-out split);
2. ``synth.replay`` samples the base model on the held-out replay tasks and the retention suite (**before**);
3. ``trainer.grpo`` trains for ``--steps`` on the practice tasks, then ``synth.replay`` samples the result (**after**);
4. ``trainer.opsd`` trains the same base model for the same steps on its own copy of the same bank (the trainers
   write statistics and retire tasks, so each starts from the bank as generated), then ``synth.replay`` again.

The held-out replay tasks are only ever measured here, never used to choose a setting: the trainer configs
(``trainer/configs/small.toml``, ``opsd-small.toml``) were chosen on the validation split of ``examples/smollm2``.
Both runs share the one **before** measurement (same base model, same bank, same samples plan and seed).

The three measurements (the base model's replay, GRPO then its replay, OPSD then its replay) are independent and
run ``--lanes`` at a time (default 2, one torch thread each: both cores of a 2-core machine).

The IFEval verifiers import ``nltk`` inside the sandbox (~0.17 s a group since the sandbox stopped exposing the
interpreter's own site-packages, which had let nltk pull in scipy: 1.1 s). On a shared machine at a load average of
10-19 (1 Dec 2026) ``synth.generate`` still rejected most drafts ``timeout``; the bench then stops, naming the
rejections. Build the bank when the machine is quiet, then pass it with ``--bank``.

Writes ``<out>.json`` (``model``, ``device``, ``steps``, ``wall_s``, ``runs: {grpo, opsd}``, each with ``before`` and
``after``: the ``synth.replay --json`` objects, and ``wall_s``), ``<out>.md`` and ``<out>.png``. Usage::

    OMP_NUM_THREADS=1 python bench/bench_loop.py                           # smollm2-135m, CPU defaults
    python bench/bench_loop.py --device cuda --steps 30 --k 8              # on a GPU
    OMP_NUM_THREADS=1 python bench/bench_loop.py --steps 5 --k 2 --replay-per-group 3 --out /tmp/loop  # short
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import io
import json
import os
import platform
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from loop_report import write_markdown, write_plot  # noqa: E402

EXAMPLE = ROOT / "examples" / "smollm2"
Runner = Callable[[str, Sequence[str]], str]
"""Runs ``python -m MODULE ARGV`` and returns its stdout (``--json`` output); raises on a non-zero exit."""


class StepFailed(RuntimeError):
    """An entry point exited non-zero; the message names it and its exit code."""


def subprocess_runner(module: str, argv: Sequence[str]) -> str:
    """The entry point in a fresh interpreter (its own memory and sandbox pool); stderr passes through."""
    env = {**os.environ, "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "1"), "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", module, *argv], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                          text=True, check=False)
    if done.returncode != 0:
        raise StepFailed(f"python -m {module} exited {done.returncode}")
    return done.stdout


def in_process_runner(module: str, argv: Sequence[str]) -> str:
    """The entry point's ``main`` in this interpreter: no second start-up of torch (the tests' path)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = importlib.import_module(module).main(list(argv))
    if code != 0:
        raise StepFailed(f"python -m {module} exited {code}")
    return out.getvalue()


def subset_drafts(drafts: Path, per_group: int, target: Path) -> Path:
    """Every practice draft and at most ``per_group`` replay drafts per weakness group (the first in the file).

    A failure without a replay draft gets no replay task (``synth.generate`` records the missing draft), so the
    bank's groups, and the practice tasks keyed by them, stay those of the full log.
    """
    kept, seen = [], {}
    for line in drafts.read_text(encoding="utf-8").splitlines():
        if not line.strip():
            continue
        key = json.loads(line)["key"]
        group, slot = key.split("/")[:2]
        if slot.startswith("replay-"):
            seen[group] = seen.get(group, 0) + 1
            if seen[group] > per_group:
                continue
        kept.append(line)
    target.write_text("\n".join(kept) + "\n", encoding="utf-8")
    return target


def build_bank(run: Runner, args: argparse.Namespace, work: Path) -> tuple[Path, dict]:
    """``synth.generate --backend replay`` on the log; returns the bank and the command's JSON summary."""
    bank = work / "bank.db"
    if args.bank is not None:  # built before (e.g. on a quiet machine): a copy, so the given file stays as it is
        shutil.copyfile(args.bank, bank)
        return bank, {"reused": str(args.bank)}
    drafts = args.drafts
    if args.replay_per_group > 0:
        drafts = subset_drafts(drafts, args.replay_per_group, work / "drafts.jsonl")
    out = run("synth.generate", ["--failures", str(args.failures), "--backend", "replay", "--drafts", str(drafts),
                                 "--group-threshold", str(args.group_threshold), "--bank", str(bank),
                                 "--sandbox", args.sandbox, "--json"])
    return bank, json.loads(out)


def bank_counts(bank: Path) -> dict[str, int]:
    """Admitted tasks per split (``task_bank stats``' ``by_split``)."""
    from task_bank.store import Bank

    with Bank.open(bank) as opened:
        return {"train": sum(1 for _ in opened.training_tasks()), "heldout": sum(1 for _ in opened.heldout_tasks())}


def replay(run: Runner, args: argparse.Namespace, policy: str, bank: Path) -> dict:
    """``synth.replay --json`` for one policy: the held-out replay tasks and the retention suite."""
    argv = ["--policy", policy, "--bank", str(bank), "--k", str(args.k), "--max-new-tokens", str(args.max_new_tokens),
            "--device", args.device, "--sandbox", args.sandbox, "--seed", "0", "--json"]
    argv += ["--no-retention"] if args.retention is None else ["--retention", str(args.retention)]
    return json.loads(run("synth.replay", argv))


def train_argv(trainer: str, args: argparse.Namespace, bank: Path, output: Path) -> list[str]:
    """The trainer's command line: its config, the step budget, a checkpoint at the last step, the device."""
    section = "grpo" if trainer == "grpo" else "sdft"
    config = args.grpo_config if trainer == "grpo" else args.opsd_config
    device = f"grpo.device={args.device}" if trainer == "grpo" else f"device={args.device}"
    argv = ["--policy", args.model, "--bank", str(bank), "--output", str(output), "--config", str(config),
            "--max-steps", str(args.steps), "--set", f"{section}.save_steps={args.steps}", "--set", device,
            "--sandbox", args.sandbox, "--json"]
    if trainer == "opsd" and not args.opsd_gap:
        argv.append("--no-gap")
    for override in (args.grpo_set if trainer == "grpo" else args.opsd_set):
        argv += ["--set", override]
    return argv


def training_log(output: Path) -> dict[str, float | None]:
    """Tokens and completion length of the run, from the last checkpoint's trainer state.

    ``tokens`` is TRL's ``num_tokens`` (prompt and completion tokens processed; GRPO logs it, SDFT does not: None);
    ``mean_completion_length`` averages ``completions/mean_length`` over the logged steps (both trainers log it).
    """
    states = sorted(output.glob("checkpoint-*/trainer_state.json"), key=lambda p: int(p.parent.name.split("-")[1]))
    history = json.loads(states[-1].read_text(encoding="utf-8"))["log_history"] if states else []
    tokens = [e["num_tokens"] for e in history if "num_tokens" in e]
    lengths = [e["completions/mean_length"] for e in history if "completions/mean_length" in e]
    return {"tokens": int(tokens[-1]) if tokens else None,
            "mean_completion_length": round(sum(lengths) / len(lengths), 1) if lengths else None}


def run_trainer(run: Runner, trainer: str, args: argparse.Namespace, bank: Path, work: Path) -> dict:
    """Train from the base model on a fresh copy of the bank, then measure the trained policy."""
    own_bank = work / f"bank-{trainer}.db"
    shutil.copyfile(bank, own_bank)
    output = work / f"run-{trainer}"
    start = time.perf_counter()
    summary = json.loads(run(f"trainer.{trainer}", train_argv(trainer, args, own_bank, output)))
    train_s = time.perf_counter() - start
    after = replay(run, args, summary["output"], own_bank)
    return {"after": after, "wall_s": round(time.perf_counter() - start, 1),
            "train_wall_s": round(train_s, 1), "steps": summary["steps"], **training_log(output),
            "summary": summary}


def bench(args: argparse.Namespace, run: Runner) -> dict:
    """The whole loop; returns the ``loop.json`` object."""
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="envsynth-loop-") as tmp:
        work = Path(args.work) if args.work else Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        t = time.perf_counter()
        bank, generated = build_bank(run, args, work)
        bank_info = {"by_split": bank_counts(bank), "wall_s": round(time.perf_counter() - t, 1),
                     "generate": generated}
        if not bank_info["by_split"]["heldout"] or not bank_info["by_split"]["train"]:
            rejected = generated.get("rejected_by_reason") or {}
            hint = (" (timeout: the sandboxed IFEval imports ran past the validation limits, as on a busy machine; "
                    "build the bank when it is quiet and pass it with --bank)" if "timeout" in rejected else "")
            raise StepFailed(f"the bank holds {bank_info['by_split']['train']} practice and "
                             f"{bank_info['by_split']['heldout']} held-out replay tasks, nothing to measure; "
                             f"synth.generate rejected {rejected or 'n/a'}{hint}")
        before, before_s, runs = measure(run, args, bank, work)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"model": args.model, "device": args.device, "steps": args.steps, "k": args.k, "lanes": args.lanes,
            "commit": commit(),
            "max_new_tokens": args.max_new_tokens, "replay_per_group": args.replay_per_group,
            "wall_s": round(time.perf_counter() - start, 1), "before_wall_s": before_s, "bank": bank_info,
            "runs": runs, "command": "python bench/bench_loop.py " + shlex.join(args.argv),
            "configs": {"grpo": _rel(args.grpo_config), "opsd": _rel(args.opsd_config)},
            "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": platform.python_version(),
                        "load_average_at_end": [round(x, 2) for x in load] if load else None,
                        "omp_num_threads": os.environ.get("OMP_NUM_THREADS")}}


def measure(run: Runner, args: argparse.Namespace, bank: Path, work: Path) -> tuple[dict, float, dict]:
    """The base model's replay and both trainers (each: train, then replay), ``--lanes`` jobs at a time.

    The three jobs are independent (each trainer has its own copy of the bank and starts from the base model), so
    on a 2-core machine two lanes of one torch thread each use both cores. The longest job (OPSD: its teacher reads
    the long privileged prompts) starts first, so the other lane does GRPO and then the base model's replay."""
    def before_job() -> tuple[dict, float]:
        t = time.perf_counter()
        report = replay(run, args, args.model, bank)
        return report, round(time.perf_counter() - t, 1)

    lanes = 1 if args.in_process else args.lanes  # in-process mains share stdout: one at a time
    with ThreadPoolExecutor(max_workers=lanes) as pool:
        jobs = {trainer: pool.submit(run_trainer, run, trainer, args, bank, work) for trainer in ("opsd", "grpo")}
        before_future = pool.submit(before_job)
        before, before_s = before_future.result()
        runs = {trainer: {"before": before, **jobs[trainer].result()} for trainer in ("grpo", "opsd")}
    return before, before_s, runs


def commit() -> str | None:
    """The repository's commit the run measured (None outside a git checkout)."""
    done = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip() or None


def _rel(path: Path) -> str:
    path = Path(path).resolve()
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python bench/bench_loop.py",
        description="Base model -> synth.replay (before) -> GRPO / OPSD for N steps on the practice tasks -> "
                    "synth.replay (after); writes OUT.json, OUT.md and OUT.png.")
    parser.add_argument("--model", default="smollm2-135m",
                        help="base policy: folder, hub id, .gguf file or package short name (default: smollm2-135m)")
    parser.add_argument("--device", default="cpu", help="torch device of training and sampling (default: cpu)")
    parser.add_argument("--steps", type=int, default=10, help="optimizer steps of each trainer (default: 10)")
    parser.add_argument("--k", type=int, default=2, help="samples per held-out task in synth.replay (default: 2)")
    parser.add_argument("--max-new-tokens", type=int, default=64,
                        help="tokens per sampled answer in synth.replay (default: 64, the trainers' length)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "loop",
                        help="output path without suffix (default: bench/results/loop)")
    parser.add_argument("--failures", type=Path, default=EXAMPLE / "failures.jsonl",
                        help="deployment log (default: examples/smollm2/failures.jsonl)")
    parser.add_argument("--drafts", type=Path, default=EXAMPLE / "drafts.jsonl",
                        help="recorded drafts for the replay backend (default: examples/smollm2/drafts.jsonl)")
    parser.add_argument("--group-threshold", type=float, default=0.7,
                        help="synth.generate --group-threshold (default: 0.7, the seven groups of the example)")
    parser.add_argument("--replay-per-group", type=int, default=0,
                        help="keep at most N replay drafts per weakness group, for a short run (default: 0, all)")
    parser.add_argument("--bank", type=Path, default=None,
                        help="reuse this bank (a copy) instead of running synth.generate (default: generate one)")
    parser.add_argument("--retention", type=Path, default=ROOT / "examples" / "retention" / "tasks.jsonl",
                        help="retention suite (default: examples/retention/tasks.jsonl)")
    parser.add_argument("--no-retention", dest="retention", action="store_const", const=None,
                        help="skip the retention suite")
    parser.add_argument("--grpo-config", type=Path, default=ROOT / "trainer" / "configs" / "small.toml",
                        help="trainer.grpo config (default: trainer/configs/small.toml)")
    parser.add_argument("--opsd-config", type=Path, default=ROOT / "trainer" / "configs" / "opsd-small.toml",
                        help="trainer.opsd config (default: trainer/configs/opsd-small.toml)")
    parser.add_argument("--grpo-set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="passed to trainer.grpo as --set (repeatable) (default: none)")
    parser.add_argument("--opsd-set", action="append", default=[], metavar="SECTION.FIELD=VALUE",
                        help="passed to trainer.opsd as --set (repeatable) (default: none)")
    parser.add_argument("--opsd-gap", action="store_true",
                        help="let trainer.opsd measure its pre-flight self-teacher gap (default: skipped, it costs "
                             "sampling time outside the step budget)")
    parser.add_argument("--sandbox", default="bwrap", help="sandbox backend of every step (default: bwrap)")
    parser.add_argument("--work", default=None, help="keep the bank and models in this folder (default: a temp dir)")
    parser.add_argument("--lanes", type=int, default=2,
                        help="jobs run side by side (base replay, GRPO, OPSD), one torch thread each; 2 uses both "
                             "cores of a 2-core machine (default: 2; --in-process runs one at a time)")
    parser.add_argument("--in-process", action="store_true",
                        help="call each entry point's main in this process (default: a subprocess each)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.argv = argv
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    if args.steps < 1 or args.k < 1:
        print("bench_loop: --steps and --k must be at least 1", file=sys.stderr)
        return 2
    try:
        result = bench(args, in_process_runner if args.in_process else subprocess_runner)
    except StepFailed as error:
        print(f"bench_loop: {error}; nothing written", file=sys.stderr)
        return 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.with_suffix(".json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    write_plot(result, args.out.with_suffix(".png"))
    write_markdown(result, args.out.with_suffix(".md"), plot_name=args.out.with_suffix(".png").name)
    print(f"wrote {args.out.with_suffix('.json')}, .md, .png in {result['wall_s']:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
