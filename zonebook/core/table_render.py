"""Render a django-tables2 table body (and its export values) in Python with a per-column plan.

django-tables2's ``bootstrap5.html`` renders each cell through the template engine
(``{% for column, cell in row.items %}<td {{ column.attrs.td.as_html }}>…``), and each cell goes
through ``BoundRow.get_cell``: an ``Accessor`` is built and resolved (twice for a choices field),
the model field is looked up, ``inspect.signature`` is called to find which keyword arguments the
render method takes, ``get_FOO_display()`` rebuilds the choices dictionary (a ``gettext`` per
choice), and a ``DateColumn`` compiles a ``Template`` — for every cell.  On a 100-row, 12-column
list that is most of the page's CPU time.

``render_body`` produces the same markup with the same escaping and localisation rules from a
*plan* built once per table render, from the first record (``ColumnPlan``, ``RowPlan``), using
only django-tables2's documented extension points (columns, ``render_<name>``/``value_<name>``,
``linkify``, ``attrs``, ``row_attrs``) and no patched code:

* the value is read along the accessor path directly (a dict key, then attributes; ``None`` stops
  the walk as ``Accessor.resolve`` does); a choices field is shown by its label from a dictionary
  built once per field and plan (exactly ``Model._get_FIELD_display``, unless the model defines its
  own ``get_FOO_display``);
* a render method (``render_<name>``, the column's ``render``) is called with the keyword arguments
  it declares, found once per plan (``Caller``) instead of per cell;
* a ``DateColumn``/``DateTimeColumn`` with its stock template calls the ``date`` filter directly;
* a link (``linkify``: a callable, ``reverse`` arguments or ``get_absolute_url``) is composed as
  ``LinkTransform`` does, with static ``<a>`` attributes built once;
* a column's ``<td>`` attributes are built once per table when static, else per cell with cached
  signatures; row attributes likewise.

What the plan does not cover falls back to django-tables2's own ``get_cell``/``get_cell_value``
(``BaseLinkColumn``/``ManyToManyColumn``, callables in the path, other template columns, links
with callable ``<a>`` attributes, a path that raises).  One deliberate difference on pages: a
Decimal cell (and an integer from 10,000 up) reads as a number — thousands separators and the
decimals the value needs (``core.formatting.quantity``: 12345.50000 → 12,345.5); exports keep the
raw value.  ``core/tests/test_rendering.py`` compares the output with django-tables2's stock
rendering (its template and ``get_cell``/``get_cell_value``) for every table class of every app.
"""

from __future__ import annotations

import functools
import re
from decimal import Decimal

from django.db import models
from django.template.base import render_value_in_context
from django.template.defaultfilters import date as date_filter
from django.templatetags.l10n import localize, unlocalize
from django.utils.encoding import force_str
from django.utils.hashable import make_hashable
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from django_tables2 import Column
from django_tables2.columns import TemplateColumn
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.utils import Accessor, AttributeDict, signature

from zonebook.core.formatting import quantity

CELL_ARGUMENTS = ("value", "record", "column", "bound_column", "bound_row", "table")
_DATE_TEMPLATE = re.compile(r'^\{\{ value\|date:"([^"]*)"\|default:default \}\}$')
_MISSING = object()


class Caller:
    """``fn`` called with the keyword arguments it declares (django-tables2's
    ``call_with_appropriate``), its signature read once instead of on every call: all of them when
    it takes ``**kwargs``; None (and ``fn`` not called) when it needs one that is not offered."""

    __slots__ = ("fn", "names", "takes_all", "never")

    def __init__(self, fn, offered=CELL_ARGUMENTS):
        args, catch_all = signature(fn)
        self.fn = fn
        self.names = args
        self.takes_all = catch_all is not None
        self.never = not self.takes_all and any(a not in offered for a in args)

    def __call__(self, kwargs: dict):
        if self.takes_all:
            return self.fn(**kwargs)
        if self.never:
            return None
        try:
            chosen = {name: kwargs[name] for name in self.names}
        except KeyError:  # an argument offered only sometimes (a td callable's record/value)
            return None
        return self.fn(**chosen)


