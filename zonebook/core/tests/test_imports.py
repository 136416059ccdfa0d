"""The import pipeline on a corpus of good and bad files (built here, no binary fixtures).

Every bad file asserts the exact error (row, column, reason) and that nothing was written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.utils import translation

from zonebook.accounts.testing import user_for
from zonebook.audit.models import AuditEntry
from zonebook.core.errors import RowError
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.jobs.models import Job
from zonebook.registry.models import Enterprise, EnterpriseStatusEvent, Zone
from zonebook.registry.testing import EnterpriseFactory, ZoneFactory, code, next_uscc

HEAD = [
    "企业名称",
    "统一社会信用代码",
    "所在区域",
    "行业代码",
    "注册资本",
    "币种",
    "成立日期",
    "加工贸易",
    "状态",
]
ENTERPRISES = get_kind("enterprises")
ZONES = get_kind("zones")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def client(client):
    """Pages in English, so that assertions read the source strings."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture(autouse=True)
def immediate_tasks(settings, tmp_path):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def setup(db):
    zone = ZoneFactory(
        name="成都高新综合保税区", short_name="高新综保区", province_code="510000", city_code="510100"
    )
    code("industry", "3971", "电子元件及电子专用材料制造")
    code("currency", "CNY", "人民币")
    code("region", "510000", "四川省")
    code("region", "510100", "成都市")
    code("region", "500000", "重庆市")
    code("zone_type", "FTZ", "综合保税区")
    code("customs_office", "7901", "成都海关")
    return zone


def row(
    name="甲电子有限公司",
    uscc=None,
    zone="高新综保区",
    industry="3971",
    capital="1,000,000.00",
    currency="CNY",
    established="2020-05-01",
    processing="是",
    status="投产",
):
    return [name, uscc or next_uscc(), zone, industry, capital, currency, established, processing, status]


def xlsx(tmp_path, rows, name="data.xlsx", merge=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    for r in rows:
        ws.append(r)
    for rng in merge or []:
        ws.merge_cells(rng)
    path = tmp_path / name
    wb.save(path)
    return path


def csv_file(tmp_path, rows, encoding="utf-8", name="data.csv"):
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path = tmp_path / name
    path.write_bytes(buf.getvalue().encode(encoding))
    return path


def counts():
    return Enterprise.objects.count(), AuditEntry.objects.count(), Zone.objects.count()


def run(path, user=None, kind=ENTERPRISES):
    return pipeline.run(kind, path, path.name, user)


def assert_nothing_written(before, result):
    assert result.written == 0
    assert counts() == before


# -- happy paths ------------------------------------------------------------------------------


def test_happy_path_writes_every_row_with_one_audit_entry_each(setup, tmp_path):
    user = user_for("zone", setup)
    before = counts()
    path = xlsx(tmp_path, [HEAD] + [row(name=f"企业{i}") for i in range(5)])
    result = run(path, user)
    assert result.errors == []
    assert (result.rows, result.written) == (5, 5)
    assert counts() == (before[0] + 5, before[1] + 5, before[2])
    entries = AuditEntry.objects.filter(code="registry.enterprise.imported")
    assert entries.count() == 5
    e = Enterprise.objects.get(name="企业0")
    entry = entries.get(object_id=str(e.pk))
    assert (entry.actor, entry.action, entry.zone_id, entry.province_code) == (
        user,
        "create",
        setup.pk,
        "510000",
    )
    assert entry.changes["name"] == [None, "企业0"]
    assert e.registered_capital == Decimal("1000000.00")
    assert e.established == dt.date(2020, 5, 1)
    assert e.processing_trade is True and e.status == "operating"
    assert e.industry.code == "3971" and e.capital_currency.code == "CNY"
    assert EnterpriseStatusEvent.objects.filter(enterprise=e, status="operating").count() == 1


def test_zone_import(setup, tmp_path):
    head = [
        "区域名称",
        "简称",
        "区域类型",
        "级别",
        "省份",
        "城市",
        "规划面积",
        "批复文号",
        "批复日期",
        "主管海关",
    ]
    path = xlsx(
        tmp_path,
        [
            head,
            [
                "成都国际铁路港综合保税区",
                "铁路港综保区",
                "综合保税区",
                "国家级",
                "四川省",
                "510100",
                "3.56",
                "国函〔2019〕36号",
                "2019/4/1",
                "7901",
            ],
        ],
    )
    before = counts()
    result = run(path, user_for("province", "510000"), kind=ZONES)
    assert result.errors == [] and result.written == 1
    z = Zone.objects.get(name="成都国际铁路港综合保税区")
    assert (z.province_code, z.city_code, z.planned_area_km2, z.approval_date) == (
        "510000",
        "510100",
        Decimal("3.5600"),
        dt.date(2019, 4, 1),
    )
    assert z.kind.code == "FTZ" and z.customs_office.code == "7901" and z.status_events.count() == 1
    assert AuditEntry.objects.count() == before[1] + 1


def test_zone_outside_scope_and_city_mismatch(setup, tmp_path):
    head = ["区域名称", "简称", "区域类型", "省份", "城市"]
    path = xlsx(
        tmp_path,
        [
            head,
            ["重庆某综保区", "重庆综保区", "FTZ", "500000", "510100"],
            ["另一综保区", "另一", "FTZ", "510000", "510100"],
        ],
    )
    before = counts()
    result = run(path, user_for("province", "500000"), kind=ZONES)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "城市", "This city is not in the province given in this row."),
        (3, "省份", "Outside your scope: you may only add records in your own area."),
    ]
    assert_nothing_written(before, result)


