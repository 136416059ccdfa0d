"""Administrators' edits of the service configuration (categories, responsibility table, tiers) are
audited in the same transaction: who, when, the changed fields and the request they came from."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.service.models import Category, Responsibility, TierRule


@pytest.fixture
def root(db):
    return user_for("all", username="svc_root", is_superuser=True, is_staff=True)


def _posted(client, url, data):
    r = client.post(url, data, REMOTE_ADDR="10.1.2.3")
    assert r.status_code == 302, r.content.decode()[:2000]
    return r


def _entry(code: str) -> AuditEntry:
    e = AuditEntry.objects.get(code=code)
    assert e.request_id and e.ip == "10.1.2.3" and e.source == "web" and e.at is not None
    return e


def test_category_create_update_delete_are_audited(svc, client_for, root):
    client = client_for(root)
    _posted(client, reverse("admin:service_category_add"),
            {"code": "TST-NEW", "name": "测试分类", "parent": svc.cat.top.pk, "order": 5, "active": "on"})
    cat = Category.objects.get(code="TST-NEW")
    created = _entry("service.category.created")
    assert created.actor == root and created.object_id == str(cat.pk)
    assert created.changes["name"] == [None, "测试分类"]

    _posted(client, reverse("admin:service_category_change", args=[cat.pk]),
            {"code": "TST-NEW", "name": "测试分类（改）", "parent": svc.cat.top.pk, "order": 5, "complex": "on",
             "active": "on"})
    updated = _entry("service.category.updated")
    assert updated.changes == {"name": ["测试分类", "测试分类（改）"], "complex": [False, True]}

    _posted(client, reverse("admin:service_category_delete", args=[cat.pk]), {"post": "yes"})
    deleted = _entry("service.category.deleted")
    assert not Category.objects.filter(pk=cat.pk).exists()
    assert deleted.changes["code"] == ["TST-NEW", None] and deleted.actor == root


def test_responsibility_change_is_audited_with_the_units_scope(svc, client_for, root):
    resp = Responsibility.objects.create(category=svc.cat, unit=svc.service_dept, priority=1)
    _posted(client_for(root), reverse("admin:service_responsibility_change", args=[resp.pk]),
            {"category": svc.cat.pk, "unit": svc.econ_dept.pk, "priority": 2, "note": "转经发局"})
    e = _entry("service.responsibility.updated")
    assert e.changes["unit"] == [svc.service_dept.pk, svc.econ_dept.pk]
    assert e.changes["priority"] == [1, 2] and e.zone_id == svc.econ_dept.zone_id


def test_tier_threshold_change_is_audited_and_an_unchanged_save_writes_nothing(svc, client_for, root):
    rule = TierRule.objects.create(code="T-TST", name="测试档", min_trade_usd=Decimal("30000000"),
                                   valid_from=dt.date(2026, 1, 1))
    data = {"code": "T-TST", "name": "测试档", "min_trade_usd": "50000000.00", "valid_from": "2026-01-01",
            "valid_to": "", "source": "2026年市政府通知"}
    client = client_for(root)
    _posted(client, reverse("admin:service_tierrule_change", args=[rule.pk]), data)
    e = _entry("service.tierrule.updated")
    assert e.changes["min_trade_usd"] == ["30000000.00", "50000000.00"]
    _posted(client, reverse("admin:service_tierrule_change", args=[rule.pk]), data)  # nothing changed
    assert AuditEntry.objects.filter(code="service.tierrule.updated").count() == 1
