"""Policy tasks: the seed's unit notation, progress reports by the task's units only (another unit's
task is 404), lights, scorecards from configurable rules (a missing indicator gives the default),
ranking and publishing, and the 调度 document."""

import datetime as dt
import time
from decimal import Decimal

import pytest
from django.utils import timezone

from zonebook.accounts.units import add_member, create_unit
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import DomainError
from zonebook.investment import policy
from zonebook.investment.models import PolicyTask, ProgressReport, Scorecard, ScoringRule
from zonebook.notify import lights

D = dt.date
pytestmark = pytest.mark.django_db

SEED_LINE = (
    "1.大力承接加工贸易产业转移。……（责任单位：商务厅，省投资促进局、省发展改革委、省经济和信息化委、"
    "成都海关、四川出入境检验检疫局。列首位的为牵头单位，下同。）"
)


def test_units_notation_of_the_sichuan_opinions():
    assert policy.parse_units(SEED_LINE) == (
        ["商务厅"],
        ["省投资促进局", "省发展改革委", "省经济和信息化委", "成都海关", "四川出入境检验检疫局"],
    )
    two_leads = "2.推动……（责任单位：省投资促进局、商务厅，省发展改革委、省政府口岸物流办）"
    assert policy.parse_units(two_leads) == (["省投资促进局", "商务厅"], ["省发展改革委", "省政府口岸物流办"])
    assert policy.parse_units("没有单位") == ([], [])


@pytest.fixture
def tasks(world):
    admin = world.users.admin
    dept = create_unit({"name": "四川省商务厅", "kind": "commerce_dept", "province_code": "510000"}, by=admin)
    ndrc = create_unit({"name": "省发展改革委", "kind": "other_body", "province_code": "510000"}, by=admin)
    customs = create_unit({"name": "成都海关", "kind": "customs", "province_code": "510000"}, by=admin)
    add_member(dept, world.users.province, by=admin)
    add_member(ndrc, world.users.city, by=admin)
    doc = policy.create_document(
        {
            "title": "关于促进加工贸易创新发展的实施意见",
            "issuer": "四川省人民政府",
            "issued_on": D(2016, 6, 1),
        },
        by=world.users.province,
    )
    t1 = policy.add_task(
        doc,
        {"number": "二-1", "text": "大力承接加工贸易产业转移", "recurrence": "monthly"},
        lead_units=[dept],
        responsible_units=[ndrc, customs],
        indicators=[("pt_trade", "加工贸易进出口", Decimal(500), "亿美元")],
        by=admin,
    )
    t2 = policy.add_task(
        doc,
        {"number": "二-2", "text": "加快产业集聚区建设", "deadline": D(2025, 6, 30)},
        lead_units=[ndrc],
        responsible_units=[customs],
        by=admin,
    )
    return type(
        "T",
        (),
        {"doc": doc, "t1": t1, "t2": t2, "dept": dept, "ndrc": ndrc, "customs": customs, "world": world},
    )


def test_report_for_another_units_task_is_404(tasks, client_for):
    # the city user belongs to the NDRC, which is not a unit of a task of its own → page and API 404
    t3 = policy.add_task(
        tasks.doc, {"number": "二-3", "text": "品牌战略"}, lead_units=[tasks.dept], by=tasks.world.users.admin
    )
    c = client_for(tasks.world.users.city)
    assert c.get(f"/investment/tasks/{t3.pk}/report/").status_code == 404
    assert (
        c.post(
            f"/investment/tasks/{t3.pk}/report/", {"unit": tasks.dept.pk, "period": "2025-05-01", "text": "x"}
        ).status_code
        == 404
    )
    api = c.post(
        f"/api/investment/tasks/{t3.pk}/report/",
        {"unit": tasks.dept.pk, "period": "2025-05-01", "text": "x"},
        content_type="application/json",
    )
    assert api.status_code == 404
    with pytest.raises(DomainError):
        policy.submit_report(t3, tasks.dept, period=D(2025, 5, 1), text="x", by=tasks.world.users.city)
    assert not ProgressReport.objects.exists()
    # its own unit's task: accepted (page), figures kept
    r = c.post(
        f"/investment/tasks/{tasks.t2.pk}/report/",
        {"unit": tasks.ndrc.pk, "period": timezone.localdate().isoformat(), "text": "已完成选址"},
    )
    assert r.status_code == 302
    report = ProgressReport.objects.get()
    assert report.unit == tasks.ndrc
    # the issuing office returns it with a reason; the unit may report the month again
    assert (
        c.post(f"/investment/tasks/{tasks.t2.pk}/reports/{report.pk}/return/", {"reason": "x"}).status_code
        == 403
    )
    prov = client_for(tasks.world.users.province)
    assert (
        prov.post(
            f"/investment/tasks/{tasks.t2.pk}/reports/{report.pk}/return/", {"reason": "数据不完整"}
        ).status_code
        == 302
    )
    report.refresh_from_db()
    assert report.status == "returned"
    c = client_for(tasks.world.users.city)
    r = c.post(
        f"/investment/tasks/{tasks.t2.pk}/report/",
        {"unit": tasks.ndrc.pk, "period": timezone.localdate().isoformat(), "text": "补充完整"},
    )
    assert r.status_code == 302 and ProgressReport.objects.get().status == "submitted"