def test_utf8_bom_csv(setup, tmp_path):
    path = csv_file(tmp_path, [HEAD, row(), row(name="乙")], encoding="utf-8-sig")
    result = run(path)
    assert result.errors == [] and result.written == 2


def test_gb18030_csv(setup, tmp_path):
    path = csv_file(
        tmp_path,
        [HEAD, row(name="成都甲电子有限公司"), row(name="成都乙精密制造有限公司")],
        encoding="gb18030",
    )
    result = run(path)
    assert result.errors == [] and result.written == 2
    assert Enterprise.objects.filter(name="成都乙精密制造有限公司").exists()


def test_english_headers_and_xls_like_aliases(setup, tmp_path):
    head = ["Name", "USCC", "Zone", "Registered capital", "Established"]
    path = xlsx(
        tmp_path, [head, ["Alpha Ltd", next_uscc(), "成都高新综合保税区", 12.5, dt.datetime(2021, 3, 4)]]
    )
    result = run(path)
    assert result.errors == [] and result.written == 1
    e = Enterprise.objects.get(name="Alpha Ltd")
    assert (e.registered_capital, e.established) == (Decimal("12.50"), dt.date(2021, 3, 4))


def test_merged_two_row_header(setup, tmp_path):
    # Row 1: "基本信息" merged over A-C, "注册资本" merged vertically over D1:D2, "成立日期" over E1:E2.
    rows = [
        ["基本信息", None, None, "注册资本", "成立日期"],
        ["企业名称", "统一社会信用代码", "所在区域", None, None],
        ["甲公司", next_uscc(), "高新综保区", "1,234.50", 45292],
        ["乙公司", "BAD", "高新综保区", "5", 45292],
    ]
    path = xlsx(tmp_path, rows, merge=["A1:C1", "D1:D2", "E1:E2"])
    before = counts()
    result = run(path)
    assert result.header_row == 2
    assert result.headers == ["企业名称", "统一社会信用代码", "所在区域", "注册资本", "成立日期"]
    assert [(e.row, e.column, e.value, e.reason) for e in result.errors] == [
        (4, "统一社会信用代码", "BAD", "A unified social credit code has exactly 18 characters."),
    ]
    assert_nothing_written(before, result)
    path = xlsx(tmp_path, rows[:3], merge=["A1:C1", "D1:D2", "E1:E2"], name="ok.xlsx")
    result = run(path)
    assert result.written == 1
    e = Enterprise.objects.get(name="甲公司")
    assert (e.registered_capital, e.established) == (Decimal("1234.50"), dt.date(2024, 1, 1))


def test_merged_header_with_combined_names(setup, tmp_path):
    # Top row "面积" merged over two columns whose lower cells are "规划" / "围网": matched as 规划面积/围网面积.
    head1 = ["区域名称", "简称", "区域类型", "省份", "城市", "面积", None]
    head2 = [None, None, None, None, None, "规划", "围网"]
    path = xlsx(
        tmp_path,
        [head1, head2, ["某综保区", "某", "FTZ", "510000", "510100", "1.5", "1.2"]],
        merge=["F1:G1", "A1:A2", "B1:B2", "C1:C2", "D1:D2", "E1:E2"],
    )
    result = pipeline.check(ZONES, path, path.name, None)
    assert result.errors == []
    assert result.headers[-2:] == ["面积 规划", "面积 围网"]


