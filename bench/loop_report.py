"""The loop benchmark's report: ``loop.md`` (tables) and ``loop.png`` (the plot) from the ``loop.json`` object.

Per weakness group it shows the failures fixed (a replay task passed in at least half of its k samples) with the
Wilson 95% interval ``synth.replay`` reports, and pass@1 on the held-out replay tasks with a Wilson 95% interval over
its ``total x k`` samples; that second interval treats the k samples of one task as independent, so it is narrower
than the truth when k > 1 (it is labelled so). Then retention before and after, wall time, steps and tokens.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from synth.stats_intervals import wilson_interval  # noqa: E402

COLUMNS = (("before", "base model"), ("grpo", "after GRPO"), ("opsd", "after OPSD"))


def reports(result: dict) -> dict[str, dict]:
    """The three ``synth.replay`` objects: the shared base-model one and each trainer's after."""
    runs = result["runs"]
    return {"before": runs["grpo"]["before"], "grpo": runs["grpo"]["after"], "opsd": runs["opsd"]["after"]}


def pass_interval(tally: dict, k: int) -> tuple[float, float]:
    """Wilson 95% interval of pass@1 over ``total x k`` samples (samples of one task taken as independent)."""
    samples = tally["total"] * k
    return wilson_interval(round(tally["pass_at_1"] * samples), samples) if samples else (0.0, 1.0)


def _retention(report: dict) -> str:
    r = report.get("retention") or {}
    return "n/a" if r.get("pass_rate") is None else f"{r['pass_rate']:.2f} of {r['total']}"


def _row(name: str, tally: dict, k: int) -> str:
    low, high = tally["interval"]
    plow, phigh = pass_interval(tally, k)
    return (f"{tally['fixed']}/{tally['total']} [{low:.2f}, {high:.2f}] | "
            f"{tally['pass_at_1']:.2f} [{plow:.2f}, {phigh:.2f}]")


def write_markdown(result: dict, path: Path, *, plot_name: str) -> None:
    """The tables of ``loop.md``."""
    each = reports(result)
    k = result["k"]
    lines = [f"# The loop on {result['model']}: held-out replay before and after training", "",
             f"Command: `{result['command']}`", "",
             f"Device {result['device']}, {result['steps']} steps per trainer, k={k} samples per held-out task, "
             f"{result['max_new_tokens']} new tokens per answer; whole run {result['wall_s']:.0f} s "
             f"(bank {result['bank']['wall_s']:.0f} s, base-model replay {result['before_wall_s']:.0f} s). "
             f"Bank: {result['bank']['by_split']['train']} practice tasks, "
             f"{result['bank']['by_split']['heldout']} held-out replay tasks"
             + (f" (at most {result['replay_per_group']} replay drafts per group)" if result["replay_per_group"] else "")
             + f". Machine: {result['machine']['cpus']} CPUs, load average at the end "
             f"{result['machine']['load_average_at_end']}.", "",
             "| | fixed (95% CI) | pass@1 (95% CI) | retention | wall s | steps | tokens | mean completion length |",
             "|---|---|---|---|---|---|---|---|"]
    for key, label in COLUMNS:
        rep = each[key]
        run = result["runs"].get(key)
        wall = f"{run['wall_s']:.0f}" if run else f"{result['before_wall_s']:.0f}"
        steps = str(run["steps"]) if run else "0"
        tokens = str(run["tokens"]) if run and run["tokens"] is not None else ("n/a" if run else "0")
        length = str(run["mean_completion_length"]) if run and run["mean_completion_length"] is not None else "n/a"
        lines.append(f"| {label} | {_row(label, rep, k)} | {_retention(rep)} | {wall} | {steps} | {tokens} "
                     f"| {length} |")
    lines += ["", "Per weakness group (fixed failures with Wilson 95% interval; pass@1 with a Wilson 95% interval over "
              "total x k samples, which treats one task's samples as independent):", "",
              "| group | " + " | ".join(f"{label} fixed | {label} pass@1" for _, label in COLUMNS) + " |",
              "|---|" + "---|---|" * len(COLUMNS)]
    for group in sorted(each["before"]["by_group"]):
        cells = [_row(group, each[key]["by_group"][group], k) if group in each[key]["by_group"] else "n/a | n/a"
                 for key, _ in COLUMNS]
        lines.append(f"| {group} | " + " | ".join(cells) + " |")
    lines += ["", "Wall s of a trainer includes its after-training replay; tokens are TRL's `num_tokens` (prompt and "
              "completion tokens GRPO processed; SDFT logs no token count: n/a); mean completion length averages "
              "the logged `completions/mean_length` of the training steps.", "", f"![loop]({plot_name})", ""]
    path.write_text("\n".join(lines), encoding="utf-8")


