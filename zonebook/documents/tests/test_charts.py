"""Server-side charts: CJK glyphs (not boxes) in the PDF, the page spec, labels as text."""

import io
import shutil
import subprocess
from decimal import Decimal

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont, ImageOps

from zonebook.documents import charts
from zonebook.documents.content import Chart, Document, Series
from zonebook.documents.render import render

TITLE = "全省开发区进出口走势"
NON_CJK_FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
PDFTOPPM = shutil.which("pdftoppm")


def _band(im: Image.Image) -> Image.Image:
    """The first line of ink from the top (in a page holding only the chart: the chart's title)."""
    im = im.convert("L")
    ink = np.asarray(im) < 160
    rows = ink.any(axis=1)
    y0 = int(rows.argmax())
    y1 = y0 + (int(rows[y0:].argmin()) or len(rows) - y0)
    cols = np.flatnonzero(ink[y0:y1].any(axis=0))
    return im.crop((int(cols[0]), y0, int(cols[-1]) + 1, y1))


def _pillow_text(font_path: str, text: str = TITLE, size: int = 60) -> Image.Image:
    font = ImageFont.truetype(font_path, size)
    im = Image.new("L", (size * len(text) + 40, size * 2), 255)
    ImageDraw.Draw(im).text((20, size // 2), text, font=font, fill=0)
    return _band(im)


def _distance(a: Image.Image, b: Image.Image) -> float:
    """Mean absolute grey difference after scaling both text lines to the same box."""
    a = ImageOps.autocontrast(a.resize((240, 24), Image.LANCZOS)).tobytes()
    b = ImageOps.autocontrast(b.resize((240, 24), Image.LANCZOS)).tobytes()
    return sum(abs(x - y) for x, y in zip(a, b, strict=True)) / len(a)


def _chart_title_in_pdf() -> Image.Image:
    doc = Document(kind="test-chart", title="", blocks=[Chart("line", TITLE, ["1月", "2月"], [Series("本年", [1, 2])])])
    pdf = render(doc, "pdf")
    png = subprocess.run([PDFTOPPM, "-r", "150", "-png", "-f", "1", "-l", "1", "-"], input=pdf,
                         capture_output=True, check=True).stdout
    return _band(Image.open(io.BytesIO(png)))


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm (Debian's poppler-utils, installed by bin/test) is not installed")
@pytest.mark.django_db
def test_chart_title_is_drawn_with_chinese_glyphs_not_boxes(settings):
    """Rasterise the PDF and compare the chart's title with the same text drawn by Pillow in the
    CJK font and in a font without Chinese (whose missing glyphs are boxes).  Pointing the chart
    font at that font makes the PDF's title match the boxes: the check tells glyphs from tofu."""
    cjk_font = charts.font_path()
    glyphs, boxes = _pillow_text(cjk_font), _pillow_text(NON_CJK_FONT)
    title = _chart_title_in_pdf()
    to_glyphs, to_boxes = _distance(title, glyphs), _distance(title, boxes)
    assert to_glyphs < 45 and to_glyphs < to_boxes - 30, (to_glyphs, to_boxes)

    settings.DOCUMENTS_CJK_FONT = NON_CJK_FONT
    with pytest.warns(UserWarning, match="missing from font"):
        tofu = _chart_title_in_pdf()
    assert _distance(tofu, boxes) < _distance(tofu, glyphs), "a font without Chinese must be seen as boxes"


def test_missing_font_is_an_error_not_boxes(settings, tmp_path):
    from zonebook.documents.errors import DocumentError

    settings.DOCUMENTS_CJK_FONT = str(tmp_path / "nope.ttc")
    with pytest.raises(DocumentError, match="does not exist"):
        charts.png(charts.chart("bar", "标题", ["a"], {"s": [1]}))


@pytest.mark.parametrize("kind", ["line", "bar", "pie", "ranked_bar"])
def test_every_kind_draws_a_png_with_markup_and_dollars_as_text(kind):
    spec = charts.chart(kind, "<b>收入</b> $x^2$", ["<img src=x onerror=alert(1)>", "绵阳", "宜宾"],
                        {"<script>s</script>": [Decimal("3.5"), None, 2], "上年": [1, 2, 3]}, unit="亿元")
    data = charts.png(spec)
    im = Image.open(io.BytesIO(data))
    assert im.format == "PNG" and im.size[0] > 600


def test_page_spec_orders_ranked_bars_and_keeps_labels_as_given():
    spec = charts.chart("ranked_bar", "排名", ["乙", "<i>甲</i>", "丙"], {"本年": [Decimal("2"), Decimal("9.5"), None]})
    data = charts.page_spec(spec)
    assert data["categories"] == ["<i>甲</i>", "乙", "丙"]  # largest first, missing last
    assert data["series"] == [{"name": "本年", "values": [9.5, 2.0, None]}]
    assert charts.page_spec({"kind": "pie", "title": "t", "categories": ["a"], "series": {"s": [1]}})["kind"] == "pie"
    with pytest.raises(ValueError):
        charts.chart("radar", "t", ["a"], {"s": [1]})
    with pytest.raises(ValueError, match="2 values for 1"):
        charts.chart("bar", "t", ["a"], {"s": [1, 2]})
