"""Bulk import of returns (``stats_returns``): the rules of direct reporting as row errors naming row,
column and reason; imported returns enter city → province review; a re-sent month replaces the values
with audit, never a duplicate; scope."""

import datetime as dt
from decimal import Decimal as D

import openpyxl
import pytest
from django.utils import translation

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.stats import services
from zonebook.stats.models import (
    Entity,
    Observation,
    ReportForm,
    ReportFormLine,
    Submission,
    SubmissionStatus,
    SubmissionValue,
)

from .conftest import ind, obs

pytestmark = pytest.mark.django_db

HEAD = "单位代码,月份,指标代码,口径,数值,说明,单位已核实\n"
FULL = {
    "TRADE_USD": ("cum", "47.5"), "EXPORT_USD": ("cum", "17.4"), "IMPORT_USD": ("cum", "30.1"),
    "REVENUE_CNY": ("cum", "120"), "VA_CNY": ("cum", "53"), "FDI_USD": ("cum", "1200"),
    "EMPLOYEES": ("month", "15000"), "ACTIVE_ENT": ("month", "80"),
}


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def setup(world):
    z = world.zones
    sc = Entity.objects.create(code="P510000", name="四川省", level="province", province_code="510000", region="west")
    ents = {k: services.ensure_entity_for_zone(getattr(z, k), parent=sc, code=k.upper()) for k in ("a1", "a2", "b1", "c1")}
    return dict(world=world, ents=ents, sc=sc, form=ReportForm.objects.get(code="ZONE_MONTHLY"))


def lines(entity="A1", period="2026-03", over=None, extra=""):
    vals = dict(FULL)
    vals.update(over or {})
    return "".join(f"{entity},{period},{code},{'累计' if b == 'cum' else '当月'},{v},,\n"
                   for code, (b, v) in vals.items()) + extra


def run(tmp_path, text, user, mode="update", name="returns.csv"):
    p = tmp_path / name
    p.write_text(HEAD + text, encoding="utf-8")
    return pipeline.run(get_kind("stats_returns"), p, p.name, user, mode=mode)


def sub_of(entity):
    return Submission.objects.get(entity=entity, report_period__period=dt.date(2026, 3, 1))


def test_imported_return_enters_review_flagged_late(setup, tmp_path):
    u = setup["world"].users
    r = run(tmp_path, lines() + lines("A2"), u.province)
    assert r.ok, r.errors
    sub = sub_of(setup["ents"]["a1"])
    # submitted for city review (not official yet), late: the 2026-03 return was due in April
    assert sub.status == SubmissionStatus.SUBMITTED and sub.late and sub.submitted_by == u.province
    assert sub.values.get(indicator=ind("TRADE_USD"), basis="cum").value == D("47.5")
    assert not Observation.objects.filter(entity=setup["ents"]["a1"]).exists()
    assert AuditEntry.objects.filter(code="stats.submission.submitted", object_id=str(sub.pk)).exists()
    services.review(sub, approve=True, by=u.city)
    services.review(sub, approve=True, by=u.province)
    assert Observation.objects.get(entity=setup["ents"]["a1"], indicator=ind("TRADE_USD"), basis="cum").value == D("47.5")


def test_resent_month_replaces_values_with_audit_never_duplicates(setup, tmp_path):
    u = setup["world"].users
    assert run(tmp_path, lines(), u.zone).ok
    sub = sub_of(setup["ents"]["a1"])
    r = run(tmp_path, lines(over={"EXPORT_USD": ("cum", "18.0"), "TRADE_USD": ("cum", "48.1")}), u.zone)
    assert r.ok, r.errors
    assert (r.new_rows, r.changed_rows, r.unchanged_rows) == (0, 2, 6)
    assert SubmissionValue.objects.filter(submission=sub).count() == 8
    sv = SubmissionValue.objects.get(submission=sub, indicator=ind("TRADE_USD"))
    assert sv.value == D("48.1")
    entry = AuditEntry.objects.get(code="stats.submission.value_replaced", object_id=str(sv.pk))
    assert entry.changes["value"] == ["47.5000", "48.1000"]
    # the same file again writes nothing
    before = AuditEntry.objects.count()
    r = run(tmp_path, lines(over={"EXPORT_USD": ("cum", "18.0"), "TRADE_USD": ("cum", "48.1")}), u.zone)
    assert r.ok and r.unchanged_rows == 8 and AuditEntry.objects.count() == before


def test_create_mode_refuses_a_month_reported_already(setup, tmp_path):
    u = setup["world"].users
    assert run(tmp_path, lines(), u.zone).ok
    r = run(tmp_path, lines(), u.zone, mode="create")
    assert not r.ok and r.errors[0].row == 2 and "reported already" in r.errors[0].reason


def test_total_must_equal_parts_naming_row_and_column(setup, tmp_path):
    u = setup["world"].users
    r = run(tmp_path, lines(over={"TRADE_USD": ("cum", "50")}), u.zone)
    assert not r.ok
    (e,) = r.errors
    assert e.row == 2 and e.column == "数值" and "not the sum of its parts" in e.reason
    assert not Submission.objects.exists()


