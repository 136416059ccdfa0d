"""What every page shows a person: names, not codes; numbers that read as numbers; each sentence
once; the job page's state and times; the import progress through the check and the write."""

from __future__ import annotations

import glob
from decimal import Decimal
from pathlib import Path

import pytest
from django.utils import translation

from zonebook.core.formatting import money, money_by_currency, number, quantity, wan_yuan
from zonebook.jobs.models import Job

ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


# ------------------------------------------------------------------ numbers (pure)


def test_quantity_shows_the_decimals_the_value_needs_with_thousands_separators():
    assert quantity(Decimal("252.00000")) == "252"
    assert quantity(Decimal("0.02000")) == "0.02"
    assert quantity(Decimal("1234567.50000")) == "1,234,567.5"
    assert quantity(Decimal("-9744.38461")) == "-9,744.38461"
    assert quantity(Decimal("1.005025126")) == "1.005025126"  # never rounded
    assert quantity(Decimal("-0.00000")) == "0"
    assert quantity(Decimal("1E+3")) == "1,000"
    assert quantity(12345) == "12,345"
    assert quantity(None) == "—"


def test_money_has_two_decimals_and_its_currency():
    assert money(Decimal("3150"), "USD") == "3,150.00 USD"
    assert money(Decimal("12043033.785"), "CNY") == "12,043,033.79 CNY"  # half up, Decimal-exact
    assert money(Decimal("0.005")) == "0.01"
    assert number(Decimal("99999999999999999.99"), 2) == "99,999,999,999,999,999.99"  # no float on the way


def test_wan_yuan_and_totals_split_by_currency():
    with translation.override("zh-hans"):
        assert wan_yuan(Decimal("12043033.78")) == "1,204.30 万元"
        assert wan_yuan(Decimal("250000000")) == "2.50 亿元"
        assert wan_yuan(Decimal("9999.5")) == "9,999.50 元"
        assert wan_yuan(Decimal("6891882.7"), "USD", "美元") == "689.19 万美元"
    with translation.override("en"):
        assert wan_yuan(Decimal("12043033.78")) == "12,043,033.78 CNY"
    assert money_by_currency([("USD", Decimal(10)), ("CNY", 5), ("USD", Decimal("1.5"))]) == [
        ("CNY", Decimal(5)),
        ("USD", Decimal("11.5")),
    ]


# ------------------------------------------------------------------ names, not codes


@pytest.mark.django_db
def test_scopes_show_region_names_not_codes(world, client):
    client.force_login(world.users.province)
    home = client.get("/", **ZH).content.decode()
    assert "您的数据范围：四川省" in home and "510000" not in home
    client.force_login(world.users.city)
    home = client.get("/", **ZH).content.decode()
    assert "成都市" in home and "510100" not in home


@pytest.mark.django_db
def test_users_page_and_region_dropdowns_show_names(world, client):
    client.force_login(world.users.admin)
    page = client.get("/accounts/users/", **ZH).content.decode()
    assert "四川省" in page and "成都市" in page and ">510000<" not in page
    form = client.get("/accounts/users/new/", **ZH).content.decode()
    assert '<option value="510000">四川省</option>' in form
    assert '<option value="510100">成都市</option>' in form


@pytest.mark.django_db
def test_zone_pages_show_city_and_type_names(world, client):
    from zonebook.registry.models import Code

    ftz = Code.objects.get(table__key="zone_type", code="FTZ")
    world.zones.a1.kind = ftz
    world.zones.a1.save()
    client.force_login(world.users.province)
    page = client.get("/registry/zones/", **ZH).content.decode()
    assert ">综合保税区</option>" in page and "FTZ 综合保税区" not in page
    assert '<option value="510100">成都市</option>' in page
    assert "成都市 510100" not in page
    detail = client.get(f"/registry/zones/{world.zones.a1.pk}/", **ZH).content.decode()
    assert "四川省 / 成都市" in detail


@pytest.mark.django_db
def test_enterprise_dropdowns_show_names_without_the_code_prefix(world, client):
    client.force_login(world.users.province)
    page = client.get("/registry/enterprises/", **ZH).content.decode()
    assert ">外商独资</option>" in page and "WFOE 外商独资" not in page


# ------------------------------------------------------------------ each sentence once


