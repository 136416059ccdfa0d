"""Ledger pages: rendering, scope (404 before 403), the entry form, the posting confirmation flow, reversal,
balance drill-down, exports and fixed query counts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.ledger.models import Balance, InventoryList
from zonebook.ledger.tests import factories as f
from zonebook.ledger.tests import ledger_world


@pytest.fixture
def lw(world):
    return ledger_world.build(world)


def _balance(item):
    return Balance.objects.get(item=item)


@pytest.mark.django_db
def test_every_page_and_tab_renders_for_the_enterprise(world, client, lw):
    client.force_login(world.users.enterprise)
    urls = [
        "/ledger/books/",
        "/ledger/lists/",
        "/ledger/balances/",
        f"/ledger/books/{lw.book.pk}/",
        f"/ledger/lists/{lw.imp.pk}/",
        f"/ledger/items/{lw.m1.pk}/balance/",
        f"/ledger/books/{lw.book.pk}/lists/new/",
        f"/ledger/lists/{lw.exp.pk}/reverse/",
        f"/registry/enterprises/{world.enterprises.a1.pk}/?tab=books",
    ]
    urls += [
        f"/ledger/books/{lw.book.pk}/?tab={t}"
        for t in ("overview", "materials", "products", "consumption", "lists", "balances", "history")
    ]
    for url in urls:
        r = client.get(url)
        assert r.status_code == 200, url
    # HTMX tab request gets only the tabs block
    r = client.get(f"/ledger/books/{lw.book.pk}/?tab=consumption", HTTP_HX_REQUEST="true")
    assert b"<html" not in r.content and b"0.947368421" in r.content


@pytest.mark.django_db
def test_balances_tab_lists_materials_first_and_links_every_cell(world, client, lw):
    client.force_login(world.users.enterprise)
    r = client.get(f"/ledger/books/{lw.book.pk}/?tab=balances")
    rows = [(b.record.item.kind, b.record.item.seq_no) for b in r.context["table"].page.object_list]
    assert rows == [("material", 1), ("material", 2), ("product", 1)]
    assert f'href="/ledger/items/{lw.m1.pk}/balance/?column=expected_remaining"' in r.content.decode()


@pytest.mark.django_db
def test_pages_are_chinese_by_default(world, client, lw):
    client.force_login(world.users.enterprise)
    html = client.get(f"/ledger/books/{lw.book.pk}/").content.decode()
    assert "核注清单" in html and "料件" in html


@pytest.mark.django_db
def test_enterprise_sees_only_its_own_books(world, client, lw):
    other = ledger_world.build(world, enterprise=world.enterprises.a1b)
    client.force_login(world.users.enterprise)
    assert client.get(f"/ledger/books/{other.book.pk}/").status_code == 404
    assert client.get(f"/ledger/lists/{other.imp.pk}/").status_code == 404
    assert client.get(f"/ledger/items/{other.m1.pk}/balance/").status_code == 404
    page = client.get("/ledger/books/").content.decode()
    assert lw.book.number in page and other.book.number not in page
    export = b"".join(client.get("/ledger/books/", {"export": "csv"}).streaming_content).decode("utf-8-sig")
    assert lw.book.number in export and other.book.number not in export


@pytest.mark.django_db
def test_zone_staff_read_but_may_not_write(world, client, lw):
    lst = f.inv_list(lw.book, "5000", "I", "material", [(1, 10)], date=ledger_world.DATE)
    client.force_login(world.users.zone)
    assert client.get(f"/ledger/books/{lw.book.pk}/").status_code == 200
    assert client.get(f"/ledger/books/{lw.book.pk}/lists/new/").status_code == 403
    before = AuditEntry.objects.count()
    assert client.post(f"/ledger/lists/{lst.pk}/post/").status_code == 403
    lst.refresh_from_db()
    assert lst.state == "submitted" and AuditEntry.objects.count() == before


@pytest.mark.django_db
def test_out_of_scope_ids_are_404_before_the_permission_check(world, client, lw):
    client.force_login(world.users.other_zone)  # zone b1 staff: no write right and no scope
    assert client.post(f"/ledger/lists/{lw.imp.pk}/post/").status_code == 404
    assert client.post(f"/ledger/books/{lw.book.pk}/lists/new/").status_code == 404


def _form(header: dict, lines: list[dict], then="submit", total=None):
    data = {
        "lines-TOTAL_FORMS": str(total or max(len(lines), 1)),
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "1000",
        "then": then,
    }
    data.update(header)
    for i, line in enumerate(lines):
        for k, v in line.items():
            data[f"lines-{i}-{k}"] = v
    return data


HEADER = {
    "number": "QD510126I900000501",
    "ie_mark": "I",
    "supervision_mode": "5000",
    "item_kind": "material",
    "declaration_date": "2026-03-05",
}


@pytest.mark.django_db
def test_entry_form_shows_row_errors_and_keeps_what_was_typed(world, client, lw):
    client.force_login(world.users.enterprise)
    data = _form(
        HEADER, [{"item_seq_no": "1", "qty": "12.5", "unit_price": "3.3"}, {"item_seq_no": "99", "qty": "7"}]
    )
    r = client.post(f"/ledger/books/{lw.book.pk}/lists/new/", data)
    assert r.status_code == 400
    html = r.content.decode()
    assert 'value="12.5"' in html and 'value="99"' in html and 'value="QD510126I900000501"' in html
    formset = r.context["formset"]
    assert not formset.forms[0].errors and "item_seq_no" in formset.forms[1].errors
    assert not InventoryList.objects.filter(number=HEADER["number"]).exists()
    # a header problem lands on the header field
    bad = _form({**HEADER, "supervision_mode": "0615"}, [{"item_seq_no": "1", "qty": "1"}])
    r = client.post(f"/ledger/books/{lw.book.pk}/lists/new/", bad)
    assert r.status_code == 400 and "supervision_mode" in r.context["header_form"].errors
    # inline checks of the grid itself: quantity required and positive
    r = client.post(
        f"/ledger/books/{lw.book.pk}/lists/new/", _form(HEADER, [{"item_seq_no": "1", "qty": "-3"}])
    )
    assert r.status_code == 400 and "qty" in r.context["formset"].forms[0].errors


@pytest.mark.django_db
def test_inline_item_check_in_the_grid(world, client, lw):
    client.force_login(world.users.enterprise)
    page = client.get(f"/ledger/books/{lw.book.pk}/lists/new/").content.decode()
    assert f'hx-get="/ledger/books/{lw.book.pk}/items/lookup/"' in page
    url = f"/ledger/books/{lw.book.pk}/items/lookup/"
    ok = client.get(url, {"lines-0-item_seq_no": "1", "item_kind": "material"}, HTTP_HX_REQUEST="true")
    assert (
        ok.status_code == 200
        and f'data-item="{lw.m1.pk}"' in ok.content.decode()
        and "M0001" in ok.content.decode()
    )
    bad = client.get(url, {"lines-0-item_seq_no": "7", "item_kind": "product"}, HTTP_HX_REQUEST="true")
    assert 'data-item=""' in bad.content.decode()
    other = ledger_world.build(world, enterprise=world.enterprises.c1)
    assert (
        client.get(f"/ledger/books/{other.book.pk}/items/lookup/", {"lines-0-item_seq_no": "1"}).status_code
        == 404
    )


@pytest.mark.django_db
def test_more_rows_keeps_the_input(world, client, lw):
    client.force_login(world.users.enterprise)
    data = _form(HEADER, [{"item_seq_no": "2", "qty": "4"}], then="rows")
    r = client.post(f"/ledger/books/{lw.book.pk}/lists/new/", data)
    assert r.status_code == 200
    assert len(r.context["formset"].forms) > 8 and 'value="4"' in r.content.decode()
    assert not InventoryList.objects.filter(number=HEADER["number"]).exists()


@pytest.mark.django_db
def test_posting_through_the_pages_with_confirmation(world, client, lw):
    """Enter an export of 10 products, submit, confirm (effect shown, nothing written yet), post.

    Material 1: 单耗 0.947368421 → consumption 10 × 0.947368421 = 9.47368; expected remaining
    1,405.26316 − 9.47368 = 1,395.78948.  Material 2: 单耗 2 → 20; 100 − 20 = 80.
    """
    client.force_login(world.users.enterprise)
    header = {
        **HEADER,
        "number": "QD510126E900000502",
        "ie_mark": "E",
        "supervision_mode": "5100",
        "item_kind": "product",
    }
    r = client.post(
        f"/ledger/books/{lw.book.pk}/lists/new/",
        _form(header, [{"item_seq_no": "1", "qty": "10", "consumption_version": "1"}]),
    )
    assert r.status_code == 302
    lst = InventoryList.objects.get(number=header["number"])
    assert lst.state == "submitted"
    assert _balance(lw.m1).expected_remaining == Decimal("1405.26316")

    r = client.get(f"/ledger/lists/{lst.pk}/post/")
    assert r.status_code == 200
    effect = {
        (row["seq_no"], row["kind"]): {
            c["column"]: (c["before"], c["delta"], c["after"]) for c in row["cols"]
        }
        for row in r.context["rows"]
    }
    assert effect[(1, "material")]["consumption"][1] == Decimal("9.47368")
    assert effect[(1, "material")]["expected_remaining"] == (
        Decimal("1405.26316"),
        Decimal("-9.47368"),
        Decimal("1395.78948"),
    )
    assert effect[(2, "material")]["expected_remaining"][2] == Decimal("80")
    assert effect[(1, "product")]["exported"][1] == Decimal("10")
    assert _balance(lw.m1).expected_remaining == Decimal("1405.26316")  # preview wrote nothing
    lst.refresh_from_db()
    assert lst.state == "submitted" and lst.rule_id is None

    r = client.post(f"/ledger/lists/{lst.pk}/post/", _receipt())
    assert r.status_code == 302
    lst.refresh_from_db()
    assert lst.state == "posted"
    assert _balance(lw.m1).expected_remaining == Decimal("1395.78948")
    assert _balance(lw.m2).expected_remaining == Decimal("80")
    # posting twice changes nothing and says so
    r = client.post(f"/ledger/lists/{lst.pk}/post/", _receipt(), follow=True)
    assert _balance(lw.m1).expected_remaining == Decimal("1395.78948")
    assert any(
        "already posted" in str(m) or "已过账" in str(m) or lst.number in str(m)
        for m in r.context["messages"]
    )


def _receipt(number="HGHZ-2026-000123"):
    from django.utils import timezone

    return {"receipt_number": number, "receipt_date": timezone.localdate().isoformat()}


@pytest.mark.django_db
def test_posting_records_the_customs_receipt(world, client, lw):
    """The enterprise does not approve its own list: it records customs' approval receipt (回执),
    and the button, the list and the audit entry say so."""
    from django.utils import timezone, translation

    lst = f.inv_list(lw.book, "5000", "I", "material", [(1, 5)], date=ledger_world.DATE)
    client.force_login(world.users.enterprise)
    with translation.override("zh-hans"):
        page = client.get(f"/ledger/lists/{lst.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "登记海关审核回执并核扣" in page and "审核通过并核扣" not in page
        confirm = client.get(f"/ledger/lists/{lst.pk}/post/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        assert "回执编号" in confirm and "回执日期" in confirm
    # without the receipt nothing is posted
    r = client.post(f"/ledger/lists/{lst.pk}/post/", {"receipt_number": "", "receipt_date": ""})
    assert r.status_code == 400 and r.context["form"].errors
    lst.refresh_from_db()
    assert lst.state == "submitted"
    # a receipt dated before the declaration is refused on the field
    early = (ledger_world.DATE - dt.timedelta(days=1)).isoformat()
    r = client.post(f"/ledger/lists/{lst.pk}/post/", {"receipt_number": "R1", "receipt_date": early})
    assert r.status_code == 400 and "receipt_date" in r.context["form"].errors
    r = client.post(f"/ledger/lists/{lst.pk}/post/", _receipt())
    assert r.status_code == 302
    lst.refresh_from_db()
    assert lst.state == "posted"
    assert (lst.receipt_number, lst.receipt_date) == ("HGHZ-2026-000123", timezone.localdate())
    entry = AuditEntry.objects.filter(code="ledger.inventory_list.posted", object_id=str(lst.pk)).get()
    assert entry.changes["receipt_number"] == "HGHZ-2026-000123"
    assert entry.changes["receipt_date"] == timezone.localdate().isoformat()
    assert "HGHZ-2026-000123" in entry.message
    with translation.override("zh-hans"):
        page = client.get(f"/ledger/lists/{lst.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "HGHZ-2026-000123" in page


@pytest.mark.django_db
def test_confirmation_warns_of_a_refused_posting(world, client, lw):
    lst = f.inv_list(
        lw.book, "5100", "E", "product", [(1, 1000, {"consumption_version": "1"})], date=ledger_world.DATE
    )
    client.force_login(world.users.enterprise)
    r = client.get(f"/ledger/lists/{lst.pk}/post/")
    assert r.status_code == 200 and r.context["refused"]  # material 2: 100 − 2,000 < 0
    r = client.post(f"/ledger/lists/{lst.pk}/post/", _receipt())
    lst.refresh_from_db()
    assert lst.state == "submitted" and _balance(lw.m2).expected_remaining == Decimal("100")


@pytest.mark.django_db
def test_confirmation_reports_a_missing_consumption_version(world, client, lw):
    lst = f.inv_list(lw.book, "5100", "E", "product", [(1, 5)], date=dt.date(2020, 1, 1))
    # version 1 has no validity dates, so it is in force: make the list name a version that does not exist
    lst.lines.update(consumption_version="9")
    client.force_login(world.users.enterprise)
    r = client.get(f"/ledger/lists/{lst.pk}/post/")
    assert r.status_code == 400 and r.context["error"].code == "consumption_version"


@pytest.mark.django_db
def test_reverse_through_the_page(world, client, lw):
    client.force_login(world.users.enterprise)
    r = client.post(
        f"/ledger/lists/{lw.exp.pk}/reverse/",
        {"number": "QD510126E900000777", "declaration_date": "2026-03-10"},
    )
    assert r.status_code == 302
    rev = InventoryList.objects.get(number="QD510126E900000777")
    assert rev.reverses_id == lw.exp.pk and rev.state == "posted"
    assert _balance(lw.m1).expected_remaining == Decimal("1500")  # 1,000 + 500, the export undone
    # a second reversal is refused with the reason on the form
    r = client.post(
        f"/ledger/lists/{lw.exp.pk}/reverse/",
        {"number": "QD510126E900000778", "declaration_date": "2026-03-10"},
    )
    assert r.status_code == 400


@pytest.mark.django_db
def test_balance_drill_down_shows_the_lines_behind_a_cell(world, client, lw):
    client.force_login(world.users.enterprise)
    r = client.get(f"/ledger/items/{lw.m1.pk}/balance/?column=consumption")
    assert r.status_code == 200
    rows = list(r.context["exploded_page"])
    assert [(x.inventory_list_id, x.resolved_version) for x in rows] == [(lw.exp.pk, "1")]
    assert round(Decimal(str(rows[0].consumed)), 5) == Decimal("94.73684")  # 100 × 0.947368421
    r = client.get(f"/ledger/items/{lw.m1.pk}/balance/?column=imports")
    assert [x.inventory_list_id for x in r.context["direct_page"]] == [lw.imp.pk]
    assert [t["total"] for _label, t in r.context["direct_totals"]] == [Decimal("500")]
    assert [v.version for v in r.context["versions"]] == ["1"] and r.context["versions"][0].used


@pytest.mark.django_db
def test_balance_drill_down_of_the_opening_balance_says_it_once(world, client, lw):
    """The opening balance is not a posting: one sentence says so (not twice, not next to a list
    of import postings), numbers read as numbers and the totals name their column."""
    client.force_login(world.users.enterprise)
    r = client.get(f"/ledger/items/{lw.m1.pk}/balance/?column=opening", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = r.content.decode()
    assert page.count("核销周期开始时的数量") == 1
    assert "显示构成" not in page and r.context["direct_page"] is None
    r = client.get(f"/ledger/items/{lw.m1.pk}/balance/?column=imports", HTTP_ACCEPT_LANGUAGE="zh-hans")
    page = r.content.decode()
    assert "imports:" not in page and "进口: 500 (" in page
    assert "500.00000" not in page


def _many(world, n):
    for _i in range(n):
        b = f.book(world.enterprises.a1, kind="H")
        f.material(b, 1, opening=10)
        f.material(b, 2)
        f.post(b, "5000", "I", "material", [(1, 5), (2, 3)], date=ledger_world.DATE)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 6])
def test_list_pages_have_a_fixed_query_count(world, client, django_assert_max_num_queries, n):
    _many(world, n)
    b = f.book(world.enterprises.a1, kind="H")
    for s in range(1, n + 2):
        f.material(b, s)
    client.force_login(world.users.zone)
    pages = [
        "/ledger/books/",
        "/ledger/lists/",
        "/ledger/balances/",
        "/ledger/balances/?level=low",
        f"/ledger/books/{b.pk}/?tab=materials",
        f"/ledger/books/{b.pk}/?tab=balances",
        f"/ledger/books/{b.pk}/?tab=lists",
    ]
    client.get(pages[0])
    for url in pages:
        with django_assert_max_num_queries(10):
            assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_edit_submit_and_cancel_a_draft_through_the_pages(world, client, lw):
    lst = f.inv_list(
        lw.book, "5000", "I", "material", [(1, 10), (2, 4)], date=ledger_world.DATE, submit=False
    )
    client.force_login(world.users.enterprise)
    page = client.get(f"/ledger/lists/{lst.pk}/edit/")
    assert page.status_code == 200 and len([fm for fm in page.context["formset"].forms if fm.initial]) == 2
    header = {k: getattr(lst, k) for k in ("number", "ie_mark", "supervision_mode", "item_kind")}
    header["declaration_date"] = "2026-03-02"
    r = client.post(
        f"/ledger/lists/{lst.pk}/edit/", _form(header, [{"item_seq_no": "2", "qty": "6"}], then="draft")
    )
    assert r.status_code == 302
    lst.refresh_from_db()
    assert lst.state == "draft" and [(x.item_seq_no, x.qty) for x in lst.lines.all()] == [(2, Decimal("6"))]
    assert client.post(f"/ledger/lists/{lst.pk}/submit/").status_code == 302
    lst.refresh_from_db()
    assert lst.state == "submitted"
    assert client.get(f"/ledger/lists/{lst.pk}/edit/").status_code == 302  # no longer editable
    assert client.post(f"/ledger/lists/{lst.pk}/cancel/").status_code == 302
    lst.refresh_from_db()
    assert lst.state == "cancelled"
    assert client.get(f"/ledger/lists/{lst.pk}/post/").status_code == 302  # nothing to confirm


@pytest.mark.django_db
def test_list_filters_answer_htmx_with_the_results_block(world, client, lw):
    client.force_login(world.users.zone)
    r = client.get("/ledger/lists/", {"q": lw.exp.number[-6:]}, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert "<html" not in html and lw.exp.number in html and lw.imp.number not in html
    r = client.get("/ledger/books/", {"kind": "C"}, HTTP_HX_REQUEST="true")
    assert lw.book.number not in r.content.decode()


@pytest.mark.django_db
def test_post_selected_lists_from_the_list_page(world, client, lw, django_assert_max_num_queries):
    subs = [
        f.inv_list(lw.book, "5000", "I", "material", [(2, k + 1)], date=ledger_world.DATE) for k in range(3)
    ]
    other = ledger_world.build(world, enterprise=world.enterprises.c1)
    foreign = f.inv_list(other.book, "5000", "I", "material", [(1, 1)], date=ledger_world.DATE)
    client.force_login(world.users.enterprise)
    with django_assert_max_num_queries(12):
        html = client.get("/ledger/lists/").content.decode()
    # a checkbox on each submitted list (not on the posted ones), owned by the form outside the table
    assert html.count('name="lists"') == 3 and 'id="post-selected"' in html
    assert f'name="lists" value="{lw.imp.pk}"' not in html
    before = _balance(lw.m2).imports
    # an id out of the user's scope: "no such list", nothing posted
    r = client.post(
        "/ledger/lists/post-selected/",
        {"lists": [subs[0].pk, foreign.pk], "next": "/ledger/lists/?state=submitted"},
    )
    assert r.status_code == 302 and r.url == "/ledger/lists/?state=submitted"
    assert _balance(lw.m2).imports == before
    r = client.post(
        "/ledger/lists/post-selected/",
        {"lists": [s.pk for s in subs[:2]], "next": "https://evil.example/"},
        follow=True,
    )
    assert r.redirect_chain[-1][0] == "/ledger/lists/"
    assert _balance(lw.m2).imports == before + 3
    assert set(InventoryList.objects.filter(pk__in=[s.pk for s in subs]).values_list("state", flat=True)) == {
        "posted",
        "submitted",
    }
    # readers get neither the checkboxes nor the action
    client.force_login(world.users.zone)
    assert 'name="lists"' not in client.get("/ledger/lists/").content.decode()
    assert client.post("/ledger/lists/post-selected/", {"lists": [subs[2].pk]}).status_code == 403


@pytest.mark.django_db
def test_pages_show_units_and_posting_rules_in_words(world, client, lw):
    """Names, not codes: unit 007 is 个, the posting rule (核扣方式) is a sentence; quantities read
    with thousands separators and only the decimals they need."""
    from zonebook.registry.names import code_name

    client.force_login(world.users.enterprise)
    zh = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}
    page = client.get(f"/ledger/books/{lw.book.pk}/?tab=materials", **zh).content.decode()
    assert f"<td>{code_name('unit', '007')}</td>" in page and "<td>007</td>" not in page
    assert code_name("unit", "007") != "007"
    page = client.get(f"/ledger/lists/{lw.exp.pk}/", **zh).content.decode()
    rule = page.split('id="list-rule">')[1].split("</dd>")[0]
    assert "按单耗折算后记入" in rule and "5100 E" not in rule
    page = client.get(f"/ledger/lists/{lw.imp.pk}/", **zh).content.decode()
    assert "500.00000" not in page and ">500<" in page
