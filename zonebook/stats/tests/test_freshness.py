"""Figures kept current (issue 20, recompute triggers): an accepted return recomputes its year in the
same transaction; an import asks for a background recomputation job (created in the import's
transaction, linked from the import page); pages say when figures are being updated."""

import datetime as dt
import io
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import translation

from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.jobs import services as job_services
from zonebook.jobs.models import Job
from zonebook.stats import freshness, services
from zonebook.stats.models import Entity, Figure, ReportForm

from .conftest import ind
from .test_collection import HEAD, full_values

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def setup(world):
    z = world.zones
    sc = Entity.objects.create(code="P510000", name="四川省", level="province", province_code="510000", region="west")
    ents = {k: services.ensure_entity_for_zone(getattr(z, k), parent=sc, code=k.upper()) for k in ("a1", "a2", "b1", "c1")}
    form = ReportForm.objects.get(code="ZONE_MONTHLY")
    rp = services.open_period(form, dt.date(2026, 3, 1))
    return dict(world=world, ents=ents, form=form, rp=rp, sc=sc)


def _customs(tmp_path, text, user):
    p = tmp_path / "customs.csv"
    p.write_text(HEAD + text, encoding="utf-8")
    return pipeline.run(get_kind("stats_customs"), p, p.name, user, mode="update")


def test_accepted_return_recomputes_its_year_in_the_same_transaction(setup):
    u = setup["world"].users
    a1 = setup["ents"]["a1"]
    sub = services.get_or_create_submission(setup["rp"], a1, by=u.zone)
    services.save_values(sub, full_values(), by=u.zone)
    services.submit(sub, by=u.zone)
    services.review(sub, approve=True, by=u.city)
    assert not Figure.objects.filter(entity=a1).exists()
    services.review(sub, approve=True, by=u.province)
    f = Figure.objects.get(entity=a1, indicator=ind("TRADE_USD"), ym=2026 * 12 + 2, basis="cum")
    assert f.value == D("47.5")
    # the month derived from the cumulative (March = cum(Mar) − cum(Feb) is unknown; January–March: no
    # earlier cumulative, so only what the return gives) and no job was needed
    assert not Job.objects.filter(kind=freshness.KIND).exists()


def test_customs_import_starts_one_recompute_job_for_the_years_it_wrote(setup, tmp_path, client_for):
    u = setup["world"].users
    r = _customs(tmp_path, "A1,2026-02,累计,美元,,17.4,30.1,47.5\nA2,2025-12,累计,美元,,1,2,3\n", u.province)
    assert r.ok, r.errors
    job = Job.objects.get(kind=freshness.KIND)
    assert job.params == {"years": [2025, 2026], "after_import": "stats_customs"} and job.state == "queued"
    assert job.created_by == u.province
    assert not Figure.objects.exists()
    # the pages say the figures are being updated, with the job's link for the user who may open it
    r = client_for(u.province).get(reverse("stats:dashboard"))
    assert r.context["freshness"]["state"] == "queued" and r.context["freshness"]["job"] == job
    assert reverse("jobs:detail", args=[job.pk]) in r.content.decode()
    other = client_for(u.city).get(reverse("stats:ranking"))
    assert other.context["freshness"]["job"] is None and other.context["freshness"]["years"] == [2025, 2026]
    # the job recomputes with a progress bar; then the pages are current
    job_services.execute(job.pk)
    job.refresh_from_db()
    assert job.state == "succeeded" and job.done == job.total == 1
    assert Figure.objects.get(entity=setup["ents"]["a1"], indicator=ind("TRADE_USD"), ym=2026 * 12 + 1,
                              basis="cum").value == D("47.5")
    assert freshness.status(u.province) is None
    assert client_for(u.province).get(reverse("stats:dashboard")).context["freshness"] is None


def test_failed_recompute_is_shown_and_a_refused_import_leaves_no_job(setup, tmp_path):
    u = setup["world"].users
    r = _customs(tmp_path, "A1,2026-02,累计,美元,,17.4,30.1,50\n", u.province)  # total ≠ parts
    assert not r.ok and not Job.objects.filter(kind=freshness.KIND).exists()
    job = Job.objects.create(kind=freshness.KIND, label="x", state=Job.State.FAILED, params={"years": [2026]},
                             created_by=u.province)
    assert freshness.status(u.province)["state"] == "failed"
    Job.objects.create(kind=freshness.KIND, label="y", state=Job.State.SUCCEEDED, created_by=u.province)
    assert freshness.status(u.province) is None and job.pk


