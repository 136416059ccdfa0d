"""Shipped code tables: loaded by migration, upserted set-based by ``manage.py load_codes``."""

import datetime as dt
import io
import json
import shutil

import pytest
from django.core.management import CommandError, call_command

from zonebook.audit.models import AuditEntry
from zonebook.registry.management.commands.load_codes import FIXTURES_DIR, load_code_tables
from zonebook.registry.models import Code, CodeTable


def codes(table, **kw):
    return Code.objects.filter(table__key=table, **kw)


def test_migration_loaded_every_table_with_version_and_source(db):
    tables = {t.key: t for t in CodeTable.objects.all()}
    assert set(tables) >= {
        "region",
        "industry",
        "country",
        "currency",
        "unit",
        "customs_office",
        "zone_type",
        "ownership",
        "credit_class",
    }
    assert tables["industry"].version == "GB/T 4754-2017"
    assert all(t.version and t.source for t in tables.values())


def test_regions(db):
    assert codes("region", level=1).count() == 34
    sichuan = codes("region", parent__code="510000")
    assert sichuan.count() == 21
    assert sichuan.get(code="510100").name == "成都市"
    for province, n in (("500000", 2), ("430000", 14), ("370000", 17)):
        assert codes("region", parent__code=province).count() == n
    assert codes("region", code="371200").get().valid_to == dt.date(2019, 1, 9)  # 莱芜 merged into 济南


def test_industries_have_four_linked_levels(db):
    assert codes("industry", level=1).count() == 20
    assert codes("industry", level=2).count() == 97
    ic = codes("industry", code="3973").select_related("parent__parent__parent").get()
    assert ic.name == "集成电路制造"
    assert [ic.parent.code, ic.parent.parent.code, ic.parent.parent.parent.code] == ["397", "39", "C"]
    for division in ("13", "14", "18", "39"):
        groups = codes("industry", level=3, parent__code=division)
        assert groups.exists()
        assert codes("industry", level=4, parent__in=groups).exists()
    # every class sits under its group, every group under its division
    for c in codes("industry", level__gte=3).select_related("parent"):
        assert c.code.startswith(c.parent.code)


def test_countries_currencies_units_offices(db):
    assert codes("country").count() >= 60
    for alpha3 in ("CHN", "HKG", "MAC", "TWN", "USA", "JPN", "KOR", "DEU", "SGP"):
        assert codes("country", code=alpha3).exists()
    usa = codes("country", code="USA").get()
    assert usa.extra == {"alpha2": "US", "numeric": "840", "customs": "502"}
    cny = codes("currency", code="CNY").get()
    assert (cny.extra["numeric"], cny.extra["customs"]) == ("156", "142")
    assert codes("unit").count() >= 30
    assert codes("unit", code="035").get().name == "千克"
    assert codes("customs_office", code="7900").get().name == "成都关区"
    assert codes("customs_office", parent__code="7900").count() >= 5
    assert codes("customs_office", code="7908").get().extra["uncertain"] is True


def test_zone_types_ownership_credit_classes(db):
    assert codes("zone_type").count() == 10
    assert codes("zone_type", code="FTZ").get().extra["special_supervision"] is True
    assert codes("zone_type", code="ETDZ").get().extra["special_supervision"] is False
    assert codes("ownership").count() == 9
    legacy = codes("credit_class", code="AEO_GEN").get()
    assert legacy.valid_to == dt.date(2021, 11, 1)
    assert set(codes("credit_class").values_list("code", flat=True)) == {
        "AEO_ADV",
        "AEO_GEN",
        "GENERAL",
        "DISHONEST",
    }


def test_load_codes_is_an_idempotent_upsert_and_audited(db):
    before = Code.objects.count()
    Code.objects.filter(table__key="region", code="510100").update(name="成都")
    out = io.StringIO()
    call_command("load_codes", stdout=out)
    assert Code.objects.count() == before
    assert codes("region", code="510100").get().name == "成都市"
    assert "region          created    0  updated    1" in out.getvalue()
    assert AuditEntry.objects.filter(code="registry.codetable.loaded", changes__updated=1).count() == 1

    out = io.StringIO()
    call_command("load_codes", "industry", stdout=out)
    assert "created    0  updated    0  unchanged  233" in out.getvalue()


def test_load_is_set_based(db, django_assert_max_num_queries):
    for level in (4, 3, 2):  # parents are protected: delete from the leaves up
        Code.objects.filter(table__key="industry", level=level).delete()
    # 1 table upsert (+savepoints), 1 read, per level 1 bulk insert (+ bulk update): independent of row count
    with django_assert_max_num_queries(16):
        (result,) = load_code_tables(CodeTable, Code, keys=["industry"])
    assert (result.created, result.updated) == (213, 0)


def test_bad_fixture_names_file_and_code(db, tmp_path):
    for f in FIXTURES_DIR.glob("code_*"):
        shutil.copy(f, tmp_path / f.name)
    with (tmp_path / "code_region.csv").open("a", encoding="utf-8") as fh:
        fh.write("519900,不存在市,,599999,2,,,\n")
    with pytest.raises(ValueError, match=r"code_region.csv: code 519900: parent 599999"):
        load_code_tables(CodeTable, Code, keys=["region"], fixtures_dir=tmp_path)
    assert not Code.objects.filter(code="519900").exists()
    with pytest.raises(CommandError, match="unknown code table"):
        call_command("load_codes", "nonsense")
    meta = json.loads((tmp_path / "code_tables_meta.json").read_text(encoding="utf-8"))
    assert set(meta) - {"_format"} <= set(CodeTable.objects.values_list("key", flat=True))


def test_too_long_values_fail_on_every_database(db, tmp_path):
    for f in FIXTURES_DIR.glob("code_*"):
        shutil.copy(f, tmp_path / f.name)
    meta = json.loads((tmp_path / "code_tables_meta.json").read_text(encoding="utf-8"))
    meta["unit"]["version"] = "x" * 41
    (tmp_path / "code_tables_meta.json").write_text(json.dumps(meta), encoding="utf-8")
    with pytest.raises(ValueError, match="table unit: version is longer than 40 characters"):
        load_code_tables(CodeTable, Code, keys=["unit"], fixtures_dir=tmp_path)
