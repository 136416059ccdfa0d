"""The .docx writer (python-docx) of a prepared document (``render.prepare``).

Styles follow GB/T 9704-2012: 3号 (16 pt) 仿宋 body on a fixed 28.95 pt line (22 lines a page),
first-line indent of two characters, headings 黑体 / 楷体 / 仿宋 bold by depth, 2号 (22 pt) 小标宋
title, the 红头 in red with the red rule under the 文号, page numbers "— 1 —" in 4号 宋体.  East Asian
font names are set on every run (``w:eastAsia``) so Word picks 仿宋 etc.; the font table names Noto
CJK as the alternative for readers without them.  Paragraph footnotes are real Word footnotes
(``word/footnotes.xml``).
"""

from __future__ import annotations

import io

from docx import Document as new_docx
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.opc.constants import CONTENT_TYPE as CT
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.opc.part import Part
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm, Mm, Pt, RGBColor

from . import render as R

FANGSONG = "仿宋"
SONGTI = "宋体"
HEITI = "黑体"
KAITI = "楷体"
XIAOBIAOSONG = "方正小标宋简体"
LATIN = "Times New Roman"
# what readers without the Windows fonts should use instead (font table w:altName)
ALT_NAMES = {FANGSONG: "Noto Serif CJK SC", SONGTI: "Noto Serif CJK SC", HEITI: "Noto Sans CJK SC",
             KAITI: "Noto Serif CJK SC", XIAOBIAOSONG: "Noto Serif CJK SC"}
BODY_PT = 16  # 3号
TITLE_PT = 22  # 2号
HEADER_PT = 26
LINE_PT = 28.95
ALIGN = {"left": WD_ALIGN_PARAGRAPH.LEFT, "right": WD_ALIGN_PARAGRAPH.RIGHT, "center": WD_ALIGN_PARAGRAPH.CENTER}
HEADING_FONTS = {0: (HEITI, False), 1: (KAITI, False), 2: (FANGSONG, True)}


def _font(run, east_asia: str, size: float | None = None, *, bold: bool | None = None, color: str | None = None):
    run.font.name = LATIN
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), east_asia)
    if size is not None:
        run.font.size = Pt(size)
    if bold is not None:
        run.font.bold = bold
    if color:
        run.font.color.rgb = RGBColor.from_string(color)
    return run


def _spacing(par, *, line: float | None = LINE_PT, before: float = 0, after: float = 0, indent: bool = False):
    fmt = par.paragraph_format
    if line is not None:
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(line)
    fmt.space_before = Pt(before)
    fmt.space_after = Pt(after)
    if indent:
        fmt.first_line_indent = Pt(BODY_PT * 2)


def _border_bottom(par, color: str = R.RED, size_eighths: int = 18, space: int = 6):
    p_pr = par._p.get_or_add_pPr()
    bdr = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    bottom.set(qn("w:val"), "single")
    bottom.set(qn("w:sz"), str(size_eighths))
    bottom.set(qn("w:space"), str(space))
    bottom.set(qn("w:color"), color)
    bdr.append(bottom)
    p_pr.append(bdr)


def _setup_section(section, landscape: bool):
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(R.PAGE_H), Mm(R.PAGE_W)
        # the text block turned: 225 mm wide
        section.top_margin, section.bottom_margin = Mm(R.MARGIN_LEFT), Mm(R.MARGIN_RIGHT)
        section.left_margin, section.right_margin = Mm(R.MARGIN_TOP), Mm(R.MARGIN_BOTTOM)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(R.PAGE_W), Mm(R.PAGE_H)
        section.top_margin, section.bottom_margin = Mm(R.MARGIN_TOP), Mm(R.MARGIN_BOTTOM)
        section.left_margin, section.right_margin = Mm(R.MARGIN_LEFT), Mm(R.MARGIN_RIGHT)
    section.footer_distance = Mm(20)
    section.header_distance = Mm(15)


def _page_number_footer(section):
    par = section.footer.paragraphs[0]
    par.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(par.add_run("— "), SONGTI, 14)
    run = _font(par.add_run(), SONGTI, 14)
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = " PAGE "
    sep = OxmlElement("w:fldChar")
    sep.set(qn("w:fldCharType"), "separate")
    num = OxmlElement("w:t")
    num.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for el in (begin, instr, sep, num, end):
        run._element.append(el)
    _font(par.add_run(" —"), SONGTI, 14)


def _styles(d):
    normal = d.styles["Normal"]
    normal.font.name = LATIN
    normal.font.size = Pt(BODY_PT)
    r_pr = normal.element.get_or_add_rPr()
    r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    _font_table(d)


