"""The Python renderers of table bodies and <select> widgets give the same HTML as the templates."""

import re
from datetime import UTC, date
from decimal import Decimal

import django_tables2 as tables
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.test import RequestFactory
from django.utils import translation

from zonebook.core.form_renderer import FastSelectRenderer, render_select
from zonebook.core.lists import BaseTable


def squash(html: str) -> str:
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", str(html))).strip()


class _Form(forms.Form):
    kind = forms.ChoiceField(
        choices=[("", "---------"), ("a", 'A & "quoted" <b>'), ("Group", [("g1", "G1"), ("g2", 2)])],
        widget=forms.Select(attrs={"class": "form-select", "data-x": True, "data-off": False}),
    )
    many = forms.MultipleChoiceField(choices=[(1, "one"), (2, "two")], required=False)


def test_select_matches_django_templates():
    form = _Form(data={"kind": "g1", "many": ["2"]})
    plain = _Form(data={"kind": "g1", "many": ["2"]}, renderer=DjangoTemplates())
    assert isinstance(form.renderer, FastSelectRenderer)  # settings.FORM_RENDERER
    for name in ("kind", "many"):
        fast, slow = form[name].as_widget(), plain[name].as_widget()
        assert squash(fast) == squash(slow), (fast, slow)
    assert "selected" in render_select(form["kind"].field.widget.get_context("kind", "g1", {})["widget"])


class _Table(BaseTable):
    code = tables.Column()
    name = tables.Column(attrs={"td": {"class": lambda value: "neg" if value == "x" else "pos"}})
    qty = tables.Column(localize=True)
    raw = tables.Column(localize=False)
    day = tables.DateColumn()
    link = tables.Column(linkify=lambda record: f"/r/{record['code']}/", empty_values=())

    class Meta(BaseTable.Meta):
        pass


ROWS = [
    {
        "code": "A<1>",
        "name": "x",
        "qty": Decimal("12345.50000"),
        "raw": 1234567,
        "day": date(2026, 1, 2),
        "link": "go",
    },
    {"code": "B&2", "name": "y", "qty": None, "raw": None, "day": None, "link": None},
]


def _render(table, template_name):
    table.template_name = template_name
    request = RequestFactory().get("/x/")
    return Template("{% load django_tables2 %}{% render_table table %}").render(
        Context({"table": table, "request": request})
    )


def test_table_body_matches_django_tables2():
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            for rows in (ROWS, []):
                fast = _render(_Table(rows), "core/table.html")
                slow = _render(_Table(rows), "django_tables2/bootstrap5-responsive.html")
                assert squash(fast) == squash(slow)
    fast = _render(_Table(ROWS), "core/table.html")
    assert "A&lt;1&gt;" in fast and 'class="neg' in fast and 'href="/r/B&amp;2/"' in fast


def test_date_columns_and_choice_display_unchanged():
    from datetime import datetime

    from django.db.models import Model
    from django_tables2.columns import DateColumn, DateTimeColumn, TemplateColumn

    from zonebook.ledger.models import InventoryList

    table = _Table(ROWS)
    bound = table.columns["day"]
    for column, value in (
        (DateColumn(format="Y-m-d"), date(2026, 1, 2)),
        (DateColumn(), date(2026, 1, 2)),
        (DateTimeColumn(format="Y-m-d H:i"), datetime(2026, 1, 2, 23, 30, tzinfo=UTC)),
        (DateColumn(format="Y-m-d"), "not a date"),
    ):
        row = table.rows[0]
        fast = column.render(record={}, table=table, value=value, bound_column=bound, bound_row=row)
        slow = TemplateColumn.render(
            column, record={}, table=table, value=value, bound_column=bound, bound_row=row
        )
        assert str(fast) == str(slow), (fast, slow)
    with translation.override("zh-hans"):
        lst = InventoryList(ie_mark="I", state="posted")
        for name in ("ie_mark", "state"):
            field = InventoryList._meta.get_field(name)
            assert lst._get_FIELD_display(field) == Model._get_FIELD_display(lst, field)
            assert getattr(lst, f"get_{name}_display")() == Model._get_FIELD_display(lst, field)
        assert lst.get_state_display() != "posted"  # translated


def test_plain_columns_read_directly_give_the_same_cells():
    """Model records: plain columns are read directly; choices, render_* methods, date and custom
    columns are rendered without django-tables2's per-cell accessor work; None relations fall back."""
    from django.utils.html import format_html

    from zonebook.ledger.models import Book, InventoryList
    from zonebook.registry.models import Enterprise

    class DaysLike(tables.Column):
        def __init__(self, *args, **kwargs):
            kwargs.setdefault("empty_values", ())
            super().__init__(*args, **kwargs)

        def render(self, value, record):
            return "—" if value is None else format_html("<b>{}</b> {}", value.day, record.number)

    class ListTable(BaseTable):
        number = tables.Column()
        book = tables.Column(accessor="book__number")
        enterprise = tables.Column(accessor="enterprise__name")
        ie_mark = tables.Column()  # choices -> get_ie_mark_display()
        line_count = tables.Column(localize=True)
        total_amount = tables.Column()
        note = tables.Column()  # "" is an empty value -> default
        state = tables.Column()
        declared = tables.DateColumn(accessor="declaration_date", format="Y-m-d")
        days = DaysLike(accessor="declaration_date")

        class Meta(BaseTable.Meta):
            model = InventoryList
            fields = ()

        def render_state(self, record):
            return f"<{record.state}>"

    ent = Enterprise(name='A & B "Ltd"')
    rows = [
        InventoryList(
            number="QD<1>",
            book=Book(number="E01"),
            enterprise=ent,
            ie_mark="I",
            line_count=12345,
            total_amount=Decimal("1234.50"),
            note="n&b",
            state="posted",
            declaration_date=date(2026, 1, 2),
        ),
        InventoryList(
            number="QD2",
            book=Book(number="E02"),
            enterprise=None,
            ie_mark="E",
            line_count=0,
            total_amount=None,
            note="",
            state="draft",
        ),
    ]
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            fast = _render(ListTable(rows), "core/table.html")
            slow = _render(ListTable(rows), "django_tables2/bootstrap5-responsive.html")
            # the one deliberate difference: a Decimal cell reads as a number (grouped, the
            # decimals it needs; core.formatting.quantity)
            assert squash(fast) == squash(slow).replace("<td >1234.50</td>", "<td >1,234.5</td>")
    assert "<td >1,234.5</td>" in squash(fast)
    assert "QD&lt;1&gt;" in fast and "A &amp; B &quot;Ltd&quot;" in fast and "&lt;posted&gt;" in fast
    assert "2026-01-02" in fast and "<b>2</b> QD&lt;1&gt;" in fast
    # and the fast path is really taken: only the columns that need django-tables2 go through it
    from unittest import mock

    from django_tables2.rows import BoundRow

    with mock.patch.object(BoundRow, "get_cell", autospec=True, side_effect=BoundRow.get_cell) as get_cell:
        _render(ListTable(rows), "core/table.html")
    called = sorted({c.args[1] for c in get_cell.call_args_list})
    assert called == ["enterprise"]  # the None relation of the 2nd row
