"""The ledger's red deadlines on the service app's liaison page (a panel alerts adds through core.panels)."""

import datetime as dt

import pytest
from django.utils import timezone

from zonebook.alerts import services

from . import builders as b


@pytest.mark.django_db
def test_liaison_page_shows_red_ledger_deadlines_of_the_liaisons_enterprises(world, cfg, client):
    from django.apps import apps

    if not apps.is_installed("zonebook.service"):
        pytest.skip("the service app is not installed")
    today = timezone.localdate()
    red = b.book(world.enterprises.a1, valid_until=today + dt.timedelta(days=5))
    b.book(world.enterprises.a1b, valid_until=today + dt.timedelta(days=6))  # not this liaison's enterprise
    services.refresh_alerts(today)
    officer = world.users.zone
    client.force_login(officer)
    # the liaison is assigned through the service API: alerts imports no service code
    r = client.post("/api/service/liaisons/", {"enterprise": world.enterprises.a1.pk, "officer": officer.pk,
                                               "role": "staff", "valid_from": (today - dt.timedelta(days=1)).isoformat()},
                    content_type="application/json")
    assert r.status_code == 201
    html = client.get("/service/my-enterprises/").content.decode()
    panel = html[html.index('id="ledger-red"'):]
    assert red.number in panel or str(red) in panel
    assert world.enterprises.a1b.name not in panel
