"""Write-off pages, API, CLI and export: scope, write rights, confirmations, query counts."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from zonebook.audit.models import AuditEntry
from zonebook.ledger.models import DifferenceCase, StocktakeRow, WriteOff
from zonebook.ledger.services import writeoff as svc
from zonebook.ledger.tests import factories as f
from zonebook.ledger.tests.test_writeoff import END, START, STOCKTAKE_C, example_c, surplus_book


def api(user):
    c = APIClient()
    c.force_authenticate(user)
    return c


def test_create_page_stocktake_upload_transitions_and_case_resolution(world, client_for):
    book, m, p = example_c(world)
    c = client_for(world.users.enterprise)
    c.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    r = c.get(reverse("ledger:writeoff_create") + f"?book={book.pk}")
    assert r.status_code == 200
    r = c.post(
        reverse("ledger:writeoff_create"), {"book": book.pk, "start": "2026-01-01", "end": "2026-06-30"}
    )
    assert r.status_code == 302
    wo = WriteOff.objects.get(book=book)
    detail = reverse("ledger:writeoff_detail", args=[wo.pk])
    r = c.get(detail)
    assert r.status_code == 200 and "1005.26316" in r.content.decode()

    # a bad stocktake: 400, the row and column named, nothing written
    bad = "kind,seq_no,stock\nmaterial,1,-3\nmaterial,7,1\n"
    r = c.post(
        reverse("ledger:writeoff_stocktake", args=[wo.pk]),
        {"file": SimpleUploadedFile("st.csv", bad.encode(), content_type="text/csv")},
    )
    body = r.content.decode()
    assert r.status_code == 400 and "Row 2" in body and "Row 3" in body and "negative" in body
    assert not StocktakeRow.objects.filter(writeoff=wo).exists()

    good = "类型,备案序号,料件库存,在制品,成品库存,残次品\n料件,1,820,,,\n成品,1,,100,60,10\n"
    r = c.post(
        reverse("ledger:writeoff_stocktake", args=[wo.pk]),
        {"file": SimpleUploadedFile("st.csv", good.encode("utf-8-sig"), content_type="text/csv")},
    )
    assert r.status_code == 302
    wo.refresh_from_db()
    assert wo.has_stocktake and wo.shortage_amount == D("-302.63")

    # confirmation page, then the transition
    url = reverse("ledger:writeoff_transition", args=[wo.pk, "pre_check"])
    assert c.get(url).status_code == 200
    assert WriteOff.objects.get(pk=wo.pk).state == "draft"  # GET changes nothing
    assert c.post(url, {"note": "预报核"}).status_code == 302
    case = DifferenceCase.objects.get(writeoff=wo)
    for s in ("submitted", "accepted"):
        c.post(reverse("ledger:writeoff_transition", args=[wo.pk, s]))
    assert WriteOff.objects.get(pk=wo.pk).state == "accepted"
    # closing refused while the case is open: the confirmation lists it, the POST leaves the state
    r = c.get(reverse("ledger:writeoff_transition", args=[wo.pk, "closed"]))
    assert reverse("ledger:case_resolve", args=[case.pk]) in r.content.decode()
    r = c.post(reverse("ledger:writeoff_transition", args=[wo.pk, "closed"]), follow=True)
    assert "open difference case" in r.content.decode()
    assert WriteOff.objects.get(pk=wo.pk).state == "accepted"

    r = c.post(
        reverse("ledger:case_resolve", args=[case.pk]),
        {"reason_code": "other", "settlement_kind": "domestic_sale", "resolution": ""},
    )
    assert r.status_code == 400
    r = c.post(
        reverse("ledger:case_resolve", args=[case.pk]),
        {"reason_code": "undeclared_sale", "settlement_kind": "domestic_sale", "resolution": "补税"},
    )
    assert r.status_code == 302
    c.post(reverse("ledger:writeoff_transition", args=[wo.pk, "closed"]))
    assert WriteOff.objects.get(pk=wo.pk).state == "closed"

    # exports: the customs layout and the CSV
    r = c.get(reverse("ledger:writeoff_export", args=[wo.pk]))
    wb = openpyxl.load_workbook(io.BytesIO(r.content))
    assert wb.sheetnames == ["料件核销核算表", "成品核销核算表", "报核清单", "差异"]
    ws = wb["料件核销核算表"]
    titles = [c.value for c in ws[7]]
    assert titles[:2] == ["备案序号", "料号"] and "应剩余数量" in titles and "差异金额" in titles
    row = [c.value for c in ws[8]]
    assert row[titles.index("实际剩余数量")] == pytest.approx(981.05263)
    assert row[titles.index("差异金额")] == pytest.approx(-302.63)
    # numbers with the domain's decimals: quantities 5, money 2; the sequence number without separator
    cells = list(ws[8])
    assert cells[titles.index("实际剩余数量")].number_format == "#,##0.00000"
    assert cells[titles.index("差异金额")].number_format == "#,##0.00"
    assert cells[titles.index("备案序号")].number_format == "0"
    assert wb["报核清单"].max_row == 11  # header + 10 lists
    r = c.get(reverse("ledger:writeoff_export", args=[wo.pk]) + "?format=csv")
    # the page's CSV has its headers in the user's language (the CLI keeps the documented names)
    assert "difference amount (差异金额)" in r.content.decode("utf-8-sig").splitlines()[0]
    r = c.get(reverse("ledger:writeoff_export", args=[wo.pk]) + "?format=csv", HTTP_ACCEPT_LANGUAGE="zh-hans")
    head = r.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert head[:2] == ["备案序号", "料号"] and "差异金额" in head and "difference_amount" not in head
    r = c.get(reverse("ledger:writeoff_export", args=[wo.pk]) + "?format=pdf")
    assert r.status_code == 200 and r["Content-Type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert AuditEntry.objects.filter(code="ledger.writeoff.exported").count() == 4


def test_scope_and_write_rights(world, client_for):
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    # zone staff read but may not write
    z = client_for(world.users.zone)
    assert z.get(reverse("ledger:writeoff_detail", args=[wo.pk])).status_code == 200
    assert z.post(reverse("ledger:writeoff_transition", args=[wo.pk, "pre_check"])).status_code == 403
    assert z.get(reverse("ledger:writeoff_create")).status_code == 403
    # another province: 404 before any permission check
    o = client_for(world.users.other_enterprise)
    assert o.get(reverse("ledger:writeoff_detail", args=[wo.pk])).status_code == 404
    assert o.post(reverse("ledger:writeoff_recompute", args=[wo.pk])).status_code == 404
    r = o.post(
        reverse("ledger:writeoff_create"), {"book": book.pk, "start": "2027-01-01", "end": "2027-06-30"}
    )
    assert r.status_code == 400  # the book is not a choice for that user
    assert WriteOff.objects.count() == 1


@pytest.mark.parametrize("n_books", [1, 6])
def test_list_pages_fixed_query_count(world, client_for, django_assert_max_num_queries, n_books):
    for _n in range(n_books):
        b = f.book(world.enterprises.a1, kind="C")
        f.material(b, 1, opening=10)
        wo = svc.create_writeoff(b, START, END)
        svc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 5}])
        svc.change_writeoff_state(wo, "pre_check")
    c = client_for(world.users.province)
    c.get(reverse("ledger:writeoff_list"))  # warm caches
    with django_assert_max_num_queries(12):
        assert c.get(reverse("ledger:writeoff_list")).status_code == 200
    with django_assert_max_num_queries(12):
        assert c.get(reverse("ledger:case_list")).status_code == 200
    wo = WriteOff.objects.order_by("pk").first()
    with django_assert_max_num_queries(20):
        assert c.get(reverse("ledger:writeoff_detail", args=[wo.pk])).status_code == 200
    r = c.get(reverse("ledger:case_list") + "?export=xlsx")
    assert r.status_code == 200


def test_api_flow_and_scope(world):
    book, m, p = example_c(world)
    c = api(world.users.enterprise)
    r = c.post(
        "/api/ledger/writeoffs/", {"book": book.pk, "start": "2026-01-01", "end": "2026-06-30"}, format="json"
    )
    assert r.status_code == 201, r.content
    pk = r.json()["id"]
    r = c.post(
        f"/api/ledger/writeoffs/{pk}/stocktake/",
        {"rows": [{"kind": "material", "seq_no": "99", "stock": "1"}]},
        format="json",
    )
    assert r.status_code == 400 and r.json()["code"] == "stocktake_invalid"
    assert r.json()["errors"][0]["column"] == "seq_no"
    r = c.post(f"/api/ledger/writeoffs/{pk}/stocktake/", {"rows": STOCKTAKE_C}, format="json")
    assert r.status_code == 200 and r.json()["shortage_amount"] == "-302.63"
    lines = c.get(f"/api/ledger/writeoffs/{pk}/lines/?kind=material").json()["results"]
    assert lines[0]["difference_qty"] == "-24.21053" and lines[0]["difference_rate"] == "-2.4084"
    r = c.post(f"/api/ledger/writeoffs/{pk}/transition/", {"state": "pre_check"}, format="json")
    assert r.json()["state"] == "pre_check"
    cases = c.get("/api/ledger/difference-cases/", {"writeoff": pk}).json()["results"]
    assert len(cases) == 1 and cases[0]["proposed_kind"] == "domestic_sale"
    # another scope: 404
    o = api(world.users.other_enterprise)
    assert o.get(f"/api/ledger/writeoffs/{pk}/").status_code == 404
    assert (
        o.post(f"/api/ledger/difference-cases/{cases[0]['id']}/resolve/", {}, format="json").status_code
        == 404
    )
    # zone staff: 403 on writes
    z = api(world.users.zone)
    r = z.post(
        f"/api/ledger/difference-cases/{cases[0]['id']}/resolve/",
        {"reason_code": "other", "settlement_kind": "explanation", "resolution": "x"},
        format="json",
    )
    assert r.status_code == 403
    r = c.post(
        f"/api/ledger/difference-cases/{cases[0]['id']}/resolve/",
        {"reason_code": "other", "settlement_kind": "explanation", "resolution": "说明"},
        format="json",
    )
    assert r.status_code == 200 and r.json()["status"] == "resolved"


def test_ledger_report_writeoff_command(world):
    book, m, p = example_c(world)
    out = io.StringIO()
    # computed on the fly (no write-off stored): no stocktake → actual and differences empty
    call_command(
        "ledger_report",
        "writeoff",
        "--book",
        book.number,
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--format",
        "csv",
        stdout=out,
    )
    lines = out.getvalue().splitlines()
    header = lines[0].split(",")
    assert header[:5] == ["seq_no", "part_no", "hs_code", "name", "unit"]
    assert "expected_remaining" in header and "difference_rate" in header
    row = dict(zip(header, lines[1].split(","), strict=True))
    assert len(lines) == 2 and row["expected_remaining"] == "1005.26316" and row["actual_remaining"] == ""
    # the stored write-off of exactly that cycle (with its stocktake)
    wo = svc.create_writeoff(book, START, END)
    svc.import_stocktake(wo, STOCKTAKE_C)
    out = io.StringIO()
    call_command(
        "ledger_report",
        "writeoff",
        "--book",
        book.number,
        "--from",
        "2026-01-01",
        "--to",
        "2026-06-30",
        "--format",
        "csv",
        stdout=out,
    )
    row = dict(zip(header, out.getvalue().splitlines()[1].split(","), strict=True))
    assert (row["difference_qty"], row["difference_rate"], row["difference_amount"]) == (
        "-24.21053",
        "-2.4084",
        "-302.63",
    )
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command(
            "ledger_report", "writeoff", "--book", book.number, "--from", "2026-13-01", "--to", "2026-06-30"
        )
    with pytest.raises(CommandError):
        call_command(
            "ledger_report", "writeoff", "--book", book.number, "--from", "2026-06-30", "--to", "2026-01-01"
        )


def test_sql_report_matches_python_twin_on_random_data(world):
    """Several materials/products with random quantities: each stored line equals calc_settlement's result."""
    import random

    from zonebook.ledger import calc_settlement
    from zonebook.ledger.calc import explode
    from zonebook.ledger.models import WriteOffLine

    rnd = random.Random(7)
    book = f.book(world.enterprises.a1, kind="C")
    mats = [f.material(book, i, opening=rnd.randint(0, 500)) for i in range(1, 5)]
    prods = [f.product(book, i) for i in range(1, 4)]
    boms = {}
    for pr in prods:
        for mt in rnd.sample(mats, 2):
            net, t, i = D(rnd.randint(1, 900)) / 1000, rnd.randint(0, 5), rnd.randint(0, 3)
            boms.setdefault(pr.pk, []).append((mt, f.bom(pr, mt, net, t=t, i=i)))
    imports = {mt.pk: D(rnd.randint(5000, 9000)) for mt in mats}
    f.post(book, "0615", "I", "material", [(mt.seq_no, imports[mt.pk]) for mt in mats], date=DAY_)
    exports = {pr.pk: D(rnd.randint(10, 999)) + D(rnd.randint(0, 99)) / 100 for pr in prods}
    f.post(book, "0615", "E", "product", [(pr.seq_no, exports[pr.pk]) for pr in prods], date=DAY_)
    wo = svc.create_writeoff(book, START, END)
    stock = {mt.pk: D(rnd.randint(0, 3000)) for mt in mats}
    wip = {pr.pk: D(rnd.randint(0, 50)) for pr in prods}
    svc.import_stocktake(
        wo,
        [{"kind": "material", "seq_no": mt.seq_no, "stock": stock[mt.pk]} for mt in mats]
        + [{"kind": "product", "seq_no": pr.seq_no, "wip": wip[pr.pk]} for pr in prods],
    )
    for mt in mats:
        cons, conv = D(0), D(0)
        for pid, lines in boms.items():
            for m2, bl in lines:
                if m2.pk == mt.pk:
                    cons += explode(exports[pid], bl.unit_consumption).consumption
                    conv += calc_settlement.stock_to_material([wip[pid]], bl.unit_consumption)
        mt.refresh_from_db()
        price = calc_settlement.writeoff_unit_price(
            mt.opening_qty, 0, imports[mt.pk], imports[mt.pk] * D("12.5")
        )
        r = calc_settlement.material_line(
            {"opening": mt.opening_qty, "imports": imports[mt.pk], "consumption": cons},
            stock=stock[mt.pk],
            converted=conv,
            avg_price=price,
        )
        ln = WriteOffLine.objects.get(writeoff=wo, item=mt)
        assert (ln.expected_remaining, ln.actual_remaining) == (r.expected_remaining, r.actual_remaining)
        assert (ln.difference_qty, ln.difference_rate, ln.difference_amount, ln.avg_price) == (
            r.difference.quantity,
            r.difference.rate_percent,
            r.difference.amount,
            price,
        )


DAY_ = dt.date(2026, 2, 1)


def test_book_page_write_off_tab(world, client_for):
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    c = client_for(world.users.enterprise)
    r = c.get(reverse("ledger:book_detail", args=[book.pk]) + "?tab=writeoffs")
    assert r.status_code == 200
    body = r.content.decode()
    assert reverse("ledger:writeoff_detail", args=[wo.pk]) in body
    assert reverse("ledger:writeoff_create") + f"?book={book.pk}" in body