def test_out_of_scope_task_is_404(tasks, client_for):
    c = client_for(tasks.world.users.other_province)
    assert c.get(f"/investment/tasks/{tasks.t1.pk}/").status_code == 404
    assert c.get(f"/api/investment/tasks/{tasks.t1.pk}/").status_code == 404


def test_task_lights_from_the_deadline_and_the_reports(tasks):
    t2 = tasks.t2
    assert policy.task_light(t2, D(2025, 7, 1)) == lights.OVERDUE
    assert policy.task_light(t2, D(2025, 6, 28)) == lights.RED
    assert policy.task_light(t2, D(2025, 6, 20)) == lights.AMBER
    assert policy.task_light(t2, D(2025, 5, 1)) == lights.GREEN
    t1 = tasks.t1  # monthly, due on the 28th until all three units reported
    assert policy.task_light(t1, D(2025, 5, 27)) == lights.RED
    units = {tasks.dept.pk, tasks.ndrc.pk, tasks.customs.pk}
    assert policy.task_light(t1, D(2025, 5, 27), reported_units=units, unit_ids=units) == lights.GREEN


def test_scorecards_rules_missing_indicator_default_rank_publish(tasks):
    admin, prov, city = tasks.world.users.admin, tasks.world.users.province, tasks.world.users.city
    at = lambda d: timezone.make_aware(dt.datetime.combine(d, dt.time(10)))  # noqa: E731
    policy.submit_report(
        tasks.t1,
        tasks.dept,
        period=D(2025, 1, 1),
        text="一月进展",
        figures={tasks.t1.indicators.get(): Decimal(200)},
        by=prov,
        now=at(D(2025, 1, 20)),
    )
    policy.submit_report(
        tasks.t1,
        tasks.dept,
        period=D(2025, 2, 1),
        text="二月进展",
        figures={tasks.t1.indicators.get(): Decimal(250)},
        by=prov,
        now=at(D(2025, 3, 5)),
    )  # late
    policy.submit_report(
        tasks.t1, tasks.ndrc, period=D(2025, 1, 1), text="配合", by=city, now=at(D(2025, 1, 10))
    )
    PolicyTask.objects.filter(pk=tasks.t2.pk).update(done=True)
    for code, kind, mx, ind, default in (
        ("ON_TIME", "on_time", 40, "", 0),
        ("DONE", "completed_tasks", 30, "", 30),
        ("PT", "indicator", 30, "pt_trade", 12),
        ("MISSING", "indicator", 10, "no_such_indicator", 4),
    ):
        ScoringRule.objects.create(
            year=2025,
            province_code="510000",
            code=code,
            name=code,
            kind=kind,
            max_score=Decimal(mx),
            indicator_code=ind,
            default_score=Decimal(default),
        )
    cards = policy.compute_scorecards(2025, by=prov, today=D(2025, 3, 31))
    by_unit = {c.unit_id: c for c in cards}
    dept = by_unit[tasks.dept.pk]
    lines = {ln.rule.code: ln for ln in dept.lines.all()}
    # monthly task, Jan–Mar due (28th): 3 expected, 1 on time → 40 × 1/3
    assert lines["ON_TIME"].score == Decimal("13.33")
    assert lines["DONE"].score == Decimal(30)  # no task of its own due this year → the rule's default
    assert lines["PT"].score == Decimal("15.00")  # latest 250 of 500 → 30 × 50 %
    assert lines["MISSING"].score == Decimal(4) and "no_such_indicator" in lines["MISSING"].reason
    assert dept.total == Decimal("62.33")
    ndrc = Scorecard.objects.get(unit=tasks.ndrc)
    ndrc_lines = {ln.rule.code: ln.score for ln in ndrc.lines.all()}
    # t1 monthly (3 due) + t2 due in June (not yet) → 1 of 3 on time; t2 done → 30; the task's figure counts
    assert ndrc_lines == {
        "ON_TIME": Decimal("13.33"),
        "DONE": Decimal("30.00"),
        "PT": Decimal("15.00"),
        "MISSING": Decimal("4.00"),
    }
    policy.add_adjustment(ndrc, score=Decimal(-2), reason="报送材料弄虚作假", by=prov)
    ndrc.refresh_from_db()
    dept.refresh_from_db()
    assert ndrc.total == Decimal("60.33") and (dept.rank, ndrc.rank) == (1, 2)
    with pytest.raises(DomainError):
        policy.publish(2025, by=prov)  # drafts left
    for card in Scorecard.objects.filter(year=2025):
        policy.review(card, by=prov)
    assert policy.publish(2025, by=prov) == 3
    with pytest.raises(DomainError):
        policy.add_adjustment(ndrc, score=Decimal(1), reason="x", by=prov)
    assert admin


