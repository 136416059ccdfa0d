"""Write-off (报核/核销): hand-computed cycles (shortage = Example C, surplus, exact), cases, states.

Every figure is worked out in the comments from the domain doc §6.3(c); the engine rounds each
exploded (line, material) amount to 5 dp, like posting does.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger import calc_settlement
from zonebook.ledger.models import DifferenceCase, WriteOffLine
from zonebook.ledger.services import writeoff as svc
from zonebook.ledger.tests import factories as f

START, END = dt.date(2026, 1, 1), dt.date(2026, 6, 30)
DAY = dt.date(2026, 3, 1)


def example_c(world):
    """Example C (handbook, 进料 C): one material (单耗 0.947368421 = 0.9 / 0.95, tangible 4 %,
    intangible 1 %), one product.  Filed unit price 12.50 (lines carry no price)."""
    book = f.book(world.enterprises.a1, kind="C")
    m = f.material(book, 1)
    p = f.product(book, 1)
    f.bom(p, m, "0.9", t=4, i=1)
    f.post(book, "0615", "I", "material", [(1, 10000)], date=DAY)  # 进口 10,000
    f.post(book, "0654", "I", "material", [(1, 2000)], date=DAY)  # 深加工结转转入 2,000
    f.post(book, "0657", "I", "material", [(1, 500)], date=DAY)  # 余料结转转入 500
    f.post(book, "0700", "E", "material", [(1, 200)], date=DAY)  # 退换出口 200
    f.post(book, "0615", "E", "product", [(1, 10000)], date=DAY)  # 成品出口 10,000
    f.post(book, "0654", "E", "product", [(1, 1500)], date=DAY)  # 深加工结转转出 1,500
    f.post(book, "4600", "I", "product", [(1, 300)], date=DAY)  # 成品退换进口 300
    f.post(book, "4600", "E", "product", [(1, 300)], date=DAY)  # 成品退换出口 300
    f.post(book, "0664", "E", "material", [(1, 100)], date=DAY)  # 复出 100
    f.post(book, "0644", "I", "material", [(1, 300)], date=DAY)  # 内销 300
    return book, m, p


STOCKTAKE_C = [
    {"kind": "material", "seq_no": "1", "stock": "820"},
    {"kind": "product", "seq_no": "1", "wip": "100", "finished": "60", "defective": "10"},
]


def line(wo, item):
    return WriteOffLine.objects.get(writeoff=wo, item=item)


def test_example_c_shortage(world):
    book, m, p = example_c(world)
    wo = svc.create_writeoff(book, START, END)
    assert wo.report_no == 1 and wo.list_count == 10 and wo.line_count == 10
    ln = line(wo, m)
    # 进口 10,000 + 转入 2,000 + 余料转入 500 − 退换出口 200 = 12,300
    assert (ln.imports, ln.carry_in, ln.leftover_in, ln.returns_out) == (D(10000), D(2000), D(500), D(200))
    # 消耗 (§6.3: product totals × 单耗): 成品出口总数量 = 10,000 + 1,500 + 300 − 300 = 11,500;
    # 11,500 × 0.947368421 = 10,894.7368415 → 10,894.73684
    assert ln.consumption == D("10894.73684")
    # 有形 4 %: 11,500 × 0.947368421 × 0.04 = 435.78947366 → 435.78947 (as the doc)
    assert ln.tangible_loss == D("435.78947")
    # 无形 1 %: 108.947368415 → 108.94737
    assert ln.intangible_loss == D("108.94737")
    # 应剩余 = 12,300 − 10,894.73684 − 复出 100 − 内销 300 = 1,005.26316
    assert (ln.reexport, ln.domestic_sale) == (D(100), D(300))
    assert ln.expected_remaining == D("1005.26316")
    assert ln.actual_remaining is None and ln.difference_qty is None  # no stocktake yet
    assert ln.scrap_balance == D("435.78947")
    pl = line(wo, p)
    # outflow = 10,000 + 1,500 + 300 − 300 = 11,500
    assert (pl.exported, pl.carry_out, pl.product_returns_in, pl.product_returns_out) == (
        D(10000),
        D(1500),
        D(300),
        D(300),
    )
    assert pl.outflow == D(11500)

    wo = svc.import_stocktake(wo, STOCKTAKE_C, source="c.csv")
    ln = line(wo, m)
    # 实际剩余 = 820 + 100 × 0.947368421 (94.73684) + 60 × … (56.84211) + 10 × … (9.47368) = 981.05263
    assert ln.actual_remaining == D("981.05263")
    # 差异 = 981.05263 − 1,005.26316 = −24.21053 (短少); rate −24.21053/1,005.26316 = −2.4084 %
    assert ln.difference_qty == D("-24.21053")
    assert ln.difference_rate == D("-2.4084")
    # 平均单价: no opening, inflow 12,500 at the filed 12.50 → 12.5000; amount −24.21053 × 12.50 = −302.63
    assert ln.avg_price == D("12.5")
    assert ln.difference_amount == D("-302.63")
    assert ln.closing == D("981.05263")
    assert wo.shortage_amount == D("-302.63") and wo.surplus_amount == 0
    assert wo.over_threshold == 1  # |−2.4084| > 1

    # the Python twin agrees
    r = calc_settlement.material_line(
        {
            "imports": 10000,
            "carry_in": 2000,
            "leftover_in": 500,
            "returns_out": 200,
            "reexport": 100,
            "domestic_sale": 300,
            "consumption": D("10894.73684"),
        },
        stock=820,
        converted=calc_settlement.stock_to_material([100, 60, 10], D("0.947368421")),
        avg_price=calc_settlement.writeoff_unit_price(0, 0, 12500, 156250),
    )
    assert (r.expected_remaining, r.actual_remaining) == (ln.expected_remaining, ln.actual_remaining)
    assert (r.difference.quantity, r.difference.rate_percent, r.difference.amount) == (
        ln.difference_qty,
        ln.difference_rate,
        ln.difference_amount,
    )

    # pre-check opens one case: shortage → domestic-sale duty draft of 24.21053 (302.63)
    wo = svc.change_writeoff_state(wo, "pre_check", by=world.users.enterprise)
    case = DifferenceCase.objects.get(writeoff=wo)
    assert (case.seq_no, case.difference_qty, case.proposed_kind) == (1, D("-24.21053"), "domestic_sale")
    assert (case.proposed_qty, case.proposed_amount, case.reason_code) == (
        D("24.21053"),
        D("302.63"),
        "consumption_low",
    )
    assert case.provenance["list_count"] == 10  # 6 material lists + 4 product lists (through the BOM)
    assert case.provenance["versions"] == [{"product_seq_no": 1, "version": "0"}]
    assert len(case.provenance["stocktake_rows"]) == 2
    wo = svc.change_writeoff_state(wo, "submitted")
    wo = svc.change_writeoff_state(wo, "accepted")
    # closing refused while the case is open, naming the material
    with pytest.raises(DomainError) as exc:
        svc.change_writeoff_state(wo, "closed")
    assert exc.value.code == "open_cases" and "materials 1" in exc.value.message
    svc.resolve_case(
        case,
        reason_code="undeclared_sale",
        settlement_kind="domestic_sale",
        resolution="内销补税 filed",
        by=world.users.enterprise,
    )
    wo = svc.change_writeoff_state(wo, "closed")
    assert wo.state == "closed"
    codes = set(
        AuditEntry.objects.filter(object_type="ledger.writeoff", object_id=str(wo.pk)).values_list(
            "code", flat=True
        )
    )
    assert {
        "ledger.writeoff.created",
        "ledger.writeoff.stocktake_imported",
        "ledger.writeoff.pre_check",
        "ledger.writeoff.cases_opened",
        "ledger.writeoff.closed",
    } <= codes
    assert AuditEntry.objects.filter(code="ledger.difference_case.resolved", object_id=str(case.pk)).exists()

    # the next cycle opens with this closing (981.05263 at 12.50 = 12,263.16)
    nxt = svc.create_writeoff(book, dt.date(2026, 7, 1), dt.date(2026, 12, 31))
    n1 = line(nxt, m)
    assert nxt.report_no == 2 and n1.opening == D("981.05263") and n1.expected_remaining == D("981.05263")
    assert n1.scrap_opening == D("435.78947") and n1.avg_price == D("12.5")
    assert nxt.list_count == 0


def test_line_rounding_mode_matches_posting(world, settings):
    """LEDGER_WRITEOFF_ROUNDING = "line": each (line, material) amount is rounded like posting does:
    有形 10,000 → 378.94737 (378.9473684) + 1,500 → 56.84211 (56.8421053) = 435.78948 (300 in/out cancel),
    which is exactly the balance's tangible loss."""
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_WRITEOFF_ROUNDING": "line"}
    book, m, p = example_c(world)
    wo = svc.create_writeoff(book, START, END)
    ln = line(wo, m)
    assert (ln.consumption, ln.tangible_loss, ln.intangible_loss) == (
        D("10894.73684"),
        D("435.78948"),
        D("108.94737"),
    )
    m.balance.refresh_from_db()
    assert (m.balance.tangible_loss, m.balance.expected_remaining) == (
        ln.tangible_loss,
        ln.expected_remaining,
    )


