"""Pages, API, scope and query counts."""

import datetime as dt

import pytest
from django.utils import timezone

from zonebook.alerts import services
from zonebook.alerts.models import Alert, PlausibilityFlag
from zonebook.ledger.services import writeoff as wsvc
from zonebook.ledger.tests import ledger_world
from zonebook.notify.models import Notification

from . import builders as b


def _books(world, n, enterprise=None, days=5):
    today = timezone.localdate()
    ent = enterprise or world.enterprises.a1
    return [b.book(ent, valid_until=today + dt.timedelta(days=days + i)) for i in range(n)]


def _content(r):
    return (b"".join(r.streaming_content) if getattr(r, "streaming", False) else r.content).decode(
        "utf-8-sig"
    )


@pytest.fixture
def scoped(world, cfg):
    """Alerts in a1 (enterprise a1), b1 and Chongqing c1."""
    mine = _books(world, 1)[0]
    other_zone = _books(world, 1, world.enterprises.b1)[0]
    chongqing = _books(world, 1, world.enterprises.c1)[0]
    services.send_due_alerts()
    return mine, other_zone, chongqing


@pytest.mark.django_db
def test_alert_list_page_filters_and_export(world, scoped, client):
    mine, other_zone, chongqing = scoped
    client.force_login(world.users.zone)
    r = client.get("/alerts/")
    html = r.content.decode()
    assert r.status_code == 200 and mine.number in html
    assert other_zone.number not in html and chongqing.number not in html
    assert 'data-light="red"' in html
    assert mine.number in client.get("/alerts/", {"light": "red", "kind": "expiry"}).content.decode()
    assert mine.number not in client.get("/alerts/", {"light": "amber"}).content.decode()
    assert mine.number not in client.get("/alerts/", {"state": "resolved"}).content.decode()
    csv = _content(client.get("/alerts/", {"export": "csv"}))
    assert mine.number in csv and "red" in csv and chongqing.number not in csv
    xlsx = client.get("/alerts/", {"export": "xlsx"})
    assert xlsx.status_code == 200
    # province user of Sichuan sees a1 and b1, not Chongqing
    client.force_login(world.users.province)
    html = client.get("/alerts/").content.decode()
    assert mine.number in html and other_zone.number in html and chongqing.number not in html


@pytest.mark.django_db
def test_alert_detail_scope_and_dismiss(world, scoped, client):
    mine, other_zone, chongqing = scoped
    alert = Alert.objects.get(book=mine, kind="expiry")
    client.force_login(world.users.other_zone)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 404
    assert client.post(f"/alerts/{alert.pk}/dismiss/", {"note": "x"}).status_code == 404
    client.force_login(world.users.customs)
    assert client.get(f"/alerts/{alert.pk}/").status_code == 200
    assert client.post(f"/alerts/{alert.pk}/dismiss/", {"note": "x"}).status_code == 403
    client.force_login(world.users.enterprise)
    r = client.post(f"/alerts/{alert.pk}/dismiss/", {"note": "validity extended"})
    assert r.status_code == 302
    alert.refresh_from_db()
    assert alert.state == "dismissed"
    # the audit history speaks the reader's language: the state by its label, not "state: open → dismissed"
    history = client.get(f"/alerts/{alert.pk}/").content.decode()
    assert "→ Dismissed" in history or "→ 已手工关闭" in history, history
    assert "open → dismissed" not in history


@pytest.mark.django_db
def test_oversight_page_shows_the_alerts_panel(world, scoped, client):
    client.force_login(world.users.zone)
    html = client.get("/ledger/oversight/").content.decode()
    assert 'id="alerts-panel"' in html
    assert 'data-figure="alert_expiry_red"' in html
    assert scoped[0].number in html and scoped[2].number not in html


@pytest.mark.django_db
def test_writeoff_page_shows_the_deviation_panel(world, cfg, client):
    lw = ledger_world.build(world)
    wo = wsvc.create_writeoff(lw.book, dt.date(2026, 1, 1), dt.date(2026, 6, 30))
    wsvc.import_stocktake(wo, [{"kind": "material", "seq_no": 2, "stock": "80"}])
    services.refresh_flags()
    client.force_login(world.users.enterprise)
    html = client.get(f"/ledger/writeoffs/{wo.pk}/").content.decode()
    assert 'id="writeoff-flags"' in html and "220" in html
    flag = PlausibilityFlag.objects.get(kind="writeoff_actual", material=lw.m2)
    page = client.get(f"/alerts/plausibility/{flag.pk}/").content.decode()
    assert "Actual consumption" in page and "<svg" not in page


@pytest.mark.django_db
def test_api_scope_and_own_notifications(world, scoped, client):
    mine, other_zone, chongqing = scoped
    client.force_login(world.users.zone)
    data = client.get("/api/alerts/alerts/").json()
    numbers = {row["book_number"] for row in data["results"]}
    assert mine.number in numbers and other_zone.number not in numbers and chongqing.number not in numbers
    row = next(r for r in data["results"] if r["book_number"] == mine.number)
    assert row["light"] == "red" and row["days_left"] == 5
    other = Alert.objects.get(book=chongqing)
    assert client.get(f"/api/alerts/alerts/{other.pk}/").status_code == 404
    assert client.get("/api/alerts/alerts/", {"kind": "expiry", "light": "amber"}).json()["count"] == 0
    notes = client.get("/api/notifications/").json()
    assert notes["count"] == 1 and "expires on" in notes["results"][0]["title"]
    someone_else = Notification.objects.exclude(recipient=world.users.zone).first()
    assert client.get(f"/api/notifications/{someone_else.pk}/").status_code == 404
    assert client.post(f"/api/notifications/{someone_else.pk}/read/").status_code == 404
    mine_n = Notification.objects.get(recipient=world.users.zone)
    assert client.post(f"/api/notifications/{mine_n.pk}/read/").json() == {"marked": 1}
    assert client.post("/api/notifications/read-all/").json() == {"marked": 0}
    assert client.get("/api/alerts/flags/").status_code == 200
    # alerts are read-only in the API
    assert client.post("/api/alerts/alerts/", {}).status_code in (403, 405)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/alerts/",
        "/alerts/plausibility/",
        "/notifications/",
        "/api/alerts/alerts/",
        "/api/alerts/flags/",
        "/api/notifications/",
        "/ledger/oversight/",
    ],
)
def test_list_query_counts_do_not_grow(world, cfg, client, django_assert_max_num_queries, url):
    client.force_login(world.users.zone)

    def grow(n):
        books = _books(world, n)
        for i, bk in enumerate(books):
            b.bom_book(world.enterprises.a1b, f"{1 + i}")  # peers
            p = b.f.product(bk, 1)
            m = b.f.material(bk, 1)
            b.f.bom(p, m, f"{3 + i}", version="1")
        services.send_due_alerts()

    grow(3)  # three peers: the flag lists are not empty
    client.get(url)  # warm caches (sessions, content types)
    with django_assert_max_num_queries(25) as small:
        assert client.get(url).status_code == 200
    grow(8)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url).status_code == 200
