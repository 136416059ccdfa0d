"""Projects: milestones (monotonic, audited corrections, stage, stage-gated fields), counting rules,
duplicates, terminal states with approval, screening, and the post-signing clocks of the SLA engine."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.investment import services as svc
from zonebook.investment.models import CountingRule, Project
from zonebook.sla.models import Deadline

D = dt.date
pytestmark = pytest.mark.django_db


def test_milestone_before_the_previous_one_is_refused_unless_an_audited_correction(inv):
    p = inv.project(investor=inv.investor(), signed=D(2025, 3, 10))
    with pytest.raises(DomainError) as err:
        svc.record_milestone(p, "registered", D(2025, 3, 1), by=inv.admin)
    assert err.value.code == "not_monotonic"
    assert not p.milestones.filter(kind="registered").exists()
    svc.record_milestone(
        p, "registered", D(2025, 3, 1), by=inv.admin, correction_reason="营业执照日期以执照为准"
    )
    entry = AuditEntry.objects.get(code="investment.milestone.corrected")
    assert entry.message == "营业执照日期以执照为准"
    # changing a recorded milestone is always a correction
    with pytest.raises(DomainError) as err:
        svc.record_milestone(p, "signed", D(2025, 2, 1), by=inv.admin)
    assert err.value.code == "correction_needed"


def test_stage_is_derived_and_gated_fields_are_required(inv):
    p = svc.create_project(
        {"name": "无主体项目", "zone": inv.zone, "contracted_investment": Decimal(5000)}, by=inv.admin
    )
    svc.record_milestone(p, "talks", D(2025, 1, 5), by=inv.admin)
    p.refresh_from_db()
    assert p.stage == "talks"
    with pytest.raises(DomainError) as err:  # no investor, no industry
        svc.record_milestone(p, "signed", D(2025, 2, 1), by=inv.admin)
    assert err.value.code == "stage_fields"
    svc.update_project(p, {"investor": inv.investor(), "industry": inv.industry}, by=inv.admin)
    svc.record_milestone(p, "signed", D(2025, 2, 1), by=inv.admin)
    with pytest.raises(DomainError):  # started needs the registered enterprise
        svc.record_milestone(p, "started", D(2025, 4, 1), by=inv.admin)
    svc.update_project(p, {"enterprise": inv.world.enterprises.a1}, by=inv.admin)
    svc.record_milestone(p, "started", D(2025, 4, 1), by=inv.admin)
    p.refresh_from_db()
    assert (p.stage, p.signed_on, p.started_on) == ("started", D(2025, 2, 1), D(2025, 4, 1))


def test_first_signing_counts_once_and_capital_increase_counts_the_increase_only(inv):
    investor = inv.investor()
    first = inv.project(investor=investor, amount=Decimal(20000), signed=D(2025, 3, 1))
    assert (first.counted, first.counted_amount) == (True, Decimal(20000))
    # correcting the signing date does not count the project again
    svc.record_milestone(first, "signed", D(2025, 3, 2), by=inv.admin, correction_reason="合同落款日")
    assert Project.objects.filter(counted=True).count() == 1
    inc = inv.project(
        investor=investor, amount=Decimal(3000), kind="capital_increase", parent=first, signed=D(2025, 6, 1)
    )
    assert inc.counted is False and inc.counted_amount == Decimal(3000)
    assert "ZS-SM-1" in inc.count_note
    up = inv.project(
        investor=investor, amount=Decimal(30000), kind="upgrade", parent=first, signed=D(2025, 7, 1)
    )
    assert (up.counted, up.counted_amount) == (False, Decimal(0))
    assert "ZS-SM-2" in up.count_note


def test_capital_increase_needs_its_signed_original(inv):
    lead = inv.project(investor=inv.investor())
    with pytest.raises(DomainError):
        inv.project(kind="capital_increase", amount=Decimal(100))
    with pytest.raises(DomainError):
        inv.project(kind="capital_increase", parent=lead, amount=Decimal(100))


def test_exclusions_minimum_size_and_monthly_ledger(inv):
    small = inv.project(investor=inv.investor(), amount=Decimal(800), signed=D(2025, 3, 1))
    assert not small.counted and "WNWK-2" in small.count_note
    estate = inv.project(
        investor=inv.investor("某地产"),
        amount=Decimal(90000),
        signed=D(2025, 3, 1),
        exclusion_category="real_estate",
    )
    assert not estate.counted and "CNZSR-KH-1" in estate.count_note
    late = inv.project(
        investor=inv.investor("某公司"), amount=Decimal(9000), signed=D(2025, 3, 1), in_monthly_ledger=False
    )
    assert not late.counted and "WNWK-1" in late.count_note
    # the threshold is configuration: lowered, the same project counts
    CountingRule.objects.filter(code="WNWK-2").update(threshold=Decimal(500))
    again = inv.project(investor=inv.investor("另一家"), amount=Decimal(800), signed=D(2025, 3, 1))
    assert again.counted


def test_duplicate_signed_project_is_warned_naming_the_rule(inv):
    investor = inv.investor()
    first = inv.project(investor=investor, amount=Decimal(20000), signed=D(2025, 3, 1))
    dup = inv.project(investor=investor, amount=Decimal(19000), signed=D(2025, 5, 1), name="同一项目重报")
    assert "DEDUP-1" in dup.dedup_warning and first.number in dup.dedup_warning
    from zonebook.notify.models import Notification

    assert Notification.objects.filter(kind="investment.duplicate", recipient=inv.world.users.zone).exists()
    other_site = inv.project(
        investor=investor, zone=inv.world.zones.a2, amount=Decimal(20000), signed=D(2025, 5, 1)
    )
    assert other_site.dedup_warning == ""
    # a far amount at the same site is no duplicate: it is a capital increase entered as new (refused,
    # test_capital_increase_entered_as_a_new_project_is_not_counted_as_one)
    with pytest.raises(DomainError) as err:
        inv.project(investor=investor, amount=Decimal(5000), signed=D(2025, 5, 1))
    assert err.value.code == "increase_as_new"


def test_terminal_state_needs_reason_and_another_approver(inv):
    p = inv.project(investor=inv.investor(), signed=D(2025, 3, 1))
    staff, leader = inv.world.users.zone, inv.world.users.zone_leader
    with pytest.raises(DomainError):
        svc.request_terminal(p, "stalled", " ", by=staff)
    svc.request_terminal(p, "stalled", "资金未到位", by=staff)
    from zonebook.notify.models import Notification

    note = Notification.objects.get(kind="investment.terminal_requested")
    assert note.recipient == leader and note.params["reason"] == "资金未到位"
    with pytest.raises(DomainError) as err:
        svc.decide_terminal(p, approve=True, by=staff)  # a zone staff member does not approve
    assert err.value.code == "forbidden"
    svc.decide_terminal(p, approve=True, by=leader)
    p.refresh_from_db()
    assert p.stage == "stalled" and p.terminal_approved_by == leader
    assert not Deadline.objects.filter(object_id=p.pk).exclude(state="stopped").exists()
    with pytest.raises(DomainError):
        svc.record_milestone(p, "registered", D(2025, 4, 1), by=inv.admin)


def test_post_signing_clock_runs_through_the_sla_engine(inv):
    today = timezone.localdate()
    p = inv.project(investor=inv.investor(), signed=today - dt.timedelta(days=100))
    clock = Deadline.objects.get(object_id=p.pk, policy__key=svc.START_POLICY)
    assert clock.state == "running"
    assert svc.project_light(p) == "overdue"  # 90 days to start, 100 passed
    svc.update_project(p, {"enterprise": inv.world.enterprises.a1}, by=inv.admin)
    svc.record_milestone(p, "started", today - dt.timedelta(days=5), by=inv.admin)
    clock.refresh_from_db()
    assert clock.state == "stopped"
    stats = Deadline.objects.get(object_id=p.pk, policy__key=svc.STATISTICS_POLICY)
    assert stats.state == "running" and svc.project_light(p) == "green"


def test_screening_city_then_province(inv):
    p = inv.project(investor=inv.investor(), signed=D(2025, 3, 1))
    zone_user, city, province = inv.world.users.zone, inv.world.users.city, inv.world.users.province
    with pytest.raises(DomainError):
        svc.screen(p, "city", "recognised", by=city)  # not submitted yet
    svc.screen(p, "city", "submitted", by=zone_user)
    with pytest.raises(DomainError):
        svc.screen(p, "city", "recognised", by=zone_user)  # a zone does not recognise
    with pytest.raises(DomainError):
        svc.screen(p, "province", "submitted", by=zone_user)  # the city recognises first
    svc.screen(p, "city", "recognised", by=city, reference="成商投〔2025〕3号")
    svc.screen(p, "province", "submitted", by=city)
    svc.screen(p, "province", "rejected", by=province, note="不符合认定口径")
    p.refresh_from_db()
    assert (p.city_screening, p.province_screening) == ("recognised", "rejected")
    assert p.screenings.count() == 4


def test_foreign_amounts_kept_with_the_rate(inv):
    p = inv.project(
        investor=inv.investor(),
        amount=Decimal("1000.00"),
        currency="USD",
        rate=Decimal("6.9"),
        signed=D(2025, 3, 1),
    )
    assert p.contracted_cny == Decimal("6900.00") and p.counted_amount == Decimal("6900.00")
    with pytest.raises(DomainError):
        inv.project(investor=inv.investor("x"), currency="CNY", rate=Decimal("6.9"))


def test_capital_increase_entered_as_a_new_project_is_not_counted_as_one(inv):
    """Issue 19's bad input: the investor's second signing at the same site, entered as a new project,
    is refused naming the rule and the original; recorded as its capital increase only the increase
    counts; a separate new project needs its reason, kept in the audit log."""
    investor = inv.investor()
    first = inv.project(investor=investor, amount=Decimal(20000), signed=D(2025, 3, 1), name="整机一期")
    second = inv.project(investor=investor, amount=Decimal(6000), name="整机一期追加投资")
    with pytest.raises(DomainError) as err:
        svc.record_milestone(second, "signed", D(2025, 6, 1), by=inv.admin)
    assert err.value.code == "increase_as_new" and err.value.original_id == first.pk
    assert "ZS-SM-1" in str(err.value) and first.number in str(err.value) and "整机一期" in str(err.value)
    second.refresh_from_db()
    assert second.signed_on is None and not second.milestones.filter(kind="signed").exists()
    assert Project.objects.filter(counted=True).count() == 1

    # offered choice: record it as a capital increase of the original — the increase counts, not the total
    svc.record_milestone(second, "signed", D(2025, 6, 1), by=inv.admin, as_increase_of=first.pk)
    second.refresh_from_db()
    assert (second.kind, second.parent_id) == ("capital_increase", first.pk)
    assert (second.counted, second.counted_amount) == (False, Decimal(6000)) and "ZS-SM-1" in second.count_note
    entry = AuditEntry.objects.get(code="investment.project.recorded_as_increase")
    assert entry.changes == {"kind": ["new", "capital_increase"], "parent": [None, first.pk]}
    stats = __import__("zonebook.investment.queries", fromlist=["x"]).project_statistics(
        Project.objects.all(), 2025, 12, "zone")
    assert (stats["total"]["signed_count"], stats["total"]["signed_amount"]) == (1, Decimal(26000))

    # a separate new project of the same investor there: counted once, the reason in the audit entry
    third = inv.project(investor=investor, amount=Decimal(50000), name="新建二期厂房")
    with pytest.raises(DomainError):
        svc.record_milestone(third, "signed", D(2025, 8, 1), by=inv.admin, as_increase_of=third.pk)
    svc.record_milestone(third, "signed", D(2025, 8, 1), by=inv.admin, separate_reason="另址新建，独立立项")
    third.refresh_from_db()
    assert (third.kind, third.counted, third.counted_amount) == ("new", True, Decimal(50000))
    signing = AuditEntry.objects.filter(code="investment.milestone.recorded", object_id=str(
        third.milestones.get(kind="signed").pk)).get()
    assert "另址新建，独立立项" in signing.message

    # another investor, or the same one in another zone, is a new project as before
    other = inv.project(investor=inv.investor(name="另一投资方"), amount=Decimal(6000), signed=D(2025, 6, 1))
    elsewhere = inv.project(investor=investor, zone=inv.world.zones.a2, amount=Decimal(6000), signed=D(2025, 6, 1))
    assert other.counted and elsewhere.counted