def surplus_book(world):
    """Material A (opening 1,000 at 10.00 = 10,000.00), product P with 单耗 2 (net 2, no loss).
    Cycle: import 500 at 12.00 (6,000.00); export 300 P → consumption 600.
    应剩余 = 1,000 + 500 − 600 = 900."""
    book = f.book(world.enterprises.a1, kind="C")
    m = f.material(book, 1, opening=1000, opening_amount=D("10000"))
    p = f.product(book, 1)
    f.bom(p, m, "2")
    f.post(book, "0615", "I", "material", [(1, 500, {"unit_price": "12"})], date=DAY)
    f.post(book, "0615", "E", "product", [(1, 300)], date=DAY)
    return book, m, p


def test_surplus(world):
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    # stocktake: stock 900, in transit 20, finished 5 P → 5 × 2 = 10 → 实际 930
    wo = svc.import_stocktake(
        wo,
        [
            {"kind": "material", "seq_no": 1, "stock": 900, "in_transit": 20},
            {"kind": "product", "seq_no": 1, "finished": 5},
        ],
    )
    ln = line(wo, m)
    assert (ln.opening, ln.imports, ln.consumption, ln.expected_remaining) == (
        D(1000),
        D(500),
        D(600),
        D(900),
    )
    assert ln.actual_remaining == D(930)
    # 差异 +30 (盈余), 30/900 = 3.3333 %; 平均单价 (10,000 + 6,000)/(1,000 + 500) = 10.6667 (10.666…)
    # amount 30 × 10.6667 = 320.001 → 320.00
    assert (ln.difference_qty, ln.difference_rate, ln.avg_price) == (D(30), D("3.3333"), D("10.6667"))
    assert ln.difference_amount == D("320.00")
    assert wo.surplus_amount == D("320.00") and wo.shortage_amount == 0
    wo = svc.change_writeoff_state(wo, "pre_check")
    case = DifferenceCase.objects.get(writeoff=wo)
    assert (case.proposed_kind, case.reason_code, case.proposed_qty) == (
        "consumption_change",
        "consumption_high",
        D(30),
    )