def test_unchanged_import_asks_for_no_recompute(setup, tmp_path):
    u = setup["world"].users
    assert _customs(tmp_path, "A1,2026-02,累计,美元,,17.4,30.1,47.5\n", u.province).ok
    Job.objects.filter(kind=freshness.KIND).update(state=Job.State.SUCCEEDED)
    assert _customs(tmp_path, "A1,2026-02,累计,美元,,17.4,30.1,47.5\n", u.province).ok
    assert Job.objects.filter(kind=freshness.KIND).count() == 1


def test_import_page_links_the_recompute_job(setup, client_for, settings):
    u = setup["world"].users
    c = client_for(u.province)
    f = io.BytesIO((HEAD + "A1,2026-02,累计,美元,,17.4,30.1,47.5\n").encode())
    f.name = "customs.csv"
    r = c.post(reverse("imports:upload", args=["stats_customs"]), {"file": f, "mode": "update"})
    assert r.status_code == 302
    r = c.post(r["Location"], follow=True)
    job = Job.objects.get(kind=freshness.KIND)
    texts = [str(m) for m in r.context["messages"]]
    assert any(reverse("jobs:detail", args=[job.pk]) in t for t in texts), texts
    # the import page's recent jobs list it too
    r = c.get(reverse("imports:index"))
    assert job in list(r.context["recent"])


def test_nightly_full_recompute_is_a_registered_schedule():
    from zonebook.jobs.schedules import all_schedules

    s = next(s for s in all_schedules() if s.name == "stats.recompute")
    assert s.func_path == freshness.FUNC


# --- totals and peers (stats_values) -------------------------------------------------------------------------

VHEAD = "单位代码,月份,指标代码,口径,数值,单位,来源\n"


def _values(tmp_path, text, user, mode="update"):
    p = tmp_path / "values.csv"
    p.write_text(VHEAD + text, encoding="utf-8")
    return pipeline.run(get_kind("stats_values"), p, p.name, user, mode=mode)


def test_totals_and_peers_import_by_the_province_then_recompute(setup, tmp_path):
    from zonebook.audit.models import AuditEntry
    from zonebook.stats.models import Observation

    u = setup["world"].users
    cn = Entity.objects.create(code="CN", name="全国", level="nation")
    Entity.objects.filter(pk=setup["sc"].pk).update(parent=cn)
    peer = Entity.objects.create(code="SZ-IP", name="苏州工业园综保区", level="zone", parent=None, province_code="320000",
                                 region="east", zone_type="FTZ")
    text = ("CN,2026-02,TRADE_USD,累计,10000,亿美元,海关总署\nP510000,2026-02,TRADE_USD,累计,200,,\n"
            "SZ-IP,2026-02,TRADE_USD,累计,300,,\n")
    r = _values(tmp_path, text, u.province)
    assert r.ok, r.errors
    assert Observation.objects.get(entity=cn).source_ref == "海关总署" and peer.observations.get().value == D(300)
    job = Job.objects.get(kind=freshness.KIND)
    assert job.params["years"] == [2026] and job.params["after_import"] == "stats_values"
    job_services.execute(job.pk)
    share = Figure.objects.get(entity=setup["sc"], indicator=ind("TRADE_USD"), ym=2026 * 12 + 1, basis="cum").share_pct
    assert share == D(2)  # 200 of the nation's 10,000
    # a re-sent month replaces with audit, never a duplicate
    r = _values(tmp_path, "CN,2026-02,TRADE_USD,累计,10050,,\n", u.province)
    assert r.ok and r.changed_rows == 1
    o = Observation.objects.get(entity=cn)
    assert o.value == D(10050) and AuditEntry.objects.filter(code="stats.observation.replaced", object_id=str(o.pk)).exists()


def test_values_import_refuses_wrong_unit_other_scope_and_computed(setup, tmp_path):
    u = setup["world"].users
    Entity.objects.create(code="CN", name="全国", level="nation")
    r = _values(tmp_path, "A1,2026-02,TRADE_USD,累计,47500,万美元,\n", u.province)
    (e,) = r.errors
    assert e.row == 2 and e.column == "单位" and "亿美元" in e.reason
    # a city (or a zone) may not write the nation's totals; a zone may not write another zone's values
    r = _values(tmp_path, "CN,2026-02,TRADE_USD,累计,1,,\n", u.city)
    assert not r.ok and "not in your scope" in r.errors[0].reason
    r = _values(tmp_path, "B1,2026-02,TRADE_USD,累计,1,,\n", u.zone)
    assert not r.ok and r.errors[0].row == 2 and "not in your scope" in r.errors[0].reason
    r = _values(tmp_path, "A1,2026-02,HTME_SHARE,累计,1,,\n", u.zone)
    assert not r.ok and "computed" in r.errors[0].reason
