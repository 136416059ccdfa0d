"""Deadline alerts: hand-computed due dates and lights, the register refresh, dismissal."""

import datetime as dt
from decimal import Decimal

import pytest

from zonebook.alerts import queries, services
from zonebook.alerts.choices import AlertState
from zonebook.alerts.models import Alert
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.ledger.models import WriteOff
from zonebook.ledger.tests import factories as f

from . import builders as b

TODAY = dt.date(2026, 6, 10)
d = dt.date


def _alerts(kind):
    return {a.book_id: a for a in Alert.objects.filter(kind=kind, state=AlertState.OPEN)}


def _light(alert, cfg, today=TODAY):
    return queries.with_light(Alert.objects.filter(pk=alert.pk), today, cfg).get().light


@pytest.mark.django_db
def test_book_expiry_alerts_and_lights(world, cfg):
    # defaults: expiry amber ≤ 60 days left, red ≤ 30
    red = b.book(world.enterprises.a1, valid_until=TODAY + dt.timedelta(days=30))  # 2026-07-10: 30 left → red
    amber = b.book(world.enterprises.a1, valid_until=TODAY + dt.timedelta(days=31))  # 31 left → amber
    edge = b.book(world.enterprises.a1, valid_until=TODAY + dt.timedelta(days=60))  # 60 left → amber
    later = b.book(world.enterprises.a1, valid_until=TODAY + dt.timedelta(days=61))  # 61 → no alert
    draft = b.book(world.enterprises.a1, status="draft", valid_until=TODAY)  # not filed → no alert
    services.refresh_alerts(TODAY)
    got = _alerts("expiry")
    assert set(got) == {red.pk, amber.pk, edge.pk}
    assert got[red.pk].due_date == d(2026, 7, 10)
    assert [_light(got[x.pk], cfg) for x in (red, amber, edge)] == ["red", "amber", "amber"]
    assert later.pk not in got and draft.pk not in got
    # a day later the amber one (31 → 30 days left) is red without a refresh: lights are computed at query time
    assert _light(got[amber.pk], cfg, TODAY + dt.timedelta(days=1)) == "red"


@pytest.mark.django_db
def test_writeoff_deadline_of_handbooks_and_ebooks(world, cfg):
    ent = world.enterprises.a1
    # handbook C, expiry 2026-05-31, last export 2026-05-20 → later = 05-31, + 30 = 2026-06-30: 20 days left → amber
    hb = b.book(ent, kind="C", valid_until=d(2026, 5, 31))
    f.material(hb, 1, opening=100)
    p = f.product(hb, 1)
    f.bom(p, hb.items.get(kind="material"), "1", version="1")
    f.post(hb, "0615", "I", "material", [(1, 50)], date=d(2026, 5, 1))
    f.post(hb, "0615", "E", "product", [(1, 10)], date=d(2026, 5, 20))
    # handbook whose export (2026-05-15) is later than its expiry (2026-05-01): 05-15 + 30 = 2026-06-14 → 4 left → red
    hb2 = b.book(ent, kind="C", valid_until=d(2026, 5, 16))
    f.material(hb2, 1, opening=100)
    p2 = f.product(hb2, 1)
    f.bom(p2, hb2.items.get(kind="material"), "1", version="1")
    f.post(hb2, "0615", "E", "product", [(1, 10)], date=d(2026, 5, 15))
    hb2.valid_until = d(2026, 5, 1)
    hb2.save(update_fields=["valid_until"])
    # e-book, cycle end 2026-05-10 → + 30 = 2026-06-09: overdue by one day → red
    eb = b.book(ent, kind="E", cycle_start=d(2025, 5, 11), cycle_end=d(2026, 5, 10))
    # e-book with a cycle ending 2026-08-01 → 2026-08-31: 82 days → no alert
    b.book(ent, kind="E", cycle_start=d(2025, 8, 2), cycle_end=d(2026, 8, 1))
    # e-book already reported (a submitted write-off up to the cycle end) → no alert
    done = b.book(ent, kind="E", cycle_start=d(2025, 5, 11), cycle_end=d(2026, 5, 10))
    WriteOff.objects.create(
        book=done, report_no=1, start=d(2025, 5, 11), end=d(2026, 5, 10), state="submitted"
    )
    services.refresh_alerts(TODAY)
    got = _alerts("writeoff")
    assert set(got) == {hb.pk, hb2.pk, eb.pk}
    assert (got[hb.pk].due_date, got[hb.pk].basis_date) == (d(2026, 6, 30), d(2026, 5, 31))
    assert got[hb2.pk].due_date == d(2026, 6, 14)
    assert (got[eb.pk].due_date, got[eb.pk].basis_date) == (d(2026, 6, 9), d(2026, 5, 10))
    # write-off lights: amber ≤ 30, red ≤ 7
    assert [_light(got[x.pk], cfg) for x in (hb, hb2, eb)] == ["amber", "red", "red"]


