"""Ledger import kinds through the generic pipeline: templates, happy path, bad rows (all or nothing)."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from openpyxl import load_workbook

from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.core.imports.templates import build_template
from zonebook.ledger.models import Balance, Book, BookItem, Consumption, InventoryList
from zonebook.ledger.tests import ledger_world

KINDS = ("ledger_books", "ledger_items", "ledger_consumption", "ledger_lists", "ledger_opening")


def _csv(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8-sig")
    return p


def _run(kind, path, user=None, dry_run=False):
    return pipeline.run(get_kind(kind), path, path.name, user, dry_run=dry_run)


@pytest.mark.parametrize("kind", KINDS)
def test_templates_have_chinese_headers(kind):
    wb = load_workbook(io.BytesIO(build_template(get_kind(kind))))
    headers = [c.value for c in next(wb.active.iter_rows(max_row=1))]
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in h) for h in headers), headers


@pytest.mark.django_db
def test_a_whole_book_imports_through_the_command(world, tmp_path, capsys):
    ent = world.enterprises.a1b
    call_command(
        "import_data",
        "ledger_books",
        str(
            _csv(
                tmp_path,
                "b.csv",
                f"备案号,经营企业,有效期,状态\nH5101Z000777,{ent.customs_code},2030-12-31,使用中\n",
            )
        ),
    )
    book = Book.objects.get(number="H5101Z000777")
    assert (book.enterprise, book.kind, book.status) == (ent, "H", "in_use")
    call_command(
        "import_data",
        "ledger_items",
        str(
            _csv(
                tmp_path,
                "i.csv",
                "备案号,料件成品标记,备案序号,料号,商品编码,商品名称,申报计量单位,申报单价\n"
                "H5101Z000777,料件,1,M1,8542319000,芯片,007,1.5\n"
                "H5101Z000777,成品,1,P1,8471300000,电脑,001,100\n",
            )
        ),
    )
    assert BookItem.objects.filter(book=book).count() == 2
    call_command(
        "import_data",
        "ledger_consumption",
        str(
            _csv(
                tmp_path,
                "c.csv",
                "备案号,成品序号,料件序号,单耗版本号,净耗,有形损耗率,无形损耗率\nH5101Z000777,1,1,1,0.9,4,1\n",
            )
        ),
    )
    assert Consumption.objects.get(book=book).unit_consumption == Decimal("0.947368421")
    call_command(
        "import_data",
        "ledger_opening",
        str(_csv(tmp_path, "o.csv", "备案号,料件序号,期初数量,期初金额\nH5101Z000777,1,50,75\n")),
    )
    # header fields repeated per line, rows of one list need not be adjacent
    call_command(
        "import_data",
        "ledger_lists",
        str(
            _csv(
                tmp_path,
                "l.csv",
                "清单编号,备案号,进出口标记,监管方式,料件成品标记,申报日期,处理方式,备案序号,申报数量\n"
                "QD510126I900000777,H5101Z000777,I,5000,料件,2026-03-01,过账,1,100\n"
                "QD510126E900000778,H5101Z000777,E,5100,成品,2026-03-02,过账,1,10\n"
                "QD510126I900000777,H5101Z000777,I,5000,料件,2026-03-01,过账,1,20\n",
            )
        ),
    )
    imp = InventoryList.objects.get(number="QD510126I900000777")
    assert imp.state == "posted" and imp.lines.count() == 2
    # 50 + 120 − 10 × 0.947368421 = 160.52632
    assert Balance.objects.get(item__book=book, item__kind="material").expected_remaining == Decimal(
        "160.52632"
    )
    assert "rows written" in capsys.readouterr().out


@pytest.mark.django_db
def test_bad_list_rows_are_reported_and_nothing_is_written(world, tmp_path):
    lw = ledger_world.build(world)
    n = lw.book.number
    path = _csv(
        tmp_path,
        "l.csv",
        "清单编号,备案号,进出口标记,监管方式,料件成品标记,申报日期,处理方式,备案序号,申报数量\n"
        f"QD510126I900000801,{n},I,5000,料件,2026-03-01,过账,1,100\n"
        f"QD510126I900000802,{n},I,5000,料件,2026-03-01,过账,1,100\n"
        f"QD510126I900000802,{n},I,5000,料件,2026-03-01,过账,9,100\n"
        f"QD510126E900000803,{n},E,5100,成品,2026-03-02,过账,1,-5\n"
        f"QD510126E900000804,{n},E,5100,成品,2026-03-03,暂存,1,1\n"
        f"QD510126E900000804,{n},E,0615,成品,2026-03-03,暂存,1,1\n",
    )
    before = Balance.objects.get(item=lw.m1).expected_remaining
    result = _run("ledger_lists", path, world.users.enterprise)
    assert not result.ok and result.written == 0
    msgs = [str(e) for e in result.errors]
    assert any(m.startswith("row 4, column 备案序号:") for m in msgs), msgs
    assert any(m.startswith("row 5, column 申报数量:") for m in msgs), msgs
    assert any(m.startswith("row 7, column 监管方式:") for m in msgs), msgs
    assert not InventoryList.objects.filter(number__in=["QD510126I900000801", "QD510126I900000802"]).exists()
    assert Balance.objects.get(item=lw.m1).expected_remaining == before


@pytest.mark.django_db
def test_a_posting_refused_for_a_shortfall_fails_the_file(world, tmp_path):
    lw = ledger_world.build(world)
    path = _csv(
        tmp_path,
        "l.csv",
        "清单编号,备案号,进出口标记,监管方式,料件成品标记,申报日期,处理方式,备案序号,申报数量\n"
        f"QD510126E900000901,{lw.book.number},E,5100,成品,2026-03-02,过账,1,1000\n",
    )
    result = _run("ledger_lists", path, world.users.enterprise)
    assert not result.ok and "short" in str(result.errors[0]) and result.errors[0].row == 2
    assert not InventoryList.objects.filter(number="QD510126E900000901").exists()


@pytest.mark.django_db
def test_bad_books_and_items(world, tmp_path):
    lw = ledger_world.build(world)
    ent = world.enterprises.a1
    result = _run(
        "ledger_books",
        _csv(
            tmp_path,
            "b.csv",
            f"备案号,经营企业\nX51010000001,{ent.customs_code}\nH51019999991,{world.enterprises.c1.customs_code}\n",
        ),
        world.users.enterprise,
    )
    msgs = [str(e) for e in result.errors]
    assert any(m.startswith("row 2, column 备案号:") for m in msgs), msgs
    assert any(m.startswith("row 3, column 经营企业:") and "scope" in m for m in msgs), msgs
    assert not Book.objects.filter(number__in=["X51010000001", "H51019999991"]).exists()
    result = _run(
        "ledger_items",
        _csv(
            tmp_path,
            "i.csv",
            "备案号,料件成品标记,备案序号,料号,商品编码,商品名称,申报计量单位\n"
            f"{lw.book.number},料件,3,M3,8542319000,芯片,007\n"
            f"{lw.book.number},料件,4,M4,1234567890,未知,007\n"
            f"{lw.book.number},料件,5,M5,85423190,短码,007\n",
        ),
        world.users.enterprise,
    )
    msgs = [str(e) for e in result.errors]
    assert any(m.startswith("row 3, column 商品编码:") for m in msgs), msgs
    assert any(m.startswith("row 4, column 商品编码:") for m in msgs), msgs
    assert not BookItem.objects.filter(book=lw.book, seq_no__in=[3, 4, 5]).exists()
    # a dry run writes nothing either
    ok = _run(
        "ledger_items",
        _csv(
            tmp_path,
            "i2.csv",
            "备案号,料件成品标记,备案序号,料号,商品编码,商品名称,申报计量单位\n"
            f"{lw.book.number},料件,3,M3,8542319000,芯片,007\n",
        ),
        world.users.enterprise,
        dry_run=True,
    )
    assert ok.ok and not BookItem.objects.filter(book=lw.book, seq_no=3).exists()


@pytest.mark.django_db
def test_command_exit_code_and_error_lines(world, tmp_path, capsys):
    lw = ledger_world.build(world)
    path = _csv(
        tmp_path,
        "c.csv",
        f"备案号,成品序号,料件序号,单耗版本号,净耗,有形损耗率,无形损耗率\n{lw.book.number},1,1,7,1,60,40\n",
    )
    with pytest.raises(SystemExit) as exc:
        call_command("import_data", "ledger_consumption", str(path))
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "row 2, column 有形损耗率:" in err and "nothing was written" in err
    assert not Consumption.objects.filter(version="7").exists()


@pytest.mark.django_db
def test_item_import_is_one_set_based_call_per_book_and_kind_with_spreadsheet_rows(world, tmp_path):
    """Items of one (book, kind) go through ``add_items`` together; its errors land on the right
    spreadsheet row: a part number repeated inside the file, a sequence number taken on the book."""
    lw = ledger_world.build(world)
    taken = lw.book.items.filter(kind="material").order_by("seq_no").first().seq_no
    header = "备案号,料件成品标记,备案序号,料号,商品编码,商品名称,申报计量单位\n"
    result = _run(
        "ledger_items",
        _csv(
            tmp_path,
            "dup.csv",
            header
            + f"{lw.book.number},料件,31,MX31,8542319000,芯片,007\n"
            + f"{lw.book.number},成品,31,PX31,8471300000,电脑,001\n"
            + f"{lw.book.number},料件,32,MX31,8542319000,芯片,007\n"
            + f"{lw.book.number},料件,{taken},MX33,8542319000,芯片,007\n",
        ),
        world.users.enterprise,
    )
    msgs = [str(e) for e in result.errors]
    assert any(m.startswith("row 4, column 料号:") for m in msgs), msgs
    assert any(m.startswith("row 5, column 备案序号:") for m in msgs), msgs
    assert len(msgs) == 2 and not BookItem.objects.filter(book=lw.book, seq_no__in=[31, 32]).exists()
    ok = _run(
        "ledger_items",
        _csv(
            tmp_path,
            "ok.csv",
            header
            + f"{lw.book.number},料件,31,MX31,8542319000,芯片,007\n"
            + f"{lw.book.number},成品,31,PX31,8471300000,电脑,001\n",
        ),
        world.users.enterprise,
    )
    assert ok.ok and ok.written == 2
    assert BookItem.objects.filter(book=lw.book, seq_no=31).count() == 2
    assert Balance.objects.filter(item__book=lw.book, item__seq_no=31).count() == 2


@pytest.mark.django_db
def test_consumption_import_maps_bulk_errors_to_spreadsheet_rows(world, tmp_path):
    """BOM lines of a book go through ``add_consumptions`` together: a line repeated inside the file
    and loss rates of 100 % are reported on their own rows; nothing is written."""
    lw = ledger_world.build(world)
    p = lw.book.items.filter(kind="product").order_by("seq_no").first().seq_no
    m = lw.book.items.filter(kind="material").order_by("seq_no").first().seq_no
    before = Consumption.objects.count()
    head = "备案号,成品序号,料件序号,单耗版本号,净耗,有形损耗率,无形损耗率\n"
    result = _run(
        "ledger_consumption",
        _csv(
            tmp_path,
            "c.csv",
            head
            + f"{lw.book.number},{p},{m},V9,0.9,4,1\n"
            + f"{lw.book.number},{p},{m},V9,0.9,4,1\n"
            + f"{lw.book.number},{p},{m},V8,0.9,60,40\n",
        ),
        world.users.enterprise,
    )
    msgs = [str(e) for e in result.errors]
    assert any(m.startswith("row 3, column 单耗版本号:") for m in msgs), msgs
    assert any(m.startswith("row 4, column 有形损耗率:") for m in msgs), msgs
    assert len(msgs) == 2 and Consumption.objects.count() == before


@pytest.mark.django_db
def test_lists_post_in_date_order_and_a_shortfall_points_at_its_list(world, tmp_path):
    lw = ledger_world.build(world)
    n = lw.book.number
    head = "清单编号,备案号,进出口标记,监管方式,料件成品标记,申报日期,处理方式,备案序号,申报数量\n"
    # the export (row 2) needs the import of row 3, which is dated a day earlier: posted first
    ok = _csv(
        tmp_path,
        "ok.csv",
        head + f"QD510126E900000951,{n},E,5100,成品,2026-03-05,过账,1,1000\n"
        f"QD510126I900000952,{n},I,5000,料件,2026-03-04,过账,1,1000000\n"
        f"QD510126I900000952,{n},I,5000,料件,2026-03-04,过账,2,1000000\n",
    )
    result = _run("ledger_lists", ok, world.users.enterprise)
    assert result.ok, [str(e) for e in result.errors]
    assert (
        InventoryList.objects.filter(
            number__in=["QD510126E900000951", "QD510126I900000952"], state="posted"
        ).count()
        == 2
    )
    # now the export comes first in time: refused, and the error is on the export's row (row 3)
    bad = _csv(
        tmp_path,
        "bad.csv",
        head + f"QD510126I900000953,{n},I,5000,料件,2026-03-09,过账,1,10\n"
        f"QD510126E900000954,{n},E,5100,成品,2026-03-08,过账,1,2000000\n",
    )
    result = _run("ledger_lists", bad, world.users.enterprise)
    assert not result.ok and result.errors[0].row == 3 and "short" in str(result.errors[0])
    assert str(result.errors[0]).startswith("row 3, column 清单编号:")
    assert not InventoryList.objects.filter(number__in=["QD510126I900000953", "QD510126E900000954"]).exists()


@pytest.mark.django_db
def test_batches_close_between_lists_and_stragglers_are_named(world, tmp_path, monkeypatch):
    from zonebook.ledger.importers import InventoryListImport

    monkeypatch.setattr(InventoryListImport, "batch_size", 3)
    lw = ledger_world.build(world)
    n = lw.book.number
    head = "清单编号,备案号,进出口标记,监管方式,料件成品标记,申报日期,处理方式,备案序号,申报数量\n"

    def row(k, seq, qty=1):
        return f"QD510126I90000097{k},{n},I,5000,料件,2026-03-04,过账,{seq},{qty}\n"

    # lists of 2, 4 and 2 rows with batches of 3 rows: no list is cut in two
    ok = _csv(
        tmp_path,
        "ok.csv",
        head + row(1, 1) + row(1, 2) + row(2, 1) + row(2, 2) + row(2, 1) + row(2, 2) + row(3, 1) + row(3, 2),
    )
    result = _run("ledger_lists", ok, world.users.enterprise)
    assert result.ok, [str(e) for e in result.errors]
    assert InventoryList.objects.get(number="QD510126I900000972").line_count == 4
    # a list whose rows come back after its batch was closed: named, nothing written
    bad = _csv(tmp_path, "bad.csv", head + row(4, 1) + row(5, 1) + row(5, 2) + row(6, 1) + row(4, 2))
    result = _run("ledger_lists", bad, world.users.enterprise)
    assert not result.ok and result.errors[0].row == 6 and "follow each other" in str(result.errors[0])
    assert not InventoryList.objects.filter(number__in=["QD510126I900000974", "QD510126I900000975"]).exists()
