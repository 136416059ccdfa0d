"""The one line specification (ledger/lines.py): the posting path's COPY order, the import's line
columns, the entry form's fields and the API serializer's fields all derive from it."""

from dataclasses import replace
from decimal import Decimal as D

import pytest

from zonebook.ledger import lines as spec
from zonebook.ledger.api.serializers import InventoryListLineSerializer, line_serializer_class
from zonebook.ledger.forms.books import LineForm, line_form_class
from zonebook.ledger.importers import LIST_LINE, InventoryListImport
from zonebook.ledger.models import InventoryListLine
from zonebook.ledger.services import posting
from zonebook.ledger.services.posting import lines as line_rows

from . import factories as f

BATCH_NO = spec.LineField(
    "batch_no",
    "batch no.",
    spec.TEXT,
    max_length=20,
    aliases=("批次号",),
    form=True,
)


def test_every_derivation_reads_the_specification():
    assert posting.LINE_COLUMNS is spec.LINE_COLUMNS
    model_fields = {fld.attname for fld in InventoryListLine._meta.concrete_fields}
    assert set(spec.LINE_COLUMNS) <= model_fields  # every written column is a model column
    assert tuple(LIST_LINE) == spec.IMPORT_LINE
    line_keys = [c.key for c in InventoryListImport.columns if c.key in spec.by_name()]
    assert tuple(line_keys) == spec.IMPORT_LINE
    assert tuple(k for k in LineForm.base_fields if k != "line_no") == spec.FORM_LINE
    assert tuple(InventoryListLineSerializer().fields) == spec.API_LINE
    # the derived columns are neither imported nor entered; the API shows the resolved version only
    assert "item_id" not in spec.IMPORT_LINE + spec.FORM_LINE + spec.API_LINE
    assert InventoryListLineSerializer().fields["resolved_version"].read_only


def test_a_field_added_to_the_specification_appears_everywhere():
    extended = (*spec.SPEC[:-1], BATCH_NO, spec.SPEC[-1])  # before resolved_version
    columns = spec.line_columns(extended)
    assert columns[-2:] == ("batch_no", "resolved_version")
    assert "batch_no" in spec.line_fields(extended)
    imported = {c.key: c for c in spec.import_columns(extended)}
    assert "batch_no" in imported and imported["batch_no"].aliases == ("批次号",)
    form = line_form_class(extended)()
    assert "batch_no" in form.fields and form.fields["batch_no"].max_length == 20
    assert "batch_no" in form.grid
    assert "batch_no" in line_serializer_class(extended)().fields
    # the form leaves it out again when the specification says so
    hidden = (*spec.SPEC, replace(BATCH_NO, form=False))
    assert "batch_no" not in line_form_class(hidden)().fields


@pytest.mark.django_db
def test_built_rows_follow_the_specifications_column_order(world, monkeypatch):
    b = f.book(world.enterprises.a1, kind="C")
    f.material(b, 1)
    extended = (*spec.SPEC[:-1], BATCH_NO, spec.SPEC[-1])
    columns = spec.line_columns(extended)
    extras, order = line_rows._plan(columns, extended)
    assert [x.name for x in extras] == ["batch_no"] and order is not None
    monkeypatch.setattr(line_rows, "LINE_FIELDS", spec.line_fields(extended))
    monkeypatch.setattr(line_rows, "_EXTRA_FIELDS", extras)
    monkeypatch.setattr(line_rows, "_ORDER", order)
    rows = line_rows._build_lines(b, "material", [{"item_seq_no": 1, "qty": "2.5", "batch_no": "B-7"}])
    row = dict(zip(columns, rows[0], strict=True))
    assert row["batch_no"] == "B-7" and row["qty"] == D("2.5") and row["item_seq_no"] == 1
    assert row["resolved_version"] == ""


def test_copy_text_escapes_what_copy_would_misread():
    rows = [(1, 2, "a\tb", None, "back\\slash", "two\nlines", D("1.50000"))]
    text = "".join(line_rows._copy_text([(9, rows)]))
    assert text == "9\t1\t2\ta\\tb\t\\N\tback\\\\slash\ttwo\\nlines\t1.50000\n"
    clean = [(1, 2, "plain", None, D("3"))]
    assert "".join(line_rows._copy_text([(9, clean)])) == "9\t1\t2\tplain\t\\N\t3\n"


def test_the_detail_page_columns_come_from_the_specification(client, world):
    """The list's detail page shows the line columns ``detail_line()`` names, in its order, with the
    headers of the specification; a field added with ``detail=`` appears without touching the page."""
    from django.urls import reverse

    from zonebook.ledger.tests import factories as fx

    assert [f.name for f in spec.detail_line()] == [
        "line_no", "item_seq_no", "part_no", "hs_code", "name", "qty", "legal_qty", "unit_price", "amount",
        "currency", "country", "consumption_version",
    ]
    b = fx.book(world.enterprises.a1)
    fx.material(b, 1)
    lst = fx.post(b, "0615", "I", "material", [(1, "1234.5")]).inventory_list
    client.force_login(world.users.zone)
    url = reverse("ledger:list_detail", args=[lst.pk])
    html = client.get(url).content.decode()
    drill = reverse("ledger:balance_drilldown", args=[lst.lines.get().item_id])
    assert "1,234.5" in html and drill in html
    extra = replace(spec.by_name()["legal_qty2"], detail="qty", detail_label="SECOND-LEGAL")
    patched = tuple(extra if f.name == "legal_qty2" else f for f in spec.SPEC)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(spec, "SPEC", patched)
        html = client.get(url).content.decode()
    assert "SECOND-LEGAL" in html