def test_no_translation_says_its_sentence_twice():
    root = Path(__file__).resolve().parents[2]
    import polib

    doubled = []
    for path in sorted(glob.glob(str(root / "*" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"))):
        for entry in polib.pofile(path):
            for text in [entry.msgstr, *entry.msgstr_plural.values()]:
                if len(text) > 20 and text.find(text[:10], 5) > 0:
                    doubled.append((Path(path).parts[-5], entry.msgid[:60]))
    assert doubled == []


def test_demo_documents_read_naturally():
    from zonebook.registry import demo as load_demo

    texts = [t for t in _strings(load_demo.ZONES) + _strings(load_demo.PARKS) if t]
    assert not [t for t in texts if "plausible" in t or "[" in t]
    statuses = [e[2] for z in load_demo.ZONES for e in z[-1]]
    assert all(not n or len(n) > 2 for n in statuses)


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.mark.django_db
def test_plausibility_value_column_is_not_called_duty_paid_value(world, client):
    client.force_login(world.users.province)
    page = client.get("/alerts/plausibility/", **ZH).content.decode()
    assert "完税价格" not in page


# ------------------------------------------------------------------ the job page


def _done_job(job, **_params):
    return {}


@pytest.mark.django_db
def test_job_page_says_finished_with_times_and_the_kind_in_words(
    world, client, settings, django_capture_on_commit_callbacks
):
    from zonebook.jobs import services

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    client.force_login(world.users.zone)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = services.start_job(
            "import.enterprises",
            "导入企业",
            world.users.zone,
            "zonebook.core.tests.test_page_text._done_job",
        )
    page = client.get(f"/jobs/{job.pk}/", **ZH).content.decode()
    assert "排队中" in page and "导入：企业" in page and "import.enterprises" not in page
    # the whole status block polls, not only the bar
    assert f"/jobs/{job.pk}/progress/?detail=1" in page
    callbacks[0]()
    job.refresh_from_db()
    block = client.get(f"/jobs/{job.pk}/progress/?detail=1", **ZH).content.decode()
    assert "已完成" in block and "排队中" not in block and "hx-trigger" not in block
    assert job.started_at and job.finished_at
    started = job.started_at.astimezone().strftime("%Y-%m-%d")
    assert block.count(started) >= 3  # created, started and finished, none left as "—"
    assert 'id="job-started">—' not in block and 'id="job-finished">—' not in block
    listing = client.get("/jobs/", **ZH).content.decode()
    assert "导入：企业" in listing and "<code>import.enterprises</code>" not in listing


@pytest.mark.django_db
def test_import_progress_moves_during_the_check_and_the_write(tmp_path, monkeypatch):
    """A write job's bar covers both passes: the check reports rows checked, the write rows
    checked + rows written (before: nothing moved during the write, then 100 %)."""
    from zonebook.accounts.testing import user_for
    from zonebook.core.imports.kinds import get_kind
    from zonebook.core.tests.test_imports import HEAD, row, xlsx
    from zonebook.imports.jobs import run_import_job
    from zonebook.jobs import services
    from zonebook.registry.models import Enterprise
    from zonebook.registry.testing import ZoneFactory, code

    zone = ZoneFactory(name="成都高新综合保税区", short_name="高新综保区", province_code="510000", city_code="510100")
    code("industry", "3971", "电子元件及电子专用材料制造")
    code("currency", "CNY", "人民币")
    user = user_for("zone", zone)
    monkeypatch.setattr(get_kind("enterprises"), "batch_size", 2)
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    seen: list[tuple[int, int]] = []
    real = services.progress

    def spy(job, done, total=None, **kw):
        real(job, done, total, **kw)
        seen.append((job.done, job.total))

    monkeypatch.setattr(services, "progress", spy)
    path = xlsx(tmp_path, [HEAD] + [row(name=f"进度测试企业{i}") for i in range(6)])
    job = Job.objects.create(kind="import.enterprises", label="t", created_by=user)
    with translation.override("en"):
        result = run_import_job(job, kind="enterprises", path=str(path), filename=path.name, write=True)
    assert result["created"] == 6 and Enterprise.objects.filter(name__startswith="进度测试企业").count() == 6
    assert {t for _d, t in seen} == {12}  # 6 rows checked + 6 rows written
    dones = [d for d, _t in seen]
    assert any(0 < d < 6 for d in dones)  # during the check
    assert any(6 < d < 12 for d in dones)  # during the write
    assert dones[-1] == 12 and dones == sorted(dones)
    job.refresh_from_db()
    with translation.override("en"):
        assert job.progress_text == "writing 6 of 6 rows"
        job.state = Job.State.SUCCEEDED
        assert job.progress_text == "6 rows checked and written"


def _seen_from_outside(job_id: int) -> int | None:
    """The progress another process (the progress page) sees right now."""
    from django.db import DEFAULT_DB_ALIAS, connection, connections

    from zonebook.jobs.services import read_live_progress

    if connection.vendor == "postgresql":
        other = connections.create_connection(DEFAULT_DB_ALIAS)
        try:
            with other.cursor() as cursor:
                cursor.execute(f"SELECT done FROM {Job._meta.db_table} WHERE id = %s", [job_id])
                row = cursor.fetchone()
                return row[0] if row else None
        finally:
            other.close()
    live = read_live_progress(job_id)
    return live[0] if live else None


@pytest.mark.django_db(transaction=True)
def test_write_progress_is_visible_while_the_import_transaction_is_open(tmp_path, monkeypatch):
    from django.db import connection

    from zonebook.accounts.testing import user_for
    from zonebook.core.imports.kinds import get_kind
    from zonebook.core.tests.test_imports import HEAD, row, xlsx
    from zonebook.imports.jobs import run_import_job
    from zonebook.jobs import services
    from zonebook.registry.testing import ZoneFactory, code

    zone = ZoneFactory(name="成都高新综合保税区", short_name="高新综保区", province_code="510000", city_code="510100")
    code("industry", "3971", "电子元件及电子专用材料制造")
    code("currency", "CNY", "人民币")
    user = user_for("zone", zone)
    monkeypatch.setattr(get_kind("enterprises"), "batch_size", 2)
    monkeypatch.setattr(services, "PROGRESS_INTERVAL", 0)
    job = Job.objects.create(kind="import.enterprises", label="t", created_by=user, state=Job.State.RUNNING)
    outside: list[tuple[int, int | None]] = []
    real = services.progress

    def spy(j, done, total=None, **kw):
        real(j, done, total, **kw)
        if connection.in_atomic_block:
            outside.append((j.done, _seen_from_outside(j.pk)))

    monkeypatch.setattr(services, "progress", spy)
    path = xlsx(tmp_path, [HEAD] + [row(name=f"可见进度企业{i}") for i in range(6)])
    with translation.override("en"):
        result = run_import_job(job, kind="enterprises", path=str(path), filename=path.name, write=True)
    assert result["created"] == 6
    during = [(d, seen) for d, seen in outside if 6 < d < 12]
    assert during and all(seen == d for d, seen in during)
