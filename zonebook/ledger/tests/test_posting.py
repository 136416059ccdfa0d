"""Posting inventory lists: worked example C through the database, state machine, bad input."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.test import override_settings

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger import services
from zonebook.ledger.models import Balance, InventoryList

from . import factories as f


def bal(item):
    return Balance.objects.get(item=item)


def test_example_c_posted_through_lists(handbook):
    b, m, p = handbook
    f.post(b, "0615", "I", "material", [(1, 10000)])
    f.post(b, "0654", "I", "material", [(1, 2000)])
    f.post(b, "0657", "I", "material", [(1, 500)])
    f.post(b, "0700", "E", "material", [(1, 200)])
    f.post(b, "0615", "E", "product", [(1, 10000)])
    f.post(b, "0654", "E", "product", [(1, 1500)])
    f.post(b, "4600", "I", "product", [(1, 300)])
    f.post(b, "4600", "E", "product", [(1, 300)])
    f.post(b, "0664", "E", "material", [(1, 100)])
    f.post(b, "0644", "I", "material", [(1, 300)])
    mb = bal(m)
    # 12,300 in; consumption 9,473.68421 + 1,421.05263 − 284.21053 + 284.21053 = 10,894.73684
    assert (mb.imports, mb.carry_in, mb.leftover_in, mb.returns_out) == (D(10000), D(2000), D(500), D(200))
    assert mb.consumption == D("10894.73684")
    # tangible: 378.94737 + 56.84211 − 11.36842 + 11.36842 = 435.78948 (per-line rounding; 435.78947 on the total)
    assert mb.tangible_loss == D("435.78948")
    assert mb.scrap_balance == D("435.78948")
    assert (mb.reexport, mb.domestic_sale) == (D(100), D(300))
    assert mb.expected_remaining == D("1005.26316")
    pb = bal(p)
    assert (pb.exported, pb.carry_out, pb.product_returns_in, pb.product_returns_out) == (
        D(10000),
        D(1500),
        D(300),
        D(300),
    )
    assert pb.expected_remaining == 0
    assert services.check_balances() == []
    assert AuditEntry.objects.filter(code="ledger.inventory_list.posted").count() == 10


def test_post_is_idempotent_and_says_so(handbook):
    b, m, _ = handbook
    lst = f.inv_list(b, "0615", "I", "material", [(1, 10)])
    first = services.post_inventory_list(lst)
    assert first.changed and first.balances_changed == 1
    second = services.post_inventory_list(lst)
    assert not second.changed and "already posted" in second.message
    assert bal(m).imports == D(10)
    assert AuditEntry.objects.filter(code="ledger.inventory_list.posted").count() == 1


def test_negative_balance_refused_with_item_and_shortfall(handbook):
    b, m, p = handbook
    f.post(b, "0615", "I", "material", [(1, 100)])
    lst = f.inv_list(b, "0615", "E", "product", [(1, 200)])  # needs 200 × 0.947368421 = 189.47368
    with pytest.raises(DomainError) as e:
        services.post_inventory_list(lst)
    assert e.value.code == "negative_balance"
    assert "1 (M0001)" in str(e.value) and "89.47368" in str(e.value)
    lst.refresh_from_db()
    assert lst.state == "submitted" and bal(m).consumption == 0
    scrap = f.inv_list(b, "0864", "E", "material", [(1, 5)])
    with pytest.raises(DomainError) as e:
        services.post_inventory_list(scrap)
    assert e.value.details[0].column == "scrap_balance" and "5.00000" in e.value.details[0].reason


@override_settings(ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "warn"})
def test_negative_balance_warn_mode_posts(handbook):
    b, m, _ = handbook
    res = f.post(b, "0615", "E", "product", [(1, 10)])
    assert res.changed and res.warnings[0]["material_shortfall"] == D("9.47368")
    assert bal(m).expected_remaining == D("-9.47368")


def test_reversal_nets_to_zero(handbook):
    b, m, p = handbook
    f.post(b, "0615", "I", "material", [(1, 1000)])
    res = f.post(b, "0615", "E", "product", [(1, 100)])
    rev = services.reverse_inventory_list(
        res.inventory_list, number=f.list_number("E"), declaration_date=dt.date(2026, 3, 5)
    )
    assert (
        rev.changed
        and rev.inventory_list.direction == -1
        and rev.inventory_list.reverses == res.inventory_list
    )
    mb = bal(m)
    assert (mb.consumption, mb.tangible_loss, mb.expected_remaining) == (0, 0, D(1000))
    assert bal(p).exported == 0
    with pytest.raises(DomainError, match="already been reversed"):
        services.reverse_inventory_list(res.inventory_list, number=f.list_number("E"))
    assert services.check_balances() == []


def test_reversal_of_import_refused_when_consumed(handbook):
    b, m, p = handbook
    imp = f.post(b, "0615", "I", "material", [(1, 100)])
    f.post(b, "0615", "E", "product", [(1, 50)])
    with pytest.raises(DomainError) as e:
        services.reverse_inventory_list(imp.inventory_list, number=f.list_number("I"))
    assert e.value.code == "negative_balance"
    assert InventoryList.objects.filter(direction=-1).count() == 0


def test_state_machine(handbook):
    b, m, _ = handbook
    lst = f.inv_list(b, "0615", "I", "material", [(1, 10)], submit=False)
    with pytest.raises(DomainError, match="only submitted"):
        services.post_inventory_list(lst)
    services.update_inventory_list(lst, lines=[{"item_seq_no": 1, "qty": "12"}])
    services.submit_inventory_list(lst)
    services.cancel_inventory_list(lst)
    with pytest.raises(DomainError):
        services.post_inventory_list(lst)
    posted = f.post(b, "0615", "I", "material", [(1, 3)]).inventory_list
    with pytest.raises(DomainError, match="reversing list"):
        services.cancel_inventory_list(posted)
    with pytest.raises(DomainError, match="Only draft"):
        services.update_inventory_list(posted, lines=[{"item_seq_no": 1, "qty": "1"}])
    assert bal(m).imports == D(3)


def test_first_posting_moves_filed_book_in_use(world):
    b = f.book(world.enterprises.a1, status="filed")
    f.material(b, 1)
    f.post(b, "0615", "I", "material", [(1, 1)])
    b.refresh_from_db()
    assert b.status == "in_use" and list(b.status_events.values_list("status", flat=True)) == [
        "draft",
        "filed",
        "in_use",
    ]


# ------------------------------------------------------------------ versions


def test_version_named_else_only_in_force_else_error(world):
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1, opening=1000)
    p = f.product(b, 1)
    f.bom(p, m, 1, version="V1", valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 6, 30))
    f.bom(p, m, 2, version="V2", valid_from=dt.date(2026, 6, 1))
    # only V1 in force in March
    f.post(b, "0615", "E", "product", [(1, 10)], date=dt.date(2026, 3, 1))
    assert bal(m).consumption == D(10)
    # two versions in force in June: error unless named
    lst = f.inv_list(b, "0615", "E", "product", [(1, 10)], date=dt.date(2026, 6, 15))
    with pytest.raises(DomainError) as e:
        services.post_inventory_list(lst)
    assert e.value.code == "consumption_version" and "2 consumption versions in force" in str(e.value)
    f.post(b, "0615", "E", "product", [(1, 10, {"consumption_version": "V2"})], date=dt.date(2026, 6, 15))
    assert bal(m).consumption == D(30)
    # none in force before 2026
    lst = f.inv_list(b, "0615", "E", "product", [(1, 1)], date=dt.date(2025, 12, 1))
    with pytest.raises(DomainError, match="no consumption version in force"):
        services.post_inventory_list(lst)


def test_line_naming_missing_version_is_refused(handbook):
    b, m, p = handbook
    with pytest.raises(DomainError) as e:
        f.inv_list(b, "0615", "E", "product", [(1, 10, {"consumption_version": "X9"})])
    assert (
        e.value.details[0].column == "consumption_version"
        and "no consumption version X9" in e.value.details[0].reason
    )


def test_confirmed_consumption_changes_by_new_version(handbook):
    b, m, p = handbook
    row = p.bom_lines.get()
    services.update_consumption(row, {"declaration_status": "3"})
    with pytest.raises(DomainError, match="confirmed"):
        services.update_consumption(row, {"net": D("1")})
    new = services.revise_consumption(p, "0", "1", {m.pk: {"net": D("1")}}, valid_from=dt.date(2026, 4, 1))
    assert new[0].unit_consumption == D("1.052631579")  # 1/0.95 = 1.0526315789… → 1.052631579
    row.refresh_from_db()
    assert row.valid_to == dt.date(2026, 3, 31) and row.net == D("0.9")
    assert services.versions_in_force(p, dt.date(2026, 4, 2)) == ["1"]
    b.refresh_from_db()
    assert b.change_count >= 1


def test_loss_rates_summing_to_100_refused(handbook):
    b, m, p = handbook
    m2 = f.material(b, 2)
    with pytest.raises(DomainError) as e:
        f.bom(p, m2, "0.5", 60, 40)
    assert e.value.code == "loss_rate" and e.value.field == "tangible_rate"
    assert not p.bom_lines.filter(material=m2).exists()


# ------------------------------------------------------------------ bad input


def test_book_number_kind_letter(world):
    f.reference()
    with pytest.raises(DomainError) as e:
        services.create_book({"number": "X51010000001", "enterprise": world.enterprises.a1})
    assert e.value.field == "number" and "first letter" in str(e.value)
    with pytest.raises(DomainError, match="12 characters"):
        services.create_book({"number": "C5101", "enterprise": world.enterprises.a1})
    with pytest.raises(DomainError, match="does not match"):
        services.create_book({"number": "C51010000001", "kind": "E", "enterprise": world.enterprises.a1})


def test_hs_code_unknown_and_wrong_length(world):
    b = f.book(world.enterprises.a1)
    with pytest.raises(DomainError) as e:
        f.material(b, 1, hs_code="85423190")
    assert e.value.code == "hs_length"
    with pytest.raises(DomainError) as e:
        f.material(b, 1, hs_code="9999999999")
    assert e.value.code == "hs_unknown" and e.value.field == "hs_code"
    m = f.material(b, 1)
    with pytest.raises(DomainError) as e:
        f.inv_list(b, "0615", "I", "material", [(1, 1, {"hs_code": "12345"})])
    assert e.value.details[0].column == "hs_code" and "10 digits" in e.value.details[0].reason
    assert m.list_lines.count() == 0


def test_closed_or_expired_book(world):
    closed = f.book(world.enterprises.a1, status="filed")
    f.material(closed, 1)
    services.change_book_status(closed, "closed")
    closed.refresh_from_db()
    with pytest.raises(DomainError) as e:
        f.inv_list(closed, "0615", "I", "material", [(1, 1)])
    assert e.value.code == "book_not_open"
    expired = f.book(world.enterprises.a1, valid_until=dt.date(2026, 1, 31))
    f.material(expired, 1)
    with pytest.raises(DomainError) as e:
        f.inv_list(expired, "0615", "I", "material", [(1, 1)], date=dt.date(2026, 2, 1))
    assert e.value.code == "book_expired"


def test_quantities_must_be_positive_and_all_errors_reported(handbook):
    b, m, _ = handbook
    with pytest.raises(DomainError) as e:
        f.inv_list(b, "0615", "I", "material", [(1, 0), (1, -5), (7, 1), (1, "abc")])
    reasons = [(d.row, d.column) for d in e.value.details]
    assert reasons == [(1, "qty"), (2, "qty"), (3, "item_seq_no"), (4, "qty")]
    assert InventoryList.objects.count() == 0


def test_duplicate_and_malformed_list_number(handbook):
    b, m, _ = handbook
    lst = f.inv_list(b, "0615", "I", "material", [(1, 1)])
    with pytest.raises(DomainError) as e:
        f.inv_list(b, "0615", "I", "material", [(1, 1)], number=lst.number, internal_number="other")
    assert e.value.code == "duplicate" and e.value.field == "number"
    with pytest.raises(DomainError) as e:
        f.inv_list(b, "0615", "I", "material", [(1, 1)], number="QD51012X000000001")
    assert e.value.code == "list_number"
    with pytest.raises(DomainError) as e:
        f.inv_list(b, "0615", "I", "material", [(1, 1)], internal_number=lst.internal_number)
    assert e.value.field == "internal_number"


def test_mode_not_allowed_for_book_kind(world):
    b = f.book(world.enterprises.a1, kind="C")
    f.material(b, 1)
    with pytest.raises(DomainError) as e:
        f.inv_list(b, "0214", "I", "material", [(1, 1)])  # 0214 来料 → B, E only
    assert e.value.code == "mode_not_allowed" and "B E" in str(e.value)
    zone_book = f.book(world.enterprises.a1, kind="H")
    f.material(zone_book, 1)
    f.post(zone_book, "5015", "I", "material", [(1, 5)])
    with pytest.raises(DomainError, match="not allowed"):
        f.inv_list(zone_book, "0615", "I", "material", [(1, 1)])


def test_preview_does_not_commit(handbook):
    b, m, p = handbook
    f.post(b, "0615", "I", "material", [(1, 100)])
    lst = f.inv_list(b, "0615", "E", "product", [(1, 10)])
    effect = {e["item_id"]: e["columns"] for e in services.preview_posting(lst)}
    assert effect[m.pk]["consumption"] == (0, D("9.47368"), D("9.47368"))
    assert effect[p.pk]["exported"] == (0, D(10), D(10))
    assert bal(m).consumption == 0
    lst.refresh_from_db()
    assert lst.state == "submitted"


def test_opening_balance_and_as_of(handbook):
    b, m, p = handbook
    services.set_opening_balance(m, 50, 625)
    f.post(b, "0615", "I", "material", [(1, 100)], date=dt.date(2026, 3, 1))
    f.post(b, "0615", "I", "material", [(1, 40)], date=dt.date(2026, 4, 1))
    rows = {
        r["seq_no"]: r for r in services.balances_as_of(b, dt.date(2026, 3, 31)) if r["kind"] == "material"
    }
    assert rows[1]["imports"] == D(100) and rows[1]["expected_remaining"] == D(150)
    now = {r["seq_no"]: r for r in services.balances_as_of(b) if r["kind"] == "material"}
    assert now[1]["expected_remaining"] == D(190)
    assert services.check_balances() == []


def test_recompute_repairs_tampered_balances(handbook):
    b, m, p = handbook
    f.post(b, "0615", "I", "material", [(1, 100)])
    f.post(b, "0615", "E", "product", [(1, 10)])
    Balance.objects.filter(item=m).update(imports=D(1), expected_remaining=D(0))
    diffs = services.check_balances([b.pk])
    assert diffs[0]["item_id"] == m.pk and diffs[0]["columns"]["imports"] == {
        "stored": D(1),
        "recomputed": D(100),
    }
    Balance.objects.filter(item=p).delete()
    assert any(d["missing"] for d in services.check_balances())
    services.recompute([b.pk])
    assert services.check_balances() == []
    assert bal(m).expected_remaining == D("90.52632")


def test_posting_query_count_is_independent_of_line_count(handbook, django_assert_max_num_queries):
    b, m, p = handbook
    for seq in range(2, 40):
        f.material(b, seq, opening=1000)
        f.bom(p, Balance.objects.get(item__seq_no=seq, item__kind="material").item, "0.01")
    services.set_opening_balance(m, 1000)
    small = f.inv_list(b, "0615", "E", "product", [(1, 1)])
    # 24 on PostgreSQL: the month-close lookup, and the integer engine's pivot (the lists with
    # their rules, the consumption rows, its temporary table's CREATE/DROP; its read of the lines
    # and its COPY go through psycopg's own cursor and are not counted here)
    with django_assert_max_num_queries(24) as ctx_small:
        services.post_inventory_list(small)
    big = f.inv_list(b, "0615", "I", "material", [(s, 5) for s in range(1, 40)])
    with django_assert_max_num_queries(24) as ctx_big:
        services.post_inventory_list(big)
    assert len(ctx_big.captured_queries) <= len(ctx_small.captured_queries)


def test_versions_are_resolved_again_at_posting(world):
    b = f.book(world.enterprises.a1)
    m = f.material(b, 1, opening=1000)
    p = f.product(b, 1)
    # list created before any version exists: stored resolution is empty
    lst = f.inv_list(b, "0615", "E", "product", [(1, 10)], date=dt.date(2026, 3, 1))
    assert lst.lines.get().resolved_version == ""
    f.bom(p, m, 2, version="A", valid_from=dt.date(2026, 1, 1))
    services.post_inventory_list(lst)
    assert lst.lines.get().resolved_version == "A" and bal(m).consumption == D(20)
    # a second version appearing after creation makes the choice ambiguous at posting
    lst2 = f.inv_list(b, "0615", "E", "product", [(1, 1)], date=dt.date(2026, 3, 1))
    assert lst2.lines.get().resolved_version == "A"
    f.bom(p, m, 3, version="B", valid_from=dt.date(2026, 2, 1))
    with pytest.raises(DomainError, match="2 consumption versions in force"):
        services.post_inventory_list(lst2)


def test_version_used_by_postings_is_frozen(handbook):
    b, m, p = handbook
    f.post(b, "0615", "I", "material", [(1, 100)])
    f.post(b, "0615", "E", "product", [(1, 10)])
    m2 = f.material(b, 2)
    with pytest.raises(DomainError) as e:
        f.bom(p, m2, 1)  # adding a material to version "0" would change past postings
    assert e.value.code == "used"
    with pytest.raises(DomainError, match="used by posted"):
        services.update_consumption(p.bom_lines.get(), {"net": D("1")})
    services.revise_consumption(p, "0", "1", {m2.pk: {"net": D("1")}}, valid_from=dt.date(2026, 4, 1))
    assert services.check_balances() == []


def test_changing_list_kind_needs_new_lines(handbook):
    b, m, p = handbook
    lst = f.inv_list(b, "0615", "I", "material", [(1, 1)], submit=False)
    with pytest.raises(DomainError) as e:
        services.update_inventory_list(
            lst, {"item_kind": "product", "ie_mark": "I", "supervision_mode": "4600"}
        )
    assert e.value.field == "item_kind"


@pytest.mark.parametrize("scrap_bonded", [False, True])
def test_bonded_share_and_scrap_setting(world, scrap_bonded):
    from zonebook.ledger import calc

    with override_settings(
        ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "refuse", "LEDGER_SCRAP_BONDED_SHARE": scrap_bonded}
    ):
        b = f.book(world.enterprises.a1)
        m = f.material(b, 1, opening=10000)
        p = f.product(b, 1)
        f.bom(p, m, "0.9", 4, 1, bonded=80)
        f.post(b, "0615", "E", "product", [(1, 1000)])
        # Example A: bonded consumption 757.89474; scrap 37.89474 (×0.8 = 30.31579 when the share applies)
        e = calc.explode(1000, D("0.947368421"), 4, 1, 80, scrap_bonded=scrap_bonded)
        mb = bal(m)
        assert mb.consumption == e.consumption == D("757.89474")
        assert mb.tangible_loss == e.tangible == (D("30.31579") if scrap_bonded else D("37.89474"))
        assert mb.intangible_loss == e.intangible
        assert services.check_balances() == []


def test_list_header_keeps_line_count_and_amount(handbook):
    """The header totals (read by list pages and the oversight) follow every write of the lines."""
    from django.db.models import Count, Sum

    b, m, p = handbook
    # 2 lines: 10 × 1.25 = 12.50 and 4 × 0.10 = 0.40 → 12.90
    lst = f.inv_list(
        b,
        "0615",
        "I",
        "material",
        [(1, 10, {"unit_price": "1.25"}), (1, 4, {"unit_price": "0.10"})],
        submit=False,
    )
    assert (lst.line_count, lst.total_amount) == (2, D("12.90"))
    # replaced by one line of 12 × 2.00 = 24.00
    services.update_inventory_list(lst, lines=[{"item_seq_no": 1, "qty": "12", "unit_price": "2"}])
    lst.refresh_from_db()
    assert (lst.line_count, lst.total_amount) == (1, D("24.00"))
    services.submit_inventory_list(lst)
    services.post_inventory_list(lst)
    rev = services.reverse_inventory_list(lst, number=f.list_number("I")).inventory_list
    assert (rev.line_count, rev.total_amount) == (1, D("24.00"))
    # every header equals its lines' aggregate
    for row in InventoryList.objects.annotate(n=Count("lines"), s=Sum("lines__amount")):
        assert (row.line_count, row.total_amount) == (row.n, row.s)


@pytest.mark.parametrize("scrap_bonded", [False, True])
def test_unfolded_pivot_equals_folded_pivot(world, scrap_bonded):
    """The full recompute explodes every line on its own (no fold); posting folds identical
    (product, version, qty) lines first.  Both give the same deltas to the last digit, with
    repeated lines, a reversal that cancels its original and lines that round at .5."""
    from django.db import connection

    from zonebook.ledger import sql

    with override_settings(
        ZONEBOOK={"LEDGER_NEGATIVE_BALANCE": "refuse", "LEDGER_SCRAP_BONDED_SHARE": scrap_bonded}
    ):
        b = f.book(world.enterprises.a1)
        m1, m2 = f.material(b, 1, opening=100000), f.material(b, 2, opening=100000)
        p = f.product(b, 1)
        f.bom(p, m1, "0.9", 4, 1, bonded=80)
        # 单耗 0.5 exactly: 0.00001 x 0.5 = 0.000005 rounds half away from zero to 0.00001
        f.bom(p, m2, "0.5", 0, 0)
        f.post(b, "0615", "E", "product", [(1, 1000), (1, 1000), (1, D("0.00001"))])
        res = f.post(b, "0615", "E", "product", [(1, 7), (1, D("3.33333"))])
        services.reverse_inventory_list(res.inventory_list, number=f.list_number("E"))
        f.post(b, "0615", "E", "product", [(1, 7)])
        where = "lst.state = 'posted' AND lst.book_id = %s"
        rows = {}
        with connection.cursor() as cur:
            for fold in (True, False):
                cur.execute(
                    f"SELECT * FROM ({sql.pivot_sql(where, fold=fold)}) d ORDER BY item_id", [b.pk] * 2
                )
                rows[fold] = [tuple(sql._dec(v) for v in r) for r in cur.fetchall()]
        assert rows[True] == rows[False]
        cons = {r[0]: r for r in rows[False]}
        names = ["item_id", *sql.RULE_COLUMNS, *sql.EXPLODED, "er", "sb"]
        m2_row = dict(zip(names, cons[m2.pk], strict=True))
        # 1000 + 1000 + 7 units x 0.5 = 1003.5, plus ROUND(0.000005, 5) = 0.00001
        assert m2_row["consumption"] == D("1003.50001")
        assert services.check_balances() == []


def test_consumption_factors_are_kept_by_the_database(handbook):
    """k_cons / k_tang / k_intang are generated columns: exact products of the stored rates."""
    from zonebook.ledger.models import Consumption

    b, m, p = handbook
    c = Consumption.objects.filter(product=p).first()
    exp = c.unit_consumption * c.bonded_share * D("0.01")
    got = Consumption.objects.values_list("k_cons", "k_tang", "k_intang").get(pk=c.pk)
    assert [sql_dec(v) for v in got] == [
        sql_dec(exp),
        sql_dec(c.unit_consumption * c.tangible_rate * D("0.01")),
        sql_dec(c.unit_consumption * c.intangible_rate * D("0.01")),
    ]
    Consumption.objects.filter(pk=c.pk).update(bonded_share=50)
    assert sql_dec(Consumption.objects.values_list("k_cons", flat=True).get(pk=c.pk)) == sql_dec(
        c.unit_consumption * 50 * D("0.01")
    )


def sql_dec(v):
    """Exact on PostgreSQL; SQLite keeps a float, compared to 12 dp."""
    return D(repr(v)).quantize(D("1e-12")) if isinstance(v, float) else D(v).quantize(D("1e-12"))


def test_recompute_work_mem_setting_is_checked(handbook):
    with override_settings(ZONEBOOK={"LEDGER_RECOMPUTE_WORK_MEM": "64MB'; DROP TABLE x; --"}):
        with pytest.raises(ValueError, match="LEDGER_RECOMPUTE_WORK_MEM"):
            services.recompute()
    with override_settings(ZONEBOOK={"LEDGER_RECOMPUTE_WORK_MEM": "64MB"}):
        services.recompute()
        assert services.check_balances() == []
