"""Large zips are parsed by worker processes (xmlio.read_messages): the same messages, in the same
order, with the same errors and the importer's prepared values, as when read here; a damaged member
is named; a whole import through the processes posts what the serial reader posts."""

from __future__ import annotations

import zipfile

import pytest

from zonebook.core.imports import pipeline
from zonebook.customs import linecheck, xmlio
from zonebook.customs.importers import Inv101Import, _prepare
from zonebook.customs.models import InventoryMessage
from zonebook.ledger.models import InventoryList

from . import builders as b


@pytest.fixture
def small_runs(monkeypatch):
    """Processes from 3 members on, 2 members per task: a few messages cover many tasks."""
    monkeypatch.setattr(xmlio, "PARALLEL_FROM", 3)
    monkeypatch.setattr(xmlio, "PARALLEL_CHUNK", 2)
    monkeypatch.setattr(xmlio, "PARALLEL_AHEAD", 1)


def _zip(tmp_path, cbook, *, stored=False):
    members = {f"m{i:02d}.xml": b.inv101(b.head(cbook), [b.line(1, i + 1), b.line(2, 3, gds=2)]) for i in range(7)}
    members["m03.xml"] = b"<Package><broken></Package>"
    members["m05.xml"] = b.receipt(cbook, number="QD510126I000000001")
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED) as zf:
        for name, data in sorted(members.items(), reverse=True):  # (read in name order whatever the order here)
            zf.writestr(name, data)
    return path


def _plain(msgs):
    return [
        (m.source, m.ordinal, m.element, m.reason)
        if isinstance(m, xmlio.BadMessage)
        else (m.source, m.ordinal, m.type, m.message_id, m.head, m.result, m.lines, m.prepared)
        for m in msgs
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("stored", [False, True])
def test_processes_read_what_the_serial_reader_reads(world, cbook, tmp_path, small_runs, stored):
    path = _zip(tmp_path, cbook, stored=stored)
    kinds = list(xmlio.members(path, path.name))
    assert len(kinds) == 1 and kinds[0][1] is None and len(kinds[0][2]) == 7  # handed over as entries
    parallel = _plain(xmlio.read_messages(path, path.name, prepare=_prepare, workers=2))
    serial = _plain(xmlio.read_messages(path, path.name, prepare=_prepare, workers=0))
    assert parallel == serial
    assert [p[1] for p in parallel] == list(range(1, 8))
    assert [p[0] for p in parallel] == [f"m{i:02d}.xml" for i in range(7)]
    assert "malformed" in parallel[3][3]
    assert parallel[5][2] == "INV201" and parallel[5][7] == {}  # a receipt: nothing prepared
    assert parallel[0][7]["digest"] and parallel[0][7]["line_check"] == linecheck.summary(parallel[0][6])


@pytest.mark.django_db
def test_a_damaged_member_is_named(world, cbook, tmp_path, small_runs):
    path = _zip(tmp_path, cbook, stored=True)
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo("m02.xml")
    at = data.index(b"<", info.header_offset + 30 + len(info.filename))  # the member's first byte
    data[at + 5] ^= 0xFF  # flip a byte of the member: the CRC no longer matches
    path.write_bytes(bytes(data))
    msgs = list(xmlio.read_messages(path, path.name, workers=2))
    bad = msgs[2]
    assert isinstance(bad, xmlio.BadMessage) and bad.source == "m02.xml" and "damaged" in bad.reason
    assert all(isinstance(m, xmlio.Message) for k, m in enumerate(msgs) if k not in (2, 3))


@pytest.mark.django_db
def test_an_import_through_the_processes_writes_the_lists(world, cbook, tmp_path, small_runs):
    members = {f"m{i:02d}.xml": b.inv101(b.head(cbook), [b.line(1, i + 1), b.line(2, 2, gds=2)]) for i in range(5)}
    path = b.zip_of(tmp_path, "five.zip", members)
    result = pipeline.run(Inv101Import, path, path.name, world.users.enterprise)
    assert result.ok, result.errors
    assert InventoryList.objects.filter(book=cbook).count() == 5
    assert InventoryMessage.objects.count() == 5
    # replayed through the processes: the prepared digests equal the stored ones, nothing changes
    again = pipeline.run(Inv101Import, path, path.name, world.users.enterprise)
    assert again.ok and InventoryList.objects.filter(book=cbook).count() == 5


@pytest.mark.django_db
def test_a_clean_batch_is_checked_without_staging_its_lines(world, cbook, django_assert_max_num_queries):
    lines = [b.line(1, 5), b.line(2, "0.12345", gds=2, lawfUnitcd="007")]
    batch = [(0, cbook.pk, "material", lines)]
    assert linecheck._all_clean(batch)
    with django_assert_max_num_queries(2):  # the unit table and the items; no temporary table
        assert linecheck.problems(batch) == []


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change, code",
    [
        ({"putrecSeqno": "9"}, "no_item"),
        ({"dclUnitcd": "999"}, "unit_table"),
        ({"dclUnitcd": "035"}, "unit_filed"),
        ({"lawfUnitcd": "998"}, "unit_table"),
        ({"gdecd": ""}, "required"),
        ({"dclQty": "1.123456"}, "number"),
        ({"gdsSeqno": "x"}, "digits"),
    ],
)
def test_any_doubt_sends_the_batch_to_the_query_that_names_it(world, cbook, change, code):
    from zonebook.registry.testing import code as code_row

    code_row("unit", "035", "千克")
    bad = {**b.line(2, 3, gds=2), **change}
    batch = [(0, cbook.pk, "material", [b.line(1, 5), bad])]
    assert not linecheck._all_clean(batch)
    found = linecheck.problems(batch)
    assert [(p.line, p.code) for p in found] == [(2, code)]
    # the same from the summary computed where the message was parsed (a process): still named
    summary = linecheck.summary(batch[0][3])
    assert (summary is None) == (code in ("number", "digits"))  # (the others: by the combinations)
    assert not linecheck._all_clean(batch, [summary])
    assert [(p.line, p.code) for p in linecheck.problems(batch, [summary])] == [(2, code)]