def test_exact_and_threshold(world):
    """Same book; stocktake 895 + 5 P (10) = 905 → 差异 +5, 0.5556 % ≤ 1 %: no case.  Then a stocktake of
    exactly 900: 差异 0, rate 0.  Materials never touched (material 2, nothing at all) have zeros."""
    book, m, p = surplus_book(world)
    m2 = f.material(book, 2)
    wo = svc.create_writeoff(book, START, END)
    wo = svc.import_stocktake(
        wo, [{"kind": "material", "seq_no": 1, "stock": 895}, {"kind": "product", "seq_no": 1, "finished": 5}]
    )
    assert line(wo, m).difference_rate == D("0.5556") and wo.over_threshold == 0
    wo = svc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 900}])
    ln = line(wo, m)
    assert (ln.actual_remaining, ln.difference_qty, ln.difference_rate, ln.difference_amount) == (
        D(900),
        0,
        0,
        0,
    )
    l2 = line(wo, m2)
    # not counted: 实际 0, 应剩余 0 → 差异 0, rate undefined (None), price falls back to the filed 12.50
    assert (l2.expected_remaining, l2.actual_remaining, l2.difference_qty, l2.difference_rate) == (
        0,
        0,
        0,
        None,
    )
    wo = svc.change_writeoff_state(wo, "pre_check")
    assert not DifferenceCase.objects.filter(writeoff=wo).exists()
    for s in ("submitted", "accepted", "closed"):
        wo = svc.change_writeoff_state(wo, s)
    assert wo.state == "closed"