def _font_table(d):
    """Declare the Chinese fonts with their Noto CJK alternatives in ``word/fontTable.xml``."""
    part = None
    for rel in d.part.rels.values():
        if rel.reltype == RT.FONT_TABLE:
            part = rel.target_part
    if part is None:
        return
    root = parse_xml(part.blob)
    existing = {f.get(qn("w:name")) for f in root.findall(qn("w:font"))}
    for name, alt in ALT_NAMES.items():
        if name in existing:
            continue
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        alt_el = OxmlElement("w:altName")
        alt_el.set(qn("w:val"), alt)
        charset = OxmlElement("w:charset")
        charset.set(qn("w:val"), "86")  # GB2312
        family = OxmlElement("w:family")
        family.set(qn("w:val"), "modern" if name in (FANGSONG, KAITI) else "roman")
        for el in (alt_el, charset, family):
            font.append(el)
        root.append(font)
    from lxml import etree

    part._blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)


class _Footnotes:
    """Real footnotes: ``word/footnotes.xml`` with the two separators and one note per number."""

    def __init__(self, d, texts: list[str]):
        self.d = d
        self.texts = texts

    def reference(self, par, number: int):
        run = par.add_run()
        _font(run, FANGSONG)
        r_pr = run._element.get_or_add_rPr()
        va = OxmlElement("w:vertAlign")
        va.set(qn("w:val"), "superscript")
        r_pr.append(va)
        ref = OxmlElement("w:footnoteReference")
        ref.set(qn("w:id"), str(number))
        run._element.append(ref)

    def attach(self):
        if not self.texts:
            return
        root = parse_xml(
            f"<w:footnotes {nsdecls('w')}>"
            '<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
            '<w:footnote w:type="continuationSeparator" w:id="0"><w:p><w:r><w:continuationSeparator/></w:r>'
            "</w:p></w:footnote></w:footnotes>"
        )
        for i, text in enumerate(self.texts, start=1):
            note = OxmlElement("w:footnote")
            note.set(qn("w:id"), str(i))
            p = OxmlElement("w:p")
            r1 = OxmlElement("w:r")
            r1_pr = OxmlElement("w:rPr")
            va = OxmlElement("w:vertAlign")
            va.set(qn("w:val"), "superscript")
            r1_pr.append(va)
            r1.append(r1_pr)
            r1.append(OxmlElement("w:footnoteRef"))
            r2 = OxmlElement("w:r")
            r2_pr = OxmlElement("w:rPr")
            fonts = OxmlElement("w:rFonts")
            fonts.set(qn("w:ascii"), LATIN)
            fonts.set(qn("w:hAnsi"), LATIN)
            fonts.set(qn("w:eastAsia"), FANGSONG)
            sz = OxmlElement("w:sz")
            sz.set(qn("w:val"), "24")  # 小四
            r2_pr.append(fonts)
            r2_pr.append(sz)
            r2.append(r2_pr)
            t = OxmlElement("w:t")
            t.set(qn("xml:space"), "preserve")
            t.text = " " + text
            r2.append(t)
            p.append(r1)
            p.append(r2)
            note.append(p)
            root.append(note)
        from lxml import etree

        blob = etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
        part = Part(PackURI("/word/footnotes.xml"), CT.WML_FOOTNOTES, blob, self.d.part.package)
        self.d.part.relate_to(part, RT.FOOTNOTES)


def _set_cell_width(cell, mm: float):
    cell.width = Mm(mm)


def _repeat_header(row):
    tr_pr = row._tr.get_or_add_trPr()
    el = OxmlElement("w:tblHeader")
    el.set(qn("w:val"), "true")
    tr_pr.append(el)
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)


def _fixed_layout(table):
    tbl_pr = table._tbl.tblPr
    layout = OxmlElement("w:tblLayout")
    layout.set(qn("w:type"), "fixed")
    tbl_pr.append(layout)


def _cell_text(cell, text: str, *, align: str, size: float, bold: bool = False, font: str = FANGSONG):
    par = cell.paragraphs[0]
    par.alignment = ALIGN.get(align, WD_ALIGN_PARAGRAPH.LEFT)
    _spacing(par, line=None)
    par.paragraph_format.line_spacing = 1.0
    _font(par.add_run(text), font, size, bold=bold)
    cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER


