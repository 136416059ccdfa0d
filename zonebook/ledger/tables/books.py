"""Columns of the ledger lists, declared once for the page and the xlsx/csv export."""

from __future__ import annotations

import functools

import django_tables2 as tables
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from zonebook.core.formatting import quantity
from zonebook.core.lists import BaseTable, MoneyColumn, cap
from zonebook.core.table_render import choice_label
from zonebook.notify import lights

from .. import queries
from ..models import Balance, Book, InventoryList

NUM = {"td": {"class": "text-end font-monospace"}, "th": {"class": "text-end"}}
# Links out of a list open the page itself, not inside the HTMX-boosted results block.
NO_BOOST = {"a": {"hx-boost": "false"}}


def days_left(date):
    return (date - timezone.localdate()).days if date else None


class DaysColumn(tables.Column):
    """Days until a date, with the oversight traffic light (amber/red thresholds from settings)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_values", ())
        kwargs.setdefault("orderable", False)
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)

    def render(self, value):
        days = days_left(value)
        if days is None:
            return "—"
        return lights.light_badge(queries.book_light(days), days)

    def value(self, value):
        days = days_left(value)
        return "" if days is None else days


class BookTable(BaseTable):
    number = tables.Column(
        verbose_name=cap(_("book number")),
        linkify=("ledger:book_detail", {"pk": tables.A("pk")}),
        attrs=NO_BOOST,
    )
    kind = tables.Column(verbose_name=cap(_("kind")))
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")), accessor="enterprise__name", order_by=("enterprise__name",)
    )
    zone = tables.Column(
        verbose_name=cap(_("zone")), accessor="zone__short_name", order_by=("zone__short_name",)
    )
    status = tables.Column(verbose_name=cap(_("status")))
    valid_until = tables.DateColumn(verbose_name=cap(_("valid until")), format="Y-m-d")
    days_to_expiry = DaysColumn(verbose_name=cap(_("days to expiry")), accessor="valid_until")
    cycle_end = tables.DateColumn(verbose_name=cap(_("write-off cycle end")), format="Y-m-d")
    days_to_writeoff = DaysColumn(verbose_name=cap(_("days to write-off")), accessor="cycle_end")
    change_count = tables.Column(verbose_name=cap(_("change count")), attrs=NUM)

    class Meta(BaseTable.Meta):
        model = Book
        fields = ()
        sequence = (
            "number",
            "kind",
            "enterprise",
            "zone",
            "status",
            "valid_until",
            "days_to_expiry",
            "cycle_end",
            "days_to_writeoff",
            "change_count",
        )

    def render_kind(self, value, record):
        return f"{record.kind} · {value}"  # value: the label (a choices field)

    def value_kind(self, value, record):
        return record.kind

    def render_status(self, record):
        return choice_label(record, "status")

    def value_status(self, record):
        return choice_label(record, "status")


class PickColumn(tables.Column):
    """A checkbox on every submitted list, owned by the page's "post selected" form (``form=``
    attribute: the checkboxes stay inside the HTMX results block, the form outside it)."""

    def __init__(self, **kwargs):
        super().__init__(
            verbose_name="",
            accessor="pk",
            orderable=False,
            empty_values=(),
            exclude_from_export=True,
            attrs={"td": {"class": "pe-0"}},
            **kwargs,
        )

    def render(self, record):
        if record.state != "submitted":
            return ""
        return format_html(
            '<input type="checkbox" class="form-check-input js-pick" form="post-selected" name="lists" '
            'value="{}" aria-label="{}">',
            record.pk,
            record.number,
        )


class InventoryListTable(BaseTable):
    pick = PickColumn()
    number = tables.Column(
        verbose_name=cap(_("list number")),
        linkify=("ledger:list_detail", {"pk": tables.A("pk")}),
        attrs=NO_BOOST,
    )
    internal_number = tables.Column(verbose_name=cap(_("internal number")))
    book = tables.Column(
        verbose_name=cap(_("book")),
        accessor="book__number",
        order_by=("book__number",),
        linkify=("ledger:book_detail", {"pk": tables.A("book_id")}),
        attrs=NO_BOOST,
    )
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")), accessor="enterprise__name", order_by=("enterprise__name",)
    )
    ie_mark = tables.Column(verbose_name=cap(_("I/E")))
    supervision_mode = tables.Column(verbose_name=cap(_("supervision mode")))
    item_kind = tables.Column(verbose_name=cap(_("material/product")))
    declaration_date = tables.DateColumn(verbose_name=cap(_("declaration date")), format="Y-m-d")
    state = tables.Column(verbose_name=cap(_("state")))
    line_count = tables.Column(verbose_name=cap(_("lines")), attrs=NUM, orderable=False)
    total_amount = MoneyColumn(verbose_name=cap(_("amount")), currency="book.currency", orderable=False)
    posted_at = tables.DateTimeColumn(verbose_name=cap(_("posted at")), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = InventoryList
        fields = ()
        sequence = (
            "pick",
            "number",
            "internal_number",
            "book",
            "enterprise",
            "ie_mark",
            "supervision_mode",
            "item_kind",
            "declaration_date",
            "state",
            "line_count",
            "total_amount",
            "posted_at",
        )

    def render_state(self, record):
        label = choice_label(record, "state")
        if record.direction == -1:
            return format_html('{} <span class="badge text-bg-secondary">{}</span>', label, _("reversal"))
        return label

    def value_state(self, record):
        return choice_label(record, "state")

    def render_item_kind(self, record):
        return choice_label(record, "item_kind")

    def value_item_kind(self, record):
        return choice_label(record, "item_kind")


@functools.cache
def _drilldown_url_parts(prefix: str) -> tuple[str, str]:
    # reverse() once; a cell only substitutes the item id (reverse per cell cost ~0.1 ms x 500 cells)
    head, _sep, tail = reverse("ledger:balance_drilldown", kwargs={"pk": 987654321}).partition("987654321")
    return head, tail


def balance_link(record, column: str, value) -> str:
    head, tail = _drilldown_url_parts(get_script_prefix())
    url = f"{head}{int(record.item_id)}{tail}"
    return format_html(
        '<a href="{}?column={}" title="{}" hx-boost="false">{}</a>',
        url,
        column,
        _("Show the postings"),
        value,
    )


class BalanceColumn(tables.Column):
    """A balance cell that links to the posted lines behind it (balance drill-down)."""

    def __init__(self, *args, column: str = "", **kwargs):
        kwargs.setdefault("attrs", NUM)
        super().__init__(*args, **kwargs)
        self.column = column

    def render(self, value, record):
        return balance_link(record, self.column, quantity(value))

    def value(self, value):
        # exports get the number itself (a Decimal), never the drill-down link
        return value


class BalanceTable(BaseTable):
    book = tables.Column(
        verbose_name=cap(_("book")),
        accessor="book__number",
        order_by=("book__number",),
        linkify=("ledger:book_detail", {"pk": tables.A("book_id")}),
        attrs=NO_BOOST,
    )
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")), accessor="book__enterprise__name", orderable=False
    )
    kind = tables.Column(verbose_name=cap(_("item kind")), accessor="item__kind", orderable=False)
    seq_no = tables.Column(
        verbose_name=cap(_("sequence no.")), accessor="item__seq_no", order_by=("item__seq_no",)
    )
    part_no = tables.Column(
        verbose_name=cap(_("part no.")), accessor="item__part_no", order_by=("item__part_no",)
    )
    name = tables.Column(verbose_name=cap(_("name")), accessor="item__name", orderable=False)
    opening = BalanceColumn(verbose_name=cap(_("opening")), column="opening")
    imports = BalanceColumn(verbose_name=cap(_("imports")), column="imports")
    consumption = BalanceColumn(verbose_name=cap(_("consumption")), column="consumption")
    expected_remaining = BalanceColumn(verbose_name=cap(_("expected remaining")), column="expected_remaining")
    scrap_balance = BalanceColumn(verbose_name=cap(_("scrap balance")), column="scrap_balance")
    exported = BalanceColumn(verbose_name=cap(_("products exported")), column="exported")

    class Meta(BaseTable.Meta):
        model = Balance
        fields = ()
        sequence = (
            "book",
            "enterprise",
            "kind",
            "seq_no",
            "part_no",
            "name",
            "opening",
            "imports",
            "consumption",
            "expected_remaining",
            "scrap_balance",
            "exported",
        )
        row_attrs = {
            "class": lambda record: (
                "table-danger" if record.expected_remaining < 0 or record.scrap_balance < 0 else ""
            )
        }

    def render_kind(self, record):
        return choice_label(record.item, "kind")

    def value_kind(self, record):
        return choice_label(record.item, "kind")