def _sale_book(world, **kw):
    bk = b.book(world.enterprises.a1, kind="C", valid_until=d(2030, 12, 31), **kw)
    f.material(bk, 1, opening=1000)
    return bk


@pytest.mark.django_db
def test_domestic_sale_tax_due_on_the_15th_of_the_next_month_across_the_year_end(world, cfg):
    bk = _sale_book(world)
    # two 0644 lists in December 2025 (amounts 100.00 + 50.50), one in January 2026
    f.post(bk, "0644", "I", "material", [(1, 8, {"amount": "100.00"})], date=d(2025, 12, 3))
    f.post(bk, "0644", "I", "material", [(1, 4, {"amount": "50.50"})], date=d(2025, 12, 31))
    f.post(bk, "0644", "I", "material", [(1, 2, {"amount": "20.00"})], date=d(2026, 1, 20))
    # another mode (0615 import) makes no tax due
    f.post(bk, "0615", "I", "material", [(1, 5)], date=d(2025, 12, 5))
    today = d(2026, 1, 10)
    # December 2025 → due 2026-01-15: 5 days left → amber (tax: amber ≤ 10, red ≤ 3)
    # January 2026 → due 2026-02-15: 36 days left → outside the amber window, no alert yet
    services.refresh_alerts(today)
    rows = list(Alert.objects.filter(kind="tax_due"))
    assert [(a.period, a.due_date, a.list_count, a.amount) for a in rows] == [
        ("2025-12", d(2026, 1, 15), 2, Decimal("150.50"))
    ]
    assert _light(rows[0], cfg, today) == "amber"
    assert _light(rows[0], cfg, d(2026, 1, 12)) == "red"  # 3 days left
    # on 2026-02-05 the January month is due in 10 days (amber) and December is overdue (red)
    services.refresh_alerts(d(2026, 2, 5))
    rows = {a.period: a for a in Alert.objects.filter(kind="tax_due", state="open")}
    assert set(rows) == {"2025-12", "2026-01"}
    assert rows["2026-01"].due_date == d(2026, 2, 15)
    assert _light(rows["2026-01"], cfg, d(2026, 2, 5)) == "amber"
    assert _light(rows["2025-12"], cfg, d(2026, 2, 5)) == "red"


@pytest.mark.django_db
def test_reversed_and_written_off_sales_make_no_tax_due(world, cfg):
    from zonebook.ledger import services as ledger

    bk = _sale_book(world)
    res = f.post(bk, "0644", "I", "material", [(1, 8, {"amount": "100.00"})], date=d(2025, 12, 3))
    ledger.reverse_inventory_list(res.inventory_list, number=f.list_number("I"))
    services.refresh_alerts(d(2026, 1, 10))
    assert not Alert.objects.filter(kind="tax_due").exists()
    # a sale covered by a closed write-off: no alert
    f.post(bk, "0644", "I", "material", [(1, 3, {"amount": "30.00"})], date=d(2025, 12, 4))
    wo = WriteOff.objects.create(
        book=bk, report_no=1, start=d(2025, 1, 1), end=d(2025, 12, 31), state="closed"
    )
    from zonebook.ledger.models import WriteOffList

    lst = bk.inventory_lists.filter(supervision_mode="0644", direction=1, reversed_by__isnull=True).get()
    WriteOffList.objects.create(writeoff=wo, inventory_list=lst)
    services.refresh_alerts(d(2026, 1, 10))
    assert not Alert.objects.filter(kind="tax_due").exists()