def test_threshold_is_configurable(world, settings):
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_WRITEOFF_DIFF_THRESHOLD": "0.5"}
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    assert wo.threshold_percent == D("0.5")
    wo = svc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 905}])  # +0.5556 % > 0.5 %
    assert wo.over_threshold == 1


# ------------------------------------------------------------------ bad input


def test_stocktake_bad_rows_refused_nothing_written(world):
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    with pytest.raises(DomainError) as exc:
        svc.import_stocktake(
            wo,
            [
                {"row": 2, "kind": "material", "seq_no": 1, "stock": "-5"},  # negative
                {"row": 3, "kind": "material", "seq_no": 99, "stock": "1"},  # not on the book
                {"row": 4, "kind": "product", "seq_no": 1, "stock": "3"},  # material column on a product row
                {"row": 5, "kind": "crate", "seq_no": 1},  # unknown kind
                {"row": 6, "kind": "product", "seq_no": 1, "wip": "abc"},  # not a number
            ],
        )
    e = exc.value
    assert e.code == "stocktake_invalid"
    got = {(d.row, d.column) for d in e.details}
    assert got == {(2, "stock"), (3, "seq_no"), (4, "stock"), (5, "kind"), (6, "wip")}
    assert "no Material" in next(d.reason for d in e.details if d.row == 3)
    assert "negative" in next(d.reason for d in e.details if d.row == 2)
    assert not wo.stocktake_rows.exists()
    assert not AuditEntry.objects.filter(code="ledger.writeoff.stocktake_imported").exists()


def test_overlapping_cycle_refused(world):
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    with pytest.raises(DomainError) as exc:
        svc.create_writeoff(book, dt.date(2026, 6, 1), dt.date(2026, 12, 31))
    assert exc.value.code == "cycle_overlap" and str(wo) in exc.value.message
    svc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 900}])
    for s in ("pre_check", "submitted", "accepted", "closed"):
        wo = svc.change_writeoff_state(wo, s)
    with pytest.raises(DomainError) as exc:
        svc.create_writeoff(book, dt.date(2026, 3, 1), dt.date(2026, 9, 30))
    assert exc.value.code == "cycle_overlap" and "Closed" in exc.value.message
    with pytest.raises(DomainError) as exc:
        svc.create_writeoff(book, dt.date(2026, 8, 1), dt.date(2026, 9, 30))
    assert exc.value.code == "cycle_gap"


def test_lists_outside_cycle_refused(world):
    book, m, p = surplus_book(world)
    late = f.post(book, "0615", "I", "material", [(1, 5)], date=dt.date(2026, 8, 1)).inventory_list
    inside = book.inventory_lists.filter(declaration_date=DAY).order_by("pk").first()
    with pytest.raises(DomainError) as exc:
        svc.create_writeoff(book, START, END, list_numbers=[inside.number, late.number, "QD510126I999999999"])
    e = exc.value
    assert e.code == "lists_outside_cycle"
    assert [(d.row, d.value) for d in e.details] == [(2, late.number), (3, "QD510126I999999999")]
    assert "outside the cycle" in e.details[0].reason
    assert not book.writeoffs.exists()
    wo = svc.create_writeoff(book, START, END, list_numbers=[inside.number])
    assert wo.list_count == 1