def _header():
    import datetime as dt

    return {
        "number": f.list_number("I"),
        "ie_mark": "I",
        "supervision_mode": "0615",
        "item_kind": "material",
        "declaration_date": dt.date(2026, 3, 1),
    }


def _stored(lst):
    return list(lst.lines.order_by("line_no").values_list(*spec.LINE_COLUMNS))


@pytest.mark.django_db
def test_streamed_lines_equal_the_built_rows(world, monkeypatch):
    """create_inventory_list writes (PostgreSQL: COPYs chunk by chunk while formatting) exactly the
    rows ``_build_lines`` builds: escaped texts, missing and zero numbers, given line numbers."""
    monkeypatch.setattr(line_rows, "SINK_CHUNK", 4)
    b = f.book(world.enterprises.a1)
    for seq in (1, 2, 3):
        f.material(b, seq)
    lines = [
        {"item_seq_no": 1 + k % 3, "qty": ["2.5", D("3"), 7, "0.00001"][k % 4], "line_no": 100 - k}
        | ({"name": "tab\there back\\slash"} if k % 5 == 0 else {})
        | ({"legal_qty": "1.5"} if k % 3 == 0 else {})
        | ({"unit_price": "1.2345", "currency": "USD"} if k % 2 else {})
        | ({"amount": "9.99"} if k % 7 == 0 else {})
        for k in range(15)
    ]
    lst = posting.create_inventory_list(b, _header(), lines)
    built = line_rows._build_lines(b, "material", lines, lst.declaration_date)
    assert _stored(lst) == sorted(built)
    assert lst.line_count == 15 and lst.lines.filter(name="tab\there back\\slash").count() == 3


@pytest.mark.django_db
def test_a_problem_in_a_late_chunk_writes_nothing(world, monkeypatch):
    from zonebook.core.errors import DomainError
    from zonebook.ledger.models import InventoryList

    monkeypatch.setattr(line_rows, "SINK_CHUNK", 5)
    b = f.book(world.enterprises.a1)
    f.material(b, 1)
    lines = [{"item_seq_no": 1, "qty": "1"} for _ in range(20)]
    lines[17]["qty"] = "0"
    lines[18]["item_seq_no"] = 99
    with pytest.raises(DomainError) as e:
        posting.create_inventory_list(b, _header(), lines)
    assert [(d.row, d.column) for d in e.value.details] == [(18, "qty"), (19, "item_seq_no")]
    assert not InventoryList.objects.filter(book=b).exists()
    assert not InventoryListLine.objects.filter(inventory_list__book=b).exists()


@pytest.mark.django_db
def test_problems_are_reported_line_by_line_in_column_order(world):
    """Validated column by column, reported as a line-by-line check would: by line, then column."""
    from zonebook.core.errors import DomainError

    b = f.book(world.enterprises.a1)
    m = f.material(b, 1)
    lines = [
        {"item_seq_no": 1, "qty": "1", "line_no": 1},
        {"item_seq_no": True, "qty": "x", "bogus": 1, "consumption_version": "v1"},
        {"item_seq_no": " 1 ", "qty": 0, "unit_price": -1, "part_no": 12, "line_no": 1},
        {"item_seq_no": 1.0, "qty": "-0", "legal_qty": "0", "hs_code": "123", "amount": "z"},
        {"item_seq_no": 1, "qty": [1], "part_no": 12.0, "consumption_version": "123456789"},
    ]
    with pytest.raises(DomainError) as e:
        line_rows._build_lines(b, "material", lines)
    got = [(d.row, d.column, d.value) for d in e.value.details]
    assert got == [
        (2, "bogus", ""),
        (2, "item_seq_no", "True"),
        (2, "qty", "x"),
        (2, "consumption_version", "v1"),
        (3, "line_no", "1"),
        (3, "part_no", "12"),
        (3, "qty", "0"),
        (3, "unit_price", "-1"),
        (4, "item_seq_no", "1.0"),
        (4, "hs_code", "123"),
        (4, "qty", "-0"),
        (4, "legal_qty", "0"),
        (4, "amount", "z"),
        (5, "part_no", "12.0"),
        (5, "qty", "[1]"),
        (5, "consumption_version", "123456789"),
    ]
    assert m.part_no != "12"


@pytest.mark.django_db
def test_lines_with_an_unhashable_value_are_written_row_by_row(world, monkeypatch):
    """A given value that cannot be a dictionary key (a list) leaves the per-combination path: the
    lines are checked and written one by one, with the same rows."""
    monkeypatch.setattr(line_rows, "SINK_CHUNK", 2)
    b = f.book(world.enterprises.a1)
    f.material(b, 1)
    lines = [
        {"item_seq_no": 1, "qty": "1.5", "name": ["a", "b"]},
        {"item_seq_no": 1, "qty": "2"},
        {"item_seq_no": 1, "qty": 3},
    ]
    lst = posting.create_inventory_list(b, _header(), lines)
    assert _stored(lst) == sorted(line_rows._build_lines(b, "material", lines, lst.declaration_date))
    assert lst.lines.get(line_no=1).name == "['a', 'b']"
