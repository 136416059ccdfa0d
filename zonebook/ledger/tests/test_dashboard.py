"""The role dashboards on the home page (panels registered by registry, ledger, alerts, sla, notify):
each role sees its panels with the right figures, and the page's query count is fixed — the same
with one book or thirty, one zone or six."""

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from zonebook.ledger.tests import factories as f
from zonebook.registry.testing import EnterpriseFactory, ZoneFactory

ROLES = ("admin", "province", "city", "zone", "zone_leader", "customs", "enterprise")
EXPECTED_PANELS = {
    "province": {"registry.zones", "ledger.zones", "alerts.latest", "sla.deadlines", "notify.latest"},
    "city": {"registry.zones", "ledger.zones", "alerts.latest", "sla.deadlines", "notify.latest"},
    "zone": {"ledger.oversight", "alerts.latest", "sla.deadlines", "notify.latest"},
    "enterprise": {"ledger.my_books", "sla.deadlines", "notify.latest"},
}


def _home(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as ctx:
        resp = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    html = resp.content.decode()
    assert 'data-failed="1"' not in html, html[html.find('data-failed'):][:300]
    return html, len(ctx.captured_queries)


def _panels(html):
    return set(re.findall(r'data-panel="([^"]+)"', html))


@pytest.mark.django_db
def test_each_role_gets_its_panels(world, client):
    today = timezone.localdate()
    f.book(world.enterprises.a1, valid_until=today + dt.timedelta(days=3))
    for role, panels in EXPECTED_PANELS.items():
        html, _n = _home(client, getattr(world.users, role))
        # the platform's and the ledger's panels (the office modules add theirs beside them)
        own = {p for p in _panels(html) if p.split(".")[0] in {"registry", "ledger", "alerts", "sla", "notify"}}
        assert own == panels, role


@pytest.mark.django_db
def test_province_sees_ledger_figures_by_zone(world, client):
    today = timezone.localdate()
    f.book(world.enterprises.a1, valid_until=today + dt.timedelta(days=3))  # red (≤ 30 days)
    f.book(world.enterprises.a1b, valid_until=today + dt.timedelta(days=45))  # amber (31-60 days)
    f.book(world.enterprises.b1)
    f.book(world.enterprises.c1)  # another province
    html, _n = _home(client, world.users.province)
    table = html[html.index('id="dashboard-ledger-zones"'):]
    table = table[:table.index("</table>")]
    a1 = re.search(rf'data-zone="{world.zones.a1.pk}">(.*?)</tr>', table, re.S).group(1)
    assert re.findall(r'text-end">(\d+)<', a1)[:4] == ["2", "2", "1", "1"]  # books, open, red, amber
    assert world.zones.c1.short_name not in table
    zones = html[html.index('data-panel="registry.zones"'):]
    assert re.search(r'data-figure="zones">(\d+)<', zones).group(1) == "3"
    assert re.search(r'data-figure="enterprises">(\d+)<', zones).group(1) == "4"


@pytest.mark.django_db
def test_enterprise_sees_its_books_only(world, client):
    mine = f.book(world.enterprises.a1)
    other = f.book(world.enterprises.a1b)
    html, _n = _home(client, world.users.enterprise)
    assert mine.number in html and other.number not in html


def test_chart_and_table_labels_are_escaped(world, client):
    world.zones.a1.short_name = "<img src=x onerror=alert(1)>"
    world.zones.a1.save()
    f.book(world.enterprises.a1)
    html, _n = _home(client, world.users.province)
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html  # the ledger table
    assert "\\u003Cimg src=x onerror=alert(1)\\u003E" in html  # the charts' json_script data
    assert html.count('class="zb-chart"') >= 3 and "zonebook/charts.js" in html


def _grow(world):
    """Many more zones, enterprises and books in every scope."""
    today = timezone.localdate()
    for i in range(4):
        z = ZoneFactory(name=f"扩展综合保税区{i}", short_name=f"扩展{i}", province_code="510000", city_code="510100")
        e = EnterpriseFactory(zone=z, name=f"扩展企业{i}有限公司")
        f.book(e, valid_until=today + dt.timedelta(days=2 + i * 10))
    for e in (world.enterprises.a1, world.enterprises.a1b, world.enterprises.a2):
        for i in range(5):
            b = f.book(e, valid_until=today + dt.timedelta(days=i * 9))
            f.material(b, 1, opening=10)


@pytest.mark.django_db
def test_query_count_per_role_is_fixed(world, client):
    f.book(world.enterprises.a1)
    def counts():
        # the second request of each role: process-wide name caches (code tables) are warm then
        return {role: [_home(client, getattr(world.users, role))[1] for _i in range(2)][1] for role in ROLES}

    small = counts()
    _grow(world)
    large = counts()
    assert small == large
    print("home page queries per role:", large)
    # the ledger and platform panels take up to 20; each office module adds a fixed few
    assert max(large.values()) <= 50
