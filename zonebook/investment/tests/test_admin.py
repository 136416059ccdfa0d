"""The counting rules and scoring rules are configured in the admin, and every write is audited."""

from decimal import Decimal

import pytest
from django.urls import reverse

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.investment.models import CountingRule, ScoringRule
from zonebook.investment.services import rules_on

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return user_for("all", username="inv_root", is_superuser=True, is_staff=True)


def test_counting_rule_edit_is_audited_and_applies(inv, client_for, root):
    rule = CountingRule.objects.get(code="WNWK-2")  # minimum size, migration 0002
    r = client_for(root).post(
        reverse("admin:investment_countingrule_change", args=[rule.pk]),
        {"code": rule.code, "name": rule.name, "kind": rule.kind, "threshold": "2000.00", "tolerance_pct": "",
         "categories": "[]", "valid_from": "", "valid_to": "", "active": "on", "source": "2026年新口径"},
        REMOTE_ADDR="10.9.8.7",
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    e = AuditEntry.objects.get(code="investment.countingrule.updated")
    assert e.actor == root and e.ip == "10.9.8.7" and e.request_id
    assert e.changes["threshold"][1] == "2000.00" and e.changes["source"] == [rule.source, "2026年新口径"]
    assert next(r for r in rules_on(None) if r.code == "WNWK-2").threshold == Decimal("2000.00")


def test_scoring_rule_create_is_audited(inv, client_for, root):
    r = client_for(root).post(
        reverse("admin:investment_scoringrule_add"),
        {"year": 2026, "code": "S-ON", "name": "按时报送", "kind": "on_time", "max_score": "20",
         "indicator_code": "", "default_score": "0", "province_code": "510000"},
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    rule = ScoringRule.objects.get(code="S-ON")
    e = AuditEntry.objects.get(code="investment.scoringrule.created")
    assert e.object_id == str(rule.pk) and e.changes["max_score"][0] is None and Decimal(e.changes["max_score"][1]) == 20