def _has_callable(d) -> bool:
    return any(callable(v) or (isinstance(v, dict) and _has_callable(v)) for v in d.values())


class Computed:
    """django-tables2's ``computed_values`` for one attribute dictionary, with each callable's
    signature read once."""

    def __init__(self, d, offered):
        self.d = d
        self.offered = offered
        self.callers: dict[int, Caller] = {}

    def __call__(self, kwargs: dict, d=None) -> dict:
        result = {}
        for k, v in (self.d if d is None else d).items():
            if callable(v):
                caller = self.callers.get(id(v))
                if caller is None:
                    caller = self.callers[id(v)] = Caller(v, self.offered)
                v = caller(kwargs)
            if isinstance(v, dict):
                v = self(kwargs, v)
            result[k] = v
        return result


def read(record, path: tuple, key: str):
    """The value at ``path`` as ``Accessor.resolve`` finds it for records without callables on the
    way (a dict key, else an attribute; ``None`` ends the walk), or _MISSING."""
    if type(record) is dict and key in record:
        return record[key]
    value = record
    try:
        for bit in path:
            value = value[bit] if type(value) is dict else getattr(value, bit)
            if callable(value):
                return _MISSING
            if value is None:
                return None
    except Exception:
        return _MISSING
    return value


def _stock_display(model_class, name: str):
    """(class holding it, the partialmethod, the field) when ``name`` on ``model_class`` is Django's
    own binding of ``Model._get_FIELD_display``, or None when the model defines its own method."""
    for klass in model_class.__mro__:
        method = klass.__dict__.get(name)
        if method is not None:
            if isinstance(method, functools.partialmethod) and method.func is models.Model._get_FIELD_display:
                return klass, method, method.keywords.get("field")
            return None
    return None


_LABELS: dict[tuple[type, str], tuple | None] = {}


def _labels(cls, name: str):
    key = (cls, name)
    entry = _LABELS.get(key, _MISSING)
    if entry is not _MISSING:
        if entry is None:
            return None
        holder, method, field, choices = entry[:4]
        # still Django's binding, and the field's choices not replaced since (tests do both)
        if holder.__dict__.get(name) is method and cls.__dict__.get(name, method) is method:
            if field.choices is choices:
                return entry
    found = _stock_display(cls, name)
    entry = None
    if found is not None and found[2] is not None:
        holder, method, field = found
        labels = {make_hashable(k): v for k, v in field.flatchoices}
        entry = (holder, method, field, field.choices, field.attname, labels)
    _LABELS[key] = entry
    return entry


def choice_label(obj, name: str):
    """``obj.get_<name>_display()``, the label looked up in a dictionary built once per field:
    Django's method rebuilds the dictionary (hashing, so translating, every label) on each call,
    ~50 times slower, which a table that calls it per row pays per row.  A model's own
    ``get_<name>_display`` is called."""
    method = f"get_{name}_display"
    entry = _labels(type(obj), method)
    if entry is None:
        return getattr(obj, method)()
    value = getattr(obj, entry[4])
    return force_str(entry[5].get(make_hashable(value), value), strings_only=True)


class ChoiceDisplay:
    """``get_<name>_display()`` of the record at a path (``choice_label``)."""

    def __init__(self, name: str):
        self.name = name

    def __call__(self, owner):
        return choice_label(owner, self.name)