def test_dispatch_document_for_100_tasks(tasks):
    admin = tasks.world.users.admin
    for i in range(98):
        policy.add_task(
            tasks.doc,
            {"number": f"三-{i}", "text": f"任务{i}", "deadline": D(2030, 1, 1)},
            lead_units=[tasks.dept],
            responsible_units=[tasks.customs],
            by=admin,
        )
    policy.submit_report(
        tasks.t2, tasks.ndrc, period=timezone.localdate(), text="已完成选址", by=tasks.world.users.city
    )
    start = time.perf_counter()
    doc = policy.dispatch_document(
        tasks.doc, policy.tasks_with_lights(tasks.doc.tasks.order_by("id")), office="四川省商务厅"
    )
    elapsed = time.perf_counter() - start
    table = doc.sections[1].blocks[0]
    assert len(table.rows) == 100
    row = next(r for r in table.rows if r[1] == "加快产业集聚区建设")
    assert row[2] == "省发展改革委" and row[3] == "成都海关" and "已完成选址" in row[6]
    assert "100" in doc.sections[0].blocks[0].text
    assert elapsed < 2


def test_dispatch_docx_of_100_tasks_downloads(tasks, client_for):
    admin = tasks.world.users.admin
    for i in range(98):
        policy.add_task(
            tasks.doc,
            {"number": f"三-{i}", "text": f"推进任务{i}", "deadline": D(2030, 1, 1)},
            lead_units=[tasks.dept],
            responsible_units=[tasks.customs],
            by=admin,
        )
    c = client_for(tasks.world.users.province)
    start = time.perf_counter()
    r = c.get(f"/investment/policies/{tasks.doc.pk}/dispatch/")
    elapsed = time.perf_counter() - start
    assert r.status_code == 200
    body = b"".join(r.streaming_content) if r.streaming else r.content
    assert body[:2] == b"PK"  # a .docx (zip)
    import io
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(body)).read("word/document.xml").decode()
    assert "推进任务97" in xml and "成都海关" in xml
    assert elapsed < 10
    assert c.get(f"/investment/policies/{tasks.doc.pk}/dispatch/?format=rtf").status_code == 404
    # another province's user does not see the document
    assert (
        client_for(tasks.world.users.other_province)
        .get(f"/investment/policies/{tasks.doc.pk}/dispatch/")
        .status_code
        == 404
    )


def _xlsx_rows(client, url, params):
    import io

    import openpyxl

    r = client.get(url, params)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/vnd.openxmlformats")
    data = b"".join(r.streaming_content) if r.streaming else r.content
    return [list(row) for row in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)]


def test_policy_document_and_scorecard_lists_export_to_xlsx_in_scope(tasks, client_for):
    prov = client_for(tasks.world.users.province)
    rows = _xlsx_rows(prov, "/investment/policies/", {"export": "xlsx"})
    assert any("关于促进加工贸易创新发展的实施意见" in r for r in rows)
    other = _xlsx_rows(client_for(tasks.world.users.other_province), "/investment/policies/", {"export": "xlsx"})
    assert not any("关于促进加工贸易创新发展的实施意见" in r for r in other)
    ScoringRule.objects.create(year=2025, code="ON_TIME", name="按时报送", kind="on_time", max_score=40,
                               province_code="510000")
    policy.compute_scorecards(2025, by=tasks.world.users.province, today=D(2025, 3, 31))
    cards = _xlsx_rows(client_for(tasks.world.users.admin), "/investment/scorecards/", {"year": 2025, "export": "xlsx"})
    assert any("四川省商务厅" in r for r in cards), cards
    assert AuditEntry.objects.filter(code__in=["investment.policydocument.exported",
                                               "investment.scorecard.exported"]).count() == 3
