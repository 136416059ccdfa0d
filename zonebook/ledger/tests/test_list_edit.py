"""Editing a draft inventory list loses nothing (issue 13 §3): import → edit page → save unchanged →
every field of the header and of every line is identical; edits merge with the stored lines by
line number."""

from __future__ import annotations

from decimal import Decimal
from html.parser import HTMLParser

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.ledger.models import InventoryList, InventoryListLine
from zonebook.ledger.tests import factories as f
from zonebook.ledger.tests import ledger_world

LIST_NO = "QD510126E900000901"
IMPORT = (
    "清单编号,企业内部编号,备案号,进出口标记,监管方式,料件成品标记,申报日期,报关单号,备注,处理方式,"
    "商品序号,备案序号,料号,商品编码,商品名称,申报数量,法定数量,第二法定数量,申报单价,申报总价,币制,原产国,单耗版本号\n"
    "{no},NB-2026-901,{book},E,5100,成品,2026-03-05,510120261000009010,进口测试备注,草稿,"
    "10,1,P0001,{hs},整机（申报名称甲）,4.5,3,7,100.25,451.13,USD,502,1\n"
    "{no},NB-2026-901,{book},E,5100,成品,2026-03-05,510120261000009010,进口测试备注,草稿,"
    "20,1,P0001,{hs},整机（申报名称乙）,2,1.5,0.75,99.5,199,HKD,110,1\n"
)


class _FormValues(HTMLParser):
    """What a browser submits for the page's entry form: inputs, selected options, textareas."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select = self._textarea = None
        self._first_option: dict[str, str] = {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "checkbox", "radio"):
            self.data[name] = a.get("value") or ""
        elif tag == "select" and name:
            self._select = name
        elif tag == "option" and self._select:
            self._first_option.setdefault(self._select, a.get("value") or "")
            if "selected" in a:
                self.data[self._select] = a.get("value") or ""
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            self.data.setdefault(self._select, self._first_option.get(self._select, ""))
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def _form_data(html: str) -> dict[str, str]:
    start = html.index('<form method="post" novalidate id="list-form">')
    parser = _FormValues()
    parser.feed(html[start : html.index("</form>", start)])
    return parser.data


def _header(lst) -> dict:
    lst = InventoryList.objects.get(pk=lst.pk)
    return {fld.attname: getattr(lst, fld.attname) for fld in InventoryList._meta.concrete_fields}


def _lines(lst) -> dict:
    """Every stored column of every line (the row id too), by line number."""
    fields = [fld.attname for fld in InventoryListLine._meta.concrete_fields]
    return {
        ln["line_no"]: ln
        for ln in InventoryListLine.objects.filter(inventory_list=lst).values(*fields).order_by("line_no")
    }


@pytest.fixture
def imported(world, lw, tmp_path):
    path = tmp_path / "lists.csv"
    path.write_text(IMPORT.format(no=LIST_NO, book=lw.book.number, hs=f.HS_PRODUCT), encoding="utf-8-sig")
    result = pipeline.run(get_kind("ledger_lists"), path, path.name, world.users.enterprise)
    assert result.ok and result.written == 2, result.errors
    return InventoryList.objects.get(number=LIST_NO)


@pytest.fixture
def lw(world):
    return ledger_world.build(world)


@pytest.mark.django_db
def test_saving_the_edit_page_unchanged_keeps_every_field(world, client, imported):
    header, lines = _header(imported), _lines(imported)
    # the file gives every field a value, so that a field the round trip drops cannot hide
    assert set(lines) == {10, 20}
    for ln in lines.values():
        blank = [k for k, v in ln.items() if v in (None, "")]
        assert not blank, f"the import leaves {blank} empty: give them a value in IMPORT"
    assert lines[10]["name"] == "整机（申报名称甲）" and lines[10]["legal_qty2"] == Decimal("7")
    blank = [k for k, v in header.items() if v in (None, "") and k not in ("rule_id", "reverses_id")]
    assert blank == ["submitted_at", "posted_at", "receipt_number", "receipt_date"]  # a draft's, by nature (posting sets them)

    client.force_login(world.users.enterprise)
    page = client.get(f"/ledger/lists/{imported.pk}/edit/")
    assert page.status_code == 200
    data = _form_data(page.content.decode())
    assert data["lines-0-line_no"] == "10" and data["lines-1-line_no"] == "20"
    audits = AuditEntry.objects.count()
    r = client.post(f"/ledger/lists/{imported.pk}/edit/", {**data, "then": "draft"})
    assert r.status_code == 302, r.context and (r.context["header_form"].errors, r.context["formset"].errors)

    assert _header(imported) == header
    assert _lines(imported) == lines  # the same rows, not rewritten
    assert AuditEntry.objects.count() == audits  # nothing changed, nothing to record


@pytest.mark.django_db
def test_an_edit_merges_by_line_number(world, client, imported):
    before = _lines(imported)
    client.force_login(world.users.enterprise)
    data = _form_data(client.get(f"/ledger/lists/{imported.pk}/edit/").content.decode())
    data["lines-0-qty"] = "5"  # line 10: a new quantity
    data["lines-0-legal_qty"] = ""  # … and a cleared legal quantity
    for k in [k for k in data if k.startswith("lines-1-")]:  # line 20: emptied row = removed
        data[k] = ""
    data["lines-2-item_seq_no"] = "1"  # a new row
    data["lines-2-qty"] = "1"
    r = client.post(f"/ledger/lists/{imported.pk}/edit/", {**data, "then": "draft"})
    assert r.status_code == 302
    after = _lines(imported)
    assert set(after) == {10, 21}  # 20 is gone and its number is not reused
    ten = after[10]
    assert (ten["qty"], ten["legal_qty"]) == (Decimal("5"), None)
    keep = ("name", "legal_qty2", "part_no", "hs_code", "unit_price", "amount", "currency", "country")
    assert {k: ten[k] for k in keep} == {k: before[10][k] for k in keep}
    assert after[21]["name"] == "成品1"  # a new line takes the filed item's name
    imported.refresh_from_db()
    assert imported.line_count == 2


@pytest.mark.django_db
def test_changing_the_item_of_a_line_takes_the_new_items_name(world, client, lw):
    lst = f.inv_list(
        lw.book, "5000", "I", "material", [(1, 3, {"line_no": 5, "name": "自报名称"})], submit=False
    )
    client.force_login(world.users.enterprise)
    data = _form_data(client.get(f"/ledger/lists/{lst.pk}/edit/").content.decode())
    data["lines-0-item_seq_no"] = "2"
    assert client.post(f"/ledger/lists/{lst.pk}/edit/", {**data, "then": "draft"}).status_code == 302
    line = lst.lines.get()
    assert (line.line_no, line.item_seq_no, line.part_no, line.name) == (5, 2, "M0002", "料件2")
