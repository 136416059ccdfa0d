"""FilterSets of the carry-over lists (page, HTMX partial, export and API): applications and the queue."""

from __future__ import annotations

import datetime as dt

import django_filters as filters
from django import forms
from django.db.models import Q
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from zonebook.core.filters import IdFilter, IntegerFilter
from zonebook.core.lists import YesNoWidget, cap
from zonebook.core.widgets import PickerSelect
from zonebook.registry.filtersets import scoped_enterprises, scoped_zones

from ..models import CarryOver, CarryOverLink
from ..models.carryover import CarryOverSide, CarryOverState, QueueStatus


@extend_schema_field(OpenApiTypes.INT)
class EitherSideChoiceFilter(filters.ModelChoiceFilter):
    """A zone/enterprise id matched against either side's book (filter method)."""


def _either(prefix: str, field: str, value) -> Q:
    return Q(**{f"{prefix}transferor_book__{field}": value}) | Q(
        **{f"{prefix}transferee_book__{field}": value}
    )


MAX_AGE_DAYS = 36_500  # a century: the queue's "older than" filter reaches back no further


class CarryOverFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Application number, book number or enterprise name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    enterprise = EitherSideChoiceFilter(
        label=cap(_("enterprise (either side)")),
        queryset=scoped_enterprises,
        method="filter_enterprise",
        widget=PickerSelect(search_url=reverse_lazy("registry:enterprise_options")),
    )
    zone = EitherSideChoiceFilter(
        label=cap(_("zone (either side)")), queryset=scoped_zones, method="filter_zone"
    )
    book = IdFilter(method="filter_book", widget=forms.HiddenInput)
    state = filters.ChoiceFilter(label=cap(_("state")), choices=CarryOverState.choices)
    open = filters.BooleanFilter(
        label=cap(_("halves in the queue")), method="filter_open", widget=YesNoWidget
    )
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("number", "number"),
            ("transferor_book__number", "transferor_book"),
            ("transferee_book__number", "transferee_book"),
            ("valid_from", "valid_from"),
            ("valid_to", "valid_to"),
            ("planned_qty", "planned_qty"),
            ("received_qty", "received_qty"),
            ("open_halves", "open_halves"),
            ("state", "state"),
        ),
    )

    class Meta:
        model = CarryOver
        fields = ["q", "enterprise", "zone", "book", "state", "open"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | _either("", "number__icontains", value)
            | _either("", "enterprise__name__icontains", value)
        )

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(_either("", "enterprise", value)) if value else queryset

    def filter_zone(self, queryset, name, value):
        return queryset.filter(_either("", "zone", value)) if value else queryset

    def filter_book(self, queryset, name, value):
        if value in (None, ""):
            return queryset
        return queryset.filter(Q(transferor_book_id=value) | Q(transferee_book_id=value))

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(open_halves__gt=0) if value else queryset.filter(open_halves=0)


class CarryOverQueueFilterSet(filters.FilterSet):
    """The matching queue (对碰队列); the queryset comes from ``services.carryover.queue``."""

    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Application number, list number, book number or enterprise name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    carry_over = IdFilter(field_name="carry_over_id", widget=forms.HiddenInput)
    enterprise = EitherSideChoiceFilter(
        label=cap(_("enterprise (either side)")),
        queryset=scoped_enterprises,
        method="filter_enterprise",
        widget=PickerSelect(search_url=reverse_lazy("registry:enterprise_options")),
    )
    side = filters.ChoiceFilter(label=cap(_("side")), choices=CarryOverSide.choices)
    status = filters.ChoiceFilter(
        label=cap(_("queue status")), choices=QueueStatus.choices, field_name="queue_status"
    )
    min_age = IntegerFilter(
        label=cap(_("older than (days)")), method="filter_age", min_value=0, max_value=MAX_AGE_DAYS
    )
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("carry_over__number", "carry_over"),
            ("declaration_date", "declaration_date"),
            ("qty", "qty"),
            ("open_qty", "open_qty"),
            ("over_plan_qty", "over_plan_qty"),
            ("side", "side"),
        ),
    )

    class Meta:
        model = CarryOverLink
        fields = ["q", "carry_over", "enterprise", "side", "status", "min_age"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(carry_over__number__icontains=value)
            | Q(inventory_list__number__icontains=value)
            | _either("carry_over__", "number__icontains", value)
            | _either("carry_over__", "enterprise__name__icontains", value)
        )

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(_either("carry_over__", "enterprise", value)) if value else queryset

    def filter_age(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(declaration_date__lte=timezone.localdate() - dt.timedelta(days=int(value)))
