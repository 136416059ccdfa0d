"""Collection: direct reporting with validation and review, customs import, provenance (issue 20 §2
and its bad-input list)."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone, translation

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import messages as msg
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.notify.models import Notification
from zonebook.stats import jobs, services
from zonebook.stats.models import Entity, Observation, ReportForm, SubmissionStatus

from .conftest import ind, obs

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup(world):
    z = world.zones
    sc = Entity.objects.create(code="P510000", name="四川省", level="province", province_code="510000", region="west")
    ents = {
        k: services.ensure_entity_for_zone(getattr(z, k), parent=sc, code=k.upper()) for k in ("a1", "a2", "b1", "c1")
    }
    form = ReportForm.objects.get(code="ZONE_MONTHLY")
    rp = services.open_period(form, dt.date(2026, 3, 1))
    return dict(world=world, ents=ents, form=form, rp=rp, sc=sc)


def full_values(over=None):
    vals = {
        ("TRADE_USD", "cum"): "47.5", ("EXPORT_USD", "cum"): "17.4", ("IMPORT_USD", "cum"): "30.1",
        ("REVENUE_CNY", "cum"): "120", ("VA_CNY", "cum"): "53", ("FDI_USD", "cum"): "1200",
        ("EMPLOYEES", "month"): "15000", ("ACTIVE_ENT", "month"): "80",
    }
    vals.update(over or {})
    return {k: {"value": v} for k, v in vals.items()}


def test_due_date_from_the_sla_calendar(setup):
    # 2026-03-31 (Tue) + 5 working days -> 2026-04-08 (Qingming 04-04..06 are holidays) or a provisional date
    rp = setup["rp"]
    assert rp.due_date > dt.date(2026, 4, 6) and rp.due_date <= dt.date(2026, 4, 10)


def test_submit_city_province_and_official_values(setup):
    u = setup["world"].users
    sub = services.get_or_create_submission(setup["rp"], setup["ents"]["a1"], by=u.zone)
    services.save_values(sub, full_values(), by=u.zone)
    services.submit(sub, by=u.zone, now=timezone.make_aware(dt.datetime(2026, 4, 2, 10)))
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.SUBMITTED and not sub.late
    with pytest.raises(PermissionDenied):
        services.review(sub, approve=True, by=u.zone)  # a zone cannot review its own return
    services.review(sub, approve=True, by=u.city)
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.CITY_APPROVED
    with pytest.raises(PermissionDenied):
        services.review(sub, approve=True, by=u.city)  # only the province accepts
    services.review(sub, approve=True, by=u.province)
    o = Observation.objects.get(entity=setup["ents"]["a1"], indicator=ind("TRADE_USD"), basis="cum")
    assert o.value == D("47.5") and o.provenance == "submitted"


def test_return_for_correction_notifies_and_reopens(setup):
    u = setup["world"].users
    sub = services.get_or_create_submission(setup["rp"], setup["ents"]["a1"], by=u.zone)
    services.save_values(sub, full_values(), by=u.zone)
    services.submit(sub, by=u.zone)
    with pytest.raises(ValidationError):
        services.review(sub, approve=False, reason="  ", by=u.city)  # a reason is required
    services.review(sub, approve=False, reason="出口数与海关统计不符", by=u.city)
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.RETURNED and sub.return_reason == "出口数与海关统计不符"
    assert Notification.objects.filter(recipient=u.zone, kind="stats.returned").exists()
    services.save_values(sub, full_values({("EXPORT_USD", "cum"): "17.4"}), by=u.zone)  # editable again
    services.submit(sub, by=u.zone)


def test_late_submission_is_accepted_and_flagged(setup):
    u = setup["world"].users
    sub = services.get_or_create_submission(setup["rp"], setup["ents"]["a1"], by=u.zone)
    services.save_values(sub, full_values(), by=u.zone)
    services.submit(sub, by=u.zone, now=timezone.make_aware(dt.datetime(2026, 4, 20, 9)))
    sub.refresh_from_db()
    assert sub.status == SubmissionStatus.SUBMITTED and sub.late


def test_imports_plus_exports_must_equal_total(setup):
    u = setup["world"].users
    sub = services.get_or_create_submission(setup["rp"], setup["ents"]["a1"], by=u.zone)
    services.save_values(sub, full_values({("TRADE_USD", "cum"): "50"}), by=u.zone)
    issues = services.validate(sub)
    assert [i.code for i in issues if i.blocking] == ["parts"]
    with pytest.raises(ValidationError, match="not the sum of its parts"):
        services.submit(sub, by=u.zone)


def test_required_and_range(setup):
    u = setup["world"].users
    sub = services.get_or_create_submission(setup["rp"], setup["ents"]["a1"], by=u.zone)
    services.save_values(sub, full_values({("EMPLOYEES", "month"): "-5", ("VA_CNY", "cum"): ""}), by=u.zone)
    codes = {(i.indicator, i.code) for i in services.validate(sub)}
    assert ("EMPLOYEES", "range") in codes and ("VA_CNY", "required") in codes


def test_wrong_unit_asks_and_jump_needs_explanation(setup):
    u = setup["world"].users
    a1 = setup["ents"]["a1"]
    obs(a1, "REVENUE_CNY", 2025, 3, "cum", "120")  # last year, 亿元
    obs(a1, "FDI_USD", 2025, 3, "cum", "1000")
    sub = services.get_or_create_submission(setup["rp"], a1, by=u.zone)
    # revenue given in 万元 instead of 亿元 (×10⁴); FDI +80 % against last year
    services.save_values(sub, full_values({("REVENUE_CNY", "cum"): "1250000", ("FDI_USD", "cum"): "1800"}), by=u.zone)
    issues = {i.code: i for i in services.validate(sub)}
    assert "元/万元/亿元" in issues["magnitude"].message and not issues["magnitude"].blocking
    assert issues["jump"].indicator == "FDI_USD" and "80.0" in issues["jump"].message
    with pytest.raises(ValidationError):
        services.submit(sub, by=u.zone)
    data = full_values({("REVENUE_CNY", "cum"): "1250000", ("FDI_USD", "cum"): "1800"})
    data[("REVENUE_CNY", "cum")]["unit_confirmed"] = True
    data[("FDI_USD", "cum")]["explanation"] = "新增外资项目到资"
    services.save_values(sub, data, by=u.zone)
    services.submit(sub, by=u.zone)


def test_cumulative_only_indicator_given_as_monthly(setup):
    with pytest.raises(ValidationError, match="year-to-date only"):
        services.record_observation(setup["ents"]["a1"], ind("VA_CNY"), dt.date(2026, 3, 1), "month", D(5),
                                    provenance="submitted")
    u = setup["world"].users
    sub = services.get_or_create_submission(setup["rp"], setup["ents"]["a1"], by=u.zone)
    with pytest.raises(ValidationError, match="year-to-date only"):
        services.save_values(sub, {("VA_CNY", "month"): {"value": "5"}}, by=u.zone)


def test_zone_user_cannot_submit_for_another_zone(setup):
    u = setup["world"].users
    with pytest.raises(Http404):
        services.get_or_create_submission(setup["rp"], setup["ents"]["b1"], by=u.zone)
    other = services.get_or_create_submission(setup["rp"], setup["ents"]["b1"], by=u.other_zone)
    with pytest.raises(Http404):
        services.save_values(other, full_values(), by=u.zone)
    with pytest.raises(Http404):
        services.submit(other, by=u.zone)


def test_who_has_not_reported_and_reminders(setup):
    u = setup["world"].users
    sub = services.get_or_create_submission(setup["rp"], setup["ents"]["a1"], by=u.zone)
    services.save_values(sub, full_values(), by=u.zone)
    services.submit(sub, by=u.zone)
    missing = [e.code for e in services.not_reported(setup["rp"], u.province)]
    assert missing == ["A2", "B1"]  # c1 is in another province
    assert [e.code for e in services.not_reported(setup["rp"], u.other_province)] == ["C1"]
    n = jobs.send_reminders(today=setup["rp"].due_date)
    assert n > 0
    assert Notification.objects.filter(recipient=u.other_zone, kind="stats.reminder").exists()
    assert not Notification.objects.filter(recipient=u.zone, kind="stats.reminder").exists()
    assert jobs.send_reminders(today=setup["rp"].due_date) == 0  # once a day


# --- customs statistics import ------------------------------------------------------------------------------

HEAD = "单位代码,月份,口径,币制,监管方式,出口,进口,进出口\n"


def _run(tmp_path, text, user, name="customs.csv", mode="update"):
    p = tmp_path / name
    p.write_text(HEAD + text, encoding="utf-8")
    return pipeline.run(get_kind("stats_customs"), p, p.name, user, mode=mode)


def test_customs_import_and_resent_month_replaces_with_audit(setup, tmp_path):
    u = setup["world"].users
    r = _run(tmp_path, "A1,2026-02,累计,美元,,17.4,30.1,47.5\nA1,2026-02,累计,人民币,,120.0,210.0,330.0\n", u.province)
    assert r.ok, r.errors
    a1 = setup["ents"]["a1"]
    assert Observation.objects.get(entity=a1, indicator=ind("TRADE_USD"), basis="cum").value == D("47.5")
    assert Observation.objects.get(entity=a1, indicator=ind("TRADE_CNY"), basis="cum").value == D("330")
    r = _run(tmp_path, "A1,2026-02,累计,美元,,18.0,30.1,48.1\n", u.province)
    assert r.ok, r.errors
    rows = Observation.objects.filter(entity=a1, indicator=ind("TRADE_USD"), basis="cum")
    assert rows.count() == 1 and rows.get().value == D("48.1") and rows.get().provenance == "imported"
    entry = AuditEntry.objects.filter(code="stats.observation.replaced", object_id=str(rows.get().pk)).get()
    assert entry.changes["value"] == ["47.5000", "48.1000"]


def test_customs_import_trade_modes_sum_and_bad_code(setup, tmp_path):
    u = setup["world"].users
    r = _run(tmp_path, "A1,2026-02,当月,美元,0110,1.0,2.0,3.0\nA1,2026-02,当月,美元,5000,4.0,5.0,\n", u.province)
    assert r.ok, r.errors
    assert Observation.objects.get(entity=setup["ents"]["a1"], indicator=ind("TRADE_USD"), basis="month").value == D(12)
    r = _run(tmp_path, "A1,2026-03,当月,美元,9999,1.0,2.0,3.0\n", u.province)
    assert not r.ok and "not in the code table" in r.errors[0].reason


def test_customs_import_total_mismatch_and_scope(setup, tmp_path):
    u = setup["world"].users
    r = _run(tmp_path, "A1,2026-02,累计,美元,,17.4,30.1,50\n", u.province)
    assert not r.ok and "differ from the total" in r.errors[0].reason
    r = _run(tmp_path, "C1,2026-02,累计,美元,,1,1,2\n", u.province)  # another province's zone
    assert not r.ok and "not in your scope" in r.errors[0].reason


def test_customs_resent_month_with_changed_amounts_updates_with_audit_nothing_duplicated(setup, tmp_path):
    u = setup["world"].users
    a1 = setup["ents"]["a1"]
    month = "A1,2026-03,当月,美元,0110,1.0,2.0,3.0\nA1,2026-03,当月,美元,5000,4.0,5.0,9.0\n"
    first = _run(tmp_path, month, u.province)
    assert first.ok and (first.new_rows, first.changed_rows) == (2, 0), first.errors
    assert Observation.objects.filter(entity=a1, ym=2026 * 12 + 2).count() == 3  # EXPORT, IMPORT, TRADE
    audits = AuditEntry.objects.count()
    resent = "A1,2026-03,当月,美元,0110,1.5,2.0,3.5\nA1,2026-03,当月,美元,5000,4.0,5.0,9.0\n"
    preview = pipeline.check(get_kind("stats_customs"), _file(tmp_path, resent), "r.csv", u.province, mode="update")
    assert preview.ok and (preview.new_rows, preview.changed_rows, preview.unchanged_rows) == (0, 2, 0)
    shown = [(c["before"], c["after"]) for c in preview.changes[0]["changes"]]
    assert shown == [("5", "5.5"), ("12", "12.5")], preview.changes  # exports and the total
    assert preview.changes[0]["key"] == "A1 2026-03 month USD"
    r = _run(tmp_path, resent, u.province, "r.csv")
    assert r.ok, r.errors
    assert Observation.objects.filter(entity=a1, ym=2026 * 12 + 2).count() == 3
    values = dict(
        Observation.objects.filter(entity=a1, ym=2026 * 12 + 2).values_list("indicator__code", "value")
    )
    assert values == {"EXPORT_USD": D("5.5"), "IMPORT_USD": D("7"), "TRADE_USD": D("12.5")}
    # EXPORT and TRADE changed (IMPORT did not): one audit entry each, with before/after
    new = AuditEntry.objects.filter(pk__gt=AuditEntry.objects.order_by("pk")[audits - 1].pk if audits else 0)
    assert sorted(e.changes["value"][1] for e in new.filter(code="stats.observation.replaced")) == [
        "12.5000",
        "5.5000",
    ]
    assert AuditEntry.objects.count() == audits + 2


def _file(tmp_path, text, name="r.csv"):
    p = tmp_path / name
    p.write_text(HEAD + text, encoding="utf-8")
    return p


def test_customs_unchanged_month_writes_nothing_and_no_audit(setup, tmp_path):
    u = setup["world"].users
    month = "A1,2026-04,累计,人民币,,120.0,210.0,330.0\nA2,2026-04,累计,人民币,,1,2,3\n"
    assert _run(tmp_path, month, u.province).ok
    audits, stored = AuditEntry.objects.count(), list(Observation.objects.values_list("pk", "value", "updated_at"))
    r = _run(tmp_path, month, u.province, "again.csv")
    assert r.ok and (r.new_rows, r.changed_rows, r.unchanged_rows, r.written) == (0, 0, 2, 0)
    assert AuditEntry.objects.count() == audits
    assert list(Observation.objects.values_list("pk", "value", "updated_at")) == stored


def test_customs_create_mode_refuses_an_imported_month_naming_the_row(setup, tmp_path):
    u = setup["world"].users
    assert _run(tmp_path, "A1,2026-05,当月,美元,,1,2,3\n", u.province).ok
    r = _run(tmp_path, "A2,2026-05,当月,美元,,1,2,3\nA1,2026-05,当月,美元,,1,3,4\n", u.province, "c.csv", mode="create")
    assert not r.ok and [(e.row, e.column) for e in r.errors] == [(3, "月份")]
    assert str(msg.UPDATE_HINT) in r.errors[0].reason
    assert Observation.objects.filter(ym=2026 * 12 + 4).count() == 3  # nothing written


def test_customs_import_replaces_a_derived_value(setup, tmp_path):
    u = setup["world"].users
    a1 = setup["ents"]["a1"]
    obs(a1, "TRADE_USD", 2026, 1, "month", "5")
    obs(a1, "TRADE_USD", 2026, 2, "month", "6")
    services.recompute()
    assert Observation.objects.get(entity=a1, indicator=ind("TRADE_USD"), basis="cum", ym=2026 * 12 + 1).provenance == "derived"
    r = _run(tmp_path, "A1,2026-02,累计,美元,,4,7.2,11.2\n", u.province)
    assert r.ok and r.changed_rows == 1, r.errors
    o = Observation.objects.get(entity=a1, indicator=ind("TRADE_USD"), basis="cum", ym=2026 * 12 + 1)
    assert (o.provenance, o.value, o.fx_rate) == ("imported", D("11.2"), None)
    entry = AuditEntry.objects.get(code="stats.observation.replaced", object_id=str(o.pk))
    assert entry.changes["provenance"] == ["derived", "imported"]
    services.recompute()
    o.refresh_from_db()
    assert (o.provenance, o.value) == ("imported", D("11.2"))  # the official value stays


def _customs_update_queries(setup, tmp_path, n, year):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    u = setup["world"].users
    months = [f"{year + m // 12}-{m % 12 + 1:02d}" for m in range(n)]
    assert _run(tmp_path, "".join(f"A1,{m},当月,美元,,1,2,3\n" for m in months), u.province, f"q{n}.csv").ok
    changed = "".join(f"A1,{m},当月,美元,,2,2,4\n" for m in months)
    with CaptureQueriesContext(connection) as ctx:
        r = _run(tmp_path, changed, u.province, f"q{n}b.csv")
    assert r.ok and r.changed_rows == n, r.errors
    return len(ctx.captured_queries)


def test_customs_update_path_runs_no_query_per_row(setup, tmp_path):
    small = _customs_update_queries(setup, tmp_path, 3, 2010)
    large = _customs_update_queries(setup, tmp_path, 40, 2014)
    assert small <= large <= small + 4, (small, large)


def test_official_value_replaces_derived_but_not_the_reverse(setup):
    a1 = setup["ents"]["a1"]
    obs(a1, "TRADE_USD", 2026, 1, "month", "5")
    obs(a1, "TRADE_USD", 2026, 2, "month", "6")
    services.recompute()
    derived = Observation.objects.get(entity=a1, indicator=ind("TRADE_USD"), basis="cum", ym=2026 * 12 + 1)
    assert derived.provenance == "derived" and derived.value == D(11)
    with pytest.raises(ValidationError):
        services.record_observation(a1, ind("TRADE_USD"), dt.date(2026, 2, 1), "cum", D(1), provenance="derived")
    services.record_observation(a1, ind("TRADE_USD"), dt.date(2026, 2, 1), "cum", D("11.2"), provenance="imported")
    services.recompute()
    o = Observation.objects.get(entity=a1, indicator=ind("TRADE_USD"), basis="cum", ym=2026 * 12 + 1)
    assert o.provenance == "imported" and o.value == D("11.2")


def test_trade_provider_for_key_enterprise_tiers(setup):
    from zonebook.core import modules
    from zonebook.stats.providers import trade_for_tiers

    e = setup["world"].enterprises.a1
    ent = Entity.objects.create(code="E1", name=e.name, level="enterprise", enterprise=e, parent=setup["ents"]["a1"],
                                province_code="510000", city_code="510100")
    for m in range(1, 13):
        obs(ent, "TRADE_USD", 2025, m, "month", "0.25")  # 0.25 亿美元 = USD 25 m a month
    assert trade_for_tiers([e.pk], dt.date(2026, 1, 15)) == {e.pk: D("300000000.00")}
    assert trade_for_tiers([e.pk], dt.date(2026, 2, 15)) == {}  # 2026-01 unknown: no 12 full months
    path = modules.get("zonebook.stats").extra["service.trade_provider"]
    assert modules.resolve(path) is trade_for_tiers