def _table(d, item: R.TableItem):
    size = item.font_pt
    if item.caption:
        cap = d.add_paragraph()
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(cap, line=None, before=6, after=3)
        _font(cap.add_run(item.caption), HEITI, 12)
    ncols = len(item.headers)
    nrows = 1 + len(item.rows) + (1 if item.total else 0)
    table = d.add_table(rows=nrows, cols=ncols)
    table.style = d.styles["Table Grid"]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _fixed_layout(table)
    widths = item.fitted_widths()
    rows = table.rows
    for j, head in enumerate(item.headers):
        cell = rows[0].cells[j]
        _set_cell_width(cell, widths[j])
        _cell_text(cell, head, align="center", size=size, bold=True, font=HEITI)
    _repeat_header(rows[0])
    body = list(item.rows) + ([item.total] if item.total else [])
    for i, values in enumerate(body, start=1):
        cells = rows[i].cells
        bold = item.total is not None and i == len(body)
        for j, text in enumerate(values):
            _set_cell_width(cells[j], widths[j])
            _cell_text(cells[j], text, align=item.aligns[j], size=size, bold=bold)
    if item.note:
        note = d.add_paragraph()
        _spacing(note, line=None, before=3, after=6)
        _font(note.add_run(item.note), FANGSONG, 12)
    else:
        spacer = d.add_paragraph()
        _spacing(spacer, line=None, after=0)


def write_docx(prep: R.Prepared) -> bytes:
    d = new_docx()
    _styles(d)
    current_landscape = prep.landscape
    section = d.sections[0]
    _setup_section(section, current_landscape)
    _page_number_footer(section)
    notes = _Footnotes(d, prep.footnotes)
    # python-docx's template starts with no paragraphs: add ours
    if prep.header:
        par = d.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(par, line=None, before=0, after=12)
        _font(par.add_run(prep.header), XIAOBIAOSONG, HEADER_PT, bold=True, color=R.RED)
        if not prep.number:
            _border_bottom(par)
    if prep.number:
        par = d.add_paragraph()
        par.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(par, line=None, before=6, after=24)
        _font(par.add_run(prep.number), FANGSONG, BODY_PT)
        _border_bottom(par)
    title = d.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _spacing(title, line=35, before=18, after=0 if prep.subtitle else 18)
    _font(title.add_run(prep.title), XIAOBIAOSONG, TITLE_PT, bold=True)
    if prep.subtitle:
        sub = d.add_paragraph()
        sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _spacing(sub, after=18)
        _font(sub.add_run(prep.subtitle), KAITI, BODY_PT)
    if prep.recipients:
        rec = d.add_paragraph()
        _spacing(rec)
        _font(rec.add_run(f"{prep.recipients}："), FANGSONG, BODY_PT)

    for item in prep.items:
        want_landscape = prep.landscape or (isinstance(item, R.TableItem) and item.orientation == "landscape")
        if isinstance(item, R.TableItem | R.Heading | R.Para | R.ChartItem) and want_landscape != current_landscape:
            new = d.add_section(WD_SECTION.NEW_PAGE)
            _setup_section(new, want_landscape)
            current_landscape = want_landscape
        if isinstance(item, R.Heading):
            par = d.add_paragraph()
            _spacing(par, indent=True)
            par.paragraph_format.keep_with_next = True
            font, bold = HEADING_FONTS.get(item.depth, (FANGSONG, False))
            _font(par.add_run(f"{item.number}{item.title}"), font, BODY_PT, bold=bold)
        elif isinstance(item, R.Para):
            par = d.add_paragraph()
            par.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
            _spacing(par, indent=item.indent)
            _font(par.add_run(item.text), FANGSONG, BODY_PT, bold=item.bold or None)
            for n in item.notes:
                notes.reference(par, n)
        elif isinstance(item, R.TableItem):
            _table(d, item)
        elif isinstance(item, R.ChartItem):
            par = d.add_paragraph()
            par.alignment = WD_ALIGN_PARAGRAPH.CENTER
            _spacing(par, line=None, before=6, after=6)
            par.add_run().add_picture(io.BytesIO(item.png), width=Cm(R.CHART_W_CM))
        elif isinstance(item, R.BreakItem):
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    if current_landscape and not prep.landscape:
        new = d.add_section(WD_SECTION.NEW_PAGE)
        _setup_section(new, False)
        current_landscape = False

    for i, note in enumerate(prep.notes):
        par = d.add_paragraph()
        _spacing(par, indent=True, before=6 if i == 0 else 0)
        _font(par.add_run(R.note_text(i, note)), FANGSONG, 14)
    if prep.signature or prep.date_text:
        spacer = d.add_paragraph()
        _spacing(spacer)
        for text in (prep.signature, prep.date_text):
            if not text:
                continue
            par = d.add_paragraph()
            par.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _spacing(par)
            par.paragraph_format.right_indent = Pt(BODY_PT * 4)
            _font(par.add_run(text), FANGSONG, BODY_PT)
    if prep.footer:
        par = d.add_paragraph()
        _spacing(par, indent=True)
        _font(par.add_run(prep.footer), FANGSONG, BODY_PT)
    if prep.cc:
        par = d.add_paragraph()
        _spacing(par, before=24)
        _border_bottom(par, color="000000", size_eighths=6, space=2)
        _font(par.add_run(f"抄送：{prep.cc}"), FANGSONG, 14)
    notes.attach()
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()
