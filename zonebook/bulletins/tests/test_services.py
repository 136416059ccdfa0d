"""Building, versions, publication, the unreviewed-data rule (draft with a watermark or refused), the
official layout read back from the .docx and the PDF, the CJK check of a chart title, the command and
the scheduled build."""

import datetime as dt
import io
import shutil
import subprocess

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from docx import Document as Docx

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.bulletins import jobs, services
from zonebook.bulletins.build import BulletinError, parse_period
from zonebook.bulletins.models import Bulletin, BulletinVersion
from zonebook.documents.models import DocumentSequence
from zonebook.notify.models import Notification

PDFTOTEXT = shutil.which("pdftotext")
PDFTOPPM = shutil.which("pdftoppm")


def read(field) -> bytes:
    with field.open("rb") as fh:
        return fh.read()


def pdf_text(data: bytes) -> str:
    return subprocess.run([PDFTOTEXT, "-layout", "-", "-"], input=data, capture_output=True, check=True).stdout.decode()


@pytest.mark.skipif(not PDFTOTEXT, reason="poppler-utils (installed by bin/test) is missing")
def test_reviewed_build_publish_and_versions(province, review_round, settings):
    """2026-09 has no return round and imported customs values: reviewed.  Two builds keep one 文号;
    publishing v1 then v2 keeps both on record, audited and notified."""
    province_user = user_for("province", "510000")
    city_user = user_for("city", "510700")
    other = user_for("province", "500000")
    period = parse_period("2026-09")
    v1 = services.build(province["sc"], period, by=province_user, today=dt.date(2026, 10, 12))
    assert not v1.draft and v1.reviewed and v1.review_note == ""
    bulletin = v1.bulletin
    assert bulletin.number == "川商通报〔2026〕1号"
    # the official layout, read back from the stored .docx
    d = Docx(io.BytesIO(read(v1.docx)))
    paras = [p.text for p in d.paragraphs]
    assert paras[0] == "四川省商务厅文件" and paras[1] == "川商通报〔2026〕1号"
    red = d.paragraphs[0].runs[0].font.color.rgb
    assert red is not None and str(red).upper() in ("C00000", "FF0000")
    assert "关于2026年9月四川省海关特殊监管区域主要经济指标情况的通报" in paras
    assert any(p.startswith("一、") and "总体情况" in p for p in paras)
    assert any(p.startswith("二、") and "各园区情况" in p for p in paras)
    assert any("1—9月，全省进出口总额870.75亿美元，同比增长12.2%" in p for p in paras)
    header = [c.text for c in d.tables[0].rows[0].cells]
    assert "进出口总额（亿美元）" in header and "同比（%）" in header
    assert len(d.inline_shapes) >= 2  # the charts
    assert any(p.startswith("二〇二六年十月十二日") for p in paras)
    # the PDF says the same
    text = pdf_text(read(v1.pdf))
    assert "川商通报〔2026〕1号" in text and "870.75" in text and "草稿" not in text
    v2 = services.build(province["sc"], period, by=province_user, today=dt.date(2026, 10, 13))
    assert (v2.version, v2.bulletin_id) == (2, bulletin.pk)
    bulletin.refresh_from_db()
    assert bulletin.number == "川商通报〔2026〕1号"  # a new version is not a new document
    assert DocumentSequence.objects.get(office_key="bulletin:P510000").last == 1
    with pytest.raises(PermissionDenied):
        services.build(province["sc"], period, by=city_user)
    from django.http import Http404

    with pytest.raises(Http404):
        services.publish(v1, by=other)
    services.publish(v1, by=province_user)
    services.publish(v2, by=province_user)
    bulletin.refresh_from_db()
    v1.refresh_from_db()
    assert bulletin.published_version_id == v2.pk and v1.published_by == province_user and v1.published_at
    assert read(v1.docx) and read(v1.pdf)  # the earlier version stays stored
    published = AuditEntry.objects.filter(code="bulletins.bulletin.published", object_id=str(bulletin.pk))
    assert list(published.order_by("pk").values_list("changes", flat=True)) == [
        {"published_version": [None, 1]}, {"published_version": [1, 2]}]
    assert AuditEntry.objects.filter(code="bulletins.version.built").count() == 2
    notified = Notification.objects.filter(kind="bulletins.published")
    assert set(notified.values_list("recipient_id", flat=True)) == {province_user.pk, city_user.pk}
    assert notified.filter(recipient=city_user).count() == 2
    with pytest.raises(BulletinError, match="already published|已经发布"):
        services.publish(v2, by=province_user)


@pytest.mark.skipif(not PDFTOTEXT, reason="poppler-utils (installed by bin/test) is missing")
def test_unreviewed_period_gives_a_watermarked_draft_that_cannot_be_published(province, review_round, settings):
    settings.BULLETIN_UNREVIEWED = "draft"
    user = user_for("province", "510000")
    v = services.build(province["MY"], parse_period("2026-10"), by=user)
    assert v.draft and not v.reviewed
    assert v.review_note == "2026年10月绵阳综合保税区月报尚未审核通过"
    assert "草稿" in pdf_text(read(v.pdf))
    d = Docx(io.BytesIO(read(v.docx)))
    header_xml = d.sections[0].header._element.xml
    assert "草稿　数据未经审核" in d.sections[0].header.paragraphs[0].text and 'string="草稿"' in header_xml
    assert any("本稿数据尚未全部审核" in p.text for p in d.paragraphs)
    with pytest.raises(BulletinError, match="draft|草稿"):
        services.publish(v, by=user)
    assert Bulletin.objects.get().published_version is None


