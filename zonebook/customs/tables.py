"""Columns of the customs lists, declared once for the page and the xlsx/csv export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable, cap
from zonebook.core.table_render import choice_label

from . import services
from .models import InventoryMessage, Receipt

NUM = {"td": {"class": "text-end font-monospace"}, "th": {"class": "text-end"}}
NO_BOOST = {"a": {"hx-boost": "false"}}


class MessageTable(BaseTable):
    list_number = tables.Column(
        verbose_name=cap(_("list number (bondInvtNo)")),
        linkify=("ledger:list_detail", {"pk": tables.A("inventory_list_id")}),
        attrs=NO_BOOST,
    )
    internal_number = tables.Column(verbose_name=cap(_("enterprise internal number (etpsInnerInvtNo)")))
    book = tables.Column(verbose_name=cap(_("book")), accessor="book__number", order_by=("book__number",))
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")), accessor="enterprise__name", order_by=("enterprise__name",)
    )
    lines = tables.Column(verbose_name=cap(_("lines")), attrs=NUM)
    list_state = tables.Column(
        verbose_name=cap(_("list state")), accessor="inventory_list__state", orderable=False
    )
    filename = tables.Column(verbose_name=cap(_("file")))
    source = tables.Column(verbose_name=cap(_("received through")))
    received_at = tables.DateTimeColumn(verbose_name=cap(_("received at")), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = InventoryMessage
        fields = ()
        sequence = (
            "list_number",
            "internal_number",
            "book",
            "enterprise",
            "lines",
            "list_state",
            "filename",
            "source",
            "received_at",
        )

    def render_list_state(self, record):
        return choice_label(record.inventory_list, "state")

    def value_list_state(self, record):
        return choice_label(record.inventory_list, "state")

    def render_lines(self, value):
        return f"{value:,}"


class ReceiptTable(BaseTable):
    message_id = tables.Column(verbose_name=cap(_("receipt number")))
    book = tables.Column(verbose_name=cap(_("book")), accessor="book__number", order_by=("book__number",))
    list_number = tables.Column(verbose_name=cap(_("list number (bondInvtNo)")))
    internal_number = tables.Column(verbose_name=cap(_("enterprise internal number (etpsInnerInvtNo)")))
    status = tables.Column(verbose_name=cap(_("customs status")))
    receipt_time = tables.DateTimeColumn(verbose_name=cap(_("receipt time")), format="Y-m-d H:i")
    age = tables.Column(verbose_name=cap(_("age")), accessor="received_at", orderable=False)
    state = tables.Column(verbose_name=cap(_("state")))
    effect = tables.Column(verbose_name=cap(_("effect")), empty_values=())
    reason = tables.Column(verbose_name=cap(_("reason")))

    class Meta(BaseTable.Meta):
        model = Receipt
        fields = ()
        sequence = (
            "message_id",
            "book",
            "list_number",
            "internal_number",
            "status",
            "receipt_time",
            "age",
            "state",
            "effect",
            "reason",
        )
        order_by = ("received_at",)

    def _status(self, record):
        text = str(services.STATUS_LABELS.get(record.status, record.status))
        if record.deduction:
            text += " · " + str(services.DEDUCTION_LABELS.get(record.deduction, record.deduction))
        return text

    def render_status(self, record):
        return self._status(record)

    def value_status(self, record):
        return self._status(record)

    def render_age(self, value):
        return services.age_text(value)

    def value_age(self, value):
        return services.age_text(value)

    def render_effect(self, record):
        return choice_label(record, "effect") if record.effect else "—"
