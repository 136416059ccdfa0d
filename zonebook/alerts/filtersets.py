"""FilterSets of the alert lists (page, HTMX partial, export and API share them)."""

from __future__ import annotations

import django_filters as filters
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from zonebook.core.filters import IdFilter
from zonebook.core.lists import cap
from zonebook.registry.filtersets import EnterpriseFilter, scoped_zones

from . import queries
from .choices import AlertKind, AlertState, FlagKind, FlagState, Light, Metric
from .models import Alert, AlertSettings, PlausibilityFlag

ALL = "all"


def _search(queryset, value):
    value = (value or "").strip()
    if not value:
        return queryset
    return queryset.filter(Q(book__number__icontains=value) | Q(book__enterprise__name__icontains=value))


class OpenByDefault:
    """Without a ``state`` filter only open rows are listed (page, export and API alike)."""

    open_state = ""

    @property
    def qs(self):
        qs = super().qs
        data = self.data or {}
        if not data.get("state"):
            qs = qs.filter(state=self.open_state)
        return qs


class AlertFilterSet(OpenByDefault, filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Book number or enterprise name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    kind = filters.ChoiceFilter(label=cap(_("kind")), choices=AlertKind.choices)
    light = filters.ChoiceFilter(label=cap(_("traffic light")), choices=Light.choices, method="filter_light")
    state = filters.ChoiceFilter(
        label=cap(_("state")),
        choices=[*AlertState.choices, (ALL, _("All states"))],
        method="filter_state",
        empty_label=_("Open (default)"),
    )
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), field_name="book__zone", queryset=scoped_zones)
    enterprise = EnterpriseFilter(
        label=cap(_("enterprise")),
        field_name="book__enterprise",
    )
    due_from = filters.DateFilter(label=_("Due from"), field_name="due_date", lookup_expr="gte")
    due_to = filters.DateFilter(label=_("Due until"), field_name="due_date", lookup_expr="lte")
    book = IdFilter(field_name="book_id", widget=forms.HiddenInput)
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("due_date", "due_date"),
            ("kind", "kind"),
            ("book__number", "book"),
            ("book__enterprise__name", "enterprise"),
            ("state", "state"),
        ),
    )

    class Meta:
        model = Alert
        fields = ["q", "kind", "light", "state", "zone", "enterprise", "due_from", "due_to", "book"]

    open_state = AlertState.OPEN

    def search(self, queryset, name, value):
        return _search(queryset, value)

    def filter_light(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(queries.light_q(value, timezone.localdate(), AlertSettings.current()))

    def filter_state(self, queryset, name, value):
        if value == ALL:
            return queryset
        return queryset.filter(state=value) if value else queryset


class PlausibilityFlagFilterSet(OpenByDefault, filters.FilterSet):
    q = filters.CharFilter(
        label=_("Search"),
        method="search",
        help_text=_("Book number or enterprise name"),
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    kind = filters.ChoiceFilter(label=cap(_("kind")), choices=FlagKind.choices)
    metric = filters.ChoiceFilter(label=cap(_("metric")), choices=Metric.choices)
    state = filters.ChoiceFilter(
        label=cap(_("state")),
        choices=[*FlagState.choices, (ALL, _("All states"))],
        method="filter_state",
        empty_label=_("Open (default)"),
    )
    zone = filters.ModelChoiceFilter(label=cap(_("zone")), field_name="book__zone", queryset=scoped_zones)
    enterprise = EnterpriseFilter(
        label=cap(_("enterprise")),
        field_name="book__enterprise",
    )
    book = IdFilter(field_name="book_id", widget=forms.HiddenInput)
    writeoff = IdFilter(field_name="writeoff_id", widget=forms.HiddenInput)
    sort = filters.OrderingFilter(
        label=_("Sort"),
        fields=(
            ("book__number", "book"),
            ("kind", "kind"),
            ("metric", "metric"),
            ("deviation", "deviation"),
            ("first_seen_at", "first_seen"),
        ),
    )

    class Meta:
        model = PlausibilityFlag
        fields = ["q", "kind", "metric", "state", "zone", "enterprise", "book", "writeoff"]

    open_state = FlagState.OPEN

    def search(self, queryset, name, value):
        return _search(queryset, value)

    def filter_state(self, queryset, name, value):
        if value == ALL:
            return queryset
        return queryset.filter(state=value) if value else queryset