def test_unreviewed_period_is_refused_when_configured(province, review_round, settings):
    settings.BULLETIN_UNREVIEWED = "refuse"
    with pytest.raises(BulletinError, match="(not yet reviewed|尚未审核).*绵阳综合保税区"):
        services.build(province["sc"], parse_period("2026-10"), by=user_for("province", "510000"))
    assert not Bulletin.objects.exists() and not BulletinVersion.objects.exists()
    assert not DocumentSequence.objects.filter(office_key="bulletin:P510000").exists()  # rolled back


def test_review_state_per_round_and_scope(province, review_round):
    p = parse_period("2026-10")
    assert services.review_state(province["GX"], p) == (True, "")
    ok, note = services.review_state(province["sc"], p)
    assert not ok and note == "2026年10月宜宾综合保税区、绵阳综合保税区2个园区月报尚未审核通过"
    assert services.review_state(province["sc"], parse_period("2026-11")) == (False, "2026年11月无数据")
    assert services.review_state(province["sc"], parse_period("2026-Q3"))[0]


@pytest.mark.skipif(not PDFTOPPM, reason="pdftoppm (poppler-utils, installed by bin/test) is missing")
def test_chart_titles_of_the_bulletin_are_chinese_glyphs_not_boxes(province, settings):
    """The bulletin's first chart rasterised from a PDF; its title compared with the known text drawn by
    Pillow in the CJK font and in a font without Chinese (boxes).  Pointing the chart font at the latter
    makes the check see boxes."""
    from PIL import Image

    from zonebook.documents import charts
    from zonebook.documents.content import Chart, Document
    from zonebook.documents.render import render
    from zonebook.documents.tests.test_charts import NON_CJK_FONT, _band, _distance, _pillow_text

    doc, _reviewed, _note = services.prepare_document(province["sc"], parse_period("2026-09"))
    chart = next(b for s in doc.sections for b in s.blocks if isinstance(b, Chart))
    assert chart.title == "全省进出口总额月度走势"

    def title_in_pdf():
        pdf = render(Document(kind="test-chart", title="", blocks=[chart]), "pdf")
        png = subprocess.run([PDFTOPPM, "-r", "150", "-png", "-f", "1", "-l", "1", "-"], input=pdf,
                             capture_output=True, check=True).stdout
        return _band(Image.open(io.BytesIO(png)))

    glyphs, boxes = _pillow_text(charts.font_path(), chart.title), _pillow_text(NON_CJK_FONT, chart.title)
    seen = title_in_pdf()
    assert _distance(seen, glyphs) < 45 and _distance(seen, glyphs) < _distance(seen, boxes) - 30
    settings.DOCUMENTS_CJK_FONT = NON_CJK_FONT
    with pytest.warns(UserWarning, match="missing from font"):
        tofu = title_in_pdf()
    assert _distance(tofu, boxes) < _distance(tofu, glyphs)


@pytest.mark.skipif(not PDFTOTEXT, reason="poppler-utils (installed by bin/test) is missing")
def test_command_builds_docx_or_pdf_by_extension(province, review_round, tmp_path, settings):
    settings.BULLETIN_UNREVIEWED = "draft"
    out = tmp_path / "q3.docx"
    call_command("bulletin", "build", "--scope", "C510700", "--period", "2026-09", "--quarterly", "--out", str(out))
    d = Docx(str(out))
    assert any("2026年第三季度绵阳市" in p.text for p in d.paragraphs)
    assert not Bulletin.objects.exists()  # checked, not stored
    pdf = tmp_path / "zone.pdf"
    call_command("bulletin", "build", "--scope", "MY", "--period", "2026-10", "--out", str(pdf), "--save")
    assert "草稿" in pdf_text(pdf.read_bytes())
    assert Bulletin.objects.get().versions.get().draft
    with pytest.raises(CommandError, match="not yet reviewed|尚未审核"):
        call_command("bulletin", "build", "--scope", "MY", "--period", "2026-10", "--out", str(pdf),
                     "--refuse-unreviewed")
    with pytest.raises(CommandError, match=".docx or .pdf"):
        call_command("bulletin", "build", "--scope", "MY", "--period", "2026-10", "--out", str(tmp_path / "x.txt"))
    with pytest.raises(CommandError, match="No province, city or zone|没有统计代码"):
        call_command("bulletin", "build", "--scope", "NOPE", "--period", "2026-10", "--out", str(pdf))


def test_scheduled_build_waits_for_review(province, review_round, monkeypatch):
    """Last month's bulletins are built once reviewed: on 2026-11-05 (period 2026-10) the accepted zones
    and Chengdu (both its zones accepted) are built; the province, Mianyang and its zones and the
    Chongqing zone and province (no accepted return) wait; a second run builds nothing new."""
    monkeypatch.setattr(services, "render_files", lambda doc, draft=False, formats=("docx", "pdf"): {
        f: f"{doc.title} {'draft' if draft else ''}".encode() for f in formats})
    r = jobs.build_due(dt.date(2026, 11, 5))
    assert r["period"] == "2026-10"
    assert sorted(b.split()[0] for b in r["built"]) == ["C510100", "GX", "RAIL"]
    assert sorted(w.split()[0] for w in r["waiting"]) == ["C510700", "CQ-XY", "MY", "NEW", "P500000", "P510000"]
    assert jobs.build_due(dt.date(2026, 11, 6))["built"] == []
    # after September: the month and the third quarter, for every scope with figures (no return round)
    r = jobs.build_due(dt.date(2026, 10, 8))
    assert "P510000 2026-09 v1" in r["built"] and "P510000 2026-Q3 v1" in r["built"]
    assert "C510700 2026-Q3 v1" in r["built"]
    assert Bulletin.objects.filter(frequency="quarter").count() == len([b for b in r["built"] if "-Q3" in b])
    from zonebook.jobs import schedules

    assert schedules.get("bulletins.monthly").func_path == "zonebook.bulletins.jobs.monthly_job"