@pytest.mark.django_db
def test_refresh_is_idempotent_reopens_resolves_and_keeps_dismissals(world, cfg):
    bk = b.book(world.enterprises.a1, valid_until=TODAY + dt.timedelta(days=10))
    r1 = services.refresh_alerts(TODAY)
    assert (r1.new, r1.open) == (1, 1)
    first = Alert.objects.get()
    r2 = services.refresh_alerts(TODAY)
    assert (r2.new, r2.resolved, r2.open) == (0, 0, 1)
    assert Alert.objects.get().first_seen_at == first.first_seen_at
    # the book is extended: the old alert resolves, none replaces it (outside the window)
    bk.valid_until = TODAY + dt.timedelta(days=200)
    bk.save(update_fields=["valid_until"])
    r3 = services.refresh_alerts(TODAY)
    assert (r3.resolved, r3.open) == (1, 0)
    assert Alert.objects.get().state == AlertState.RESOLVED
    # back to the old date: the same alert reopens
    bk.valid_until = TODAY + dt.timedelta(days=10)
    bk.save(update_fields=["valid_until"])
    services.refresh_alerts(TODAY)
    alert = Alert.objects.get()
    assert alert.state == AlertState.OPEN and alert.resolved_at is None
    # dismissed by hand (audited) → stays dismissed on refresh
    with pytest.raises(DomainError):
        services.dismiss_alert(alert, by=world.users.zone, note=" ")
    services.dismiss_alert(alert, by=world.users.zone, note="extension filed")
    services.refresh_alerts(TODAY)
    alert.refresh_from_db()
    assert alert.state == AlertState.DISMISSED and alert.dismissed_by == world.users.zone
    entry = AuditEntry.objects.get(code="alerts.alert.dismissed")
    assert entry.changes["state"] == ["open", "dismissed"] and entry.zone_id == world.zones.a1.pk


@pytest.mark.django_db
def test_thresholds_are_configurable_and_audited(world, cfg):
    bk = b.book(world.enterprises.a1, valid_until=TODAY + dt.timedelta(days=90))
    services.refresh_alerts(TODAY)
    assert not Alert.objects.exists()
    changes = services.save_settings({"expiry_amber_days": 120, "expiry_red_days": 95}, by=world.users.admin)
    assert changes == {"expiry_amber_days": [60, 120], "expiry_red_days": [30, 95]}
    entry = AuditEntry.objects.get(code="alerts.alertsettings.updated")
    assert entry.actor == world.users.admin
    services.refresh_alerts(TODAY)
    alert = Alert.objects.get(book=bk)
    from zonebook.alerts.models import AlertSettings

    assert _light(alert, AlertSettings.current()) == "red"  # 90 ≤ 95
    with pytest.raises(DomainError):
        services.save_settings({"nope": 1})
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        services.save_settings({"tax_due_day": 31})


@pytest.mark.django_db
def test_unmatched_carry_over_halves_must_be_matched_within_the_window(world, cfg):
    from zonebook.ledger.services import carryover as co_svc
    from zonebook.ledger.tests.test_carryover import receive, setup_pair, ship
    from zonebook.notify.models import Notification

    co = setup_pair(world)
    # shipment declared 2026-05-20 and receipt 2026-05-25, both linked, not matched:
    # due = earliest open half + 30 days → transferor 2026-06-19 (9 days left on 06-10 → amber, amber ≤ 10),
    # transferee 2026-06-24 (14 days left → not yet in the register)
    co_svc.link_list(co, ship(co, 100, d(2026, 5, 20)))
    co_svc.link_list(co, receive(co, 100, d(2026, 5, 25)))
    services.refresh_alerts(TODAY)
    got = _alerts("carryover")
    assert set(got) == {co.transferor_book_id}
    alert = got[co.transferor_book_id]
    assert (alert.due_date, alert.basis_date, alert.list_count, alert.carry_over_id) == (
        d(2026, 6, 19),
        d(2026, 5, 20),
        1,
        co.pk,
    )
    assert _light(alert, cfg) == "amber"
    # on 2026-06-17 (2 days left ≤ red 3) it is red; the transferee's half (2026-06-24: 7 left) is amber
    later = TODAY + dt.timedelta(days=7)
    services.refresh_alerts(later)
    got = _alerts("carryover")
    assert set(got) == {co.transferor_book_id, co.transferee_book_id}
    assert _light(got[co.transferor_book_id], cfg, later) == "red"
    assert _light(got[co.transferee_book_id], cfg, later) == "amber"
    # the enterprise's users are told, naming the application
    services.send_due_alerts(later, refresh=False)
    n = Notification.objects.filter(kind="alerts.carryover").first()
    assert n is not None and co.number in n.title and "2026-06-19" in n.title
    # matching the two halves ends both alerts at the next refresh
    co_svc.auto_match([co])
    services.refresh_alerts(later)
    assert _alerts("carryover") == {}
    assert Alert.objects.filter(kind="carryover", state=AlertState.RESOLVED).count() == 2
