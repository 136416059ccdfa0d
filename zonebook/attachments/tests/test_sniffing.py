"""The one sniffing rule, on bytes alone (no database)."""

import io

import pytest
from django.utils import translation

from zonebook.attachments import sniffing
from zonebook.attachments.services import clean_name

from . import files


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def kind_of(data: bytes, name: str) -> str:
    return sniffing.check(data[: sniffing.HEAD_BYTES], io.BytesIO(data), name).key


@pytest.mark.parametrize(
    ("data", "name", "kind"),
    [
        (files.pdf(), "licence.pdf", "pdf"),
        (files.png(), "photo.PNG", "png"),
        (files.jpeg(), "visit.jpg", "jpeg"),
        (files.ooxml("docx"), "minutes.docx", "docx"),
        (files.ooxml("xlsx"), "figures.xlsx", "xlsx"),
        (files.OLE, "old.doc", "doc"),
        (files.OLE, "old.xls", "xls"),
        ("会议纪要：园区走访".encode(), "notes.txt", "txt"),
        ("企业,数量\n成都甲,1\n".encode("gb18030"), "list.csv", "csv"),
    ],
)
def test_allowed_kinds_are_recognised(data, name, kind):
    assert kind_of(data, name) == kind


@pytest.mark.parametrize(
    ("data", "name", "reason"),
    [
        (files.ELF, "report.pdf", "program"),
        (files.MZ, "report.pdf", "program"),
        (files.MZ, "setup.txt", "program"),
        (files.plain_zip(), "minutes.docx", "may not be attached"),
        (files.ooxml("docx"), "minutes.xlsx", "does not match"),
        (files.png(), "licence.pdf", "does not match"),
        (b"\x00\x01\x02binary", "data.txt", "may not be attached"),
        (b"<svg onload=alert(1)>", "x.svg", "does not match"),
        (files.pdf(), "passwd", "does not match"),
    ],
)
def test_refused(data, name, reason):
    with pytest.raises(sniffing.Refused, match=reason):
        kind_of(data, name)


def test_allowed_kinds_setting_narrows_the_rule(settings):
    settings.ATTACHMENT_ALLOWED_KINDS = ["pdf"]
    assert kind_of(files.pdf(), "a.pdf") == "pdf"
    with pytest.raises(sniffing.Refused, match="Allowed: .pdf"):
        kind_of(files.png(), "a.png")


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\Windows\\system.ini", "system.ini"),
        ("/abs/营业执照.pdf", "营业执照.pdf"),
        ("..", "file"),
        (".htaccess", "htaccess"),
        ("a\x00b\r\n.txt", "ab.txt"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_clean_name(raw, clean):
    assert clean_name(raw) == clean