@pytest.mark.django_db
def test_a_summary_holds_each_distinct_combination_once(world, cbook):
    lines = [b.line(1, 5), b.line(2, "1.5", gds=2), b.line(1, 7, gds=3, lawfUnitcd="007")]
    summary = linecheck.summary(lines)
    assert linecheck._combos(set(summary.split("\x1e"))) == {
        (1, "007", "", "", True),
        (2, "007", "", "", True),
        (1, "007", "007", "", True),
    }
    batch = [(0, cbook.pk, "material", lines), (1, cbook.pk, "material", lines[:1])]
    assert linecheck._all_clean(batch, [summary, linecheck.NOT_COMPUTED])


@pytest.mark.django_db
def test_runs_are_bounded_by_members_and_bytes_and_large_members_stay_serial(world, cbook, tmp_path, small_runs, monkeypatch):
    path = _zip(tmp_path, cbook)
    entries = next(iter(xmlio.members(path, path.name)))[2]
    sizes = [e[4] for e in entries]
    seen: list[list[str]] = []
    real = xmlio._parse_run

    def spy(p, run, first, prepare):
        seen.append([m[0] for m in run])
        return real(p, run, first, prepare)

    monkeypatch.setattr(xmlio, "_parse_run", spy)
    monkeypatch.setattr(xmlio, "PARALLEL_CHUNK", 100)
    monkeypatch.setattr(xmlio, "PARALLEL_RUN_BYTES", max(sizes) + min(sizes) - 1)  # never two large ones
    msgs = list(xmlio.read_messages(path, path.name, workers=0))
    assert [m.ordinal for m in msgs] == list(range(1, 8))
    assert [n for run in seen for n in run] == [f"m{i:02d}.xml" for i in range(7)]
    for run in seen:
        total = sum(sizes[int(n[1:3])] for n in run)
        assert len(run) == 1 or total <= xmlio.PARALLEL_RUN_BYTES
    assert len(seen) >= 4
    # a member past WHOLE_PARSE_BYTES (parsed streaming, one line at a time) keeps the zip serial
    monkeypatch.setattr(xmlio, "WHOLE_PARSE_BYTES", max(sizes) - 1)
    kinds = list(xmlio.members(path, path.name))
    assert len(kinds) == 7 and all(stream is not None for _n, stream, _s in kinds)


@pytest.mark.django_db
def test_a_large_zip_s_directory_is_read_apart_into_the_same_entries(world, cbook, tmp_path, small_runs, monkeypatch):
    """From ``SCAN_APART_BYTES`` on, the directory is read and checked in a forked process, which hands
    back the compact entries: the same as read here, and a refusal is the same refusal."""
    path = _zip(tmp_path, cbook)
    here = next(iter(xmlio.members(path, path.name)))[2]
    monkeypatch.setattr(xmlio, "SCAN_APART_BYTES", 0)
    apart = next(iter(xmlio.members(path, path.name)))[2]
    assert isinstance(apart, xmlio.Directory) and list(apart) == list(here) and len(apart) == 7
    assert apart[2:4] == [here[2], here[3]] and apart.sizes() == [e[4] for e in here]
    assert _plain(xmlio.read_messages(path, path.name, prepare=_prepare, workers=2)) == _plain(
        xmlio.read_messages(path, path.name, prepare=_prepare, workers=0)
    )
    evil = b.zip_of(tmp_path, "evil.zip", {f"m{i}.xml": b"<a/>" for i in range(4)} | {"../x.xml": b"<a/>"})
    with pytest.raises(xmlio.FileRefused) as exc:
        list(xmlio.members(evil, evil.name))
    assert "../x.xml" in exc.value.reason
    monkeypatch.setattr(xmlio, "WHOLE_PARSE_BYTES", 1)  # not for processes: read here, member by member
    kinds = list(xmlio.members(path, path.name))
    assert len(kinds) == 7 and all(stream is not None for _n, stream, _s in kinds)


def test_a_directory_gives_back_each_entry_as_read(tmp_path):
    path = tmp_path / "names.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in ("a.xml", "核注清单/二号.xml", "Ünïcode ☃.xml"):
            zf.writestr(name, b"<a>" + name.encode() + b"</a>")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        want = [(i.filename, i.header_offset, i.compress_size, i.compress_type, i.file_size, i.CRC) for i in infos]
    d = xmlio.Directory.of(infos)
    assert len(d) == 3 and list(d) == want and d[-1] == want[-1] and d[1:] == want[1:]
    assert d.sizes() == [w[4] for w in want]
    with pytest.raises(IndexError):
        d[3]
