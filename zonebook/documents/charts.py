"""Charts: one spec (``content.Chart``) drawn in pages (ECharts) and in documents (PNG, matplotlib).

    from zonebook.documents.charts import chart
    spec = chart("bar", "各开发区进出口总额", ["成都高新综保区", "绵阳综保区"],
                 {"2026年1—11月": [Decimal("123.4"), Decimal("45.6")]}, unit="亿元")

* in a page: ``{% load charts %}{% chart spec %}`` (data in ``json_script``, drawn by the one static
  initialiser ``static/zonebook/charts.js`` under the strict CSP; every label is text);
* in a document: put ``spec`` in a ``Section``'s blocks; ``render`` draws it with ``png(spec)``.

Kinds: ``line``, ``bar`` (grouped columns), ``pie`` (the first series), ``ranked_bar`` (horizontal
bars sorted by the first series, largest on top).  Chinese text is drawn with the Noto CJK font
loaded by path (``settings.DOCUMENTS_CJK_FONT`` or the Debian ``fonts-noto-cjk`` file): without it
Chinese would render as empty boxes, so a missing font is an error, not a silent fallback.
"""

from __future__ import annotations

import io
import math
import shutil
import subprocess
import threading
from collections.abc import Mapping, Sequence
from decimal import Decimal
from functools import lru_cache
from pathlib import Path

from .content import Chart, Series
from .errors import DocumentError
from .formatting import to_decimal

KINDS = ("line", "bar", "pie", "ranked_bar")
KNOWN_FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
)
# the official colour order of the pages' ECharts theme, so a chart looks the same in page and print
PALETTE = ("#c23531", "#2f4554", "#61a0a8", "#d48265", "#91c7ae", "#749f83", "#ca8622", "#bda29a")
_lock = threading.Lock()  # matplotlib's font cache and pyplot-free figures are not thread-safe together


def chart(
    kind: str,
    title: str,
    categories: Sequence,
    series: Mapping[str, Sequence] | Sequence[Series],
    *,
    unit: str = "",
) -> Chart:
    """A chart spec from plain data: ``series`` as ``{name: values}`` or a list of ``Series``."""
    if kind not in KINDS:
        raise ValueError(f"unknown chart kind {kind!r}: one of {', '.join(KINDS)}")
    if isinstance(series, Mapping):
        series = [Series(str(name), list(values)) for name, values in series.items()]
    cats = [str(c) for c in categories]
    for s in series:
        if len(s.values) != len(cats):
            raise ValueError(f"series {s.name!r} has {len(s.values)} values for {len(cats)} categories")
    return Chart(kind, str(title), cats, list(series), unit=unit)


def _number(value) -> float | None:
    d = to_decimal(value)
    return None if d is None else float(d)


def page_spec(spec: Chart | Mapping) -> dict:
    """The JSON the page initialiser reads: plain strings and numbers (labels are never HTML)."""
    if isinstance(spec, Mapping):
        spec = chart(spec["kind"], spec.get("title", ""), spec.get("categories", []),
                     spec.get("series", {}), unit=spec.get("unit", ""))
    if spec.kind not in KINDS:
        raise ValueError(f"unknown chart kind {spec.kind!r}")
    cats, series = _ordered(spec)
    return {
        "kind": spec.kind,
        "title": spec.title,
        "unit": spec.unit,
        "categories": cats,
        "series": [{"name": s.name, "values": [_number(v) for v in s.values]} for s in series],
    }


def _ordered(spec: Chart) -> tuple[list[str], list[Series]]:
    """Categories and series in drawing order: ranked bars sorted by the first series, descending."""
    cats, series = list(spec.categories), list(spec.series)
    if spec.kind == "ranked_bar" and series:
        key = [(_number(v) if _number(v) is not None else -math.inf) for v in series[0].values]
        order = sorted(range(len(cats)), key=lambda i: key[i], reverse=True)
        cats = [cats[i] for i in order]
        series = [Series(s.name, [s.values[i] for i in order]) for s in series]
    return cats, series


# --- server-side PNG --------------------------------------------------------------------------------


def font_path() -> str:
    """The CJK font file charts are drawn with: ``settings.DOCUMENTS_CJK_FONT``, else the first
    known Noto Sans CJK file, else what ``fc-match`` finds for Chinese."""
    from django.conf import settings

    configured = getattr(settings, "DOCUMENTS_CJK_FONT", "")
    if configured:
        if not Path(configured).exists():
            raise DocumentError(f"DOCUMENTS_CJK_FONT: {configured} does not exist", code="font_missing")
        return configured
    return _default_font_path()


