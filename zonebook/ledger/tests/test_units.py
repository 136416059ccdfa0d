"""Unit codes on book items (申报/法定/第二法定计量单位) must be codes of the registry unit table.

Before: any three digits passed (``999``).  One check (``models.book.unit_problem``) serves the model
field (forms, item services) and the bulk services behind the item import."""

from __future__ import annotations

import pytest
from django.db import connection
from django.forms import modelform_factory
from django.test.utils import CaptureQueriesContext

from zonebook.core.errors import DomainError
from zonebook.core.imports import pipeline
from zonebook.core.imports.kinds import get_kind
from zonebook.ledger import services
from zonebook.ledger.models import BookItem
from zonebook.ledger.models.book import unit_problem
from zonebook.ledger.tests import factories as f

pytestmark = pytest.mark.django_db

UNKNOWN = "Unit code “999” is not in the unit code table"


def _item(seq, **kw):
    return {
        "seq_no": seq,
        "part_no": f"M{seq}",
        "hs_code": f.HS_MATERIAL,
        "name": "芯片",
        "unit": "007",
        "legal_unit1": "035",
        **kw,
    }


def test_unit_problem_checks_the_code_table():
    assert unit_problem("007") is None and unit_problem("") is None
    assert UNKNOWN in unit_problem("999")
    assert "3 digits" in unit_problem("7")


def test_add_item_refuses_an_unknown_unit(world):
    book = f.book(world.enterprises.a1)
    for field in ("unit", "legal_unit1", "legal_unit2"):
        with pytest.raises(DomainError) as exc:
            services.add_item(book, "material", _item(1, **{field: "999"}))
        assert UNKNOWN in str(exc.value.message)
        assert exc.value.field == field
    assert not BookItem.objects.filter(book=book).exists()
    item = services.add_item(book, "material", _item(1))
    with pytest.raises(DomainError) as exc:
        services.update_item(item, {"legal_unit2": "999"})
    assert exc.value.field == "legal_unit2"


def test_add_items_reports_unknown_units_per_row_with_one_read_of_the_table(world):
    book = f.book(world.enterprises.a1)
    with pytest.raises(DomainError) as exc:
        services.add_items(
            book, "material", [_item(1), _item(2, unit="999"), _item(3, legal_unit1="999"), _item(4)]
        )
    got = [(e.row, e.column, e.value) for e in exc.value.details]
    assert got == [(2, "unit", "999"), (3, "legal_unit1", "999")]
    assert all(UNKNOWN in e.reason for e in exc.value.details)
    # the unit table is read once per call, however many items
    counts = []
    for start, n in ((10, 3), (100, 60)):
        with CaptureQueriesContext(connection) as ctx:
            services.add_items(book, "material", [_item(s) for s in range(start, start + n)])
        counts.append(sum('"registry_code"' in q["sql"] for q in ctx.captured_queries))
    assert counts[0] == counts[1]


def test_a_form_on_the_item_shows_the_unit_error():
    form_cls = modelform_factory(BookItem, fields=("unit", "legal_unit1", "legal_unit2"))
    form = form_cls(data={"unit": "999", "legal_unit1": "007", "legal_unit2": ""})
    assert not form.is_valid()
    assert list(form.errors) == ["unit"] and UNKNOWN in form.errors["unit"][0]
    assert form_cls(data={"unit": "035", "legal_unit1": "007", "legal_unit2": ""}).is_valid()


def test_item_import_names_row_column_and_reason(world, tmp_path):
    book = f.book(world.enterprises.a1)
    path = tmp_path / "items.csv"
    path.write_text(
        "备案号,料件成品标记,备案序号,料号,商品编码,商品名称,申报计量单位,法定计量单位\n"
        f"{book.number},料件,1,M1,{f.HS_MATERIAL},芯片,007,035\n"
        f"{book.number},料件,2,M2,{f.HS_MATERIAL},芯片,999,035\n"
        f"{book.number},料件,3,M3,{f.HS_MATERIAL},芯片,007,999\n",
        encoding="utf-8",
    )
    result = pipeline.run(get_kind("ledger_items"), path, path.name, world.users.enterprise)
    msgs = [str(e) for e in result.errors]
    assert len(msgs) == 2, msgs
    assert msgs[0].startswith("row 3, column 申报计量单位: ") and UNKNOWN in msgs[0]
    assert msgs[1].startswith("row 4, column 法定计量单位: ") and UNKNOWN in msgs[1]
    assert not BookItem.objects.filter(book=book).exists()
