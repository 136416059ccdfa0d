"""Columns of the carry-over lists (applications, queue), declared once for the page and the export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable, cap
from zonebook.core.table_render import choice_label

from ..models import CarryOver, CarryOverLink
from ..models.carryover import QueueStatus

NUM = {"td": {"class": "text-end font-monospace"}, "th": {"class": "text-end"}}
NO_BOOST = {"a": {"hx-boost": "false"}}


class CarryOverTable(BaseTable):
    number = tables.Column(
        verbose_name=cap(_("application number")),
        linkify=("ledger:carryover_detail", {"pk": tables.A("pk")}),
        attrs=NO_BOOST,
    )
    transferor_book = tables.Column(
        verbose_name=cap(_("transfer-out book")),
        accessor="transferor_book__number",
        order_by=("transferor_book__number",),
    )
    transferor_enterprise = tables.Column(
        verbose_name=cap(_("transfer-out enterprise")),
        accessor="transferor_enterprise_name",
        orderable=False,
    )
    transferee_book = tables.Column(
        verbose_name=cap(_("transfer-in book")),
        accessor="transferee_book__number",
        order_by=("transferee_book__number",),
    )
    transferee_enterprise = tables.Column(
        verbose_name=cap(_("transfer-in enterprise")),
        accessor="transferee_enterprise_name",
        orderable=False,
    )
    item = tables.Column(
        verbose_name=cap(_("transfer-in material")), accessor="transferee_part_no", orderable=False
    )
    valid_from = tables.DateColumn(verbose_name=cap(_("valid from")), format="Y-m-d")
    valid_to = tables.DateColumn(verbose_name=cap(_("valid to")), format="Y-m-d")
    planned_qty = tables.Column(verbose_name=cap(_("planned quantity")), attrs=NUM)
    unit = tables.Column(verbose_name=cap(_("unit")), orderable=False)
    shipped_qty = tables.Column(verbose_name=cap(_("shipped")), attrs=NUM)
    received_qty = tables.Column(verbose_name=cap(_("received")), attrs=NUM)
    over_plan_qty = tables.Column(verbose_name=cap(_("over plan")), attrs=NUM)
    open_halves = tables.Column(verbose_name=cap(_("halves in the queue")), attrs=NUM)
    state = tables.Column(verbose_name=cap(_("state")))

    class Meta(BaseTable.Meta):
        model = CarryOver
        fields = ()
        sequence = (
            "number",
            "transferor_book",
            "transferor_enterprise",
            "transferee_book",
            "transferee_enterprise",
            "item",
            "valid_from",
            "valid_to",
            "planned_qty",
            "unit",
            "shipped_qty",
            "received_qty",
            "over_plan_qty",
            "open_halves",
            "state",
        )


class QueueTable(BaseTable):
    carry_over = tables.Column(
        verbose_name=cap(_("application number")),
        accessor="carry_over__number",
        order_by=("carry_over__number",),
        linkify=("ledger:carryover_matching", {"pk": tables.A("carry_over_id")}),
        attrs=NO_BOOST,
    )
    side = tables.Column(verbose_name=cap(_("side")))
    book = tables.Column(
        verbose_name=cap(_("book")), accessor="inventory_list__book__number", orderable=False
    )
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")), accessor="inventory_list__book__enterprise__name", orderable=False
    )
    list_number = tables.Column(
        verbose_name=cap(_("list number")), accessor="inventory_list__number", orderable=False
    )
    declaration_date = tables.DateColumn(verbose_name=cap(_("declaration date")), format="Y-m-d")
    age = tables.Column(
        verbose_name=cap(_("age (days)")),
        accessor="declaration_date",
        order_by=("-declaration_date",),
        attrs=NUM,
    )
    qty = tables.Column(verbose_name=cap(_("quantity")), attrs=NUM)
    open_qty = tables.Column(verbose_name=cap(_("open quantity")), attrs=NUM)
    over_plan_qty = tables.Column(verbose_name=cap(_("over plan")), attrs=NUM)
    unit = tables.Column(verbose_name=cap(_("unit")), accessor="carry_over__unit", orderable=False)
    queue_status = tables.Column(verbose_name=cap(_("queue status")), orderable=False)

    class Meta(BaseTable.Meta):
        model = CarryOverLink
        fields = ()
        sequence = (
            "carry_over",
            "side",
            "book",
            "enterprise",
            "list_number",
            "declaration_date",
            "age",
            "qty",
            "open_qty",
            "over_plan_qty",
            "unit",
            "queue_status",
        )

    def render_age(self, value):
        return (timezone.localdate() - value).days

    def value_age(self, value):
        return (timezone.localdate() - value).days

    def render_side(self, record):
        return choice_label(record, "side")

    def render_queue_status(self, value):
        return QueueStatus(value).label if value in QueueStatus.values else value
