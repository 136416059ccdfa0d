"""Render a django-tables2 table body in Python instead of a template loop.

django-tables2's ``bootstrap5.html`` renders each cell through the template engine
(``{% for column, cell in row.items %}<td {{ column.attrs.td.as_html }}>…``): on a 50-row,
12-column list that is 600 variable resolutions of ``column.attrs`` (a property that rebuilds three
attribute dictionaries each time), ``column.localize`` twice and the cell — more than half of a
list page's CPU time.  ``render_body`` produces the same markup with the same escaping and
localisation rules, and builds a column's ``<td>`` attributes once per table when they are static
(no callables in the table's or column's ``td``/``cell`` attributes), else once per cell as
django-tables2 does.  Cells of model records are filled by a per-column plan (``_plan``): a *plain*
column — a ``tables.Column`` with no ``render_<name>`` method, no link and no choices field — is
the attribute path read directly from the record; any other column without a link (choices,
``render_*`` methods, date and custom columns) reads its value the same way (``get_FOO_display()``
for a choices field) and calls its render method with the arguments it asks for, as
``BoundRow._get_and_render_with`` does but without building an ``Accessor``, resolving the path
twice and looking up the model field for every cell.  Links, link and many-to-many columns, dict
records, callables in the path, paths that raise (a ``None`` relation) and non-static ``<td>``
attributes fall back to django-tables2's own ``get_cell``.  One deliberate difference: a Decimal
cell (and an integer from 10,000 up) reads as a number on a page — thousands separators and the
decimals the value needs (``core.formatting.quantity``: 12345.50000 → 12,345.5); exports keep the
raw value.  ``core/tests/test_rendering.py``
compares the output with django-tables2's template.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.template.base import render_value_in_context
from django.templatetags.l10n import localize, unlocalize
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django_tables2 import Column
from django_tables2.columns.linkcolumn import BaseLinkColumn
from django_tables2.columns.manytomanycolumn import ManyToManyColumn
from django_tables2.utils import Accessor, call_with_appropriate

from zonebook.core.formatting import quantity


def _static_td(bound_column) -> bool:
    sources = (bound_column._table.attrs, bound_column.column.attrs)
    for attrs in sources:
        for key in ("td", "cell"):
            part = attrs.get(key) if hasattr(attrs, "get") else None
            if part and (callable(part) or any(callable(v) for v in part.values())):
                return False
    return True


_MISSING = object()


def _plan(bound_column, record) -> tuple | None:
    """How to fill the cells of a column from a model record without django-tables2's per-cell
    accessor work, or None when django-tables2 must render every cell (links, link columns,
    many-to-many, callables in the path, dict records):

    * ``("plain", path)``: a ``tables.Column`` without ``render_<name>``: the value read is the cell;
    * ``("render", path, display, fn)``: the value is read (``get_<field>_display()`` for a choices
      field, as django-tables2 does) and passed to the render method (``render_<name>`` or the
      column's ``render``) with the arguments it asks for — ``BoundRow._get_and_render_with``
      without re-building the accessor and re-resolving the path for every cell.
    """
    column = bound_column.column
    if bound_column.link or column.link or isinstance(column, BaseLinkColumn | ManyToManyColumn):
        return None
    accessor = Accessor(bound_column.accessor)
    if accessor.callable_args or accessor.callable_kwargs or not isinstance(record, models.Model):
        return None
    path = tuple(accessor.bits)
    field = accessor.get_field(record)
    choices = field is not None and getattr(field, "choices", None)
    own_render = getattr(bound_column.render, "__func__", None) is not Column.render
    if type(column) is Column and not own_render and not choices:
        return ("plain", path)
    return ("render", path, f"get_{path[-1]}_display" if choices else None, bound_column.render)


def _read(record, path):
    value = record
    try:
        for bit in path:
            value = getattr(value, bit)
    except Exception:
        return _MISSING
    if callable(value):
        return _MISSING
    return value


def _cell(plan, column, row, record, table):
    """The cell of one record by a plan of ``_plan``; _MISSING when django-tables2 must do it."""
    if plan[0] == "plain":
        value = _read(record, plan[1])
        if value is _MISSING:
            return _MISSING
        return column.default if value in column.column.empty_values else value
    _kind, path, display, fn = plan
    if display:
        owner = _read(record, path[:-1]) if len(path) > 1 else record
        display_fn = getattr(owner, display, None) if isinstance(owner, models.Model) else None
        if display_fn is None:
            return _MISSING
        value = display_fn()
    else:
        value = _read(record, path)
        if value is _MISSING:
            return _MISSING
    if value in column.column.empty_values:
        return column.default
    column.current_value, column.current_record = value, record
    return call_with_appropriate(
        fn,
        {
            "value": value,
            "record": record,
            "column": column.column,
            "bound_column": column,
            "bound_row": row,
            "table": table,
        },
    )


def render_body(context, table) -> str:
    columns = list(table.columns)
    static = {column.name: _static_td(column) for column in columns}
    td_cache = {c.name: (c.attrs["td"].as_html() if static[c.name] else None) for c in columns}
    plans: dict[str, tuple | None] | None = None
    out: list[str] = []
    any_row = False
    for row in table.paginated_rows:
        any_row = True
        record = row.record
        if plans is None:
            plans = {c.name: (_plan(c, record) if static[c.name] else None) for c in columns}
        out.append(format_html("<tr {}>", row.attrs.as_html()))
        for column in columns:
            name = column.name
            plan = plans[name]
            cell = _MISSING
            if plan is not None:
                cell = _cell(plan, column, row, record, table)
            if cell is _MISSING:
                cell = row.get_cell(name)
                column.current_value, column.current_record = cell, record
            td = td_cache[name]
            if td is None:
                td = column.attrs["td"].as_html()
            if column.localize is None and (
                type(cell) is Decimal or (type(cell) is int and not -10_000 < cell < 10_000)
            ):
                cell = quantity(cell)  # 1,234.5 / 12,345 — grouped, the decimals the value needs
            elif column.localize is True:
                cell = localize(cell)
            elif column.localize is False:
                cell = unlocalize(cell)
            out.append(f"<td {td}>{render_value_in_context(cell, context)}</td>")
        out.append("</tr>")
    if not any_row and table.empty_text:
        out.append(format_html('<tr><td colspan="{}">{}</td></tr>', len(columns), table.empty_text or ""))
    return mark_safe("".join(out))  # every part above is escaped or already safe
