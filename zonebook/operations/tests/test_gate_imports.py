"""Spreadsheet import of stock notes (出入库单) and gate passes (核放单): header + lines in one sheet,
row errors naming row / column / reason, all-or-nothing, update mode (a re-sent unused pass replaces
the stored one; a used one is refused), scoped to the importer's zone."""

from __future__ import annotations

from decimal import Decimal

import openpyxl
import pytest

from zonebook.audit.models import AuditEntry
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.operations import gate
from zonebook.operations.choices import PassStatus
from zonebook.operations.models import GatePass, GatePassLine, StockNote, StockNoteLine

from .conftest import vehicle

pytestmark = pytest.mark.django_db
NOTE_HEAD = ["出入库单编号", "企业", "进出标志", "商品名称", "商品编码", "数量", "计量单位", "毛重"]
PASS_HEAD = ["核放单编号", "进出标志", "核放单类型", "绑定类型", "车牌号", "企业", "集装箱号", "集装箱重", "货物毛重",
             "关联单证类型", "关联单证编号", "关联商品序号", "数量", "商品名称", "计量单位"]


def xlsx(tmp_path, head, rows, name="f.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(head)
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def run(kind, path, user, mode="create", dry=False):
    fn = pipeline.check if dry else pipeline.run
    return fn(get_kind(kind), path, path.name, user, mode=mode)


def notes(world, tmp_path):
    ent = world.enterprises.a1.name
    path = xlsx(tmp_path, NOTE_HEAD, [
        ["RK2026100", ent, "进区", "集成电路", "8542319000", 150, "个", 20000],
        ["RK2026100", "", "", "塑料托盘", "3923100000", 20, "个", 300],
        ["RK2026101", world.enterprises.a1.uscc, "出区", "废包装物", "", "1.5", "吨", 1500],
    ], "notes.xlsx")
    return run("stock_notes", path, world.users.zone)


def test_stock_notes_header_and_lines_in_one_sheet(world, tmp_path):
    result = notes(world, tmp_path)
    assert result.ok, result.errors
    n = StockNote.objects.get(number="RK2026100")
    assert (n.zone, n.enterprise, n.direction) == (world.zones.a1, world.enterprises.a1, "I")
    assert list(n.lines.values_list("seq", "name", "qty")) == [(1, "集成电路", 150), (2, "塑料托盘", 20)]
    assert StockNote.objects.get(number="RK2026101").lines.get().qty == Decimal("1.5")
    assert AuditEntry.objects.filter(code="operations.stocknote.imported").count() == 2


def test_stock_note_errors_name_row_and_column_and_write_nothing(world, tmp_path):
    path = xlsx(tmp_path, NOTE_HEAD, [
        ["RK2026200", world.enterprises.a1.name, "进区", "集成电路", "", 10, "个", ""],
        ["RK2026200", "", "出区", "集成电路", "", 10, "个", ""],  # contradicts row 2
        ["RK2026201", "没有这家企业", "进区", "集成电路", "", 10, "个", ""],
        ["RK2026200", "", "", "集成电路", "", 10, "个", ""],  # not next to its first rows
    ])
    for result in (run("stock_notes", path, world.users.zone, dry=True), run("stock_notes", path, world.users.zone)):
        by_row = {e.row: e for e in result.errors}
        assert set(by_row) == {3, 4, 5}, result.errors
        assert by_row[3].column == "进出标志" and "2" in by_row[3].reason
        assert by_row[4].column == "企业"
        assert by_row[5].column == "出入库单编号"
    assert not StockNote.objects.exists() and not StockNoteLine.objects.exists()


def passes_file(world, tmp_path, qty=100, name="p.xlsx", number="P5101202600000000A001"):
    return xlsx(tmp_path, PASS_HEAD, [
        [number, "进区", "二线进出区", "一车多票", "川A12345", world.enterprises.a1.name, "TGHU1234567", 3800, 20000,
         "出入库单", "RK2026100", 1, qty, "集成电路", "个"],
        [number, "", "", "", "", "", "", "", "", "出入库单", "RK2026100", 2, 20, "塑料托盘", "个"],
        ["P5101202600000000A002", "出区", "空车", "", "川A12345", "", "", "", "", "", "", "", "", "", ""],
    ], name)


def test_gate_passes_with_documents_and_lines(world, tmp_path):
    notes(world, tmp_path)
    vehicle(world.zones.a1, world.users.zone)
    result = run("gate_passes", passes_file(world, tmp_path), world.users.zone)
    assert result.ok, result.errors
    gp = GatePass.objects.get(number="P5101202600000000A001")
    assert (gp.pass_type, gp.bind_type, gp.status, gp.total_weight) == ("3", "1", PassStatus.APPLIED, Decimal(45800))
    assert [(ln.related_seq, ln.qty, ln.document.stock_note.number) for ln in gp.lines.all()] == [
        (1, 100, "RK2026100"), (2, 20, "RK2026100")]
    assert gp.documents.count() == 1
    assert GatePass.objects.get(number="P5101202600000000A002").pass_type == "6"
    assert AuditEntry.objects.filter(code="operations.gatepass.imported").count() == 2
    gate.approve_pass(gp, by=world.users.zone)
    out = gate.record_event(zone=world.zones.a1, event_id="I1", pass_number=gp.number, gate_id="G1", direction="I",
                            weight=45800, by=world.users.zone)
    assert out.http_status == 201  # an imported pass is usable at the gate


def test_gate_pass_errors_and_scope(world, tmp_path):
    notes(world, tmp_path)
    vehicle(world.zones.a1, world.users.zone)
    path = xlsx(tmp_path, PASS_HEAD, [
        ["P1", "进区", "二线进出区", "", "川Z99999", "", "", "", "", "出入库单", "RK2026100", 1, 5, "", ""],
        ["P2", "进区", "二线进出区", "", "川A12345", "", "", "", "", "出入库单", "RK9999999", 1, 5, "", ""],
        ["P3", "进区", "空车", "", "川A12345", "", "", "", "", "出入库单", "RK2026100", 1, 5, "", ""],
        ["P4", "进区", "二线进出区", "", "川A12345", "", "", "", "", "", "", "", "", "", ""],
    ])
    result = run("gate_passes", path, world.users.zone)
    by_row = {e.row: e for e in result.errors}
    assert by_row[2].column == "车牌号" and by_row[3].column == "关联单证编号" and "RK9999999" in by_row[3].reason
    assert by_row[4].column == "关联单证编号" and by_row[5].column == "关联单证编号"
    assert not GatePass.objects.exists()
    # another zone's account cannot use this zone's vehicle or stock note
    result = run("gate_passes", passes_file(world, tmp_path), world.users.other_zone)
    assert {e.column for e in result.errors} >= {"车牌号", "关联单证编号"} and not GatePass.objects.exists()
    result = run("gate_passes", passes_file(world, tmp_path), world.users.enterprise)
    assert not result.ok and not GatePass.objects.exists()


def test_update_mode_replaces_an_unused_pass_and_refuses_a_used_one(world, tmp_path):
    notes(world, tmp_path)
    vehicle(world.zones.a1, world.users.zone)
    assert run("gate_passes", passes_file(world, tmp_path), world.users.zone).ok
    gp = GatePass.objects.get(number="P5101202600000000A001")
    gate.approve_pass(gp, by=world.users.zone)
    again = passes_file(world, tmp_path, qty=90, name="again.xlsx")
    created = run("gate_passes", again, world.users.zone)  # create mode: the numbers exist
    assert not created.ok and {e.column for e in created.errors} == {"核放单编号"}
    preview = run("gate_passes", again, world.users.zone, mode="update", dry=True)
    assert preview.ok, preview.errors
    result = run("gate_passes", again, world.users.zone, mode="update")
    assert result.ok, result.errors
    gp.refresh_from_db()
    assert gp.status == PassStatus.APPLIED and gp.approved_at is None  # to be approved again
    assert list(GatePassLine.objects.filter(gate_pass=gp).values_list("qty", flat=True)) == [90, 20]
    assert AuditEntry.objects.filter(code="operations.gatepass.replaced", object_id=str(gp.pk)).exists()
    gate.approve_pass(gp, by=world.users.zone)
    gate.record_event(zone=world.zones.a1, event_id="U1", pass_number=gp.number, gate_id="G1", direction="I",
                      by=world.users.zone)
    third = passes_file(world, tmp_path, qty=80, name="third.xlsx")
    for r in (run("gate_passes", third, world.users.zone, mode="update", dry=True),
              run("gate_passes", third, world.users.zone, mode="update")):
        assert [(e.row, e.column) for e in r.errors] == [(2, "核放单编号")] and "已过卡" in r.errors[0].reason
    assert list(GatePassLine.objects.filter(gate_pass=gp).values_list("qty", flat=True)) == [90, 20]
    # another zone cannot replace this zone's pass
    other = run("gate_passes", third, world.users.other_zone, mode="update")
    assert not other.ok and GatePass.objects.get(pk=gp.pk).status == PassStatus.PASSED


def two_sheets(tmp_path, head, heads, line_head, lines, name="two.xlsx"):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "表头"
    ws.append(head)
    for r in heads:
        ws.append(r)
    ws2 = wb.create_sheet("表体")
    ws2.append(line_head)
    for r in lines:
        ws2.append(r)
    path = tmp_path / name
    wb.save(path)
    return path


def test_header_and_lines_in_two_sheets(world, tmp_path):
    ent = world.enterprises.a1.name
    path = two_sheets(tmp_path, ["出入库单编号", "企业", "进出标志"], [["RK2026300", ent, "进区"], ["RK2026301", ent, "出区"]],
                      ["出入库单编号", "商品名称", "数量", "计量单位"],
                      [["RK2026300", "集成电路", 150, "个"], ["RK2026301", "废包装物", 2, "吨"],
                       ["RK2026300", "塑料托盘", 20, "个"]])
    result = run("stock_notes", path, world.users.zone)
    assert result.ok, result.errors
    assert list(StockNote.objects.get(number="RK2026300").lines.values_list("seq", "name")) == [(1, "集成电路"),
                                                                                                (2, "塑料托盘")]
    vehicle(world.zones.a1, world.users.zone)
    path = two_sheets(tmp_path, ["核放单编号", "进出标志", "核放单类型", "车牌号", "货物毛重"],
                      [["P5101202600000000B001", "进区", "二线进出区", "川A12345", 20000]],
                      ["核放单编号", "关联单证类型", "关联单证编号", "关联商品序号", "数量"],
                      [["P5101202600000000B001", "出入库单", "RK2026300", 1, 150],
                       ["P5101202600000000B001", "出入库单", "RK2026300", 2, 20]], "passes2.xlsx")
    result = run("gate_passes", path, world.users.zone)
    assert result.ok, result.errors
    gp = GatePass.objects.get(number="P5101202600000000B001")
    assert list(gp.lines.values_list("related_seq", "qty")) == [(1, 150), (2, 20)]


def test_two_sheet_errors_name_the_sheet(world, tmp_path):
    ent = world.enterprises.a1.name
    path = two_sheets(tmp_path, ["出入库单编号", "企业", "进出标志"], [["RK2026400", ent, "进区"], ["RK2026401", ent, "进区"]],
                      ["出入库单编号", "商品名称", "数量", "计量单位"],
                      [["RK2026400", "集成电路", "很多", "个"], ["RK2026499", "集成电路", 1, "个"]])
    result = run("stock_notes", path, world.users.zone)
    errors = {(e.row, e.column) for e in result.errors}
    assert (2, "表体: 数量") in errors  # not a number
    assert (3, "表体: 出入库单编号") in errors  # no such note on the first sheet
    assert (3, "商品名称") in errors  # RK2026401 (sheet 1, row 3) has no line
    assert not StockNote.objects.exists()
