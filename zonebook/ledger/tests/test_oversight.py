"""The zone-office oversight page: figures equal hand-computed values; fixed query count; drill-down links."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zonebook.ledger import queries
from zonebook.ledger.tests import factories as f


@pytest.fixture
def oversight_data(world, settings):
    """Given three books in Sichuan and one in Chongqing:

    A (a1, zone a1): valid 20 days (red), write-off cycle ends in 50 days (amber).  Material 1 (12.50):
      import 1,000, export 980 products at 单耗 1 → expected remaining 20 (2 % of 1,000: near zero),
      bonded value 20 × 12.50 = 250.00.
    B (a1b, zone a1): valid 45 days (amber).  Material 1 (10.00): import 100 → 100, value 1,000.00;
      material 2: import 10, export 15 products at 单耗 1 (posted with the "warn" policy) → −5 (negative).
    C (b1, zone b1): valid 400 days.  Material 1 (2.00): import 50 → value 100.00.
    D (c1, Chongqing): valid 10 days; never visible to Sichuan users.
    """
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_NEGATIVE_BALANCE": "warn"}
    today = timezone.localdate()
    e = world.enterprises
    a = f.book(
        e.a1, kind="H", valid_until=today + dt.timedelta(days=20), cycle_end=today + dt.timedelta(days=50)
    )
    f.material(a, 1, unit_price=Decimal("12.50"))
    f.bom(f.product(a, 1), a.items.get(kind="material", seq_no=1), "1")
    f.post(a, "5000", "I", "material", [(1, 1000)], date=today)
    f.post(a, "5100", "E", "product", [(1, 980)], date=today)

    b = f.book(e.a1b, kind="H", valid_until=today + dt.timedelta(days=45))
    f.material(b, 1, unit_price=Decimal("10"))
    m2 = f.material(b, 2, unit_price=Decimal("3"))
    f.bom(f.product(b, 1), m2, "1")
    f.post(b, "5000", "I", "material", [(1, 100), (2, 10)], date=today)
    f.post(b, "5100", "E", "product", [(1, 15)], date=today)

    c = f.book(e.b1, kind="H", valid_until=today + dt.timedelta(days=400))
    f.material(c, 1, unit_price=Decimal("2"))
    f.post(c, "5000", "I", "material", [(1, 50)], date=today)

    d = f.book(e.c1, kind="H", valid_until=today + dt.timedelta(days=10))
    f.material(d, 1)
    f.post(d, "5000", "I", "material", [(1, 7)], date=today)
    return {"a": a, "b": b, "c": c, "d": d, "today": today}


@pytest.mark.django_db
def test_zone_figures_equal_hand_computed_values(world, oversight_data):
    data = queries.oversight(world.users.zone)
    assert dict((s, n) for s, _l, n in data["status_rows"]) == {
        "draft": 0,
        "filed": 0,
        "in_use": 2,
        "under_writeoff": 0,
        "closed": 0,
    }
    assert data["deadline_counts"] == {
        "expiry_red": 1,
        "expiry_amber": 1,
        "writeoff_red": 0,
        "writeoff_amber": 1,
    }
    assert data["low_counts"] == {"negative": 1, "near_zero": 1}
    low = {(b.book.number, b.item.seq_no): b.expected_remaining for b in data["low_rows"]}
    assert low == {
        (oversight_data["b"].number, 2): Decimal("-5"),
        (oversight_data["a"].number, 1): Decimal("20"),
    }
    # lists: A 1 import + 1 export, B 1 import + 1 export; lines 1 + 1 + 2 + 1
    assert data["posted_counts"] == {"total": 4, "imports": 2, "exports": 2, "reversals": 0}
    assert data["posted_lines"]["n"] == 5
    top = [
        (t["book__enterprise__name"], Decimal(t["value"]).quantize(Decimal("0.01")))
        for t in data["top_enterprises"]
    ]
    assert top == [("成都乙精密制造有限公司", Decimal("1000.00")), ("成都甲电子有限公司", Decimal("250.00"))]
    assert [b.number for b in data["nearest"]] == [oversight_data["a"].number, oversight_data["b"].number]
    assert data["nearest"][0].light_expiry == "red" and data["nearest"][0].light_writeoff == "amber"
    assert data["nearest"][1].light_expiry == "amber"


@pytest.mark.django_db
def test_province_sees_every_zone_and_nothing_else(world, oversight_data):
    data = queries.oversight(world.users.province)
    assert data["book_total"] == 3
    assert data["deadline_counts"]["expiry_red"] == 1  # D (Chongqing, 10 days) is not counted
    assert data["posted_counts"]["total"] == 5
    top = [
        (t["book__enterprise__name"], Decimal(t["value"]).quantize(Decimal("0.01")))
        for t in data["top_enterprises"]
    ]
    assert top[-1] == ("绵阳丁科技有限公司", Decimal("100.00"))
    assert {z["zone__short_name"]: z["books"] for z in data["zones"]} == {
        "成都高新综保区": 2,
        "绵阳综保区": 1,
    }


@pytest.mark.django_db
def test_page_renders_figures_with_drill_down_links(world, client, oversight_data):
    client.force_login(world.users.zone)
    r = client.get("/ledger/oversight/")
    assert r.status_code == 200
    html = r.content.decode()
    assert "重庆戊电脑有限公司" not in html and oversight_data["d"].number not in html
    assert 'data-figure="expiry_red" href="/ledger/books/?open=true&amp;expiry=30">1<' in html
    assert 'data-figure="negative" href="/ledger/balances/?level=negative"' in html
    # the drill-down targets list exactly the rows behind the figures
    red = client.get("/ledger/books/?open=true&expiry=30")
    assert (
        oversight_data["a"].number in red.content.decode()
        and oversight_data["b"].number not in red.content.decode()
    )
    amber = client.get("/ledger/books/?open=true&expiry=31-60")
    assert (
        oversight_data["b"].number in amber.content.decode()
        and oversight_data["a"].number not in amber.content.decode()
    )
    zone = world.zones.a1.pk
    z_red = client.get(f"/ledger/books/?zone={zone}&open=true&deadline=30").context["table"].paginator.count
    z_amber = (
        client.get(f"/ledger/books/?zone={zone}&open=true&deadline=31-60").context["table"].paginator.count
    )
    by_zone = {z["zone_id"]: z for z in r.context["zones"]}
    assert (z_red, z_amber) == (by_zone[zone]["red"], by_zone[zone]["amber"]) == (1, 1)
    neg = client.get("/ledger/balances/?level=negative").content.decode()
    assert oversight_data["b"].number in neg and oversight_data["a"].number not in neg
    first, last = queries.month_bounds(oversight_data["today"])
    lists = client.get(f"/ledger/lists/?state=posted&posted_from={first}&posted_to={last}")
    assert lists.context["table"].paginator.count == 4


@pytest.mark.django_db
def test_thresholds_are_configurable(world, oversight_data, settings):
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_EXPIRY_RED_DAYS": 10, "LEDGER_EXPIRY_AMBER_DAYS": 30}
    data = queries.oversight(world.users.zone)
    assert data["deadline_counts"]["expiry_red"] == 0
    assert data["deadline_counts"]["expiry_amber"] == 1  # A at 20 days
    assert queries.book_light(31) == "green" and queries.book_light(-3) == "red"


def _books(world, n):
    today = timezone.localdate()
    for i in range(n):
        b = f.book(world.enterprises.a1, kind="H", valid_until=today + dt.timedelta(days=10 + i))
        f.material(b, 1)
        f.post(b, "5000", "I", "material", [(1, 5)], date=today)


@pytest.mark.django_db
@pytest.mark.parametrize("n", [1, 8])
def test_oversight_query_count_is_fixed(world, client, django_assert_max_num_queries, n):
    _books(world, n)
    client.force_login(world.users.province)
    client.get("/ledger/oversight/")  # warm caches (session, content types)
    with django_assert_max_num_queries(16):
        r = client.get("/ledger/oversight/")
    assert r.status_code == 200


def _live_summaries():
    """The per-book figures computed directly from the balances (what the summaries must equal)."""
    from zonebook.ledger.models import Balance

    return {
        book_id: (neg, near, stocked, Decimal(value).quantize(Decimal("0.000000001")))
        for book_id, neg, near, stocked, value in queries._summary_rows(Balance.objects.all())
        if neg or near or stocked or value
    }


def _stored_summaries():
    from zonebook.ledger.models import BookSummary

    return {
        s.book_id: (s.negative, s.near_zero, s.stocked, s.bonded_value.quantize(Decimal("0.000000001")))
        for s in BookSummary.objects.all()
        if s.negative or s.near_zero or s.stocked or s.bonded_value
    }


@pytest.mark.django_db
def test_book_summaries_hand_computed_and_kept_by_every_balance_change(world, oversight_data):
    from zonebook.ledger import services as ledger
    from zonebook.ledger.models import BookSummary

    a, b = oversight_data["a"], oversight_data["b"]
    # hand-computed (fixture docstring): A: near zero 1, stocked 1, 20 x 12.50; B: negative 1 (m2 = -5),
    # stocked 1 (m1 = 100), 100 x 10.00
    sa, sb = BookSummary.objects.get(book=a), BookSummary.objects.get(book=b)
    assert (sa.negative, sa.near_zero, sa.stocked, sa.bonded_value) == (0, 1, 1, Decimal("250"))
    assert (sb.negative, sb.near_zero, sb.stocked, sb.bonded_value) == (1, 0, 1, Decimal("1000"))
    assert _stored_summaries() == _live_summaries()
    # posting: B's m2 import of 20 → 15 (no longer negative, not near zero: 15 of 30)
    f.post(b, "5000", "I", "material", [(2, 20)], date=oversight_data["today"])
    sb = BookSummary.objects.get(book=b)
    assert (sb.negative, sb.near_zero, sb.stocked, sb.bonded_value) == (0, 0, 2, Decimal("1045"))
    # a price change: A's material 12.50 → 13.00 → 20 x 13 = 260
    ledger.update_item(a.items.get(kind="material", seq_no=1), {"unit_price": Decimal("13")})
    assert BookSummary.objects.get(book=a).bonded_value == Decimal("260")
    # an opening balance of 5 on C's material: 55 x 2 = 110
    c = oversight_data["c"]
    ledger.set_opening_balance(c.items.get(kind="material", seq_no=1), 5)
    assert BookSummary.objects.get(book=c).bonded_value == Decimal("110")
    # a reversal of B's last import → back to -5
    last = b.inventory_lists.filter(ie_mark="I").order_by("-pk").first()
    ledger.reverse_inventory_list(last, number=f.list_number("I"))
    assert BookSummary.objects.get(book=b).negative == 1
    assert _stored_summaries() == _live_summaries()
    # summaries removed behind the ledger's back are rebuilt by a recompute
    BookSummary.objects.all().delete()
    ledger.recompute()
    assert _stored_summaries() == _live_summaries() != {}


@pytest.mark.django_db
def test_oversight_falls_back_to_balances_when_the_threshold_changed(world, oversight_data, settings):
    from zonebook.ledger.models import BookSummary

    before = queries.oversight(world.users.zone)
    # a higher near-zero threshold (the summaries were built with 5 %): B's material 1 (100 of 100) is
    # still not near zero, C is out of scope; A stays near zero → same counts, computed from the balances
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_NEAR_ZERO_PERCENT": 2}
    low = queries.oversight(world.users.zone)["low_counts"]
    assert low == {"negative": 1, "near_zero": 1}  # 20 ≤ 2 % of 1,000 = 20
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_NEAR_ZERO_PERCENT": 1}
    assert queries.oversight(world.users.zone)["low_counts"] == {"negative": 1, "near_zero": 0}
    assert BookSummary.objects.exclude(near_zero_percent=1).exists()  # stale rows were only read around
    settings.ZONEBOOK = {**settings.ZONEBOOK, "LEDGER_NEAR_ZERO_PERCENT": 5}
    assert queries.oversight(world.users.zone)["top_enterprises"] == before["top_enterprises"]


@pytest.mark.django_db
def test_posted_this_month_uses_local_midnights(world, oversight_data):
    """Asia/Shanghai: 2026-11-30 16:30 UTC is 2026-12-01 00:30 local (December); 2026-12-31 16:30
    UTC is already January."""
    import datetime as dt

    from django.utils import timezone

    from zonebook.ledger.models import InventoryList

    lists = list(InventoryList.objects.for_user(world.users.province).filter(state="posted").order_by("pk"))
    utc = dt.UTC
    InventoryList.objects.filter(pk=lists[0].pk).update(
        posted_at=dt.datetime(2026, 11, 30, 16, 30, tzinfo=utc)
    )
    InventoryList.objects.filter(pk=lists[1].pk).update(
        posted_at=dt.datetime(2026, 11, 30, 15, 30, tzinfo=utc)
    )
    InventoryList.objects.filter(pk=lists[2].pk).update(
        posted_at=dt.datetime(2026, 12, 31, 16, 30, tzinfo=utc)
    )
    InventoryList.objects.filter(pk__in=[x.pk for x in lists[3:]]).update(
        posted_at=dt.datetime(2026, 12, 15, 4, 0, tzinfo=utc)
    )
    assert str(timezone.get_current_timezone()) == "Asia/Shanghai"
    data = queries.oversight(world.users.province, today=dt.date(2026, 12, 20))
    assert data["posted_counts"]["total"] == 1 + len(lists[3:])