class LinkPlan:
    """``LinkTransform.__call__`` for one column: the ``href`` from the ``linkify`` callable (its
    signature read once), ``reverse()`` arguments or ``get_absolute_url()``; ``<a>`` attributes."""

    def __init__(self, link):
        self.link = link
        self.url = Caller(link.url) if link.url and callable(link.url) else None
        self.reverse = link.reverse_args.get("viewname") is not None
        attrs = link.attrs or {}
        self.attrs = Computed(attrs, CELL_ARGUMENTS) if _has_callable(attrs) else None
        self.static = None if self.attrs else dict(attrs)

    def __call__(self, content, kwargs: dict):
        attrs = AttributeDict(self.static if self.attrs is None else self.attrs(kwargs))
        if self.url is not None:
            href = self.url(kwargs)
        elif self.reverse:
            href = self.link.call_reverse(record=kwargs["record"])
        else:
            href = self.link.compose_url(**kwargs)
        attrs["href"] = href
        if href is None:
            return content
        return format_html("<a {}>{}</a>", attrs.as_html(), content)


class ColumnPlan:
    """How one column's cells are filled from the records of one table (``BoundRow.get_cell`` or,
    for exports, ``get_cell_value``), or ``usable`` False when django-tables2 must do it."""

    def __init__(self, bound_column, record, *, export: bool = False):
        self.bound_column = bound_column
        self.column = column = bound_column.column
        self.usable = False
        self.readable = False
        self.fn = None
        self.date_format = None
        self.display = None
        self.link = None
        if isinstance(column, BaseLinkColumn | ManyToManyColumn):
            return
        accessor = Accessor(bound_column.accessor)
        if accessor.callable_args or accessor.callable_kwargs:
            return
        if not isinstance(record, models.Model | dict):
            return
        self.key = str(accessor)
        self.path = tuple(accessor.bits)
        if not self.path:
            return
        self.readable = True
        if isinstance(record, models.Model):
            field = accessor.get_field(record)
            if field is not None and getattr(field, "choices", None):
                self.display = ChoiceDisplay(self.path[-1])
        fn = bound_column.value if export else bound_column.render
        func = getattr(fn, "__func__", None)
        if export and func is Column.value:
            # Column.value renders with the column's own render()
            fn = column.render
            func = getattr(fn, "__func__", None)
        if func is Column.render:
            fn = None  # the value is the cell
        elif func is TemplateColumn.render:
            match = _DATE_TEMPLATE.match(column.template_code or "")
            if match is None or column.extra_context:
                return
            self.date_format = match.group(1)
            fn = None
        elif export and func is TemplateColumn.value:
            return
        self.fn = Caller(fn) if fn is not None else None
        if not export and bound_column.link:
            self.link = LinkPlan(bound_column.link)
        self.usable = True

    def value(self, record):
        if self.display is not None:
            owner = read(record, self.path[:-1], "") if len(self.path) > 1 else record
            if isinstance(owner, models.Model):
                return self.display(owner)
        return read(record, self.path, self.key)

    def cell(self, row, record, table, *, export: bool = False):
        """The cell, or _MISSING when the plan cannot read this record."""
        value = self.value(record)
        if value is _MISSING:
            return _MISSING
        if value in self.column.empty_values:
            return None if export else self.bound_column.default
        bound_column = self.bound_column
        if self.date_format is not None and self.link is None:
            text = date_filter(template_localtime(value), self.date_format)
            return conditional_escape(text if text else bound_column.default)
        kwargs = {
            "value": value,
            "record": record,
            "column": self.column,
            "bound_column": bound_column,
            "bound_row": row,
            "table": table,
        }
        if self.date_format is not None:
            text = date_filter(template_localtime(value), self.date_format)
            content = conditional_escape(text if text else bound_column.default)
        else:
            content = value if self.fn is None else self.fn(kwargs)
        if self.link is not None:
            return self.link(content, kwargs)
        return content


class RowPlan:
    """``BoundRow.attrs`` with the callables' signatures read once (static attributes built once)."""

    def __init__(self, table):
        self.table = table
        row_attrs = table.row_attrs or {}
        self.computed = Computed(row_attrs, ("table", "record")) if _has_callable(row_attrs) else None
        self.static = None if self.computed else dict(row_attrs)

    def html(self, row, record) -> str:
        if self.computed is None:
            attrs = dict(self.static)
        else:
            attrs = self.computed({"table": self.table, "record": record})
        css = row.get_even_odd_css_class()
        attrs["class"] = f"{attrs['class']} {css}" if attrs.get("class") else css
        return AttributeDict(attrs).as_html()


