"""Key-enterprise tiers behind the trade-provider interface; operation reports and the 简报."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.service import monitoring
from zonebook.service.models import EnterpriseTier, OperationReport

from .conftest import at

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 11, 3)


@pytest.fixture
def campaign(world, svc):
    return monitoring.open_campaign(title="重点企业每日运行情况", zone=world.zones.a1,
                                    enterprises=[world.enterprises.a1, world.enterprises.a1b],
                                    start_date=dt.date(2026, 11, 1), end_date=dt.date(2026, 11, 21), by=svc.dispatcher,
                                    office="成都高新综保区管委会")


def _data(**kw):
    base = {"state": "normal", "staff_expected": 200, "staff_present": 180, "output_value": Decimal("350.50"),
            "imports_usd": Decimal("20"), "exports_usd": Decimal("30"), "damage": "", "needs": ""}
    return {**base, **kw}


def test_second_submission_updates_with_audit_and_late_is_flagged(world, svc, campaign):
    ent, user = world.enterprises.a1, world.users.enterprise
    r1 = monitoring.submit_report(campaign, ent, DAY, _data(), by=user, at=at(2026, 11, 3, 15, 30))
    assert r1.late is False and r1.revision == 1
    r2 = monitoring.submit_report(campaign, ent, DAY, _data(staff_present=190), by=user, at=at(2026, 11, 3, 16, 30))
    assert OperationReport.objects.filter(campaign=campaign, enterprise=ent, date=DAY).count() == 1
    r2.refresh_from_db()
    assert r2.pk == r1.pk and r2.revision == 2 and r2.staff_present == 190 and r2.late is True
    entry = AuditEntry.objects.get(code="service.report.updated", object_id=str(r1.pk))
    assert entry.changes["staff_present"] == [180, 190]
    late = monitoring.submit_report(campaign, world.enterprises.a1b, DAY, _data(), by=svc.dispatcher,
                                    at=at(2026, 11, 4, 9))
    assert late.late is True  # accepted, flagged


def test_reports_refused_outside_the_rules(world, svc, campaign):
    with pytest.raises(DomainError) as exc:  # another enterprise's report
        monitoring.submit_report(campaign, world.enterprises.a1b, DAY, _data(), by=world.users.enterprise,
                                 at=at(2026, 11, 3, 10))
    assert exc.value.code == "not_own_enterprise"
    with pytest.raises(DomainError) as exc:
        monitoring.submit_report(campaign, world.enterprises.a1, dt.date(2026, 12, 1), _data(), by=svc.dispatcher,
                                 at=at(2026, 12, 1, 10))
    assert exc.value.code == "outside_period"
    with pytest.raises(DomainError):
        monitoring.submit_report(campaign, world.enterprises.a1, DAY, _data(staff_present=300), by=svc.dispatcher,
                                 at=at(2026, 11, 3, 10))


def test_missing_and_bulletin_sentences_from_the_figures(world, svc, campaign):
    a, b = world.enterprises.a1, world.enterprises.a1b
    monitoring.submit_report(campaign, a, DAY - dt.timedelta(days=1), _data(output_value=Decimal("400")),
                             by=svc.dispatcher, at=at(2026, 11, 2, 12))
    assert {e.pk for e in monitoring.missing(campaign, DAY)} == {a.pk, b.pk}
    monitoring.submit_report(campaign, a, DAY, _data(needs="缺少普工30人"), by=svc.dispatcher, at=at(2026, 11, 3, 12))
    assert [e.pk for e in monitoring.missing(campaign, DAY)] == [b.pk]
    doc = monitoring.bulletin(campaign, DAY)
    s1, s2 = doc.sections[0].blocks[0].text, doc.sections[0].blocks[1].text
    assert doc.subtitle == "第3期" and doc.kind == "bulletin"
    assert "2026年11月3日，纳入监测的2家企业中，1家报送了运行情况。正常生产1家、部分开工0家、停产0家，开工率100.0%。" == s1
    # 180 / 200 = 90.0 %; output 350.50 vs 400 the day before: −12.4 %
    assert "应到岗200人，实到180人，到岗率90.0%" in s2 and "产值较上日下降12.4%" in s2 and "进出口50.00万美元" in s2
    problems = " ".join(p.text for p in doc.sections[1].blocks)
    assert "缺少普工30人" in problems and b.name in problems
    table = doc.sections[3].blocks[0]
    assert table.rows[0][1] == a.name and table.total[5] == Decimal("350.50")


def test_bulletin_downloads_as_docx_and_pdf(world, svc, campaign, client_for):
    monitoring.submit_report(campaign, world.enterprises.a1, DAY, _data(), by=svc.dispatcher, at=at(2026, 11, 3, 12))
    c = client_for(svc.dispatcher)
    r = c.get(reverse("service:bulletin", args=[campaign.pk, "docx"]) + "?date=2026-11-03")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    r = c.get(reverse("service:bulletin", args=[campaign.pk, "pdf"]) + "?date=2026-11-03")
    assert r.status_code == 200 and r.content[:4] == b"%PDF"
    page = c.get(reverse("service:campaign_detail", args=[campaign.pk]) + "?date=2026-11-03").content.decode()
    assert world.enterprises.a1b.name in page  # not reported
    assert client_for(world.users.other_zone).get(reverse("service:campaign_detail", args=[campaign.pk])).status_code == 404


def test_enterprise_submits_through_the_page(world, svc, campaign, client_for):
    c = client_for(world.users.enterprise)
    url = reverse("service:report_submit", args=[campaign.pk]) + "?date=2026-11-03"
    assert c.get(url).status_code == 200
    payload = {"state": "partial", "staff_expected": "100", "staff_present": "60", "output_value": "12.5",
               "imports_usd": "0", "exports_usd": "3", "damage": "", "needs": "物流受阻"}
    assert c.post(url, payload).status_code == 302
    c.post(url, {**payload, "staff_present": "70"})
    r = OperationReport.objects.get(campaign=campaign, enterprise=world.enterprises.a1)
    assert r.revision == 2 and r.staff_present == 70 and r.late  # 2026-11-03 lies in the past: late


def test_tiers_from_the_provider_and_by_hand(world, svc, monkeypatch):
    values = {world.enterprises.a1.pk: Decimal("120000000"), world.enterprises.a1b.pk: Decimal("35000000")}

    def provider(ids, on):
        return {i: values[i] for i in ids if i in values}

    ents = world.enterprises
    # as without a statistics module: no declared provider
    monkeypatch.setattr(monitoring.modules, "all_modules", lambda: [])
    assert monitoring.compute_tiers([ents.a1], by=svc.dispatcher)["provider"] is False
    monitoring.register_trade_provider(provider)
    try:
        monitoring.set_tier(ents.a2, None, note="x", by=world.users.admin)  # nothing to clear: no row
        result = monitoring.compute_tiers([ents.a1, ents.a1b, ents.a2], by=svc.dispatcher, on=dt.date(2026, 1, 1))
        assert result == {"changed": 2, "without_value": 1, "provider": True}
        current = {t.enterprise_id: t.tier.code for t in EnterpriseTier.objects.filter(valid_to__isnull=True)}
        assert current == {ents.a1.pk: "A", ents.a1b.pk: "C"}
        with pytest.raises(DomainError):
            monitoring.set_tier(ents.a1b, None, note="", by=svc.dispatcher)
        from zonebook.service.models import TierRule

        monitoring.set_tier(ents.a1b, TierRule.objects.get(code="B"), note="市政府认定", by=svc.dispatcher,
                            on=dt.date(2026, 3, 1))
        values[ents.a1.pk] = Decimal("60000000")
        monitoring.compute_tiers([ents.a1, ents.a1b], by=svc.dispatcher, on=dt.date(2026, 6, 1))
        current = {t.enterprise_id: (t.tier.code, t.basis) for t in EnterpriseTier.objects.filter(valid_to__isnull=True)}
        assert current == {ents.a1.pk: ("B", "computed"), ents.a1b.pk: ("B", "manual")}  # manual kept
        history = EnterpriseTier.objects.filter(enterprise=ents.a1).order_by("valid_from")
        assert [(t.tier.code, t.valid_to) for t in history] == [("A", dt.date(2026, 5, 31)), ("B", None)]
    finally:
        monitoring.unregister_trade_provider(provider)


def test_reminders_notify_enterprises_that_have_not_reported(world, svc, campaign):
    from zonebook.notify.models import Notification

    now = at(2026, 11, 3, 14)
    monitoring.submit_report(campaign, world.enterprises.a1b, dt.date(2026, 11, 3), _data(), by=svc.dispatcher,
                             at=at(2026, 11, 3, 10))
    assert monitoring.send_reminders(now) == 1  # e_a1's user; a1b has reported
    assert Notification.objects.get(kind="service.report_due").recipient == world.users.enterprise
    assert monitoring.send_reminders(now) == 0  # once per day


def test_api_submits_twice_without_duplicate_and_scopes(world, svc, campaign, client_for):
    c = client_for(world.users.enterprise)
    payload = {"campaign": campaign.pk, "enterprise": world.enterprises.a1.pk, "date": "2026-11-03",
               "state": "normal", "staff_expected": 10, "staff_present": 9, "output_value": "1.50",
               "imports_usd": "0", "exports_usd": "0"}
    assert c.post("/api/service/operation-reports/", payload).status_code == 201
    r = c.post("/api/service/operation-reports/", {**payload, "staff_present": 10})
    assert r.status_code == 201 and r.json()["revision"] == 2 and r.json()["late"] is True
    assert OperationReport.objects.count() == 1
    other = {**payload, "enterprise": world.enterprises.a1b.pk}
    assert c.post("/api/service/operation-reports/", other).status_code == 400  # not its own (out of scope)
    missing = client_for(svc.dispatcher).get(f"/api/service/campaigns/{campaign.pk}/missing/?date=2026-11-03").json()
    assert [m["name"] for m in missing] == [world.enterprises.a1b.name]
    assert client_for(world.users.other_zone).get(f"/api/service/campaigns/{campaign.pk}/").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_submissions_make_one_report(world, svc, campaign):
    """Two submissions of the same day at once (two browser tabs): one row, the second an update."""
    import threading

    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("needs concurrent writers (PostgreSQL)")
    errors = []

    def submit(n):
        try:
            monitoring.submit_report(campaign, world.enterprises.a1, DAY, _data(staff_present=170 + n),
                                     by=svc.dispatcher, at=at(2026, 11, 3, 12))
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    report = OperationReport.objects.get(campaign=campaign, enterprise=world.enterprises.a1, date=DAY)
    assert report.revision == 4


def test_issued_bulletin_gets_the_next_document_number(world, svc, campaign, client_for):
    from zonebook.documents.numbering import peek

    series = monitoring.bulletin_series(campaign)
    first = peek(f"service.zone.{campaign.zone_id}", series, 2026)
    c = client_for(svc.dispatcher)
    r = c.post(reverse("service:bulletin", args=[campaign.pk, "docx"]) + "?date=2026-11-03")
    assert r.status_code == 200 and r.content[:2] == b"PK"
    assert first.endswith("〔2026〕1号")
    assert peek(f"service.zone.{campaign.zone_id}", series, 2026).endswith("〔2026〕2号")  # consumed
    assert monitoring.bulletin(campaign, DAY, number=first).number == first


def test_operation_report_list_exports_to_xlsx_in_scope(world, svc, campaign, client_for):
    import io

    import openpyxl

    def sheet(user):
        r = client_for(user).get(reverse("service:campaign_list"), {"export": "xlsx"})
        assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
        ws = openpyxl.load_workbook(io.BytesIO(b"".join(r.streaming_content) if r.streaming else r.content)).active
        return [[c for c in row] for row in ws.iter_rows(values_only=True)]

    rows = sheet(world.users.zone)
    line = next(r for r in rows if "重点企业每日运行情况" in r)
    assert world.zones.a1.name in line and "2026-11-01 – 2026-11-21" in line and 2 in line
    assert not any("重点企业每日运行情况" in r for r in sheet(world.users.other_zone))
    assert AuditEntry.objects.filter(code="service.campaigns.exported").count() == 2
