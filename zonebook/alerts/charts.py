"""Small server-side SVG charts (no JavaScript: the CSP allows no inline scripts, and nothing is
loaded from the internet).  The peer chart is a histogram: peers are counted per bin, so no single
peer's exact figure is drawn, and nobody is named."""

from __future__ import annotations

from decimal import Decimal

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

W, H = 360, 140
PAD_L, PAD_R, PAD_T, PAD_B = 28, 12, 14, 30


def _num(d: Decimal) -> str:
    text = format(d.normalize(), "f") if isinstance(d, Decimal) else str(d)
    return text if len(text) <= 12 else f"{float(d):.6g}"


def _f(v: float) -> str:
    return f"{v:.1f}"


def _anchor(px: float) -> str:
    """Labels near the edges are anchored inwards so they are not cut off."""
    if px > W * 0.7:
        return "end"
    if px < W * 0.3:
        return "start"
    return "middle"


def bins(values: list[Decimal], lo: Decimal, hi: Decimal, count: int) -> list[int]:
    out = [0] * count
    width = (hi - lo) / count if hi > lo else Decimal(1)
    for v in values:
        i = int((v - lo) / width) if hi > lo else 0
        out[min(max(i, 0), count - 1)] += 1
    return out


def histogram(
    values: list[Decimal], own: Decimal | None, median: Decimal | None, *, labels: dict
) -> SafeString:
    """Histogram of ``values`` with a dashed line at ``median`` and a red line at ``own``."""
    if not values:
        return mark_safe("")
    points = list(values) + ([own] if own is not None else [])
    lo, hi = min(points), max(points)
    if hi == lo:
        lo, hi = lo - abs(lo) / 10 - Decimal("0.000001"), hi + abs(hi) / 10 + Decimal("0.000001")
    count = min(10, max(4, len(values)))
    counts = bins(values, lo, hi, count)
    top = max(counts) or 1
    plot_w, plot_h = W - PAD_L - PAD_R, H - PAD_T - PAD_B

    def x(v: Decimal) -> float:
        return PAD_L + float((v - lo) / (hi - lo)) * plot_w

    bar_w = plot_w / count
    bars = format_html_join(
        "",
        '<rect class="peer-bar" x="{}" y="{}" width="{}" height="{}" fill="#9ec5fe" stroke="#6ea8fe">'
        "<title>{}</title></rect>",
        (
            (
                _f(PAD_L + i * bar_w + 1),
                _f(PAD_T + plot_h * (1 - n / top)),
                _f(max(bar_w - 2, 1)),
                _f(plot_h * n / top),
                n,
            )
            for i, n in enumerate(counts)
        ),
    )
    parts = [bars]
    if median is not None:
        mx = _f(x(median))
        parts.append(
            format_html(
                '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#212529" stroke-dasharray="4 3"/>'
                '<text x="{}" y="{}" font-size="10" text-anchor="{}">{} {}</text>',
                mx,
                PAD_T - 4,
                mx,
                PAD_T + plot_h,
                mx,
                PAD_T - 5,
                _anchor(x(median)),
                labels.get("median", "median"),
                _num(median),
            )
        )
    if own is not None:
        ox = _f(x(own))
        parts.append(
            format_html(
                '<line class="own-value" x1="{}" y1="{}" x2="{}" y2="{}" stroke="#dc3545" stroke-width="2"/>'
                '<text x="{}" y="{}" font-size="10" fill="#dc3545" text-anchor="{}">{} {}</text>',
                ox,
                PAD_T,
                ox,
                PAD_T + plot_h,
                ox,
                H - 4,
                _anchor(x(own)),
                labels.get("own", "this row"),
                _num(own),
            )
        )
    axis = format_html(
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#6c757d"/>'
        '<text x="{}" y="{}" font-size="10" text-anchor="start">{}</text>'
        '<text x="{}" y="{}" font-size="10" text-anchor="end">{}</text>'
        '<text x="4" y="{}" font-size="10">{}</text>',
        PAD_L,
        PAD_T + plot_h,
        W - PAD_R,
        PAD_T + plot_h,
        PAD_L,
        PAD_T + plot_h + 12,
        _num(lo),
        W - PAD_R,
        PAD_T + plot_h + 12,
        _num(hi),
        PAD_T + 8,
        top,
    )
    return format_html(
        '<svg class="peer-chart" role="img" aria-label="{}" viewBox="0 0 {} {}" width="{}" height="{}" '
        'xmlns="http://www.w3.org/2000/svg">{}{}</svg>',
        labels.get("title", ""),
        W,
        H,
        W,
        H,
        axis,
        mark_safe("".join(str(p) for p in parts)),  # noqa: S308
    )
