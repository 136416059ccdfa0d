"""Small horizontal bar charts drawn with HTML only (no script): ``{% include "core/_bars.html" %}``
with ``bars`` from ``bars(title, rows)``.  Used by dashboard panels beside their tables; labels are
escaped like any template text."""

from __future__ import annotations

from decimal import Decimal


def bars(title, rows, *, tone: str = "primary", fmt=None) -> dict:
    """``rows``: (label, value) or (label, value, tone); each bar's length is its share of the largest.
    ``fmt(value) -> str`` formats the figure shown beside the bar (default: thousands separators)."""
    from .formatting import number

    fmt = fmt or number
    rows = [tuple(r) for r in rows]
    top = max((Decimal(r[1] or 0) for r in rows), default=Decimal(0))
    out = []
    for r in rows:
        value = r[1] or 0
        percent = (Decimal(value) * 100 / top).quantize(Decimal("0.1")) if top > 0 else Decimal(0)
        out.append({
            "label": r[0], "value": value, "display": fmt(value), "percent": str(percent),
            "tone": r[2] if len(r) > 2 else tone,
        })
    return {"title": title, "rows": out}