def write_plot(result: dict, path: Path) -> None:
    """Fixed failures and pass@1 per group with intervals, retention before and after, cost per trainer."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    each = reports(result)
    k = result["k"]
    groups = sorted(each["before"]["by_group"])
    fig, axes = plt.subplots(1, 4, figsize=(18, 4.5), gridspec_kw={"width_ratios": [3, 3, 1.2, 1.6]})
    width = 0.8 / len(COLUMNS)
    for panel, (title, value, interval) in zip(axes[:2], (
            ("failures fixed (share, Wilson 95%)", lambda t: t["fixed"] / t["total"] if t["total"] else 0.0,
             lambda t: tuple(t["interval"])),
            (f"pass@1 on held-out replay (Wilson 95% over total x {k})", lambda t: t["pass_at_1"],
             lambda t: pass_interval(t, k)))):
        for i, (key, label) in enumerate(COLUMNS):
            tallies = [each[key]["by_group"].get(g, {"total": 0, "fixed": 0, "pass_at_1": 0.0, "interval": (0, 1)})
                       for g in groups]
            centres = [value(t) for t in tallies]
            lows = [max(0.0, c - interval(t)[0]) for c, t in zip(centres, tallies)]
            highs = [max(0.0, interval(t)[1] - c) for c, t in zip(centres, tallies)]
            panel.bar([x + (i - 1) * width for x in range(len(groups))], centres, width, yerr=[lows, highs],
                      capsize=2, label=label)
        panel.set_xticks(range(len(groups)), groups, rotation=30, ha="right", fontsize=8)
        panel.set_ylim(0, 1)
        panel.set_title(title, fontsize=9)
    axes[0].legend(fontsize=8)
    retention = [(each[key].get("retention") or {}).get("pass_rate") or 0.0 for key, _ in COLUMNS]
    axes[2].bar([label for _, label in COLUMNS], retention, color=["C0", "C1", "C2"])
    axes[2].set_ylim(0, 1)
    axes[2].set_title("retention pass rate", fontsize=9)
    axes[2].tick_params(axis="x", labelsize=7, rotation=30)
    runs = result["runs"]
    axes[3].bar(["GRPO", "OPSD"], [runs["grpo"]["wall_s"], runs["opsd"]["wall_s"]], color=["C1", "C2"])
    for x, key in enumerate(("grpo", "opsd")):
        tokens = runs[key]["tokens"]
        axes[3].annotate(f"{runs[key]['steps']} steps\n{tokens if tokens is not None else 'n/a'} tokens",
                         (x, runs[key]["wall_s"]), ha="center", va="bottom", fontsize=8)
    axes[3].set_ylim(0, 1.3 * max(runs["grpo"]["wall_s"], runs["opsd"]["wall_s"], 1.0))
    axes[3].set_title("wall s (training + after replay)", fontsize=9)
    fig.suptitle(f"{result['model']} on {result['device']}: {result['steps']} steps, k={k}; whole run "
                 f"{result['wall_s']:.0f} s", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
