"""Intervals and paired tests for replay evaluations: how sure is "fixed 9 of 32", and is policy B really better?

Both come from scipy's exact binomial machinery rather than hand-written formulas:

* :func:`wilson_interval` -- the Wilson score interval of a share (``binomtest(...).proportion_ci(method="wilson")``);
  unlike the normal approximation it stays inside [0, 1] and is sensible at 0 of n and n of n, which small replay
  sets hit all the time.
* :func:`mcnemar_exact` -- McNemar's exact test for two policies judged on the same tasks: only the discordant tasks
  (fixed by one policy, not by the other) carry evidence, and under "no difference" each discordant task is a fair
  coin, so the p-value is a two-sided binomial test of ``b`` successes in ``b + c`` trials at 0.5.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field
from scipy.stats import binomtest

CONFIDENCE = 0.95
"""Confidence level of every interval and the significance level (1 - CONFIDENCE) of every test."""


def wilson_interval(successes: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval of ``successes / total``; ValueError for counts that are not a share."""
    if total < 1 or not 0 <= successes <= total:
        raise ValueError(f"a share needs 0 <= successes <= total and total >= 1, got {successes} of {total}")
    ci = binomtest(successes, total).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


class PairedComparison(BaseModel):
    """Two policies judged on the same tasks with McNemar's exact test."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    method: str = "mcnemar_exact"
    """The test used."""
    tasks: int = Field(ge=0)
    """Tasks both policies were judged on."""
    only_this: int = Field(ge=0)
    """Tasks this policy fixed and the other did not (b)."""
    only_other: int = Field(ge=0)
    """Tasks the other policy fixed and this one did not (c)."""
    difference: float
    """(b - c) / tasks: this policy's fixed share minus the other's."""
    p_value: float = Field(ge=0.0, le=1.0)
    """Two-sided exact p-value; 1.0 when there is no discordant task."""
    significant: bool
    """p_value below 1 - CONFIDENCE."""


def mcnemar_exact(this: Sequence[bool], other: Sequence[bool], confidence: float = CONFIDENCE) -> PairedComparison:
    """Compare paired outcomes (task i fixed by this policy, task i fixed by the other) with McNemar's exact test."""
    if len(this) != len(other):
        raise ValueError(f"paired outcomes differ in length: {len(this)} and {len(other)}")
    b = sum(1 for x, y in zip(this, other) if x and not y)
    c = sum(1 for x, y in zip(this, other) if y and not x)
    p = float(binomtest(b, b + c, 0.5).pvalue) if b + c else 1.0
    return PairedComparison(tasks=len(this), only_this=b, only_other=c,
                            difference=(b - c) / len(this) if this else 0.0, p_value=min(1.0, p),
                            significant=p < 1.0 - confidence)
