"""The Python renderers of table bodies and <select> widgets give the same HTML as the templates."""

import re
from datetime import UTC, date
from decimal import Decimal

import django_tables2 as tables
import pytest
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
    amount = tables.Column(attrs={"td": {"data-type": lambda value: type(value).__name__}})

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
        "amount": Decimal("1234.50"),
    },
    {"code": "B&2", "name": "y", "qty": None, "raw": None, "day": None, "link": None, "amount": None},
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
                assert _numbers_as_pages_show_them(squash(fast)) == _numbers_as_pages_show_them(squash(slow))
    fast = _render(_Table(ROWS), "core/table.html")
    assert "A&lt;1&gt;" in fast and 'class="neg' in fast and 'href="/r/B&amp;2/"' in fast
    assert '<td data-type="Decimal">1,234.5</td>' in fast


def test_no_third_party_code_is_patched_at_run_time():
    """django-tables2 and Django run as shipped: the speed comes from core.table_render's plan."""
    from django.db.models import Model
    from django.template import Template as DjangoTemplate
    from django_tables2 import utils
    from django_tables2.columns import DateColumn, DateTimeColumn, templatecolumn

    from zonebook.ledger.models import InventoryList

    assert utils.signature.__module__ == "django_tables2.utils"
    assert templatecolumn.Template is DjangoTemplate
    assert "render" not in DateColumn.__dict__ and "render" not in DateTimeColumn.__dict__
    assert InventoryList.__dict__["get_state_display"].func is Model._get_FIELD_display


def test_date_columns_and_choice_labels_by_the_plan_equal_django_tables2(monkeypatch):
    from datetime import datetime

    from django.db.models import Model
    from django_tables2.columns import DateColumn, DateTimeColumn, TemplateColumn

    from zonebook.core.table_render import ChoiceDisplay, ColumnPlan
    from zonebook.ledger.models import InventoryList

    class Dates(BaseTable):
        day = tables.Column()

    seen = set()
    for column, value in (
        (DateColumn(format="Y-m-d"), date(2026, 1, 2)),
        (DateColumn(), date(2026, 1, 2)),
        (DateColumn(short=False), date(2026, 1, 2)),
        (DateTimeColumn(format="Y-m-d H:i"), datetime(2026, 1, 2, 23, 30, tzinfo=UTC)),  # local time
        (DateTimeColumn(), datetime(2026, 1, 2, 23, 30, tzinfo=UTC)),
        (DateColumn(format="Y-m-d"), "not a date"),  # the date filter gives "": the default
    ):
        for lang in ("zh-hans", "en"):
            with translation.override(lang):
                table = Dates([{"day": value}])
                bound = table.columns["day"]
                bound.column = column
                bound.render = column.render
                row = table.rows[0]
                plan = ColumnPlan(bound, row.record)
                assert plan.usable and plan.date_format is not None
                fast = plan.cell(row, row.record, table)
                slow = TemplateColumn.render(
                    column, record=row.record, table=table, value=value, bound_column=bound, bound_row=row
                )
                assert str(fast) == str(slow), (fast, slow)
                seen.add(str(fast))
    assert {"2026-01-03 07:30", "—"} <= seen  # Asia/Shanghai local time; the default
    with translation.override("zh-hans"):
        lst = InventoryList(ie_mark="I", state="posted")
        for name in ("ie_mark", "state"):
            field = InventoryList._meta.get_field(name)
            assert ChoiceDisplay(name)(lst) == Model._get_FIELD_display(lst, field)
        assert ChoiceDisplay("state")(lst) != "posted"  # translated
        assert ChoiceDisplay("state")(InventoryList(state="no such")) == "no such"
        # a field whose choices are replaced gets a new dictionary
        field = InventoryList._meta.get_field("state")
        monkeypatch.setattr(field, "choices", [("posted", "Gebucht")])
        assert ChoiceDisplay("state")(lst) == "Gebucht"
        # a model's own get_FOO_display is what the page shows
        monkeypatch.setattr(InventoryList, "get_state_display", lambda self: f"own {self.state}")
        assert ChoiceDisplay("state")(lst) == "own posted"


