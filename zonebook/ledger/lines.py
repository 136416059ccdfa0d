"""The one specification of an inventory-list line (表体).

Every field of ``InventoryListLine`` that a list carries is described here once: its name (the key
of a line dict, the model field, the import column key and the API field), its label, its type and
decimal places, whether it is required, its import column headers (aliases), and where it appears.
Derived from it, never written out again:

* ``LINE_COLUMNS``: the column order of the rows the posting path builds and writes with ``COPY``
  (after ``inventory_list_id``); the customs import and its benchmark take it from here;
* ``LINE_FIELDS``: the keys a caller may give per line (the stored columns but the derived ones);
* ``IMPORT_LINE``: the line columns of the inventory-list import (``import_columns()``);
* ``FORM_LINE``: the columns of the entry grid (``form_fields()`` builds the form fields);
* ``API_LINE``: the line fields of the API (``serializer_fields()`` builds the serializer fields);
* ``detail_line()``: the line columns of the list's detail page (``detail_cell`` renders a cell).

A test adds a field to the specification and checks that it appears in each of them
(``ledger/tests/test_lines.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.urls import reverse
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zonebook.core.formatting import number, quantity

INT, DECIMAL, TEXT, FK = "int", "decimal", "text", "fk"


@dataclass(frozen=True)
class LineField:
    name: str
    label: Promise | str  # the model's verbose name (API, detail page)
    kind: str  # INT, DECIMAL, TEXT, FK
    max_digits: int = 0
    places: int = 0  # decimal places (DECIMAL)
    max_length: int = 0  # TEXT
    required: bool = False  # a line without it is refused (service, import, API)
    min_value: Any = None  # smallest accepted value in the import and the form
    given: bool = True  # a caller may give it (False: the service derives it)
    stored: bool = True  # a column the posting path writes (COPY order)
    import_label: Promise | str | None = None  # the import template's header when it differs
    aliases: tuple[str, ...] = ()  # further import headers (Chinese)
    example: str = ""
    form: bool = False  # a column of the entry grid
    form_label: Promise | str | None = None  # the grid's header when it differs
    api: bool = True  # a field of the API serializer (read-only when not ``given``)
    blank: bool = True  # TEXT: the API accepts an empty string (else the service derives the value)
    detail: str = ""  # how the list's detail page shows it (a DETAIL_KINDS key; "": not a column)
    detail_label: Promise | str | None = None  # the detail page's header when it differs

    @property
    def column_label(self):
        return self.import_label or self.label

    @property
    def grid_label(self):
        return self.form_label or self.label

    @property
    def page_label(self):
        return self.detail_label or self.label

    @property
    def importable(self) -> bool:
        return self.given and self.kind != FK


QTY = {"kind": DECIMAL, "max_digits": 20, "places": 5}

SPEC: tuple[LineField, ...] = (
    LineField(
        "line_no",
        _("line no."),
        INT,
        min_value=1,
        aliases=("商品序号", "表体序号"),
        example="1",
        detail="int",
        detail_label="#",
    ),
    LineField("item_id", _("book item"), FK, given=False, api=False),
    LineField(
        "item_seq_no",
        _("item sequence no. (备案序号)"),
        INT,
        required=True,
        min_value=1,
        import_label=_("item sequence no."),
        aliases=("备案序号", "账册备案序号"),
        example="1",
        form=True,
        detail="item",
        detail_label=_("Seq. no."),
    ),
    LineField(
        "part_no",
        _("part no. (料号)"),
        TEXT,
        max_length=40,
        import_label=_("part no."),
        aliases=("料号", "商品料号"),
        detail="text",
        detail_label=_("Part no."),
    ),
    LineField("hs_code", _("HS code"), TEXT, max_length=10, blank=False, aliases=("商品编码",), detail="code"),
    LineField(
        "name", _("name"), TEXT, max_length=200, aliases=("商品名称",), detail="text", detail_label=_("Item name")
    ),
    LineField(
        "qty",
        _("declared quantity"),
        **QTY,
        required=True,
        aliases=("申报数量", "数量"),
        example="1000",
        form=True,
        form_label=_("quantity"),
        detail="qty",
        detail_label=_("Quantity"),
    ),
    LineField(
        "legal_qty",
        _("legal quantity"),
        **QTY,
        aliases=("法定数量",),
        form=True,
        detail="qty",
        detail_label=_("Legal quantity"),
    ),
    LineField("legal_qty2", _("second legal quantity"), **QTY, aliases=("第二法定数量",)),
    LineField(
        "unit_price",
        _("unit price"),
        DECIMAL,
        max_digits=18,
        places=4,
        min_value=0,
        aliases=("申报单价", "单价"),
        example="1.25",
        form=True,
        detail="qty",
        detail_label=_("Unit price"),
    ),
    LineField(
        "amount",
        _("amount"),
        DECIMAL,
        max_digits=18,
        places=2,
        min_value=0,
        aliases=("申报总价", "总价"),
        form=True,
        detail="money",
        detail_label=_("Amount"),
    ),
    LineField(
        "currency", _("currency"), TEXT, max_length=3, aliases=("币制",), form=True, detail="text",
        detail_label=_("Currency"),
    ),
    LineField(
        "country",
        _("country"),
        TEXT,
        max_length=3,
        aliases=("原产国", "最终目的国", "原产国(地区)"),
        form=True,
        detail="text",
        detail_label=_("Country"),
    ),
    LineField(
        "consumption_version",
        _("consumption version (单耗版本号)"),
        TEXT,
        max_length=8,
        import_label=_("consumption version"),
        aliases=("单耗版本号",),
        form=True,
        form_label=_("consumption version"),
        detail="version",
        detail_label=_("Consumption version"),
    ),
    LineField("resolved_version", _("consumption version used"), TEXT, max_length=8, given=False),
)


def by_name(spec=None) -> dict[str, LineField]:
    return {f.name: f for f in (spec or SPEC)}


def line_columns(spec=None) -> tuple[str, ...]:
    """The COPY/INSERT column order of built line rows (after ``inventory_list_id``)."""
    return tuple(f.name for f in (spec or SPEC) if f.stored)


def line_fields(spec=None) -> frozenset[str]:
    """The keys a caller may give per line."""
    return frozenset(f.name for f in (spec or SPEC) if f.stored and f.given)


def import_line(spec=None) -> tuple[str, ...]:
    return tuple(f.name for f in (spec or SPEC) if f.importable)


def form_line(spec=None) -> tuple[str, ...]:
    return tuple(f.name for f in (spec or SPEC) if f.form)


def api_line(spec=None) -> tuple[str, ...]:
    return tuple(f.name for f in (spec or SPEC) if f.api)


# how a detail-page column shows its value: right-aligned, and the cell (``detail_cell``)
DETAIL_KINDS = {"int": True, "item": True, "text": False, "code": False, "qty": True, "money": True, "version": False}


def detail_line(spec=None) -> tuple[LineField, ...]:
    """The columns of the list's detail page, in the specification's order."""
    return tuple(f for f in (spec or SPEC) if f.detail)


def detail_cell(line, field: LineField) -> str:
    """One cell of a line on the list's detail page (safe HTML)."""
    value = getattr(line, field.name)
    if field.detail == "item":
        url = reverse("ledger:balance_drilldown", args=[line.item_id])
        return format_html('<td class="text-end"><a href="{}">{}</a></td>', url, value)
    if field.detail == "code":
        return format_html("<td><code>{}</code></td>", value)
    if field.detail == "qty":
        return format_html('<td class="text-end font-monospace">{}</td>', "" if value is None else quantity(value))
    if field.detail == "money":
        return format_html('<td class="text-end font-monospace">{}</td>', number(value, field.places))
    if field.detail == "version":  # the version the posting used, else the declared one
        return format_html("<td>{}</td>", line.resolved_version or value)
    if DETAIL_KINDS[field.detail]:
        return format_html('<td class="text-end">{}</td>', value)
    return format_html("<td>{}</td>", value)


