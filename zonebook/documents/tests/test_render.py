"""The document builder: .docx read back with python-docx, PDF read back with poppler."""

import io
import re
import shutil
import subprocess
from decimal import Decimal

import docx
import pytest
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.core.exceptions import ValidationError
from django.test import RequestFactory
from django.utils import translation
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn

from zonebook.documents import render as R
from zonebook.documents.content import Paragraph, Section
from zonebook.documents.errors import DocumentError
from zonebook.documents.models import DocumentTemplate

from .conftest import XSS, wide_table

pytestmark = pytest.mark.django_db
POPPLER = shutil.which("pdftotext") and shutil.which("pdfinfo")
needs_poppler = pytest.mark.skipif(not POPPLER, reason="pdftotext/pdfinfo (Debian's poppler-utils, installed by bin/test) missing")


def read_docx(data: bytes):
    return docx.Document(io.BytesIO(data))


def texts(d) -> list[str]:
    return [p.text for p in d.paragraphs if p.text.strip()]


def pdf_text(data: bytes, *args) -> str:
    return subprocess.run(["pdftotext", *args, "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


def page_sizes(data: bytes) -> list[tuple[float, float]]:
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", "999", "-"], input=data, capture_output=True,
                         check=True).stdout.decode()
    return [(float(w), float(h)) for w, h in re.findall(r"Page\s+\d+ size:\s+([\d.]+) x ([\d.]+)", out)]


def test_docx_official_layout(doc):
    d = read_docx(R.render(doc, "docx"))
    lines = texts(d)
    # 红头 in red, 文号 under it with the red rule, then the title and 主送
    assert lines[:4] == ["四川省商务厅", "川商开发〔2026〕12号", "2026年11月全省开发区主要经济指标简报", "各市（州）商务主管部门："]
    head = d.paragraphs[0]
    assert head.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert str(head.runs[0].font.color.rgb) == R.RED and head.runs[0].font.size.pt >= 22
    number = d.paragraphs[1]
    border = number._p.pPr.find(qn("w:pBdr")).find(qn("w:bottom"))
    assert border.get(qn("w:color")) == R.RED
    # section numbers by depth
    for heading in ("一、总体情况", "（一）综合保税区", "1.加工贸易", "（1）电子信息", "（二）经济技术开发区", "二、分区情况"):
        assert heading in lines, heading
    assert lines.index("一、总体情况") < lines.index("（一）综合保税区") < lines.index("二、分区情况")
    # East Asian fonts named on the runs: 黑体 for the first level, 仿宋 for the body
    h1 = next(p for p in d.paragraphs if p.text == "一、总体情况")
    assert h1.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "黑体"
    body = next(p for p in d.paragraphs if p.text.startswith("1—11月"))
    assert body.runs[0]._element.rPr.rFonts.get(qn("w:eastAsia")) == "仿宋"
    # the table: unit in the header, thousands separators, right-aligned numbers, header repeated, total
    table = d.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["开发区", "进出口总额（亿元）", "企业数（家）"]
    assert cells[1] == ["成都高新综保区", "123,456.45", "1,234"]
    assert cells[2] == ["绵阳综保区", "1.01", "56"]  # 1.005 → 1.01, half up
    assert cells[3] == ["合计", "123,457.46", "1,290"]
    assert table.rows[1].cells[1].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.RIGHT
    assert table.rows[1].cells[0].paragraphs[0].alignment == WD_ALIGN_PARAGRAPH.LEFT
    assert table.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert table.rows[3].cells[0].paragraphs[0].runs[0].font.bold
    assert "表1  分开发区进出口情况" in lines and "注：按进出口总额排序。" in lines
    # the chart as an image
    assert len(d.inline_shapes) == 1
    # a real footnote, numbered, in word/footnotes.xml
    assert body._p.xpath(".//w:footnoteReference/@w:id") == ["1"]
    notes = next(p for p in d.part.package.parts if str(p.partname) == "/word/footnotes.xml")
    assert "初步统计数。" in notes.blob.decode()
    # notes, 落款 with the date in Chinese, 抄送, page number field "— PAGE —" in the footer
    assert lines[-4:] == ["注：数据来源：海关统计。", "四川省商务厅", "二〇二六年十二月五日", "抄送：成都海关"]
    # page numbers: odd ones on the right, even ones on the left (GB/T 9704)
    assert d.settings.odd_and_even_pages_header_footer
    odd, even = d.sections[0].footer.paragraphs[0], d.sections[0].even_page_footer.paragraphs[0]
    assert odd.text == even.text == "— 1 —"  # the PAGE field's cached value
    assert "PAGE" in odd._p.xml and "PAGE" in even._p.xml
    assert (odd.alignment, even.alignment) == (WD_ALIGN_PARAGRAPH.RIGHT, WD_ALIGN_PARAGRAPH.LEFT)


@needs_poppler
def test_pdf_text_and_pages(doc):
    pdf = R.render(doc, "pdf")
    assert pdf.startswith(b"%PDF")
    text = pdf_text(pdf)
    order = ["四川省商务厅", "川商开发〔2026〕12号", "2026年11月全省开发区主要经济指标简报", "各市（州）商务主管部门：",
             "一、总体情况", "（一）综合保税区", "1.加工贸易", "（1）电子信息", "（二）经济技术开发区", "二、分区情况",
             "表1 分开发区进出口情况", "进出口总额（亿元）", "123,456.45", "1.01", "123,457.46",
             "注：数据来源：海关统计。", "二〇二六年十二月五日", "抄送：成都海关"]
    flat = re.sub(r"[ \t]+", " ", text)
    positions = [flat.find(s) for s in order]
    assert all(p >= 0 for p in positions), [s for s, p in zip(order, positions, strict=True) if p < 0]
    assert positions == sorted(positions)
    assert "初步统计数。" in text  # the footnote at the foot of its page
    assert re.search(r"—\s*1\s*—", text) and re.search(r"—\s*2\s*—", text)  # page numbers
    # odd numbers at the right, even ones at the left
    bbox = pdf_text(pdf, "-bbox")
    pages = bbox.split("<page ")[1:]
    x_of = [float(re.findall(r'xMin="([\d.]+)"[^>]*>—</word>', p)[-1]) for p in pages[:2]]
    assert x_of[0] > 595 / 2 > x_of[1]
    assert all(w < h for w, h in page_sizes(pdf))  # portrait A4
    assert page_sizes(pdf)[0] == pytest.approx((595.3, 841.9), abs=0.5)


@needs_poppler
def test_wide_table_switches_to_landscape_in_both_formats(doc):
    doc.sections.append(Section("宽表", [wide_table(10, rows=3), Paragraph("宽表之后的文字。")]))
    d = read_docx(R.render(doc, "docx"))
    orients = [s.orientation for s in d.sections]
    assert orients == [WD_ORIENT.PORTRAIT, WD_ORIENT.LANDSCAPE, WD_ORIENT.PORTRAIT]
    landscape = d.sections[1]
    assert landscape.page_width > landscape.page_height
    # the wide table sits in the landscape section: the section break follows it
    body = list(d.element.body.iterchildren())
    wide = d.tables[1]._tbl
    breaks = [i for i, el in enumerate(body) if el.tag == qn("w:p") and el.find(qn("w:pPr")) is not None
              and el.find(qn("w:pPr")).find(qn("w:sectPr")) is not None]
    assert breaks[0] < body.index(wide) < breaks[1]

    pdf = R.render(doc, "pdf")
    sizes = page_sizes(pdf)
    assert any(w > h for w, h in sizes) and sizes[0][0] < sizes[0][1]
    landscape_pages = [i for i, (w, h) in enumerate(sizes) if w > h]
    text_by_page = pdf_text(pdf).split("\f")
    assert "指标9（万元）" in re.sub(r"\s", "", text_by_page[landscape_pages[0]])
    assert "宽表之后的文字。" in text_by_page[landscape_pages[-1] + 1]  # back to portrait


@needs_poppler
def test_table_wider_than_landscape_shrinks_then_continues_in_a_second_part(doc):
    # 16 columns: fits a landscape page with a smaller font
    doc.sections = [Section("较宽的表", [wide_table(16, rows=3)])]
    [item] = [i for i in R.prepare(doc).items if isinstance(i, R.TableItem)]
    assert item.orientation == "landscape" and item.wrap and R.MIN_TABLE_PT <= item.font_pt < R.TABLE_PT
    assert sum(item.fitted_widths()) <= R.LANDSCAPE_TEXT_W + 0.01
    # 30 columns: even the smallest font is too wide, the columns continue in a second part (续)
    # that repeats the row labels; every part fits the page
    doc.sections = [Section("很宽的表", [wide_table(30, rows=3)])]
    parts = [i for i in R.prepare(doc).items if isinstance(i, R.TableItem)]
    assert len(parts) >= 2 and all(sum(p.widths_mm) <= R.LANDSCAPE_TEXT_W for p in parts)
    assert [p.caption for p in parts[:2]] == ["表2  宽表", "表2  宽表（续）"]
    assert all(p.headers[0] == "开发区" for p in parts)
    assert [h for p in parts for h in p.headers[1:]] == [f"指标{i}（万元）" for i in range(1, 30)]
    d = read_docx(R.render(doc, "docx"))
    assert len(d.tables) == len(parts)
    for table in d.tables:
        assert sum(c.width.mm for c in table.rows[0].cells) <= R.LANDSCAPE_TEXT_W + 0.5
    assert d.tables[-1].rows[0].cells[-1].text == "指标29（万元）"
    pdf = R.render(doc, "pdf")
    page_w, _h = next((w, h) for w, h in page_sizes(pdf) if w > h)
    # every word lies inside the page (nothing cut off at the right edge), numbers unbroken
    bbox = pdf_text(pdf, "-bbox")
    x_max = max(float(x) for x in re.findall(r'xMax="([\d.]+)"', bbox))
    assert x_max < page_w - 20
    words = re.findall(r">([^<]+)</word>", bbox)
    assert "2,029" in words and "指标29（万元）" in "".join(words)


def test_landscape_false_keeps_portrait_and_wraps(doc):
    doc.landscape = False
    doc.sections.append(Section("宽表", [wide_table(12)]))
    item = [i for i in R.prepare(doc).items if isinstance(i, R.TableItem)][-1]
    assert item.orientation == "portrait" and item.wrap
    d = read_docx(R.render(doc, "docx"))
    assert [s.orientation for s in d.sections] == [WD_ORIENT.PORTRAIT]


def test_landscape_true_turns_the_whole_document(doc):
    doc.landscape = True
    d = read_docx(R.render(doc, "docx"))
    assert [s.orientation for s in d.sections] == [WD_ORIENT.LANDSCAPE]


@needs_poppler
def test_html_in_labels_stays_text_in_docx_and_pdf(doc):
    from zonebook.documents.charts import chart
    from zonebook.documents.content import Column, Table

    doc.title = f"标题{XSS}"
    doc.sections = [Section(XSS, [
        Paragraph(f"正文{XSS}", footnotes=[f"脚注{XSS}"]),
        Table([Column(XSS, align="left"), Column("值")], [[XSS, Decimal("1")]]),
        chart("pie", XSS, [XSS, "乙"], {XSS: [1, 2]}),
    ])]
    d = read_docx(R.render(doc, "docx"))
    lines = texts(d)
    assert f"标题{XSS}" in lines and f"一、{XSS}" in lines and f"正文{XSS}" in lines
    assert d.tables[0].rows[0].cells[0].text == XSS and d.tables[0].rows[1].cells[0].text == XSS
    from zonebook.documents.pdf_writer import html

    source = html(R.prepare(doc, draw_charts=False))
    assert "<img src=x" not in source and "&lt;img src=x onerror=alert(1)&gt;" in source
    text = re.sub(r"\s+", " ", pdf_text(R.render(doc, "pdf")))
    assert f"正文{XSS}" in text and f"脚注{XSS}" in text and f"一、{XSS}" in text


def test_template_fills_header_intro_signature_and_footer(doc):
    DocumentTemplate.objects.create(
        kind="bulletin-test", name="测试通报", header_text="{office}文件", intro="现将{period}全省开发区情况通报如下。",
        signature="{office}开发区处", footer="（此件公开发布）", recipients="各开发区管委会",
    )
    doc.recipients = ""
    doc.context = {"period": "2026年11月"}
    lines = texts(read_docx(R.render(doc, "docx")))
    assert lines[0] == "四川省商务厅文件"
    assert "各开发区管委会：" in lines
    assert lines[lines.index("各开发区管委会：") + 1] == "现将2026年11月全省开发区情况通报如下。"
    assert lines[-4:] == ["四川省商务厅开发区处", "二〇二六年十二月五日", "（此件公开发布）", "抄送：成都海关"]


def test_inactive_template_is_ignored(doc):
    DocumentTemplate.objects.create(kind="bulletin-test", name="停用", header_text="停用的红头{period}", active=False)
    assert texts(read_docx(R.render(doc, "docx")))[0] == "四川省商务厅"


def test_missing_placeholder_is_a_clear_error_not_a_broken_document(doc):
    """An administrator saved a template using {period}; this document does not provide it."""
    DocumentTemplate.objects.create(kind="bulletin-test", name="月度简报", intro="现将{period}情况通报如下。")
    for fmt in ("docx", "pdf"):
        with pytest.raises(DocumentError) as exc:
            R.render(doc, fmt)
        assert "{period}" in str(exc.value) and "月度简报" in str(exc.value)
        assert exc.value.field == "period"


def test_document_download_shows_the_error_as_a_message(doc, rf: RequestFactory):
    DocumentTemplate.objects.create(kind="bulletin-test", name="月度简报", header_text="{zone}管委会")
    request = rf.get("/service/bulletins/", HTTP_REFERER="http://testserver/service/bulletins/")
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    resp = R.document_download(request, lambda: doc, "pdf", "简报")
    assert resp.status_code == 302 and resp["Location"] == "http://testserver/service/bulletins/"
    [message] = [str(m) for m in get_messages(request)]
    assert "{zone}" in message and "月度简报" in message


def test_document_response_is_an_attachment_with_a_chinese_name(doc):
    resp = R.document_response(doc, "docx", "2026年11月简报")
    assert resp["Content-Type"] == R.FORMATS["docx"]
    disposition = resp["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=utf-8''2026%E5%B9%B411%E6%9C%88%E7%AE%80%E6%8A%A5.docx" in disposition
    assert int(resp["Content-Length"]) == len(resp.content)
    assert R.document_response(doc, "pdf", "x.pdf")["Content-Type"] == "application/pdf"
    with pytest.raises(DocumentError):
        R.render(doc, "odt")


def test_template_validation_names_unknown_placeholders_and_unbalanced_braces():
    t = DocumentTemplate(kind="k", name="n", intro="现将{perod}情况通报如下。", header_text="{office")
    with pytest.raises(ValidationError) as exc, translation.override("en"):
        t.full_clean()
    errors = exc.value.message_dict
    assert "{perod}" in errors["intro"][0]
    assert "brace" in errors["header_text"][0].lower()
    DocumentTemplate(kind="k", name="n", intro="{{不是占位符}} {period}", header_text="{office}").full_clean()


def test_malformed_table_rows_are_named(doc):
    doc.sections[1].blocks[0].rows.append(["只有一格"])
    with pytest.raises(DocumentError, match="Row 3"), translation.override("en"):
        R.render(doc, "docx")
    with pytest.raises(DocumentError, match="第 3 行"), translation.override("zh-hans"):
        R.render(doc, "docx")


def test_control_characters_from_imported_text_do_not_break_the_docx(doc):
    """Text pasted from spreadsheets can carry control characters XML cannot hold."""
    doc.sections[0].blocks[0] = Paragraph("进出口\x0b总额\x01增长")
    doc.sections[1].blocks[0].rows[0][0] = "成都\x0c高新"
    d = read_docx(R.render(doc, "docx"))
    assert "进出口总额增长" in texts(d) and d.tables[0].rows[1].cells[0].text == "成都高新"
    assert R.render(doc, "pdf").startswith(b"%PDF")


def test_red_rule_sits_where_the_schema_puts_it(doc):
    """w:pBdr before w:spacing/w:jc in the paragraph properties (Word rejects other orders)."""
    d = read_docx(R.render(doc, "docx"))
    tags = [el.tag.split("}")[1] for el in d.paragraphs[1]._p.pPr]
    assert tags.index("pBdr") < tags.index("spacing") < tags.index("jc")


def _page_images(pdf: bytes, tmp_path, name: str) -> list[bytes]:
    (tmp_path / f"{name}.pdf").write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "50", "-gray", str(tmp_path / f"{name}.pdf"), str(tmp_path / name)], check=True)
    return [p.read_bytes() for p in sorted(tmp_path.glob(f"{name}-*.pgm"))]


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="pdftoppm (poppler-utils) missing")
def test_pdf_with_the_documents_own_user_agent_stylesheet_looks_like_weasyprints(doc, tmp_path):
    """The PDF writer replaces WeasyPrint's HTML5 stylesheet (matched against every table cell) with
    one for the template's few elements: every page, rasterised, is the same as with WeasyPrint's."""
    from zonebook.documents.pdf_writer import write_pdf

    doc.sections.append(Section("重点企业", [wide_table(6, rows=60, caption="表2  重点企业")]))
    prep = R.prepare(doc)
    ours = _page_images(write_pdf(prep), tmp_path, "ours")
    weasy = _page_images(write_pdf(prep, full_ua=True), tmp_path, "weasy")
    assert len(ours) == len(weasy) >= 3  # the table runs over pages (header repeated)
    assert [i for i, (a, b) in enumerate(zip(ours, weasy, strict=True)) if a != b] == []