def test_choice_label_equals_get_foo_display_for_every_choice_of_every_model():
    from django.apps import apps
    from django.db.models import Model

    from zonebook.core.table_render import choice_label

    checked = 0
    for lang in ("zh-hans", "en"):
        with translation.override(lang):
            for model in apps.get_models():
                if not model.__module__.startswith("zonebook."):
                    continue
                for field in model._meta.concrete_fields:
                    if not field.choices:
                        continue
                    obj = model()
                    for key in [k for k, _label in field.flatchoices] + ["no such value", None]:
                        setattr(obj, field.attname, key)
                        expected = Model._get_FIELD_display(obj, field)
                        assert choice_label(obj, field.name) == expected, (model, field.name, key)
                        checked += 1
    assert checked > 500


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


# --- every table class of every app: our plan renders what django-tables2's stock code renders ----


def _table_classes() -> list[type]:
    """Every concrete table class of every installed zonebook app (``<app>/tables.py`` or the
    ``<app>/tables/`` package)."""
    import importlib
    import pkgutil

    from django.apps import apps

    for cfg in apps.get_app_configs():
        if not cfg.name.startswith("zonebook."):
            continue
        try:
            module = importlib.import_module(f"{cfg.name}.tables")
        except ModuleNotFoundError as exc:
            if exc.name != f"{cfg.name}.tables":
                raise
            continue
        for info in pkgutil.iter_modules(getattr(module, "__path__", [])):
            importlib.import_module(f"{module.__name__}.{info.name}")

    def walk(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from walk(sub)

    found = {
        c
        for c in walk(tables.Table)
        if c.__module__.startswith("zonebook.") and ".tests" not in c.__module__ and c._meta.model is not None
    }
    return sorted(found, key=lambda c: (c.__module__, c.__name__))


_TEXT = 'A&B <{}> "{}"'


def _sample(field, variant: int, depth: int):
    """A value of ``field`` for row ``variant``: 0 full, 1 empty where the field allows it (None,
    ""), 2 other values (another choice, negative numbers, False)."""
    import datetime as dt
    import uuid

    from django.db import models

    if variant == 1 and field.null and not field.primary_key:
        return None
    if field.choices:
        keys = [k for k, _ in field.flatchoices if k not in ("", None)]
        if variant == 1 and field.blank and "" in [k for k, _ in field.flatchoices] + [""]:
            return "" if isinstance(keys[0], str) else keys[0]
        return keys[(0, 0, 1)[variant] % len(keys)] if keys else None
    if isinstance(field, models.BooleanField):
        return variant != 2
    if isinstance(field, models.DecimalField):
        return (Decimal("12345.678"), Decimal("0"), Decimal("-0.50"))[variant]
    if isinstance(field, models.FloatField):
        return (1234.5, 0.0, -0.25)[variant]
    if isinstance(field, models.IntegerField | models.AutoField):
        return (12345, 0, 7)[variant]
    if isinstance(field, models.DateTimeField):
        return dt.datetime(2026, 1, 2 + variant, 23, 30, tzinfo=UTC)
    if isinstance(field, models.DateField):
        return date(2026, 1, 2 + variant)
    if isinstance(field, models.TimeField):
        return dt.time(8, 30)
    if isinstance(field, models.DurationField):
        return dt.timedelta(days=3 + variant)
    if isinstance(field, models.UUIDField):
        return uuid.UUID(int=variant + 1)
    if isinstance(field, models.JSONField):
        return {"a": variant} if variant != 1 else {}
    if isinstance(field, models.FileField):
        return "" if variant == 1 else f"files/x{variant}.pdf"
    if isinstance(field, models.GenericIPAddressField):
        return "10.0.0.1"
    if isinstance(field, models.CharField | models.TextField):
        if variant == 1 and field.blank:
            return ""
        return _TEXT.format(field.name[:4], variant)
    return None


# what a page's queryset annotates or a pattern demands (the rest is filled by field type)
_OVERRIDES = {
    "Bulletin": {"latest_version": 2},
    "Zone": {"city_name": "成都市"},
    "EvaluationRun": {"code": "run-1"},
}


def _instance(model, variant: int, depth: int = 0):
    """An unsaved ``model`` instance with every concrete field filled (relations to depth 2; a
    nullable relation is None in row 1), its primary key set so that links reverse."""
    from django.db import models

    obj = model()
    for field in model._meta.concrete_fields:
        if field.primary_key:
            setattr(obj, field.attname, variant + 1)
            continue
        if isinstance(field, models.ForeignKey):
            if (variant == 1 and field.null) or depth >= 2:
                if not field.null:
                    setattr(obj, field.attname, variant + 1)  # an id without the object
                continue
            setattr(obj, field.name, _instance(field.related_model, variant, depth + 1))
            continue
        setattr(obj, field.attname, _sample(field, variant, depth))
    for name, value in _OVERRIDES.get(model.__name__, {}).items():
        setattr(obj, name, value)
    return obj


def _rows(table_class) -> list:
    rows = [_instance(table_class._meta.model, v) for v in range(3)]
    probe = table_class(rows)
    for row in rows:  # a column on an annotation (e.g. a count) gets a number
        for bound in probe.columns.iterall():
            first = str(bound.accessor).split("__")[0]
            try:
                getattr(row, first)
            except AttributeError:
                setattr(row, first, (12345, None, 3)[rows.index(row)])
            except Exception:  # noqa: S110 (a relation that is not set: rendered as django-tables2 does)
                pass
    return rows


def _numbers_as_pages_show_them(html: str) -> str:
    """django-tables2 prints a Decimal as ``12345.678``; our pages show ``12,345.678`` (the one
    deliberate difference, core.formatting.quantity): bare numbers in cells are written the way
    our pages write them, on both sides (a cell formatted by its column, e.g. ``0.00``, is the
    column's own code on both sides)."""
    from zonebook.core.formatting import quantity

    def fix(match):
        text = match.group(2)
        if "." in text or abs(int(text)) >= 10_000:
            text = quantity(Decimal(text))
        return f"<td {match.group(1)}>{text}</td>"

    return re.sub(r"<td ([^>]*)>(-?\d+(?:\.\d+)?)</td>", fix, html)


@pytest.mark.django_db
def test_every_table_of_every_app_renders_what_django_tables2_renders(admin_user):
    """Pages and exports: for each table class of each app, three rows (full values, empty values
    and None relations, other choices and negative numbers) give the same body HTML as
    django-tables2's own template and the same export values as ``BoundRow.get_cell_value``; and
    most cells are filled by the plan, not by django-tables2's ``get_cell``."""
    classes = _table_classes()
    assert len(classes) >= 30
    request = RequestFactory().get("/x/")
    request.user = admin_user
    cells = fallbacks = 0
    failures = []
    for table_class in classes:
        try:
            cells_fallbacks = _compare(table_class, request)
        except Exception as exc:  # every table is reported, not only the first that differs
            failures.append(f"{table_class.__module__}.{table_class.__name__}: {exc!r}"[:3000])
            continue
        cells += cells_fallbacks[0]
        fallbacks += cells_fallbacks[1]
    assert not failures, "\n".join(failures)
    assert fallbacks < cells * 0.1, (fallbacks, cells)


def _compare(table_class, request) -> tuple[int, int]:
    from unittest import mock

    from django_tables2.rows import BoundRow

    from zonebook.core.exports import _export_columns, _raw_date_column, table_rows

    rows = _rows(table_class)
    cells = fallbacks = 0
    for lang in ("zh-hans",):  # the page language (both languages: the tests above)
        with translation.override(lang):
            with mock.patch.object(
                BoundRow, "get_cell", autospec=True, side_effect=BoundRow.get_cell
            ) as get_cell:
                fast = squash(_render(table_class(rows, request=request), "core/table.html"))
            slow = squash(
                _render(table_class(rows, request=request), "django_tables2/bootstrap5-responsive.html")
            )
            fast, slow = _numbers_as_pages_show_them(fast), _numbers_as_pages_show_them(slow)
            assert fast == slow, _first_difference(fast, slow)
            cells += len(rows) * len(list(table_class(rows).columns))
            fallbacks += get_cell.call_count
            table = table_class(rows, request=request)
            columns = _export_columns(table)
            raw = [_raw_date_column(table, bc) for bc in columns]
            stock = [
                [
                    bc.accessor.resolve(row.record, quiet=True) if is_raw else row.get_cell_value(bc.name)
                    for bc, is_raw in zip(columns, raw, strict=True)
                ]
                for row in table_class(rows, request=request).rows
            ]
            assert list(table_rows(table)) == stock
    return cells, fallbacks


def _first_difference(a: str, b: str) -> str:
    at = next((i for i, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"ours: …{a[max(0, at - 150) : at + 150]}… stock: …{b[max(0, at - 150) : at + 150]}…"