def _static_td(bound_column) -> bool:
    for attrs in (bound_column._table.attrs, bound_column.column.attrs):
        for key in ("td", "cell"):
            part = attrs.get(key) if hasattr(attrs, "get") else None
            if part and (callable(part) or _has_callable(part)):
                return False
    return True


class TdPlan:
    """``BoundColumn.attrs["td"]`` for one column: built once when static, else per cell as
    django-tables2 does (with the cell as ``value``), the callables' signatures read once."""

    def __init__(self, bound_column, table):
        self.bound_column = bound_column
        self.table = table
        if _static_td(bound_column):
            self.static = bound_column.attrs["td"].as_html()
            return
        self.static = None
        attrs = dict(table.attrs)
        attrs.update(dict(bound_column.column.attrs))
        self.td = attrs.get("td", attrs.get("cell", {}))
        self.computed = (
            Computed(self.td, ("table", "bound_column", "record", "value")) if not callable(self.td) else None
        )

    def html(self, record, cell) -> str:
        if self.static is not None:
            return self.static
        bound_column = self.bound_column
        bound_column.current_value, bound_column.current_record = cell, record
        if self.computed is None:
            return bound_column.attrs["td"].as_html()
        kwargs = {"table": self.table, "bound_column": bound_column}
        if record is not None and cell is not None:
            kwargs.update(record=record, value=cell)
        td = AttributeDict(self.computed(kwargs))
        td["class"] = bound_column.get_td_class(td)
        return td.as_html()


def render_body(context, table) -> str:
    columns = list(table.columns)
    tds = [TdPlan(c, table) for c in columns]
    rows = RowPlan(table)
    plans: list[ColumnPlan] | None = None
    out: list[str] = []
    any_row = False
    for row in table.paginated_rows:
        any_row = True
        record = row.record
        if plans is None:
            plans = [ColumnPlan(c, record) for c in columns]
        out.append(format_html("<tr {}>", rows.html(row, record)))
        for column, plan, td in zip(columns, plans, tds, strict=True):
            cell = _MISSING
            if plan.usable:
                cell = plan.cell(row, record, table)
            if cell is _MISSING:
                cell = row.get_cell(column.name)
            attrs = td.html(record, cell)  # a td callable gets the cell as django-tables2 gives it
            if column.localize is None and (
                type(cell) is Decimal or (type(cell) is int and not -10_000 < cell < 10_000)
            ):
                cell = quantity(cell)  # 1,234.5 / 12,345 — grouped, the decimals the value needs
            elif column.localize is True:
                cell = localize(cell)
            elif column.localize is False:
                cell = unlocalize(cell)
            out.append(f"<td {attrs}>{render_value_in_context(cell, context)}</td>")
        out.append("</tr>")
    if not any_row and table.empty_text:
        out.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text or ""))
    return mark_safe("".join(out))  # every part above is escaped or already safe


def export_values(table, columns, raw) -> list[list]:
    """``row.get_cell_value(name)`` of every row of ``table`` for ``columns`` (``raw``: the column's
    value as read, e.g. a date column exported as a date), by the per-column plan."""
    plans: list[ColumnPlan] | None = None
    out = []
    for row in table.rows:
        record = row.record
        if plans is None:
            plans = [ColumnPlan(bc, record, export=True) for bc in columns]
        values = []
        for bc, plan, is_raw in zip(columns, plans, raw, strict=True):
            if is_raw:
                value = read(record, plan.path, plan.key) if plan.readable else _MISSING
                if value is _MISSING:
                    value = bc.accessor.resolve(record, quiet=True)
            else:
                value = plan.cell(row, record, table, export=True) if plan.usable else _MISSING
                if value is _MISSING:
                    value = row.get_cell_value(bc.name)
            values.append(value)
        out.append(values)
    return out
