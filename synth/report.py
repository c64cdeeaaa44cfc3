"""The final table of ``synth.generate``: what a run read, drafted, admitted and rejected, and where time went."""

from __future__ import annotations

from rich.table import Table

from synth.summary import PipelineSummary

_STAGE_ORDER = ("load", "redact", "group", "diagnose", "draft", "parse", "validate", "band", "admit")


def summary_table(summary: PipelineSummary, *, title: str | None = None) -> Table:
    """A two-column rich table of ``summary`` (counts, rejections by reason, time per stage)."""
    table = Table(title=title or f"synth.generate run {summary.run_id}", show_lines=False)
    table.add_column("metric", style="bold")
    table.add_column("value", justify="right")
    rows: list[tuple[str, str]] = [
        ("failures read", str(summary.failures_read)),
        ("skipped (already processed)", str(summary.failures_skipped)),
        ("secrets redacted", str(summary.redactions)),
        ("groups", str(summary.groups)),
        ("drafts (repairs)", f"{summary.drafts} ({summary.repairs})"),
        ("validated", str(summary.validated)),
        ("admitted", str(summary.admitted)),
        ("rejected", str(summary.rejected)),
    ]
    rows += [(f"  rejected: {reason}", str(n)) for reason, n in summary.rejected_by_reason.items()]
    rows.append(("duplicates", str(summary.duplicates)))
    if summary.generator_tokens:
        rows.append(("generator tokens", str(summary.generator_tokens)))
    total = sum(summary.stage_seconds.values()) or 1.0
    stages = sorted(summary.stage_seconds, key=lambda s: _STAGE_ORDER.index(s) if s in _STAGE_ORDER else 99)
    rows += [(f"time: {stage}", f"{summary.stage_seconds[stage]:.2f} s ({summary.stage_seconds[stage] / total:.0%})")
             for stage in stages]
    rows.append(("outcome", summary.outcome.value + (f" ({summary.budget_exhausted})"
                                                     if summary.budget_exhausted else "")))
    for name, value in rows:
        table.add_row(name, value)
    return table