def test_full_width_digits_and_serial_dates(setup, tmp_path):
    uscc = next_uscc()
    full = uscc.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"})
    path = xlsx(
        tmp_path,
        [
            HEAD,
            row(uscc=full, capital="１，２３４．５０", established=45292),
            row(name="乙", established="2024年1月1日"),
            row(name="丙", established="2024/1/1"),
        ],
    )
    result = run(path)
    assert result.errors == [] and result.written == 3
    e = Enterprise.objects.get(uscc=uscc)
    assert (e.registered_capital, e.established) == (Decimal("1234.50"), dt.date(2024, 1, 1))
    assert set(Enterprise.objects.filter(name__in=["乙", "丙"]).values_list("established", flat=True)) == {
        dt.date(2024, 1, 1)
    }


# -- bad files --------------------------------------------------------------------------------


def test_shift_jis_csv_is_refused(setup, tmp_path):
    path = csv_file(tmp_path, [["会社名", "コード"], ["テスト株式会社", "ア"]], encoding="shift_jis")
    before = counts()
    result = run(path)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (
            None,
            "",
            "The file's text encoding is neither UTF-8 nor GB18030 (GBK); save it as CSV UTF-8 or as .xlsx "
            "and try again.",
        ),
    ]
    assert_nothing_written(before, result)


def test_random_bytes_csv_is_refused(setup, tmp_path):
    path = tmp_path / "noise.csv"
    path.write_bytes(bytes(range(256)) * 8)
    result = run(path)
    assert result.error_count == 1 and "neither UTF-8 nor GB18030" in result.errors[0].reason


def test_duplicates_inside_the_file(setup, tmp_path):
    uscc = next_uscc()
    path = xlsx(tmp_path, [HEAD, row(uscc=uscc), row(name="乙", uscc=uscc.lower())])
    before = counts()
    result = run(path)
    assert [(e.row, e.column, e.value, e.reason) for e in result.errors] == [
        (3, "统一社会信用代码", uscc.lower(), "Duplicate: the same value is already in row 2 of this file."),
    ]
    assert_nothing_written(before, result)


def test_duplicate_against_the_database(setup, tmp_path):
    existing = EnterpriseFactory(zone=setup)
    path = xlsx(tmp_path, [HEAD, row(), row(uscc=existing.uscc)])
    before = counts()
    result = run(path)
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (
            3,
            "统一社会信用代码",
            "Already exists: another enterprise has the same unified social credit code. To update existing "
            "records, upload the file again and choose “update existing ones”.",
        ),
    ]
    assert_nothing_written(before, result)


def test_missing_required_column(setup, tmp_path):
    path = xlsx(tmp_path, [["企业名称", "所在区域"], ["甲", "高新综保区"]])
    before = counts()
    result = run(path)
    assert [(e.row, e.column, e.value, e.reason) for e in result.errors] == [
        (1, "统一社会信用代码", "", "This required column is missing from the header row."),
    ]
    assert_nothing_written(before, result)


def test_missing_required_value_unknown_code_negative_capital_bad_checksum(setup, tmp_path):
    good = next_uscc()
    bad_check = good[:17] + ("0" if good[17] != "0" else "1")
    path = xlsx(
        tmp_path,
        [
            HEAD,
            row(),
            row(name=None),
            row(industry="9999"),
            row(capital="-100"),
            row(uscc=bad_check),
            row(zone="不存在的区"),
        ],
    )
    before = counts()
    result = run(path)
    assert [(e.row, e.column, e.value, e.reason) for e in result.errors] == [
        (3, "企业名称", "", "A value is required."),
        (
            4,
            "行业代码",
            "9999",
            "Unknown code “9999”: it is not in the code table “Industries (GB/T 4754-2017)”.",
        ),
        (5, "注册资本", "-100", "Must not be less than 0."),
        (
            6,
            "统一社会信用代码",
            bad_check,
            "The check character (18th) of this unified social credit code is wrong.",
        ),
        (7, "所在区域", "不存在的区", "No zone called “不存在的区” in your scope."),
    ]
    assert_nothing_written(before, result)


