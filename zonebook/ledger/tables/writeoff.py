"""Columns of the write-off lists, declared once for the page and the xlsx/csv export."""

from __future__ import annotations

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _

from zonebook.core.lists import BaseTable, MoneyColumn, cap

from ..models import DifferenceCase, WriteOff

NUM = {"td": {"class": "text-end font-monospace"}, "th": {"class": "text-end"}}
NO_BOOST = {"a": {"hx-boost": "false"}}


class WriteOffTable(BaseTable):
    book = tables.Column(
        verbose_name=cap(_("book")),
        accessor="book__number",
        order_by=("book__number",),
        linkify=("ledger:writeoff_detail", {"pk": tables.A("pk")}),
        attrs=NO_BOOST,
    )
    enterprise = tables.Column(
        verbose_name=cap(_("enterprise")),
        accessor="book__enterprise__name",
        order_by=("book__enterprise__name",),
    )
    report_no = tables.Column(verbose_name=cap(_("report count (报核次数)")), attrs=NUM)
    start = tables.DateColumn(verbose_name=cap(_("cycle start")), format="Y-m-d")
    end = tables.DateColumn(verbose_name=cap(_("cycle end")), format="Y-m-d")
    state = tables.Column(verbose_name=cap(_("state")))
    list_count = tables.Column(verbose_name=cap(_("lists")), attrs=NUM)
    material_count = tables.Column(verbose_name=cap(_("materials")), attrs=NUM)
    over_threshold = tables.Column(verbose_name=cap(_("items over the threshold")), attrs=NUM)
    shortage_amount = MoneyColumn(verbose_name=cap(_("shortage amount")), currency="book.currency")
    surplus_amount = MoneyColumn(verbose_name=cap(_("surplus amount")), currency="book.currency")

    class Meta(BaseTable.Meta):
        model = WriteOff
        fields = ()
        sequence = (
            "book",
            "enterprise",
            "report_no",
            "start",
            "end",
            "state",
            "list_count",
            "material_count",
            "over_threshold",
            "shortage_amount",
            "surplus_amount",
        )


class DifferenceCaseTable(BaseTable):
    id = tables.Column(
        verbose_name=cap(_("case")), linkify=("ledger:case_resolve", {"pk": tables.A("pk")}), attrs=NO_BOOST
    )
    book = tables.Column(
        verbose_name=cap(_("book")), accessor="writeoff__book__number", order_by=("writeoff__book__number",)
    )
    writeoff = tables.Column(
        verbose_name=cap(_("report count (报核次数)")),
        accessor="writeoff__report_no",
        linkify=("ledger:writeoff_detail", {"pk": tables.A("writeoff_id")}),
        attrs=NO_BOOST,
    )
    seq_no = tables.Column(verbose_name=cap(_("material seq. no.")), attrs=NUM)
    part_no = tables.Column(verbose_name=cap(_("part no.")), accessor="item__part_no", orderable=False)
    expected_remaining = tables.Column(verbose_name=cap(_("expected remaining")), attrs=NUM)
    actual_remaining = tables.Column(verbose_name=cap(_("actual remaining")), attrs=NUM)
    difference_qty = tables.Column(verbose_name=cap(_("difference")), attrs=NUM)
    difference_rate = tables.Column(verbose_name=cap(_("difference rate %")), attrs=NUM)
    difference_amount = MoneyColumn(verbose_name=cap(_("difference amount")), currency="writeoff.book.currency")
    reason_code = tables.Column(verbose_name=cap(_("reason")))
    proposed_kind = tables.Column(verbose_name=cap(_("proposed settlement")))
    status = tables.Column(verbose_name=cap(_("status")))

    class Meta(BaseTable.Meta):
        model = DifferenceCase
        fields = ()
        sequence = (
            "id",
            "book",
            "writeoff",
            "seq_no",
            "part_no",
            "expected_remaining",
            "actual_remaining",
            "difference_qty",
            "difference_rate",
            "difference_amount",
            "reason_code",
            "proposed_kind",
            "status",
        )
