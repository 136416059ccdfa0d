"""INV101 messages through the import pipeline: mapping, encodings, zips, idempotence and bad input."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from zonebook.core.imports import pipeline
from zonebook.customs import xmlio
from zonebook.customs.importers import Inv101Import
from zonebook.customs.models import InventoryMessage
from zonebook.ledger.choices import ListSource, ListState
from zonebook.ledger.models import InventoryList

from . import builders as b

pytestmark = pytest.mark.django_db


def run(path, user, **kw):
    return pipeline.run(Inv101Import, path, path.name, user, **kw)


def test_message_becomes_a_declared_list_from_customs(world, cbook, tmp_path):
    h = b.head(cbook, entryNo="", rmk="首批进口")
    data = b.inv101(h, [b.line(1, "100.5"), b.line(2, 40, gds=2, lawfQty="40", ucnsVerno="")])
    result = run(b.write(tmp_path, "one.xml", data), world.users.enterprise)
    assert result.ok, result.errors
    assert result.written == 2
    lst = InventoryList.objects.get(number=h["bondInvtNo"])
    assert lst.state == ListState.SUBMITTED
    assert lst.source == ListSource.CUSTOMS
    assert lst.internal_number == h["etpsInnerInvtNo"]
    assert lst.supervision_mode == "0615" and lst.ie_mark == "I" and lst.item_kind == "material"
    assert lst.note == "首批进口"
    lines = list(
        lst.lines.order_by("line_no").values_list("line_no", "item_seq_no", "qty", "legal_qty", "currency")
    )
    assert lines == [(1, 1, Decimal("100.5"), None, "502"), (2, 2, Decimal("40"), Decimal("40"), "502")]
    msg = InventoryMessage.objects.get()
    assert (msg.inventory_list_id, msg.lines, msg.filename) == (lst.pk, 2, "one.xml")


def test_gb18030_message_is_read(world, cbook, tmp_path):
    h = b.head(cbook)
    data = b.inv101(h, [b.line(1, 10, gdsNm="集成电路芯片")]).decode("utf-8")
    data = data.replace('encoding="UTF-8"', 'encoding="GB18030"').encode("gb18030")
    result = run(b.write(tmp_path, "gb.xml", data), world.users.enterprise)
    assert result.ok, result.errors
    assert InventoryList.objects.get(number=h["bondInvtNo"]).lines.get().name == "集成电路芯片"


def test_zip_of_messages_is_imported_whole(world, cbook, tmp_path):
    msgs = {f"m{i}.xml": b.inv101(b.head(cbook), [b.line(1, i + 1)]) for i in range(3)}
    result = run(b.zip_of(tmp_path, "batch.zip", msgs), world.users.enterprise)
    assert result.ok, result.errors
    assert InventoryList.objects.filter(source=ListSource.CUSTOMS).count() == 3


def test_replaying_a_message_changes_nothing(world, cbook, tmp_path):
    path = b.write(tmp_path, "one.xml", b.inv101(b.head(cbook), [b.line(1, 5)]))
    assert run(path, world.users.enterprise).ok
    before = list(InventoryList.objects.values_list("pk", "state", "line_count"))
    again = run(path, world.users.enterprise)
    assert again.ok and again.written == 0
    assert "same content" in again.notices[0]
    assert list(InventoryList.objects.values_list("pk", "state", "line_count")) == before
    assert InventoryMessage.objects.count() == 1


def test_a_message_stored_with_the_earlier_hash_is_still_recognised_on_replay(world, cbook, tmp_path):
    """Messages imported before the hash was made faster carry the JSON hash (``content_hash_v1``):
    their replay changes nothing; other content under their etpsInnerInvtNo is still refused."""
    from zonebook.customs.importers import content_hash, content_hash_v1

    h, lines = b.head(cbook, inner="ERP-V1"), [b.line(1, 5), b.line(2, "0.5", gds=2)]
    path = b.write(tmp_path, "old.xml", b.inv101(h, lines))
    assert run(path, world.users.enterprise).ok
    (msg,) = [m for m in xmlio.read_messages(path, path.name)]
    assert content_hash(msg.head, msg.lines) != content_hash_v1(msg.head, msg.lines)
    InventoryMessage.objects.update(content_hash=content_hash_v1(msg.head, msg.lines))
    again = run(path, world.users.enterprise)
    assert again.ok and again.written == 0 and InventoryList.objects.count() == 1
    changed = b.write(tmp_path, "new.xml", b.inv101(h, [b.line(1, 6), b.line(2, "0.5", gds=2)]))
    assert not run(changed, world.users.enterprise).ok


def test_the_hash_tells_apart_what_json_told_apart():
    """The joined text is unambiguous: moving a value to another element, to another line, or
    splitting a line changes the hash."""
    from zonebook.customs.importers import content_hash

    head = {"bondInvtNo": "A", "putrecNo": "B"}
    base = content_hash(head, [{"gdsNm": "x", "rmk": "y"}])
    assert base == content_hash(dict(head), [{"gdsNm": "x", "rmk": "y", "unhashed": "z"}])
    assert base != content_hash(head, [{"gdsNm": "xy"}])
    assert content_hash(head, [{"gdsNm": "x"}, {"gdsNm": "y"}]) != content_hash(head, [{"gdsNm": "xy"}])
    assert content_hash(head, [{"gdsNm": "x", "gdsMtno": ""}]) != content_hash(head, [{"gdsMtno": "x"}])
    assert content_hash(head, []) != content_hash(head, [{}])
    assert content_hash({"bondInvtNo": "AB"}, []) != content_hash({"bondInvtNo": "A", "putrecNo": "B"}, [])


def test_same_internal_number_with_other_content_is_refused_naming_both(world, cbook, tmp_path):
    h = b.head(cbook, inner="ERP-7")
    first = b.inv101(h, [b.line(1, 5)])
    second = b.inv101(dict(h, bondInvtNo="QD510126I000777777"), [b.line(1, 6)])
    result = run(b.zip_of(tmp_path, "dup.zip", {"a.xml": first, "b.xml": second}), world.users.enterprise)
    assert not result.ok
    err = result.errors[0]
    assert "etpsInnerInvtNo" in err.column and "a.xml" in err.reason and "b.xml" in err.reason
    assert not InventoryList.objects.exists()


def test_the_same_message_twice_in_one_zip_is_imported_once(world, cbook, tmp_path):
    data = b.inv101(b.head(cbook, inner="ERP-9"), [b.line(1, 5)])
    result = run(b.zip_of(tmp_path, "twice.zip", {"a.xml": data, "b.xml": data}), world.users.enterprise)
    assert result.ok, result.errors
    assert InventoryList.objects.count() == 1 and InventoryMessage.objects.get().filename == "a.xml"
    assert any("1 message(s) were imported before" in n for n in result.notices)


def test_other_content_under_a_stored_internal_number_is_refused(world, cbook, tmp_path):
    h = b.head(cbook, inner="ERP-8")
    assert run(b.write(tmp_path, "first.xml", b.inv101(h, [b.line(1, 5)])), world.users.enterprise).ok
    changed = b.inv101(h, [b.line(1, 9)])
    result = run(b.write(tmp_path, "second.xml", changed), world.users.enterprise)
    assert not result.ok
    assert "second.xml" in result.errors[0].reason and "first.xml" in result.errors[0].reason
    assert InventoryList.objects.get().lines.get().qty == 5


def test_malformed_xml_is_refused(world, cbook, tmp_path):
    data = b.inv101(b.head(cbook), [b.line(1, 5)])[:-40]
    result = run(b.write(tmp_path, "broken.xml", data), world.users.enterprise)
    assert not result.ok and "malformed" in result.errors[0].reason
    assert not InventoryList.objects.exists()


def test_xml_bomb_is_refused_before_parsing(world, cbook, tmp_path):
    bomb = (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;">'
        b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]><Signature><InvtHeadType><BondInvtNo>&lol3;</BondInvtNo>'
        b"</InvtHeadType></Signature>"
    )
    result = run(b.write(tmp_path, "bomb.xml", bomb), world.users.enterprise)
    assert not result.ok
    assert "DOCTYPE" in result.errors[0].reason
    assert not InventoryList.objects.exists()


def test_a_sas121_message_is_named_and_refused(world, cbook, tmp_path):
    sas = (
        b'<?xml version="1.0" encoding="UTF-8"?><Signature><Object><Package><EnvelopInfo>'
        b"<message_type>SAS121</message_type></EnvelopInfo><DataInfo><BussinessData><PassPortMessage>"
        b"<PassportHead><PassportNo>HF1</PassportNo></PassportHead></PassPortMessage></BussinessData></DataInfo>"
        b"</Package></Object></Signature>"
    )
    good = b.inv101(b.head(cbook), [b.line(1, 5)])
    result = run(b.zip_of(tmp_path, "mixed.zip", {"a.xml": good, "sas.xml": sas}), world.users.enterprise)
    assert not result.ok
    err = result.errors[0]
    assert err.value == "SAS121" and "sas.xml" in err.column and "not an INV101" in err.reason
    assert not InventoryList.objects.exists()  # all or nothing


def test_a_line_naming_an_unknown_item_sequence_is_refused(world, cbook, tmp_path):
    h = b.head(cbook)
    result = run(
        b.write(tmp_path, "seq.xml", b.inv101(h, [b.line(1, 5), b.line(9, 5, gds=2)])), world.users.enterprise
    )
    assert not result.ok
    err = result.errors[0]
    assert "InvtListType[2]/putrecSeqno" in err.column and h["etpsInnerInvtNo"] in err.column
    assert "no Material" in err.reason or "sequence number" in err.reason


def test_a_unit_code_not_in_the_code_table_is_refused(world, cbook, tmp_path):
    result = run(
        b.write(tmp_path, "unit.xml", b.inv101(b.head(cbook), [b.line(1, 5, unit="999")])),
        world.users.enterprise,
    )
    assert not result.ok
    err = result.errors[0]
    assert err.column.endswith("InvtListType[1]/dclUnitcd") and err.value == "999"
    assert "unit code table" in err.reason


def test_a_declared_unit_other_than_the_filed_one_is_refused(world, cbook, tmp_path):
    result = run(
        b.write(tmp_path, "unit2.xml", b.inv101(b.head(cbook), [b.line(1, 5, unit="035")])),
        world.users.enterprise,
    )
    assert not result.ok
    assert "differs from the unit 007" in result.errors[0].reason


def test_a_zip_with_a_path_outside_is_refused(world, cbook, tmp_path):
    good = b.inv101(b.head(cbook), [b.line(1, 5)])
    result = run(b.zip_of(tmp_path, "evil.zip", {"ok.xml": good, "../x.xml": good}), world.users.enterprise)
    assert not result.ok
    assert "../x.xml" in result.errors[0].reason
    assert not InventoryList.objects.exists()


def test_a_message_for_a_book_outside_the_scope_is_refused(world, cbook, tmp_path):
    path = b.write(tmp_path, "other.xml", b.inv101(b.head(cbook), [b.line(1, 5)]))
    result = run(path, world.users.other_enterprise)
    assert not result.ok
    assert "No book" in result.errors[0].reason and "putrecNo" in result.errors[0].column
    assert not InventoryList.objects.exists()


def test_missing_required_elements_are_named(world, cbook, tmp_path):
    h = b.head(cbook)
    del h["supvModecd"]
    result = run(b.write(tmp_path, "req.xml", b.inv101(h, [b.line(1, 5, dclQty="")])), world.users.enterprise)
    columns = {e.column.split(" › ")[-1] for e in result.errors}
    assert {"InvtHeadType/supvModecd", "InvtListType[1]/dclQty"} <= columns


def test_preview_checks_without_writing(world, cbook, tmp_path):
    path = b.write(tmp_path, "one.xml", b.inv101(b.head(cbook), [b.line(1, 5), b.line(2, 6, gds=2)]))
    result = pipeline.check(Inv101Import, path, path.name, world.users.enterprise)
    # rows count the lines; the preview shows one row per message, with its line count
    assert result.ok and result.rows == 2 and len(result.preview) == 1
    assert "InvtHeadType/bondInvtNo" in result.headers
    assert result.preview[0][result.headers.index("InvtListType lines")] == "2"
    assert not InventoryList.objects.exists()


@pytest.mark.parametrize("name,data", [("lists.xlsx", b"PK\x03\x04"), ("empty.zip", None)])
def test_a_spreadsheet_or_an_empty_zip_is_refused(world, cbook, tmp_path, name, data):
    path = b.zip_of(tmp_path, name, {}) if data is None else b.write(tmp_path, name, data)
    result = run(path, world.users.enterprise)
    assert not result.ok and result.written == 0
    assert "Unsupported file type" in result.errors[0].reason or "no XML message" in result.errors[0].reason


def test_the_import_page_offers_example_messages_that_pass_the_reader(world, client_for, tmp_path):
    client = client_for(world.users.enterprise)
    for key in ("customs_inv101", "customs_receipts"):
        response = client.get(reverse("imports:template", args=[key]))
        assert response.status_code == 200 and response["Content-Type"] == "application/xml"
        path = b.write(tmp_path, f"{key}.xml", response.content)
        (msg,) = list(xmlio.read_messages(path, path.name))
        assert msg.type == ("INV101" if key == "customs_inv101" else "INV201") and msg.head["putrecNo"]


def test_number_formats_are_checked_and_named(world, cbook, tmp_path):
    lines = [
        b.line(1, "1.123456"),  # 6 decimal places: the ledger keeps 5
        b.line(2, 5, gds="x2"),  # not a line number
        b.line(1, 5, gds=3, dclTotalAmt="-4"),  # a negative amount
    ]
    result = run(b.write(tmp_path, "num.xml", b.inv101(b.head(cbook), lines)), world.users.enterprise)
    assert not result.ok
    named = {(e.column.split(" › ")[-1], e.value) for e in result.errors}
    assert ("InvtListType[1]/dclQty", "1.123456") in named
    assert ("InvtListType[x2]/gdsSeqno", "x2") in named
    assert ("InvtListType[3]/dclTotalAmt", "-4") in named
    assert len(result.errors) == 3  # the clean elements are not named
    assert not InventoryList.objects.exists()


def test_values_with_tabs_and_backslashes_are_staged_as_written(world, cbook, tmp_path):
    """The staged lines go through COPY on PostgreSQL: a value holding a tab or a backslash is
    escaped, so the error names it exactly as the message wrote it."""
    lines = [b.line(1, 5, dclUnitcd="0\\07"), b.line(2, 5, gds=2, lawfUnitcd="0\t7")]
    data = b.inv101(b.head(cbook), lines)
    result = run(b.write(tmp_path, "esc.xml", data), world.users.enterprise)
    assert not result.ok
    named = {(e.column.split(" › ")[-1], e.value) for e in result.errors}
    assert ("InvtListType[1]/dclUnitcd", "0\\07") in named
    assert ("InvtListType[2]/lawfUnitcd", "0\t7") in named


def test_a_staged_import_writes_each_batch_s_messages_with_its_lists(world, cbook, tmp_path, settings, monkeypatch):
    """A large (staged) import keeps nothing of a written batch in memory: the message rows are
    written with their staged lists, hidden from the message page until the publish, and deleted
    with them when the import fails."""
    from zonebook.customs import importers

    settings.IMPORT_STAGED = True
    settings.IMPORT_STAGE_PAUSE = 0
    monkeypatch.setattr(importers, "STAGE_LINES", 1)
    monkeypatch.setattr(importers, "CHUNK_LINES", 1)
    monkeypatch.setattr(Inv101Import, "batch_size", 1)  # one message per batch
    msgs = {f"m{i}.xml": b.inv101(b.head(cbook), [b.line(1, i + 1)]) for i in range(3)}
    seen_at_publish = []
    real_publish = Inv101Import.publish

    def publish(self, by):
        page = InventoryMessage.objects.exclude(inventory_list__state=ListState.IMPORTING)
        seen_at_publish.append((InventoryMessage.objects.count(), page.count(), len(self.messages)))
        return real_publish(self, by)

    monkeypatch.setattr(Inv101Import, "publish", publish)
    result = run(b.zip_of(tmp_path, "staged.zip", msgs), world.users.enterprise)
    assert result.ok, result.errors
    assert seen_at_publish == [(3, 0, 0)]  # written, hidden, and nothing left in memory
    assert set(InventoryMessage.objects.values_list("inventory_list__state", flat=True)) == {ListState.SUBMITTED}

    InventoryList.objects.all().delete()
    bad = {**msgs, "m9.xml": b.inv101(b.head(cbook), [b.line(1, 5, putrecSeqno="99")])}
    at_discard = []
    real_discard = Inv101Import.discard

    def discard(self):
        at_discard.append(InventoryMessage.objects.count())
        return real_discard(self)

    monkeypatch.setattr(Inv101Import, "discard", discard)
    result = run(b.zip_of(tmp_path, "staged-bad.zip", bad), world.users.enterprise)
    assert not result.ok and "InvtListType[1]/putrecSeqno" in result.errors[0].column
    assert at_discard == [3]  # the first three batches were staged with their messages
    assert not InventoryList.objects.exists() and not InventoryMessage.objects.exists()
