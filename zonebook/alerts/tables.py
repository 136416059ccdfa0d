"""Columns of the alert lists, declared once for the page and the xlsx/csv export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zonebook.core.formatting import quantity
from zonebook.core.lists import BaseTable, MoneyColumn, cap
from zonebook.notify import lights

from .models import Alert, PlausibilityFlag

NUM = {"td": {"class": "text-end font-monospace"}, "th": {"class": "text-end"}}
NO_BOOST = {"a": {"hx-boost": "false"}}
light_badge = lights.light_badge  # the one light helper (kept importable for the template tag)


class AlertTable(BaseTable):
    light = tables.Column(verbose_name=cap(_("traffic light")), orderable=False)
    kind = tables.Column(
        verbose_name=cap(_("kind")), linkify=("alerts:alert_detail", {"pk": tables.A("pk")}), attrs=NO_BOOST
    )
    book = tables.Column(
        verbose_name=cap(_("book")),
        accessor="book__number",
        order_by=("book__number",),
        linkify=("ledger:book_detail", {"pk": tables.A("book_id")}),
        attrs=NO_BOOST,
    )
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")),
        accessor="book__enterprise__name",
        order_by=("book__enterprise__name",),
    )
    zone = tables.Column(verbose_name=cap(_("zone")), accessor="book__zone__short_name", orderable=False)
    due_date = tables.DateColumn(verbose_name=cap(_("due date")), format="Y-m-d")
    days_left = tables.Column(verbose_name=cap(_("days left")), empty_values=(), orderable=False, attrs=NUM)
    basis_date = tables.DateColumn(verbose_name=cap(_("basis date")), format="Y-m-d")
    period = tables.Column(verbose_name=cap(_("period")))
    list_count = tables.Column(verbose_name=cap(_("lists")), attrs=NUM)
    amount = MoneyColumn(verbose_name=cap(_("declared amount")), currency="book.currency")
    state = tables.Column(verbose_name=cap(_("state")))

    class Meta(BaseTable.Meta):
        model = Alert
        fields = ()
        sequence = (
            "light",
            "kind",
            "book",
            "enterprise",
            "zone",
            "due_date",
            "days_left",
            "basis_date",
            "period",
            "list_count",
            "amount",
            "state",
        )

    def render_light(self, value, record):
        return light_badge(value)

    def value_light(self, value, record):
        return lights.light_info(value).label

    def render_days_left(self, record):
        return (record.due_date - timezone.localdate()).days

    def value_days_left(self, record):
        return (record.due_date - timezone.localdate()).days


class PlausibilityFlagTable(BaseTable):
    kind = tables.Column(
        verbose_name=cap(_("kind")), linkify=("alerts:flag_detail", {"pk": tables.A("pk")}), attrs=NO_BOOST
    )
    metric = tables.Column(verbose_name=cap(_("metric")))
    book = tables.Column(
        verbose_name=cap(_("book")),
        accessor="book__number",
        order_by=("book__number",),
        linkify=("ledger:book_detail", {"pk": tables.A("book_id")}),
        attrs=NO_BOOST,
    )
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")),
        accessor="book__enterprise__name",
        order_by=("book__enterprise__name",),
    )
    product = tables.Column(verbose_name=cap(_("product")), accessor="product__part_no", orderable=False)
    material = tables.Column(verbose_name=cap(_("material")), accessor="material__part_no", orderable=False)
    version = tables.Column(verbose_name=cap(_("version")))
    # not "value": that word is 完税价格 (a customs value) in the catalogue; this column holds the
    # flagged unit consumption, loss rate or quantity
    value = tables.Column(verbose_name=cap(_("observed figure")), attrs=NUM)
    reference = tables.Column(verbose_name=cap(_("reference")), attrs=NUM)
    deviation = tables.Column(verbose_name=cap(_("deviation")), attrs=NUM)
    threshold = tables.Column(verbose_name=cap(_("threshold")), attrs=NUM)
    peer_count = tables.Column(verbose_name=cap(_("peer rows")), attrs=NUM)
    state = tables.Column(verbose_name=cap(_("state")))

    class Meta(BaseTable.Meta):
        model = PlausibilityFlag
        fields = ()
        sequence = (
            "kind",
            "metric",
            "book",
            "enterprise",
            "product",
            "material",
            "version",
            "value",
            "reference",
            "deviation",
            "threshold",
            "peer_count",
            "state",
        )

    @staticmethod
    def _n(value):
        return quantity(value)

    def render_value(self, value):
        return self._n(value)

    def render_reference(self, value):
        return self._n(value)

    def render_deviation(self, value, record):
        unit = "%" if record.relative else _("pp")
        return f"{self._n(value)} {unit}"
