"""Dashboard panels and to-do counters declared in registration.py render with the user's scope."""

import datetime as dt
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone, translation

from zonebook.core.modules import resolve
from zonebook.investment import services as svc
from zonebook.investment.registration import MODULE

pytestmark = pytest.mark.django_db


def test_panels_and_todos(inv):
    today = timezone.localdate()
    p = inv.project(investor=inv.investor(), amount=Decimal(30000), signed=today - dt.timedelta(days=3))
    svc.set_target(
        year=today.year,
        zone=inv.world.zones.a1,
        by=inv.admin,
        signed_count=4,
        signed_amount=Decimal(60000),
        funds_in_place=Decimal(10000),
    )
    svc.create_event({"kind": "trip", "title": "赴深圳招商", "date": today}, by=inv.world.users.zone)
    svc.request_terminal(p, "withdrawn", "投资方放弃", by=inv.world.users.zone)
    request = RequestFactory().get("/")
    request.user = inv.world.users.zone
    with translation.override("zh-hans"):
        html = {
            panel.key: render_to_string(panel.template, resolve(panel.context)(request), request=request)
            for panel in MODULE.panels
        }
    assert "签约" in html["investment.pipeline"] and "1" in html["investment.pipeline"]
    assert "30,000.00" in html["investment.target"] and "50.00 %" in html["investment.target"]
    assert "出访招商: <strong>1</strong>" in html["investment.events"]
    counts = {t.key: resolve(t.count)(inv.world.users.zone) for t in MODULE.todos}
    assert counts == {"investment.terminal": 1, "investment.overdue_tasks": 0}
    assert resolve(MODULE.todos[0].count)(inv.world.users.other_zone) == 0