def test_closed_cycle_locks_its_lists(world):
    from zonebook.ledger import services

    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    svc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 900}])
    for s in ("pre_check", "submitted"):
        wo = svc.change_writeoff_state(wo, s)
    lst = book.inventory_lists.order_by("pk").first()
    with pytest.raises(DomainError) as exc:
        services.reverse_inventory_list(lst, number=f.list_number("I"), declaration_date=dt.date(2026, 7, 2))
    assert exc.value.code == "writeoff_locked"
    with pytest.raises(DomainError) as exc:
        f.inv_list(book, "0615", "I", "material", [(1, 5)], date=dt.date(2026, 4, 1))
    assert exc.value.code == "writeoff_locked"


def test_bad_transitions(world):
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    with pytest.raises(DomainError) as exc:
        svc.change_writeoff_state(wo, "pre_check")
    assert exc.value.code == "no_stocktake"
    with pytest.raises(DomainError) as exc:
        svc.change_writeoff_state(wo, "closed")
    assert exc.value.code == "bad_transition"
    with pytest.raises(DomainError):
        svc.create_writeoff(book, END, START)


def test_withdraw_supersedes_cases(world):
    book, m, p = surplus_book(world)
    wo = svc.create_writeoff(book, START, END)
    svc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 800}])
    wo = svc.change_writeoff_state(wo, "pre_check")
    assert wo.cases.get().status == "open"
    wo = svc.change_writeoff_state(wo, "draft")
    assert wo.cases.get().status == "superseded"
    svc.import_stocktake(wo, [{"kind": "material", "seq_no": 1, "stock": 900}])
    wo = svc.change_writeoff_state(wo, "pre_check")
    assert wo.cases.filter(status="open").count() == 0


def test_report_for_cycle_on_the_fly(world):
    book, m, p = surplus_book(world)
    wo, rows = svc.report_for_cycle(book, START, END)
    assert wo is None
    mat = next(r for r in rows if r["kind"] == "material")
    assert mat["expected_remaining"] == D(900) and mat["actual_remaining"] is None


def test_stocktake_file_and_version_problems(world, tmp_path):
    import openpyxl

    book, m, p = surplus_book(world)
    f.bom(p, m, "3", version="2", valid_from=dt.date(2026, 6, 1))  # two versions in force on the cycle end
    wo = svc.create_writeoff(book, START, END)
    path = tmp_path / "st.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["类型", "备案序号", "料件库存", "成品库存", "单耗版本号"])
    wb.active.append(["料件", 1, 900, None, None])
    wb.active.append(["成品", 1, None, 5, None])
    wb.save(path)
    rows = svc.read_stocktake_file(path, "st.xlsx")
    assert [r["row"] for r in rows] == [2, 3]
    with pytest.raises(DomainError) as exc:
        svc.import_stocktake(wo, rows)
    d = exc.value.details[0]
    assert (d.row, d.column) == (3, "version") and "2 consumption versions" in d.reason
    rows[1]["version"] = "9"
    with pytest.raises(DomainError) as exc:
        svc.import_stocktake(wo, rows)
    assert exc.value.details[0].column == "version"
    rows[1]["version"] = "2"  # 5 × 3 = 15 → actual 915
    wo = svc.import_stocktake(wo, rows)
    assert line(wo, m).actual_remaining == D(915)
    bad = tmp_path / "bad.csv"
    bad.write_text("kind,seq,stock\nmaterial,1,2\n", encoding="utf-8")
    with pytest.raises(DomainError) as exc:
        svc.read_stocktake_file(bad, "bad.csv")
    assert (
        exc.value.code == "stocktake_header" and "seq" in exc.value.message and "seq_no" in exc.value.message
    )


def test_work_order_method_is_refused_until_it_exists(world):
    from zonebook.ledger import services

    book, m, p = surplus_book(world)
    services.update_book(book, {"writeoff_method": "work_order"})
    with pytest.raises(DomainError) as exc:
        svc.create_writeoff(book, START, END)
    assert exc.value.code == "writeoff_method"