LINE_COLUMNS = line_columns()
LINE_FIELDS = line_fields()
IMPORT_LINE = import_line()
FORM_LINE = form_line()
API_LINE = api_line()


def import_columns(spec=None) -> list:
    """The line columns of the inventory-list import (``core.imports`` Column objects)."""
    from zonebook.core.imports.kinds import Column
    from zonebook.core.imports.parsers import DecimalNumber, Integer, Text

    out = []
    for f in spec or SPEC:
        if not f.importable:
            continue
        if f.kind == INT:
            parser = Integer(min_value=f.min_value) if f.min_value is not None else Integer()
        elif f.kind == DECIMAL:
            kw = {"min_value": f.min_value} if f.min_value is not None else {}
            parser = DecimalNumber(f.max_digits, f.places, **kw)
        else:
            parser = Text(f.max_length)
        out.append(
            Column(f.name, f.column_label, parser, required=f.required, aliases=f.aliases, example=f.example)
        )
    return out


def form_fields(spec=None) -> dict:
    """The entry grid's form fields (every one optional: a blank row is skipped, and the form's
    ``clean`` asks for the required ones of a filled row)."""
    from django import forms

    from zonebook.core.lists import cap

    out: dict[str, Any] = {}
    for f in spec or SPEC:
        if not f.form:
            continue
        label = cap(f.grid_label)
        if f.kind == INT:
            out[f.name] = forms.IntegerField(label=label, min_value=f.min_value, required=False)
        elif f.kind == DECIMAL:
            out[f.name] = forms.DecimalField(
                label=label,
                max_digits=f.max_digits,
                decimal_places=f.places,
                required=False,
                min_value=0 if f.name == "qty" else None,
            )
        else:
            out[f.name] = forms.CharField(label=label, max_length=f.max_length, required=False)
    return out


def serializer_fields(spec=None) -> dict:
    """The API serializer's line fields (DRF fields, declared)."""
    from rest_framework import serializers

    from zonebook.core.api import SeqNoField

    out: dict[str, Any] = {}
    for f in spec or SPEC:
        if not f.api:
            continue
        common: dict[str, Any] = {"label": f.label}
        if not f.given:
            common["read_only"] = True
        else:
            common["required"] = f.required
        if f.kind == INT:
            out[f.name] = SeqNoField(**{k: v for k, v in common.items() if k != "label"})
        elif f.kind == DECIMAL:
            nullable = not f.required and f.name not in _DEFAULT_ZERO
            out[f.name] = serializers.DecimalField(
                max_digits=f.max_digits,
                decimal_places=f.places,
                **({"allow_null": True} if nullable and f.given else {}),
                **common,
            )
        else:
            blank = {"allow_blank": True} if f.blank and not f.required else {}
            out[f.name] = serializers.CharField(max_length=f.max_length, **blank, **common)
    return out


# Decimal columns stored NOT NULL with a default of 0 (a missing value is 0, not null).
_DEFAULT_ZERO = {"unit_price", "amount"}