def test_zone_outside_the_users_scope_is_an_error(setup, tmp_path):
    other = ZoneFactory(name="绵阳综合保税区", short_name="绵阳综保区", city_code="510700")
    path = xlsx(tmp_path, [HEAD, row(zone=other.short_name)])
    result = run(path, user_for("zone", setup))
    assert [(e.row, e.column, e.reason) for e in result.errors] == [
        (2, "所在区域", "No zone called “绵阳综保区” in your scope."),
    ]


def test_zip_bomb_is_refused_before_parsing(setup, tmp_path, settings):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet>" + " " * (8 * 1024 * 1024) + "</worksheet>")
    assert path.stat().st_size < 100_000
    before = counts()
    result = run(path)
    assert len(result.errors) == 1
    err = result.errors[0]
    assert (err.row, err.column) == (None, "")
    assert err.reason.startswith("The part “xl/worksheets/sheet1.xml” of the workbook expands to 8.0\xa0MB (")
    assert "refused as unsafe" in err.reason
    assert_nothing_written(before, result)
    # the absolute limit applies too
    settings.IMPORT_MAX_UNCOMPRESSED_BYTES = 1000
    small = xlsx(tmp_path, [HEAD, row()], name="small.xlsx")
    assert "refused as unsafe" in run(small).errors[0].reason


def test_not_an_xlsx_renamed(setup, tmp_path):
    path = tmp_path / "fake.xlsx"
    path.write_text("name,uscc\n甲,123\n", encoding="utf-8")
    before = counts()
    result = run(path)
    assert [e.reason for e in result.errors] == [
        "The file is not a valid Excel workbook (.xlsx): it is not a zip archive or it is damaged. "
        "Open it in Excel and save it again as .xlsx, or save it as CSV."
    ]
    assert_nothing_written(before, result)


def test_corrupt_xlsx_inside_zip(setup, tmp_path):
    path = tmp_path / "corrupt.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types")
        zf.writestr("xl/worksheets/sheet1.xml", "<worksheet><sheetData><row>")
    result = run(path)
    assert [e.reason for e in result.errors] == [
        "The Excel workbook could not be read; it may be damaged. Open it in Excel and save it again."
    ]


def test_trailing_blank_rows_are_ignored(setup, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEAD)
    ws.append(row())
    for r in range(3, 30):  # formatted but empty rows, as Excel leaves them
        ws.cell(r, 1).value = "  "
        ws.cell(r, 5).number_format = "0.00"
    path = tmp_path / "blank.xlsx"
    wb.save(path)
    result = run(path)
    assert result.errors == [] and (result.rows, result.written) == (1, 1)
    path = csv_file(tmp_path, [HEAD, row(name="乙"), [""] * 9, [], [""] * 3])
    result = run(path)
    assert result.errors == [] and result.written == 1