@lru_cache(maxsize=1)
def _default_font_path() -> str:
    for p in KNOWN_FONT_PATHS:
        if Path(p).exists():
            return p
    if shutil.which("fc-match"):
        try:
            out = subprocess.run(["fc-match", "-f", "%{file}", "sans-serif:lang=zh-cn"],
                                 capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and "CJK" in out and Path(out).exists():
            return out
    raise DocumentError(
        "No Chinese font found for charts: install Debian's fonts-noto-cjk or set DOCUMENTS_CJK_FONT",
        code="font_missing",
    )


@lru_cache(maxsize=8)
def _font_family(path: str) -> str:
    from matplotlib import font_manager

    font_manager.fontManager.addfont(path)
    return font_manager.FontProperties(fname=path).get_name()


def png(spec: Chart, *, width_cm: float = 15.0, height_cm: float = 8.5, dpi: int = 160) -> bytes:
    """The chart drawn as a PNG with the CJK font (labels are plain text: no mathtext, no markup)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties

    if spec.kind not in KINDS:
        raise DocumentError(f"unknown chart kind {spec.kind!r}", code="chart_kind")
    path = font_path()
    with _lock:
        family = _font_family(path)
        rc = {
            "font.family": [family],
            "font.size": 9,
            "axes.unicode_minus": False,
            "text.parse_math": False,  # "$" in a label is a dollar sign, not TeX
            "svg.fonttype": "none",
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.prop_cycle": matplotlib.cycler(color=list(PALETTE)),
        }
        with rc_context(rc):
            fig = Figure(figsize=(width_cm / 2.54, height_cm / 2.54), dpi=dpi)
            ax = fig.add_subplot()
            _draw(ax, spec)
            fig.suptitle(spec.title, fontproperties=FontProperties(fname=path, size=12))
            fig.tight_layout()
            buf = io.BytesIO()
            FigureCanvasAgg(fig).print_png(buf)
    return buf.getvalue()


def _vals(values) -> list[float]:
    return [math.nan if v is None else v for v in (_number(x) for x in values)]


def _draw(ax, spec: Chart) -> None:
    cats, series = _ordered(spec)
    unit = f"单位：{spec.unit}" if spec.unit else ""
    if spec.kind == "pie":
        values = _vals(series[0].values) if series else []
        pairs = [(c, v) for c, v in zip(cats, values, strict=False) if not math.isnan(v) and v > 0]
        if pairs:
            ax.pie([v for _c, v in pairs], labels=[c for c, _v in pairs], autopct="%1.1f%%",
                   startangle=90, counterclock=False, colors=PALETTE, textprops={"fontsize": 8})
        ax.axis("equal")
        if unit:
            ax.set_xlabel(unit, fontsize=8)
        return
    x = list(range(len(cats)))
    if spec.kind == "line":
        for s in series:
            ax.plot(x, _vals(s.values), marker="o", markersize=3, linewidth=1.6, label=s.name)
        ax.set_xticks(x, cats)
    elif spec.kind == "bar":
        n = max(len(series), 1)
        width = 0.8 / n
        for i, s in enumerate(series):
            ax.bar([xi - 0.4 + width * (i + 0.5) for xi in x], _vals(s.values), width=width, label=s.name)
        ax.set_xticks(x, cats)
    else:  # ranked_bar: largest on top
        n = max(len(series), 1)
        height = 0.8 / n
        y = list(range(len(cats)))[::-1]
        for i, s in enumerate(series):
            ax.barh([yi + 0.4 - height * (i + 0.5) for yi in y], _vals(s.values), height=height, label=s.name)
        ax.set_yticks(y, cats)
        if unit:
            ax.set_xlabel(unit, fontsize=8)
    if spec.kind in ("line", "bar"):
        if unit:
            ax.set_ylabel(unit, fontsize=8)
        if len(cats) > 6:
            for label in ax.get_xticklabels():
                label.set_rotation(30)
                label.set_horizontalalignment("right")
    ax.grid(axis="x" if spec.kind == "ranked_bar" else "y", linestyle=":", linewidth=0.6, alpha=0.7)
    if len(series) > 1 or (series and spec.kind == "line"):
        ax.legend(fontsize=8, frameon=False)


def total(values) -> Decimal:
    """Sum of the numbers in ``values`` (missing ones skipped), for a pie's caption."""
    return sum((d for d in (to_decimal(v) for v in values) if d is not None), Decimal(0))
