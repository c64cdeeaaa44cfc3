"""Server-side SVG charts: the web view draws its own charts so pages need no JavaScript and no CDN.

Every chart is a function from plain numbers and labels to a :class:`markupsafe.Markup` string of inline SVG.
Labels are escaped here (they can come from generated content, e.g. a skill name), colours come from CSS
classes (``series-0`` .. ``series-5``, ``status-*``) so the palette follows the light/dark theme, and nothing
uses ``style=`` attributes, which the Content-Security-Policy would block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

_W = 640
"""Nominal width of a chart's viewBox; the SVG scales to its container."""
_H = 220
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 44, 12, 12, 40
_CHAR_W = 6.4
"""Approximate advance of one tick-label character at the 11px chart font, in viewBox units."""


@dataclass(frozen=True)
class Series:
    """One named series of y values; ``css`` picks its colour class."""

    name: str
    values: Sequence[float]
    css: str = "series-0"


def _trim(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _num(value: float) -> str:
    """Short tick and tooltip text: 12.5, 250, 25k, 1.2M (keeps the y axis inside its margin)."""
    if abs(value) >= 1e6:
        return _trim(value / 1e6) + "M"
    if abs(value) >= 1e4:
        return _trim(value / 1e3) + "k"
    return _trim(value)


def _nice_max(value: float) -> float:
    """An axis maximum of four equal ticks, each 1, 2, 2.5 or 5 times a power of ten (whole numbers for counts)."""
    if value <= 0:
        return 4.0
    raw = value / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for mult in (1, 2, 2.5, 3, 5, 10):
        step = mult * magnitude
        if step >= raw and (step >= 1 or value < 1) and (step < 1 or float(step).is_integer()):
            return step * 4
    return 40 * magnitude


def _frame(title: str, body: list[str], legend: Sequence[Series] = ()) -> Markup:
    parts = [f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" aria-label="{escape(title)}" '
             f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>']
    parts.extend(body)
    x = _PAD_L
    for series in legend:
        parts.append(f'<rect class="{series.css}" x="{x}" y="{_H - 14}" width="10" height="10" rx="2"/>'
                     f'<text class="chart-legend" x="{x + 14}" y="{_H - 5}">{escape(series.name)}</text>')
        x += 24 + 7 * len(series.name)
    parts.append("</svg>")
    return Markup("".join(parts))


def _y_axis(ymax: float, percent: bool) -> list[str]:
    body = []
    plot_h = _H - _PAD_T - _PAD_B
    for i in range(5):
        value = ymax * i / 4
        y = _PAD_T + plot_h - plot_h * i / 4
        label = f"{value * 100:.0f}%" if percent else _num(value)
        body.append(f'<line class="chart-grid" x1="{_PAD_L}" x2="{_W - _PAD_R}" y1="{y:.1f}" y2="{y:.1f}"/>'
                    f'<text class="chart-tick" x="{_PAD_L - 6}" y="{y + 4:.1f}" text-anchor="end">{label}</text>')
    return body


def _x_labels(labels: Sequence[str], xs: Sequence[float]) -> list[str]:
    """Tick labels thinned so they never overlap: as many as fit the plot width at their text length."""
    if not labels:
        return []
    longest = max(len(short_label(label)) for label in labels)
    fit = max(2, int((_W - _PAD_L - _PAD_R) / (longest * _CHAR_W + 12)))
    every = max(1, math.ceil(len(labels) / fit))
    last = len(labels) - 1
    shown = list(range(0, last + 1, every))
    if shown[-1] != last:
        if len(shown) > 1 and last - shown[-1] < every:
            shown[-1] = last
        else:
            shown.append(last)
    body = []
    for i in shown:
        label, x = labels[i], xs[i]
        half = len(short_label(label)) * _CHAR_W / 2
        anchor = "start" if x - half < 2 else "end" if x + half > _W - 2 else "middle"
        body.append(f'<text class="chart-tick" x="{x:.1f}" y="{_H - _PAD_B + 16}" text-anchor="{anchor}">'
                    f'<title>{escape(label)}</title>{escape(short_label(label))}</text>')
    return body


def short_label(label: str, limit: int = 12) -> str:
    """Keep the end of long labels (run ids and checkpoints differ at the end: 'grow-2026-11-17' -> '…2026-11-17')."""
    return label if len(label) <= limit else "…" + label[-(limit - 1):]


def empty_chart(title: str, message: str = "No data yet") -> Markup:
    """A short placeholder in place of a chart with nothing to draw."""
    return Markup(f'<svg class="chart" viewBox="0 0 {_W} 72" role="img" aria-label="{escape(title)}" '
                  f'xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
                  f'<rect class="chart-empty-bg" x="0.5" y="0.5" width="{_W - 1}" height="71" rx="8"/>'
                  f'<text class="chart-empty" x="{_W / 2}" y="41" text-anchor="middle">{escape(message)}</text></svg>')


def line_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, percent: bool = False,
               ymax: float | None = None) -> Markup:
    """Lines with dots, one per series, over shared x labels (time points, checkpoints)."""
    n = len(labels)
    if n == 0 or not any(s.values for s in series):
        return empty_chart(title)
    top = ymax if ymax is not None else _nice_max(max((v for s in series for v in s.values if v == v), default=0.0))
    plot_w = _W - _PAD_L - _PAD_R
    plot_h = _H - _PAD_T - _PAD_B
    xs = [_PAD_L + (plot_w * i / (n - 1) if n > 1 else plot_w / 2) for i in range(n)]
    body = _y_axis(top, percent)
    for s in series:
        kept = [(i, v) for i, v in enumerate(s.values[:n]) if v == v]  # NaN marks "not measured here"
        points = [(xs[i], _PAD_T + plot_h - plot_h * min(v, top) / top) for i, v in kept]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        body.append(f'<polyline class="chart-line {s.css}" points="{path}"/>')
        for (x, y), (i, v) in zip(points, kept):
            label = labels[i]
            shown = f"{v * 100:.0f}%" if percent else _num(v)
            body.append(f'<circle class="chart-dot {s.css}" cx="{x:.1f}" cy="{y:.1f}" r="3">'
                        f"<title>{escape(s.name)} · {escape(label)}: {shown}</title></circle>")
    body.extend(_x_labels(labels, xs))
    return _frame(title, body, series if len(series) > 1 else ())


def bar_chart(title: str, labels: Sequence[str], series: Sequence[Series], *, stacked: bool = True) -> Markup:
    """Vertical bars per label; several series stack (admitted over rejected) or sit side by side."""
    n = len(labels)
    if n == 0 or not any(any(s.values) for s in series):
        return empty_chart(title)
    totals = [sum(s.values[i] for s in series) if stacked else max(s.values[i] for s in series)
              for i in range(n)]
    top = _nice_max(max(totals))
    plot_w = _W - _PAD_L - _PAD_R
    plot_h = _H - _PAD_T - _PAD_B
    slot = plot_w / n
    bar_w = max(2.0, min(48.0, slot * 0.7))
    body = _y_axis(top, False)
    xs = []
    for i, label in enumerate(labels):
        cx = _PAD_L + slot * (i + 0.5)
        xs.append(cx)
        base = _PAD_T + plot_h
        for k, s in enumerate(series):
            v = s.values[i]
            h = plot_h * v / top
            if stacked:
                x, w, y = cx - bar_w / 2, bar_w, base - h
                base -= h
            else:
                w = bar_w / len(series)
                x, y = cx - bar_w / 2 + k * w, _PAD_T + plot_h - h
            if v:
                body.append(f'<rect class="chart-bar {s.css}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
                            f'height="{h:.1f}"><title>{escape(label)} · {escape(s.name)}: {_num(v)}</title></rect>')
    body.extend(_x_labels(labels, xs))
    return _frame(title, body, series if len(series) > 1 else ())


def hbar_rows(rows: Sequence[tuple[str, float]], *, percent: bool = False, css: str = "series-0") -> Markup:
    """A compact horizontal bar list (rejection reasons, weakest skills): label, bar, value per row."""
    if not rows:
        return Markup('<p class="muted">Nothing recorded yet.</p>')
    top = max(v for _, v in rows) or 1.0
    scale = 1.0 if percent else top
    out = ['<table class="hbars">']
    for label, value in rows:
        width = max(1.0, 100.0 * value / scale)
        shown = f"{value * 100:.0f}%" if percent else _num(value)
        out.append(f'<tr><th scope="row" title="{escape(label)}">{escape(label)}</th><td class="hbar-cell">'
                   f'<svg class="hbar" viewBox="0 0 100 8" preserveAspectRatio="none" aria-hidden="true">'
                   f'<rect class="hbar-track" width="100" height="8" rx="2"/>'
                   f'<rect class="{css}" width="{width:.1f}" height="8" rx="2"/></svg></td>'
                   f'<td class="num">{shown}</td></tr>')
    out.append("</table>")
    return Markup("".join(out))


def meter(value: float | None) -> Markup:
    """A tiny inline pass-rate bar for table cells; coloured by band via CSS classes."""
    if value is None:
        return Markup('<span class="muted">–</span>')
    band = "low" if value < 0.2 else "mid" if value < 0.8 else "high"
    return Markup(f'<span class="meter-wrap"><svg class="meter" viewBox="0 0 40 6" aria-hidden="true">'
                  f'<rect class="hbar-track" width="40" height="6" rx="3"/>'
                  f'<rect class="meter-{band}" width="{max(1.0, 40 * value):.1f}" height="6" rx="3"/></svg>'
                  f'<span class="num">{value * 100:.0f}%</span></span>')
