"""Tables of the stats lists (page and xlsx export use the same columns)."""

from __future__ import annotations

from decimal import Decimal

import django_tables2 as tables
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from zonebook.core.lists import NUMERIC_ATTRS, BaseTable, QuantityColumn, cap

from .models import Figure, Observation, Submission


class PctColumn(tables.Column):
    """A percentage (or pp) with one decimal; empty figures show "—"; exports keep the number."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("attrs", NUMERIC_ATTRS)
        kwargs.setdefault("default", "—")
        super().__init__(*args, **kwargs)

    def render(self, value):
        return f"{Decimal(value):,.1f}"

    def value(self, value):
        return value


class RankColumn(tables.Column):
    def __init__(self, *args, of: str, **kwargs):
        kwargs.setdefault("attrs", NUMERIC_ATTRS)
        kwargs.setdefault("default", "—")
        super().__init__(*args, **kwargs)
        self.of = of

    def render(self, value, record):
        n = getattr(record, self.of, None)
        return f"{value} / {n}" if n else str(value)

    def value(self, value):
        return value


class ObservationTable(BaseTable):
    entity = tables.Column(verbose_name=cap(_("entity")), order_by=("entity__name",))
    indicator = tables.Column(verbose_name=cap(_("indicator")), accessor="indicator__name", order_by=("indicator__order",))
    period = tables.DateColumn(verbose_name=_("Month"), format="Y-m", order_by=("ym",))
    basis = tables.Column(verbose_name=cap(pgettext_lazy("stats", "basis")))
    value = QuantityColumn(verbose_name=cap(pgettext_lazy("stats", "value")))
    unit = tables.Column(verbose_name=cap(pgettext_lazy("stats", "unit")), accessor="indicator__unit", orderable=False)
    provenance = tables.Column(verbose_name=cap(pgettext_lazy("stats", "provenance")))
    source_ref = tables.Column(verbose_name=cap(_("source")), orderable=False)
    fx_rate = tables.Column(verbose_name=cap(_("exchange rate used")), orderable=False, default="")
    updated_at = tables.DateTimeColumn(verbose_name=cap(_("updated at")), format="Y-m-d H:i")

    class Meta(BaseTable.Meta):
        model = Observation
        fields = ()
        sequence = ("entity", "indicator", "period", "basis", "value", "unit", "provenance", "source_ref", "fx_rate",
                    "updated_at")


class FigureTable(BaseTable):
    rank_nation = RankColumn(verbose_name=cap(_("rank")), of="n_nation")
    entity = tables.Column(verbose_name=cap(_("entity")), order_by=("entity__name",),
                           linkify=("stats:entity", {"pk": tables.A("entity_id")}))
    value = QuantityColumn(verbose_name=cap(pgettext_lazy("stats", "value")))
    unit = tables.Column(verbose_name=cap(pgettext_lazy("stats", "unit")), accessor="indicator__unit", orderable=False)
    prior = QuantityColumn(verbose_name=cap(_("same period last year")), orderable=False, default="—")
    yoy_pct = PctColumn(verbose_name=cap(_("YoY (%)")))
    share_pct = PctColumn(verbose_name=cap(_("share of parent (%)")))
    share_pp = PctColumn(verbose_name=cap(_("share change (pp)")), orderable=False)
    rank_region = RankColumn(verbose_name=cap(_("rank in region")), of="n_region", orderable=False)
    rank_province = RankColumn(verbose_name=cap(_("rank in province")), of="n_province", orderable=False)

    class Meta(BaseTable.Meta):
        model = Figure
        fields = ()
        sequence = ("rank_nation", "entity", "value", "unit", "prior", "yoy_pct", "share_pct", "share_pp", "rank_region",
                    "rank_province")
        order_by = ("rank_nation",)


class SubmissionTable(BaseTable):
    entity = tables.Column(verbose_name=cap(_("entity")), order_by=("entity__name",), linkify=lambda record: record.get_absolute_url())
    period = tables.DateColumn(verbose_name=_("Month"), accessor="report_period__period", format="Y-m",
                               order_by=("report_period__period",))
    form = tables.Column(verbose_name=cap(_("report form")), accessor="report_period__form__name", orderable=False)
    due = tables.DateColumn(verbose_name=cap(_("due date")), accessor="report_period__due_date", format="Y-m-d", orderable=False)
    status = tables.Column(verbose_name=cap(_("status")))
    submitted_at = tables.DateTimeColumn(verbose_name=cap(pgettext_lazy("stats", "submitted at")), format="Y-m-d H:i", default="—")
    late = tables.BooleanColumn(verbose_name=cap(_("late")), yesno=(str(_("late")), ""))
    return_reason = tables.Column(verbose_name=cap(_("reason for return")), orderable=False, default="")

    class Meta(BaseTable.Meta):
        model = Submission
        fields = ()
        sequence = ("entity", "period", "form", "due", "status", "submitted_at", "late", "return_reason")
