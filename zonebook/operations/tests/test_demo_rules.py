"""The demo loader (idempotent, through the services) and the rule-list pages."""

from __future__ import annotations

import io

import openpyxl
import pytest

from zonebook.accounts.testing import user_for
from zonebook.core.context import acting_as
from zonebook.core.errors import DomainError
from zonebook.operations import demo, rules
from zonebook.operations.models import (
    Application,
    GateEvent,
    GateException,
    NegativeListRule,
    ResponsibilityEntry,
)
from zonebook.registry.testing import EnterpriseFactory, ZoneFactory

pytestmark = pytest.mark.django_db


def test_demo_loads_once_in_the_seed_proportions(monkeypatch):
    monkeypatch.setattr(demo, "SCALE", 200)  # the demo runs at 1/40 of the 2008 figures; 1/200 keeps the test fast
    monkeypatch.setattr(demo, "GATE_DAYS", 3)
    zone = ZoneFactory(name=demo.ZONE, short_name="高新综保区")
    for i in range(3):
        EnterpriseFactory(zone=zone, name=f"演示电子有限公司{i}")
    user_for("zone", zone, username="gaoxin_staff")
    user_for("zone", zone, role="zone_leader", username="gaoxin_leader")
    with acting_as("demo"):
        demo.load(io.StringIO())
    counts = dict(Application.objects.values_list("type__code").annotate(n=__import__("django").db.models.Count("id")))
    # 3,500 / 708 / 230 / 370 / 780 / 60 / 10 at 1/200
    assert counts["infra_material"] == 18 + 6 and counts["equipment_return"] == 4 and counts["return"] == 4  # + work in progress
    assert counts["packaging_waste"] == 2 and counts["book_filing"] == 1
    assert Application.objects.filter(status="completed").count() > 15
    assert GateEvent.objects.count() > 10 and GateException.objects.filter(state="open").exists()
    assert NegativeListRule.objects.count() == 4 and ResponsibilityEntry.objects.count() == 4
    from zonebook.operations.models import GatePass

    assert set(GatePass.objects.filter(status__in=["3", "4"]).values_list("status", flat=True)) == {"3", "4"}
    before = (Application.objects.count(), GateEvent.objects.count())
    with acting_as("demo"):
        demo.load(io.StringIO())
    assert (Application.objects.count(), GateEvent.objects.count()) == before


def test_rule_lists_page_export_and_scope(world, client_for):
    rules.add_negative_rule(zone=world.zones.a1, kind="industry", pattern="2611", description="电镀项目不予入区",
                            source="环保负面清单第3条", by=world.users.zone_leader)
    rules.add_negative_rule(zone=world.zones.b1, kind="hs", pattern="2903", description="卤化烃",
                            source="绵阳清单", by=world.users.other_zone)
    rules.add_responsibility(zone=world.zones.a1, unit_name="管委会", position="主任", duty="总责", by=world.users.zone_leader)
    rules.add_responsibility(zone=world.zones.a1, unit_name="卡口管理科", position="科长", person=world.users.zone,
                             duty="卡口危险货物安全管理", by=world.users.zone_leader)
    c = client_for(world.users.zone)
    page = c.get("/operations/rules/").content.decode()
    assert "电镀项目不予入区" in page and "卤化烃" not in page and "卡口危险货物安全管理" in page
    wb = openpyxl.load_workbook(io.BytesIO(c.get("/operations/rules/?export=responsibility").content))
    cells = [x for row in wb.active.iter_rows(values_only=True) for x in row if x]
    assert "卡口管理科" in cells and "卡口危险货物安全管理" in cells
    assert list(rules.safety_recipients(world.zones.a1)) == [world.users.zone]
    with pytest.raises(DomainError):
        rules.add_negative_rule(zone=world.zones.a1, kind="hs", pattern="1", description="x", source="y",
                                by=world.users.other_zone)


def test_safety_notice_goes_to_the_responsibility_list(world, client_for):
    from zonebook.notify.models import Notification

    rules.add_responsibility(zone=world.zones.a1, unit_name="卡口管理科", position="科长", person=world.users.zone,
                             duty="卡口危险货物安全管理", by=world.users.zone_leader)
    rules.add_responsibility(zone=world.zones.b1, unit_name="安监科", position="科长", person=world.users.other_zone,
                             duty="安全巡查", by=world.users.other_zone)
    c = client_for(world.users.zone_leader)
    r = c.post("/operations/rules/", {"title": "", "body": "台风天气暂停危化品进出区"})
    assert r.status_code == 200 and "台风天气暂停危化品进出区" in r.content.decode()  # kept, title missing
    assert not Notification.objects.filter(kind="operations.safety_notice").exists()
    r = c.post("/operations/rules/", {"title": "台风预警", "body": "台风天气暂停危化品进出区"})
    assert r.status_code == 302
    sent = Notification.objects.filter(kind="operations.safety_notice")
    assert [n.recipient_id for n in sent] == [world.users.zone.pk]  # not the other zone's list
    assert sent.get().params["title"] == "台风预警"
    assert client_for(world.users.enterprise).post("/operations/rules/", {"title": "x"}).status_code == 403
    with pytest.raises(DomainError):
        rules.send_safety_notice(zone=world.zones.a1, title="x", body="", by=world.users.other_zone)