def test_row_limit(setup, tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 2
    path = xlsx(tmp_path, [HEAD, row(), row(name="乙"), row(name="丙")])
    before = counts()
    result = run(path)
    assert [e.reason for e in result.errors] == [
        "The file has more than 2 data rows; split it into smaller files."
    ]
    assert_nothing_written(before, result)


def test_size_limit_and_wrong_type(setup, tmp_path, settings):
    settings.IMPORT_MAX_BYTES = 100
    path = xlsx(tmp_path, [HEAD, row()])
    result = run(path)
    assert result.errors[0].reason.startswith("The file is ") and "not accepted" in result.errors[0].reason
    txt = tmp_path / "data.pdf"
    txt.write_bytes(b"%PDF")
    assert run(txt).errors[0].reason == "Unsupported file type “.pdf”; upload an .xlsx, .xls or .csv file."


def test_no_header_row(setup, tmp_path):
    path = xlsx(tmp_path, [["foo", "bar"], ["1", "2"]])
    result = run(path)
    assert result.errors[0].reason.startswith("No header row found in the first 10 rows")


def test_error_in_a_later_batch_rolls_back_batches_already_written(setup, tmp_path, monkeypatch):
    """Batches are written as they validate; an error in a later one rolls back the earlier ones."""
    path = xlsx(tmp_path, [HEAD] + [row(name=f"企业{i}") for i in range(4)])
    monkeypatch.setattr(ENTERPRISES, "batch_size", 2)
    calls = {"n": 0}
    original = ENTERPRISES.validate

    def flaky(self, rows):
        calls["n"] += 1
        errors = original(self, rows)
        if calls["n"] == 2:  # second batch, after the first one was written
            errors.append(RowError(rows[0].number, "企业名称", "", "changed meanwhile"))
        return errors

    monkeypatch.setattr(ENTERPRISES, "validate", flaky)
    written = []
    original_write = ENTERPRISES.write
    monkeypatch.setattr(
        ENTERPRISES,
        "write",
        lambda self, rows, by: written.append(len(rows)) or original_write(self, rows, by),
    )
    before = counts()
    result = run(path)
    assert written == [2]  # the first batch was written …
    assert [(e.row, e.reason) for e in result.errors] == [(4, "changed meanwhile")]
    assert_nothing_written(before, result)  # … and rolled back


def test_xls_file_through_calamine(setup, tmp_path):
    """No xls writer is installed; a broken .xls gives the xls message (calamine reads real ones)."""
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0garbage")
    result = run(path)
    assert result.errors[0].reason.startswith("The Excel 97-2003 workbook (.xls) could not be read")


# -- command ----------------------------------------------------------------------------------


def test_command_success_dry_run_and_errors(setup, tmp_path, capsys):
    path = xlsx(tmp_path, [HEAD, row(), row(name="乙")])
    before = counts()
    call_command("import_data", "enterprises", str(path), "--dry-run")
    assert "2 rows checked" in capsys.readouterr().out
    assert counts() == before
    call_command("import_data", "enterprises", str(path))
    assert "2 rows written." in capsys.readouterr().out
    assert Enterprise.objects.count() == before[0] + 2
    assert AuditEntry.objects.filter(source="command").count() == 2

    before = counts()
    with pytest.raises(SystemExit) as exc:
        call_command("import_data", "enterprises", str(path))
    assert exc.value.code == 1
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("row 2, column 统一社会信用代码: Already exists")
    assert err[-1] == "2 errors; nothing was written."
    assert counts() == before


def test_command_user_scope_and_unknown_kind(setup, tmp_path):
    from django.core.management.base import CommandError

    customs = user_for("zone", setup, role="customs_liaison", username="customs1")
    path = xlsx(tmp_path, [HEAD, row()])
    with pytest.raises(CommandError, match="may not import"):
        call_command("import_data", "enterprises", str(path), "--user", customs.username)
    with pytest.raises(CommandError, match="Unknown import kind"):
        call_command("import_data", "nope", str(path))
    staff = user_for("zone", setup, username="staff1")
    call_command("import_data", "enterprises", str(path), "--user", staff.username)
    assert AuditEntry.objects.get(code="registry.enterprise.imported").actor == staff


# -- pages --------------------------------------------------------------------------------------


def test_template_download_has_chinese_headers_and_reimports(setup, client, tmp_path):
    user = user_for("zone", setup)
    client.force_login(user)
    r = client.get("/imports/enterprises/template.xlsx")
    assert r.status_code == 200
    path = tmp_path / "template.xlsx"
    path.write_bytes(r.content)
    ws = openpyxl.load_workbook(path).active
    header = [c.value for c in ws[1]]
    assert header[:3] == ["企业名称", "统一社会信用代码", "海关编码"]
    assert len(list(ws.iter_rows())) == 2


def test_upload_preview_confirm(setup, client, tmp_path):
    user = user_for("zone", setup)
    client.force_login(user)
    assert client.get("/imports/").status_code == 200
    upload_page = client.get("/imports/enterprises/").content.decode()
    assert "<td>date</td>" in upload_page and "<td>number</td>" in upload_page  # column types listed
    bad = xlsx(tmp_path, [HEAD, row(), row(capital="-1")], name="bad.xlsx")
    with open(bad, "rb") as fh:
        r = client.post("/imports/enterprises/", {"file": fh})
    assert r.status_code == 302
    page = client.get(r.url)
    text = page.content.decode()
    assert "Must not be less than 0." in text and "-1" in text
    assert "Import 2 rows" not in text
    assert client.post(r.url).status_code == 302  # confirm refused: back to the preview
    assert Enterprise.objects.filter(zone=setup).count() == 0

    good = xlsx(tmp_path, [HEAD, row(), row(name="乙")], name="good.xlsx")
    with open(good, "rb") as fh:
        r = client.post("/imports/enterprises/", {"file": fh})
    preview = client.get(r.url)
    assert "Import 2 rows" in preview.content.decode()
    done = client.post(r.url)
    assert done.status_code == 302 and done.url == "/imports/"
    assert Enterprise.objects.filter(zone=setup).count() == 2
    assert client.get(r.url).status_code == 404  # the upload is gone after the import


def test_confirm_revalidates(setup, client, tmp_path):
    user = user_for("zone", setup)
    client.force_login(user)
    uscc = next_uscc()
    path = xlsx(tmp_path, [HEAD, row(uscc=uscc)])
    with open(path, "rb") as fh:
        r = client.post("/imports/enterprises/", {"file": fh})
    EnterpriseFactory(zone=setup, uscc=uscc)  # someone else adds it meanwhile
    before = counts()
    page = client.post(r.url)
    assert page.status_code == 400
    assert "Already exists" in page.content.decode()
    assert counts() == before


def test_upload_permissions_and_bad_file_type(setup, client, tmp_path):
    client.force_login(user_for("zone", setup, role="customs_liaison"))
    assert client.get("/imports/enterprises/").status_code == 403
    client.force_login(user_for("zone", setup))
    f = tmp_path / "x.pdf"
    f.write_bytes(b"%PDF")
    with open(f, "rb") as fh:
        r = client.post("/imports/enterprises/", {"file": fh})
    assert r.status_code == 400
    assert "Unsupported file type" in r.content.decode()
    assert client.get("/imports/nope/").status_code == 404
    assert client.get("/imports/enterprises/preview/deadbeef/").status_code == 404


def test_large_file_runs_as_jobs_with_progress(
    setup, client, tmp_path, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_SYNC_MAX_BYTES = 0  # every file counts as large
    user = user_for("zone", setup)
    client.force_login(user)
    path = xlsx(tmp_path, [HEAD] + [row(name=f"企业{i}") for i in range(3)])
    with django_capture_on_commit_callbacks(execute=True):
        with open(path, "rb") as fh:
            r = client.post("/imports/enterprises/", {"file": fh})
    check_job = Job.objects.get(kind="import.enterprises.check")
    assert check_job.state == Job.State.SUCCEEDED and check_job.created_by == user
    assert (check_job.done, check_job.total) == (3, 3)
    assert check_job.result["rows"] == 3
    page = client.get(r.url).content.decode()
    assert "Import 3 rows" in page
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(r.url)
    job = Job.objects.get(kind="import.enterprises")
    assert done.url == f"/jobs/{job.pk}/"
    assert job.state == Job.State.SUCCEEDED and job.result["created"] == 3
    assert Enterprise.objects.filter(zone=setup).count() == 3
    assert AuditEntry.objects.filter(source="job", actor=user).count() == 3
    detail = client.get(done.url).content.decode()
    assert "3 rows written." in detail


def test_failed_write_job_keeps_errors_and_writes_nothing(
    setup, tmp_path, django_capture_on_commit_callbacks
):
    from zonebook.jobs.services import start_job

    user = user_for("zone", setup)
    existing = EnterpriseFactory(zone=setup)
    path = xlsx(tmp_path, [HEAD, row(uscc=existing.uscc)])
    before = counts()
    with django_capture_on_commit_callbacks(execute=True):
        job = start_job(
            "import.enterprises",
            "test",
            user,
            "zonebook.imports.jobs.run_import_job",
            params={"kind": "enterprises", "path": str(path), "filename": path.name, "write": True},
        )
    job.refresh_from_db()
    assert job.state == Job.State.FAILED
    assert job.result_file.name.endswith(".xlsx") and "errors" in job.result_file.name
    assert [m["text"] for m in job.messages] == [
        "The file has 1 errors; nothing was imported.",
        "row 2, column 统一社会信用代码: Already exists: another enterprise has the same unified social credit "
        "code. To update existing records, upload the file again and choose “update existing ones”.",
    ]
    assert counts() == before


def test_calamine_reader_gives_rows_with_spreadsheet_numbers(tmp_path):
    """The .xls path (python-calamine) on a workbook calamine can read; no xls writer is installed."""
    from zonebook.core.imports.readers import _read_xls

    path = xlsx(tmp_path, [["a", "b"], [], [1, dt.date(2024, 1, 1)]])
    assert list(_read_xls(path)) == [(1, ["a", "b"]), (2, [None, None]), (3, [1.0, dt.date(2024, 1, 1)])]


def test_preview_polls_while_the_check_job_runs_and_discard(setup, client, tmp_path, settings):
    settings.IMPORT_SYNC_MAX_BYTES = 0
    client.force_login(user_for("zone", setup))
    path = xlsx(tmp_path, [HEAD, row()])
    with open(path, "rb") as fh:
        r = client.post("/imports/enterprises/", {"file": fh})  # on_commit never runs: the job stays queued
    page = client.get(r.url).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'hx-select="#import-preview"' in page
    assert '<meta http-equiv="refresh" content="2">' in page
    assert page.count("hx-trigger") == 1  # the embedded progress bar does not poll on its own
    stored = list((settings.MEDIA_ROOT / "imports").iterdir())
    assert len(stored) == 1
    d = client.post(r.url + "discard/")
    assert d.status_code == 302
    assert list((settings.MEDIA_ROOT / "imports").iterdir()) == []
    assert client.get(r.url).status_code == 404


def test_abandoned_uploads_are_pruned(settings, tmp_path):
    import os
    import time

    from zonebook.imports.views import UPLOAD_TTL, prune_uploads, upload_dir

    old = upload_dir() / "old.xlsx"
    new = upload_dir() / "new.xlsx"
    old.write_bytes(b"x")
    new.write_bytes(b"x")
    past = time.time() - UPLOAD_TTL - 10
    os.utime(old, (past, past))
    assert prune_uploads() == 1
    assert [p.name for p in upload_dir().iterdir()] == ["new.xlsx"]


def test_messages_are_translated(setup, tmp_path):
    path = xlsx(tmp_path, [HEAD, row(capital="-1")])
    with translation.override("zh-hans"):
        result = run(path)
    assert result.errors[0].reason == "不能小于 0。"


def test_title_row_above_the_header_and_tab_separated_csv(setup, tmp_path):
    path = xlsx(tmp_path, [["2024年企业名录"] + [None] * 8, HEAD, row(capital="x")], merge=["A1:I1"])
    result = run(path)
    assert result.header_row == 2
    assert [(e.row, e.column, e.value, e.reason) for e in result.errors] == [
        (3, "注册资本", "x", "Not a number.")
    ]
    tsv = tmp_path / "data.txt"
    tsv.write_text("\n".join("\t".join(r) for r in [HEAD, row()]), encoding="utf-8")
    assert run(tsv).written == 1


def test_integrity_error_at_insert_is_reported_not_raised(setup, tmp_path, monkeypatch):
    from django.db import IntegrityError

    def boom(self, rows, by):
        raise IntegrityError("UNIQUE constraint failed: registry_enterprise.uscc")

    monkeypatch.setattr(ENTERPRISES, "write", boom)
    before = counts()
    result = run(xlsx(tmp_path, [HEAD, row()]))
    assert [e.reason for e in result.errors] == [
        "The database refused the rows, probably because someone changed the same records at the same time; "
        "nothing was imported. Please check the file again."
    ]
    assert_nothing_written(before, result)


def test_error_report_download(setup, client, tmp_path):
    client.force_login(user_for("zone", setup))
    path = xlsx(tmp_path, [HEAD, row(capital="-1"), row(industry="0000")])
    with open(path, "rb") as fh:
        r = client.post("/imports/enterprises/", {"file": fh})
    report = client.get(r.url + "errors.xlsx")
    assert report.status_code == 200
    out = tmp_path / "errors.xlsx"
    out.write_bytes(report.content)
    rows = list(openpyxl.load_workbook(out).active.iter_rows(values_only=True))
    assert rows[0] == ("Row", "Column", "Value", "Problem")
    # the rejected text is echoed neutralised (a leading "-" would make it a formula in a spreadsheet)
    assert rows[1] == (2, "注册资本", "'-1", "Must not be less than 0.")
    assert rows[2][:3] == (3, "行业代码", "0000")


def test_index_lists_the_users_recent_import_jobs(setup, client):
    user = user_for("zone", setup)
    other = user_for("zone", setup)
    Job.objects.create(kind="import.enterprises", label="mine.xlsx", created_by=user, state=Job.State.RUNNING)
    Job.objects.create(kind="import.enterprises", label="theirs.xlsx", created_by=other)
    client.force_login(user)
    page = client.get("/imports/").content.decode()
    assert "mine.xlsx" in page and "theirs.xlsx" not in page
    assert 'hx-trigger="every 1s"' in page