def test_jump_needs_an_explanation_and_wrong_unit_asks(setup, tmp_path):
    u = setup["world"].users
    a1 = setup["ents"]["a1"]
    obs(a1, "REVENUE_CNY", 2025, 3, "cum", "100")
    obs(a1, "VA_CNY", 2025, 3, "cum", "53")
    text = lines(over={"REVENUE_CNY": ("cum", "180"), "VA_CNY": ("cum", "530000")})
    r = run(tmp_path, text, u.zone)
    by_col = {e.column: e for e in r.errors}
    assert set(by_col) == {"说明", "单位已核实"}
    assert by_col["说明"].row == 5 and "please explain" in by_col["说明"].reason
    assert by_col["单位已核实"].row == 6 and "元/万元/亿元" in by_col["单位已核实"].reason
    text = text.replace("REVENUE_CNY,累计,180,,", "REVENUE_CNY,累计,180,新企业投产,").replace(
        "VA_CNY,累计,530000,,", "VA_CNY,累计,530000,,是")
    r = run(tmp_path, text, u.zone)
    assert r.ok, r.errors
    sv = SubmissionValue.objects.get(indicator=ind("REVENUE_CNY"))
    assert sv.explanation == "新企业投产"
    assert SubmissionValue.objects.get(indicator=ind("VA_CNY")).unit_confirmed


def test_month_above_cumulative(setup, tmp_path):
    ReportFormLine.objects.create(form=setup["form"], indicator=ind("TRADE_USD"), basis="month", required=False)
    r = run(tmp_path, lines(extra="A1,2026-03,TRADE_USD,当月,60,,\n"), setup["world"].users.zone)
    (e,) = r.errors
    assert e.row == 10 and e.column == "数值" and "exceeds its year-to-date value" in e.reason


def test_required_value_missing_names_the_first_row_of_the_return(setup, tmp_path):
    vals = lines().splitlines(keepends=True)
    r = run(tmp_path, "".join(v for v in vals if ",FDI_USD," not in v), setup["world"].users.zone)
    (e,) = r.errors
    assert e.row == 2 and "is required" in e.reason and "2026-03" in e.reason


def test_fullwidth_digits_excel_serial_and_chinese_months(setup, tmp_path):
    u = setup["world"].users
    text = lines(period="46082", over={"TRADE_USD": ("cum", "４７.５")}) + lines("A2", period="2026年3月")
    r = run(tmp_path, text, u.province)
    assert r.ok, r.errors
    assert SubmissionValue.objects.get(submission=sub_of(setup["ents"]["a1"]), indicator=ind("TRADE_USD")).value == D("47.5")
    assert sub_of(setup["ents"]["a2"]).values.count() == 8


def test_excel_file_with_date_cells(setup, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD.strip().split(","))
    for code, (b, v) in FULL.items():
        ws.append(["A1", dt.datetime(2026, 3, 1), code, "累计" if b == "cum" else "当月", float(v), None, None])
    p = tmp_path / "returns.xlsx"
    wb.save(p)
    r = pipeline.run(get_kind("stats_returns"), p, p.name, setup["world"].users.zone, mode="update")
    assert r.ok, r.errors
    assert sub_of(setup["ents"]["a1"]).values.count() == 8


def test_unknown_codes_and_cumulative_only_as_monthly(setup, tmp_path):
    u = setup["world"].users
    text = "NOPE,2026-03,TRADE_USD,累计,1,,\nA1,2026-03,NO_SUCH,累计,1,,\nA1,2026-03,VA_CNY,当月,1,,\nA1,2026-13,TRADE_USD,累计,1,,\n"
    r = run(tmp_path, text, u.zone)
    got = {(e.row, e.column): e.reason for e in r.errors}
    assert "Unknown entity code" in got[(2, "单位代码")]
    assert "Unknown indicator" in got[(3, "指标代码")]
    assert "year-to-date only" in got[(4, "口径")]
    assert "YYYY-MM" in got[(5, "月份")]


def test_zone_user_importing_another_zones_rows_is_refused_naming_the_row(setup, tmp_path):
    u = setup["world"].users
    r = run(tmp_path, lines() + lines("B1"), u.zone)
    assert not r.ok
    rows = {e.row for e in r.errors}
    assert rows == set(range(10, 18)) and all("not in your scope" in e.reason for e in r.errors)
    assert not Submission.objects.exists()  # all or nothing


def test_a_return_under_province_review_is_not_replaced(setup, tmp_path):
    u = setup["world"].users
    assert run(tmp_path, lines(), u.zone).ok
    services.review(sub_of(setup["ents"]["a1"]), approve=True, by=u.city)
    r = run(tmp_path, lines(over={"EMPLOYEES": ("month", "15100")}), u.zone)
    (e,) = r.errors
    assert e.row == 2 and "return it for correction" in e.reason
    # returned for correction: the re-sent month replaces it and goes to review again
    services.review(sub_of(setup["ents"]["a1"]), approve=False, reason="从业人员有误", by=u.province)
    r = run(tmp_path, lines(over={"EMPLOYEES": ("month", "15100")}), u.zone)
    assert r.ok, r.errors
    sub = sub_of(setup["ents"]["a1"])
    assert sub.status == SubmissionStatus.SUBMITTED and sub.return_reason == ""


def test_batches_run_a_fixed_number_of_queries(setup, tmp_path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    u = setup["world"].users
    assert run(tmp_path, lines("A2", period="2026-02"), u.province).ok  # caches warmed (content types)
    counts = []
    for entities, period in ((("A1",), "2026-03"), (("A1", "A2", "B1"), "2026-04")):
        with CaptureQueriesContext(connection) as c:
            assert run(tmp_path, "".join(lines(e, period=period) for e in entities), u.province).ok
        counts.append(len(c.captured_queries))
    assert counts[0] == counts[1]  # three returns of 8 values cost what one does
