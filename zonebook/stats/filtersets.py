"""One FilterSet per stats list: the page, its HTMX partial, the xlsx export and the API use it."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from zonebook.core.lists import cap

from .models import (
    Basis,
    Entity,
    Figure,
    Indicator,
    Level,
    Observation,
    Provenance,
    Submission,
    SubmissionStatus,
    ym_of,
)


def _user(request):
    return getattr(request, "user", None)


def scoped_entities(request):
    return Entity.objects.for_user(_user(request)).only("id", "name") if request is not None else Entity.objects.none()


def indicators(request=None):
    return Indicator.objects.filter(active=True)


def _ym(value: str) -> int:
    import datetime as dt

    try:
        return ym_of(dt.datetime.strptime(value.strip(), "%Y-%m").date())
    except ValueError:
        raise ValidationError(_("A period is written YYYY-MM, e.g. 2008-12.")) from None


class MonthField(forms.CharField):
    """A month written YYYY-MM, cleaned to the integer month index ``ym`` (a form error otherwise, so
    the page shows it beside the field and the API answers 400 naming the field)."""

    def clean(self, value):
        value = super().clean(value)
        if value in (None, ""):
            return None
        return _ym(value)


@extend_schema_field(OpenApiTypes.STR)
class MonthFilter(filters.Filter):
    """A YYYY-MM filter on the integer month index ``ym`` (``lookup_expr`` gte / lte / exact)."""

    field_class = MonthField

    def __init__(self, *args, as_date: bool = False, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}))
        kwargs.setdefault("field_name", "ym")
        self.as_date = as_date
        super().__init__(*args, **kwargs)

    def filter(self, qs, value):
        if value is None:
            return qs
        ym = value
        if self.as_date:
            from .models import period_of

            return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": period_of(ym)})
        return qs.filter(**{f"{self.field_name}__{self.lookup_expr}": ym})


class ObservationFilterSet(filters.FilterSet):
    entity = filters.ModelChoiceFilter(label=cap(_("entity")), queryset=scoped_entities)
    indicator = filters.ModelChoiceFilter(label=cap(_("indicator")), queryset=indicators)
    basis = filters.ChoiceFilter(label=cap(pgettext_lazy("stats", "basis")), choices=Basis.choices)
    provenance = filters.ChoiceFilter(label=cap(pgettext_lazy("stats", "provenance")), choices=Provenance.choices)
    period_from = MonthFilter(label=cap(_("from month")), lookup_expr="gte")
    period_to = MonthFilter(label=cap(_("to month")), lookup_expr="lte")
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(("entity__name", "entity"), ("indicator__order", "indicator"), ("ym", "period"), ("value", "value"),
                ("updated_at", "updated_at")),
    )

    class Meta:
        model = Observation
        fields = ["entity", "indicator", "basis", "provenance", "period_from", "period_to"]


class FigureFilterSet(filters.FilterSet):
    """The ranking table: one indicator, month and basis, entities of one level."""

    indicator = filters.ModelChoiceFilter(label=cap(_("indicator")), queryset=indicators)
    period = MonthFilter(label=_("Month"), lookup_expr="exact")
    basis = filters.ChoiceFilter(label=cap(pgettext_lazy("stats", "basis")), choices=Basis.choices)
    level = filters.ChoiceFilter(label=cap(_("level")), field_name="entity__level", choices=Level.choices)
    region = filters.CharFilter(field_name="entity__region", widget=forms.HiddenInput)
    province = filters.CharFilter(field_name="entity__province_code", widget=forms.HiddenInput)
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(("rank_nation", "rank_nation"), ("value", "value"), ("yoy_pct", "yoy_pct"), ("share_pct", "share_pct"),
                ("entity__name", "entity")),
    )

    class Meta:
        model = Figure
        fields = ["indicator", "period", "basis", "level"]


class SubmissionFilterSet(filters.FilterSet):
    entity = filters.ModelChoiceFilter(label=cap(_("entity")), queryset=scoped_entities)
    period = MonthFilter(label=_("Month"), field_name="report_period__period", lookup_expr="exact", as_date=True)
    status = filters.ChoiceFilter(label=cap(_("status")), choices=SubmissionStatus.choices)
    late = filters.BooleanFilter(label=cap(_("late")))
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(("report_period__period", "period"), ("entity__name", "entity"), ("submitted_at", "submitted_at"),
                ("status", "status")),
    )

    class Meta:
        model = Submission
        fields = ["entity", "period", "status", "late"]
