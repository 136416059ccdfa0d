"""FilterSets of the write-off lists (page, HTMX partial, export and API)."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from zonebook.core.filters import IdFilter
from zonebook.core.lists import cap
from zonebook.registry.filtersets import EnterpriseFilter, scoped_zones

from ..models import DifferenceCase, WriteOff
from ..models.writeoff import CaseStatus, ReasonCode, SettlementKind, WriteOffState


class WriteOffFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Book number or enterprise name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    enterprise = EnterpriseFilter(
        label=cap(_("enterprise")),
        field_name="book__enterprise",
    )
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), field_name="book__zone", queryset=scoped_zones)
    book = IdFilter(field_name="book_id", widget=forms.HiddenInput)
    state = filters.ChoiceFilter(label=cap(_("state")), choices=WriteOffState.choices)
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("book__number", "book"),
            ("report_no", "report_no"),
            ("start", "start"),
            ("end", "end"),
            ("state", "state"),
            ("over_threshold", "over_threshold"),
        ),
    )

    class Meta:
        model = WriteOff
        fields = ["q", "enterprise", "zone", "book", "state"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(Q(book__number__icontains=value) | Q(book__enterprise__name__icontains=value))


class DifferenceCaseFilterSet(filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Book number or enterprise name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    writeoff = IdFilter(field_name="writeoff_id", widget=forms.HiddenInput)
    status = filters.ChoiceFilter(label=cap(_("status")), choices=CaseStatus.choices)
    reason_code = filters.ChoiceFilter(label=cap(_("reason")), choices=ReasonCode.choices)
    proposed_kind = filters.ChoiceFilter(label=cap(_("proposed settlement")), choices=SettlementKind.choices)
    shortage = filters.BooleanFilter(label=cap(_("shortages only")), method="filter_shortage")
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("writeoff__book__number", "book"),
            ("seq_no", "seq_no"),
            ("difference_qty", "difference_qty"),
            ("difference_rate", "difference_rate"),
            ("difference_amount", "difference_amount"),
            ("status", "status"),
        ),
    )

    class Meta:
        model = DifferenceCase
        fields = ["q", "writeoff", "status", "reason_code", "proposed_kind"]

    def search(self, queryset, name, value):
        value = (value or "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(writeoff__book__number__icontains=value) | Q(writeoff__book__enterprise__name__icontains=value)
        )

    def filter_shortage(self, queryset, name, value):
        if value is None:
            return queryset
        return queryset.filter(difference_qty__lt=0) if value else queryset.filter(difference_qty__gt=0)
